from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from credit_risk.evaluation import (
    auc_difference,
    backtest,
    binary_metrics,
    calibration_figure,
    calibration_table,
    ks_statistic,
    metrics_by_group,
    oracle_auc,
    roc_figure,
    tier_figure,
    tier_table,
    tiers_increasing,
)
from credit_risk.exceptions import ModelError

RNG = np.random.default_rng(1)
P = RNG.beta(1, 8, 3000)
Y = (RNG.random(3000) < P).astype(int)


def test_metrics_match_sklearn():
    m = binary_metrics(Y, P)
    assert m["auc"] == pytest.approx(roc_auc_score(Y, P))
    assert m["gini"] == pytest.approx(2 * roc_auc_score(Y, P) - 1)
    assert m["brier"] == pytest.approx(brier_score_loss(Y, P))
    assert m["log_loss"] == pytest.approx(log_loss(Y, P), rel=1e-4)


def test_ks_against_brute_force():
    thresholds = np.unique(P)
    brute = max(abs((P[Y == 1] <= t).mean() - (P[Y == 0] <= t).mean()) for t in thresholds)
    assert ks_statistic(Y, P) == pytest.approx(brute)


def test_single_class_gives_nan_auc():
    assert np.isnan(binary_metrics([0, 0], [0.1, 0.2])["auc"])


def test_tier_table_and_monotonicity():
    tiers = np.select([P < 0.05, P < 0.12, P < 0.25], ["A", "B", "C"], "D")
    table = tier_table(Y, tiers)
    assert table["tier"].tolist() == ["A", "B", "C", "D"]
    assert table["capture"].sum() == pytest.approx(1.0)
    assert table["cumulative_capture"].iloc[0] == pytest.approx(1.0)
    assert tiers_increasing(table)
    assert not tiers_increasing(tier_table(Y, tiers[::-1]))


def test_calibration_table_bins():
    table = calibration_table(Y, P, n_bins=5)
    assert len(table) == 5 and table["n"].sum() == 3000
    assert table["observed_rate"].is_monotonic_increasing


def test_by_group_and_backtest():
    groups = pd.DataFrame({"region": RNG.choice(["330100", "330200", "330300"], 3000), "size": "small"})
    tiers = np.select([P < 0.05, P < 0.12, P < 0.25], ["A", "B", "C"], "D")
    table = metrics_by_group(Y, P, groups, tiers=tiers)
    assert set(table["group"]) == {"region", "size"}
    assert {"auc", "event_rate_D", "tiers_increasing"} <= set(table.columns)
    bt = backtest(Y, P, RNG.choice(pd.date_range("2024-01-01", periods=3, freq="MS"), 3000), tiers=tiers)
    assert len(bt) == 3 and bt["auc"].between(0.5, 1).all()


def test_oracle_auc():
    assert oracle_auc(Y, P) == pytest.approx(roc_auc_score(Y, P))


def test_figures_are_built_without_pyplot():
    tiers = np.select([P < 0.05, P < 0.12, P < 0.25], ["A", "B", "C"], "D")
    assert isinstance(roc_figure({"m": (Y, P)}), Figure)
    assert isinstance(calibration_figure({"m": calibration_table(Y, P)}), Figure)
    assert isinstance(tier_figure(tier_table(Y, tiers)), Figure)


def test_bad_inputs_raise():
    with pytest.raises(ModelError, match="y must hold 0/1 event labels"):
        binary_metrics([0, 2], [0.1, 0.2])
    with pytest.raises(ModelError, match="same length"):
        binary_metrics([0, 1], [0.1])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 300), weighted=st.booleans())
def test_auc_difference_point_estimate_matches_sklearn(seed, n, weighted):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    a = np.round(rng.normal(size=n) + y, 1)  # ties on purpose
    b = rng.integers(0, 3, n).astype(float)  # heavy ties
    w = rng.exponential(size=n) if weighted else None
    d = auc_difference(y, a, b, w, n_boot=50)
    assert d["auc_a"] == pytest.approx(roc_auc_score(y, a, sample_weight=w))
    assert d["auc_b"] == pytest.approx(roc_auc_score(y, b, sample_weight=w))
    assert d["difference"] == pytest.approx(d["auc_a"] - d["auc_b"])


def test_auc_difference_interval_is_paired_and_reproducible():
    rng = np.random.default_rng(3)
    n = 4000
    y = rng.integers(0, 2, n)
    base = y + rng.normal(0, 1.5, n)
    better, worse = base + rng.normal(0, 0.2, n), base + rng.normal(0, 1.0, n)
    d = auc_difference(y, better, worse, n_boot=300, random_state=7)
    assert d["ci_low"] > 0 and d["ci_low"] <= d["difference"] <= d["ci_high"]
    assert auc_difference(y, better, worse, n_boot=300, random_state=7) == d
    # paired: the SE of the difference is far below the SE of either AUC alone (~0.007 here)
    assert d["se"] < 0.005
    same = auc_difference(y, better, better, n_boot=100)
    assert same["difference"] == 0 and same["se"] == 0
    # the interval of a pure-noise difference covers 0
    noise = auc_difference(y, rng.normal(size=n), rng.normal(size=n), n_boot=200)
    assert noise["ci_low"] < 0 < noise["ci_high"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"b": np.r_[np.nan, np.zeros(9)]}, "finite"),
        ({"b": np.zeros(5)}, "same length"),
        ({"n_boot": 10}, "n_boot"),
        ({"confidence": 1.5}, "confidence"),
    ],
)
def test_auc_difference_errors(kwargs, message):
    args = {"y": np.r_[0, 1].repeat(5), "a": np.arange(10.0), "b": np.arange(10.0)[::-1]} | kwargs
    with pytest.raises(ModelError, match=message):
        auc_difference(args.pop("y"), args.pop("a"), args.pop("b"), **args)
