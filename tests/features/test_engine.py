"""The interval primitives on hand-checked cases and extreme ranges."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_risk.data import load_catalog
from credit_risk.data.publication import effective_end
from credit_risk.features.engine import (
    INF,
    OFFSET,
    Queries,
    _interval_last_grouped,
    _interval_last_sorted,
    day_numbers,
    interval_count,
    interval_count_sum,
    interval_decayed,
    interval_last,
    interval_sum,
)
from credit_risk.features.prepared import _lookup, prepare


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


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 60), st.integers(0, 6), st.one_of(st.none(), st.integers(0, 40)),
                  st.one_of(st.none(), st.floats(-1e6, 1e6))),
        max_size=40,
    ),
    cutoffs=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 110)), max_size=25),
    direct_max=st.sampled_from([0, 6, 10**9]),
)
def test_count_sum_kernel_equals_naive(data, cutoffs, direct_max):
    """Both kernel paths (pair by pair, sorted sweep) equal the per-cutoff loop, for every window."""
    data = sorted(data, key=lambda r: r[0])  # grouped by subject
    subj = np.array([r[0] for r in data], np.int64)
    start = np.array([r[1] for r in data], np.int64)
    lo = start + np.array([r[2] for r in data], np.int64)  # published up to 6 days late
    end = np.array([INF if r[3] is None else r[1] + r[3] for r in data], np.int64)
    value = np.array([np.nan if r[4] is None else r[4] for r in data], np.float64)
    q = _q([c[0] for c in cutoffs], [c[1] for c in cutoffs])
    windows = [None, 0, 7, 30]
    counts, sums = interval_count_sum(subj, lo, end, start, value, windows, q, direct_max=direct_max)
    for i, (s, t) in enumerate(cutoffs):
        for j, w in enumerate(windows):
            hi = end if w is None else np.minimum(end, start + w)
            hit = (subj == s) & (lo < t) & (t <= hi)
            assert counts[i, j] == hit.sum()
            np.testing.assert_allclose(sums[i, j], np.nansum(value[hit]), rtol=1e-9, atol=1e-6)


def test_count_sum_needs_records_grouped_by_subject():
    with pytest.raises(ValueError, match="grouped by subject"):
        interval_count_sum(np.array([1, 0]), np.array([0, 0]), np.array([INF, INF]), np.array([0, 0]), None,
                           [None], _q([0], [5]))


def test_encoded_records_follow_the_data_layer_rules():
    """Effective end (publication period, end), known-from day and severity rank of every record."""
    rng = np.random.default_rng(0)
    cat = load_catalog()
    n = 400
    kinds = rng.choice(list(cat.kinds), n)
    sev = np.where(rng.random(n) < 0.1, None, rng.choice(list(cat.severity_values), n))
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), unit="D")
    end = pd.Series(start + pd.to_timedelta(rng.integers(0, 900, n), unit="D")).where(rng.random(n) < 0.5)
    published = pd.Series(start + pd.to_timedelta(rng.integers(-5, 30, n), unit="D")).where(rng.random(n) < 0.9)
    ent = pd.DataFrame({"credit_code": ["a", "b", "c"]})
    rec = pd.DataFrame({"credit_code": rng.choice(["a", "b", "c"], n), "kind": pd.Categorical(kinds),
                        "severity": sev, "start": start, "end": end, "published_on": published,
                        "domain": "market", "value": np.nan})
    ds = SimpleNamespace(enterprises=ent, records=rec, catalog=cat)
    p = prepare(ds, pd.DataFrame({"credit_code": ["a"], "as_of": [pd.Timestamp("2024-01-01")]}))
    rs = p.select()
    assert sorted(rs.rows.tolist()) == list(range(n)) and (np.diff(rs.subj) >= 0).all()
    want_end = day_numbers(effective_end(rec, cat))[rs.rows]
    assert rs.end.tolist() == want_end.tolist()
    known = day_numbers(rec["published_on"].fillna(rec["start"]))
    assert rs.lo.tolist() == np.maximum(known, day_numbers(rec["start"]))[rs.rows].tolist()
    ranks = cat.severity_ranks(kinds, sev)[rs.rows]
    assert rs.severity.tolist() == np.where(np.isnan(ranks), -1, np.nan_to_num(ranks)).astype(int).tolist()


@pytest.mark.parametrize("dtype", ["str", "object", "category"])
def test_lookup_of_credit_codes(dtype):
    codes = pd.Index(["a", "b", "c"])
    values = pd.Series(["c", "x", None, "a", "a"], dtype=dtype)
    assert _lookup(codes, values).tolist() == [2, -1, -1, 0, 0]
    # the same codes in the same order (the monthly run) and a missing one in that position
    assert _lookup(codes, pd.Series(["a", "b", "c"], dtype=dtype)).tolist() == [0, 1, 2]
    assert _lookup(codes, pd.Series(["a", None, "c"], dtype=dtype)).tolist() == [0, -1, 2]


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 30), st.integers(0, 4), st.one_of(st.none(), st.integers(-2, 20))),
                  max_size=40),
    cutoffs=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 60)), max_size=25),
    direct_max=st.sampled_from([0, 6, 10**9]),
)
def test_last_kernel_equals_the_sorting_path(data, cutoffs, direct_max):
    """The compiled merge (both paths) picks the same record as the prefix-maximum path, ties included."""
    data = sorted(data, key=lambda r: r[0])
    subj = np.array([r[0] for r in data], np.int64)
    start = np.array([r[1] for r in data], np.int64)  # few distinct days: many ties
    lo = start + np.array([r[2] for r in data], np.int64)
    hi = np.array([INF if r[3] is None else r[1] + r[3] for r in data], np.int64)
    tie = np.random.default_rng(len(data)).permutation(len(data))
    q = _q([c[0] for c in cutoffs], [c[1] for c in cutoffs])
    for t in (None, tie):
        want = _interval_last_sorted(subj, lo, hi, start, q, t)
        assert _interval_last_grouped(subj, lo, hi, start, q, t, direct_max=direct_max).tolist() == want.tolist()
