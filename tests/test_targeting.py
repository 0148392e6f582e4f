"""Targeting metrics: visits re-ordered by score, days earlier, first-half share, capture and yield."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_risk.evaluation import (
    capture_at,
    days_earlier,
    first_half_share,
    reordered_dates,
    targeting_metrics,
    yield_at,
)
from credit_risk.exceptions import ModelError

DATES = pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-21", "2024-01-31"])


def test_highest_score_takes_the_first_slot():
    new = reordered_dates([0.1, 0.4, 0.9, 0.2], DATES)
    # by hand: ranks 0.9 -> slot 1, 0.4 -> slot 2, 0.2 -> slot 3, 0.1 -> slot 4
    assert new.astype(str).tolist() == ["2024-01-31", "2024-01-11", "2024-01-01", "2024-01-21"]


def test_days_earlier_by_hand():
    y = [0, 1, 1, 0]
    # adverse visits: row 1 (Jan 11 -> Jan 11: 0 days), row 2 (Jan 21 -> Jan 1: 20 days)
    assert days_earlier(y, [0.1, 0.4, 0.9, 0.2], DATES) == pytest.approx(10.0)
    assert days_earlier(y, [0.1, 0.4, 0.9, 0.2], DATES, order="actual") == 0.0
    # first half of Jan 1 – Jan 31 ends on Jan 16: re-ordered, both found by then; actually, one
    assert first_half_share(y, [0.1, 0.4, 0.9, 0.2], DATES) == 1.0
    assert first_half_share(y, [0.1, 0.4, 0.9, 0.2], DATES, order="actual") == 0.5


def test_ties_keep_their_actual_order_and_periods_stay_apart():
    assert reordered_dates([0.5] * 4, DATES).astype(str).tolist() == DATES.strftime("%Y-%m-%d").tolist()
    periods = ["a", "a", "b", "b"]
    new = reordered_dates([0.1, 0.9, 0.1, 0.9], DATES, periods=periods)
    assert new.astype(str).tolist() == ["2024-01-11", "2024-01-01", "2024-01-31", "2024-01-21"]


def test_capture_and_yield_at_k():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
    s = np.arange(10)[::-1] / 10  # row 0 highest
    assert capture_at(y, s, 0.2) == pytest.approx(1 / 3)
    assert yield_at(y, s, 0.2) == pytest.approx(0.5)
    assert capture_at(y, s, 0.3) == pytest.approx(2 / 3)
    assert yield_at(y, s, 1.0) == pytest.approx(0.3)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5), st.integers(0, 60)), min_size=2, max_size=60))
def test_reordering_is_a_permutation_of_the_slots_and_matches_brute_force(rows):
    y = np.array([r[0] for r in rows], dtype=int)
    s = np.array([r[1] for r in rows], dtype=float)
    d = pd.Timestamp("2024-01-01") + pd.to_timedelta([r[2] for r in rows], unit="D")
    new = reordered_dates(s, d)
    assert sorted(new.tolist()) == sorted(d.to_numpy().astype("datetime64[D]").tolist())
    # brute force: visits sorted by (−score, date, row) take the sorted dates one by one
    order = sorted(range(len(rows)), key=lambda i: (-s[i], d[i], i))
    slots = sorted(d)
    expected = {i: slots[j] for j, i in enumerate(order)}
    assert all(pd.Timestamp(new[i]) == expected[i] for i in range(len(rows)))
    if y.any():
        mean = np.mean([(d[i] - expected[i]).days for i in range(len(rows)) if y[i]])
        assert days_earlier(y, s, d) == pytest.approx(mean)
        # the random order is a permutation of the same slots: as many days earlier as later overall
        assert days_earlier(np.ones(len(y)), s, d, order="random", seed=3) == pytest.approx(0.0, abs=1e-9)


def test_targeting_metrics_intervals_and_seeds():
    rng = np.random.default_rng(1)
    s = rng.random(400)
    y = (rng.random(400) < 0.5 * s).astype(int)
    d = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, 400), unit="D")
    t = targeting_metrics(y, s, d, n_boot=60, seed=5).set_index("metric")
    assert set(t.index) >= {"days_earlier", "days_earlier_random", "days_earlier_gain", "first_half_share",
                            "capture_at_10%", "yield_at_20%", "yield_all"}
    assert (t["ci_low"] <= t["ci_high"]).all()
    assert t.loc["days_earlier", "value"] == pytest.approx(days_earlier(y, s, d))
    assert t.loc["days_earlier_gain", "ci_low"] > 0  # an informative score beats a random order
    assert t.loc["capture_at_10%", "value"] == pytest.approx(capture_at(y, s, 0.1, dates=d))
    again = targeting_metrics(y, s, d, n_boot=60, seed=5)
    pd.testing.assert_frame_equal(again.set_index("metric"), t)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": [0, 2], "score": [0.1, 0.2]}, "y must hold 0/1 outcomes"),
        ({"y": [0, 1], "score": [0.1]}, "same length; got 2, 1"),
        ({"y": [0, 1], "score": [0.1, np.nan]}, r"score row 2 is not finite \(nan\)"),
        ({"y": [0, 1], "score": [0.1, 0.2], "dates": ["2024-01-01", None]}, "dates row 2 is missing"),
        ({"y": [0, 1], "score": [0.1, 0.2], "ks": (0,)}, r"k must be a share of visits in \(0, 1\]; got 0"),
        ({"y": [0, 1], "score": [0.1, 0.2], "n_boot": 5}, "n_boot must be at least 20; got 5"),
    ],
)
def test_bad_inputs_raise(kwargs, message):
    kwargs = {"dates": ["2024-01-01", "2024-02-01"], **kwargs}
    with pytest.raises(ModelError, match=message):
        targeting_metrics(kwargs.pop("y"), kwargs.pop("score"), kwargs.pop("dates"), **kwargs)


def test_unknown_order_raises():
    with pytest.raises(ModelError, match=r"order 'best' is not one of"):
        days_earlier([0, 1], [0.1, 0.2], ["2024-01-01", "2024-02-01"], order="best")
