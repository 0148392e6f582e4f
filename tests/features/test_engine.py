"""The interval primitives on hand-checked cases and extreme ranges."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_risk.features.engine import (
    INF,
    OFFSET,
    Queries,
    day_numbers,
    interval_count,
    interval_decayed,
    interval_last,
    interval_sum,
)


def _q(subj, day):
    return Queries.build(np.asarray(subj, np.int64), np.asarray(day, np.int64))


def test_half_open_interval_and_subject_boundaries():
    # subject 0: counts for t in (10, 20]; subject 1: (5, INF]; an empty interval never counts
    subj = np.array([0, 1, 1])
    lo = np.array([10, 5, 30])
    hi = np.array([20, INF, 30])
    q = _q([0, 0, 0, 0, 1, 1, 2], [10, 11, 20, 21, 5, 6, 100])
    assert interval_count(subj, lo, hi, q).tolist() == [0, 1, 1, 0, 0, 1, 0]
    w = np.array([2.0, 3.0, np.nan])
    assert interval_sum(subj, lo, hi, w, q).tolist() == [0, 2, 2, 0, 0, 3, 0]


def test_last_picks_most_recent_known_and_requires_it_to_count():
    subj = np.array([0, 0, 0])
    start = np.array([1, 5, 8])
    lo = np.array([1, 5, 12])  # the third is published late
    hi = np.array([100, 9, 100])
    q = _q([0, 0, 0, 0], [2, 6, 11, 13])
    # t=2: first; t=6: second; t=11: second has ended (hi 9 < 11) → none; t=13: third is known
    assert interval_last(subj, lo, hi, start, q).tolist() == [0, 1, -1, 2]


@settings(max_examples=50, deadline=None)
@given(
    starts=st.lists(st.integers(0, 20_000), min_size=1, max_size=30),
    t=st.integers(0, 22_000),
    tau=st.floats(30, 2000),
)
def test_decayed_count_stays_finite_over_long_histories(starts, t, tau):
    start = np.array(starts, np.int64) + OFFSET
    subj = np.zeros(len(start), np.int64)
    q = _q([0], [t + OFFSET])
    got = interval_decayed(subj, start, np.full(len(start), INF), start, tau, q, 1)[0]
    want = sum(np.exp(-(t + OFFSET - s) / tau) for s in start if s < t + OFFSET)
    assert np.isfinite(got)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_day_numbers_missing_and_offset():
    days = day_numbers(pd.Series(pd.to_datetime(["1970-01-02", None])))
    assert days.tolist() == [OFFSET + 1, INF]
