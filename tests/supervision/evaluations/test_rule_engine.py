"""The rule engine's point and band steps against their plain definitions (property tests)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_risk.models._rules import band_index, bin_points

finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(uppers=st.lists(finite, min_size=0, max_size=6, unique=True),
       values=st.lists(st.one_of(finite, st.just(math.nan)), min_size=1, max_size=30),
       missing=finite)
def test_bin_points_is_the_first_bin_whose_upper_exceeds_the_value(uppers, values, missing):
    uppers = sorted(uppers)
    points = [float(i * 10) for i in range(len(uppers) + 1)]
    got = bin_points(values, uppers, points, missing)
    for v, g in zip(values, got, strict=True):
        if math.isnan(v):
            assert g == missing
        else:
            assert g == next((p for u, p in zip(uppers, points, strict=False) if v < u), points[-1])


@settings(max_examples=200, deadline=None)
@given(mins=st.lists(finite, min_size=1, max_size=5, unique=True), totals=st.lists(finite, min_size=1, max_size=30))
def test_band_index_is_the_first_band_reached_else_the_worst(mins, totals):
    mins = sorted(mins, reverse=True)
    got = band_index(np.asarray(totals), mins)
    for total, g in zip(totals, got, strict=True):
        assert g == next((i for i, m in enumerate(mins) if total >= m), len(mins) - 1)
