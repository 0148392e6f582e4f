from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from credit_risk.evaluation import (
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
