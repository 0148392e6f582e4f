from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.models import ModelNotFittedError
from credit_risk.models.binning import bin_feature
from credit_risk.models.scorecard import (
    Band,
    ExpertScorecard,
    Indicator,
    IndicatorBin,
    Veto,
    load_scorecard_config,
)
from credit_risk.models.synthetic import toy_feature_matrix

RNG = np.random.default_rng(0)


def test_binning_is_monotone_and_missing_keeps_its_own_woe():
    x = RNG.normal(size=6000)
    y = (RNG.random(6000) < 1 / (1 + np.exp(-(1.5 * x - 2)))).astype(int)
    x[:600] = np.nan
    y[:600] = (RNG.random(600) < 0.6).astype(int)  # missing is very risky
    b = bin_feature(x, y, direction=1, max_bins=5)
    ordinary = b.table[b.table["kind"] == "ordinary"]
    assert 2 <= len(ordinary) <= 5
    assert ordinary["woe"].is_monotonic_increasing
    missing = b.table[b.table["kind"] == "missing"].iloc[0]
    assert missing["seen"] and missing["woe"] > 1.0  # its observed WoE, not a silent 0
    assert missing["event_rate"] == pytest.approx(y[:600].mean())
    assert b.woe(np.array([np.nan]))[0] == pytest.approx(missing["woe"])


def test_special_values_get_their_own_bin():
    x = RNG.normal(size=4000)
    x[:400] = -1.0  # a code such as "not applicable"
    y = (RNG.random(4000) < np.where(x == -1.0, 0.5, 0.1)).astype(int)
    b = bin_feature(x, y, special_values=(-1.0,))
    special = b.table[b.table["kind"] == "special"].iloc[0]
    assert special["n"] == 400 and special["woe"] > 1.0
    assert b.bin_index(np.array([-1.0]))[0] == special["bin"]


def test_unseen_missing_bin_is_conservative_not_zero():
    x = RNG.normal(size=2000)
    y = (RNG.random(2000) < 1 / (1 + np.exp(-(x - 2)))).astype(int)
    b = bin_feature(x, y, direction=1)
    missing = b.table.iloc[-1]
    assert not missing["seen"]
    assert missing["woe"] == pytest.approx(b.table["woe"].iloc[:-1].max())


def test_categorical_binning_orders_by_event_rate():
    c = RNG.choice(["a", "b", "c", "d"], 4000)
    y = (RNG.random(4000) < pd.Series(c).map({"a": 0.05, "b": 0.1, "c": 0.2, "d": 0.4}).to_numpy()).astype(int)
    b = bin_feature(c, y, categorical=True)
    assert b.category_bin["a"] < b.category_bin["d"]
    assert b.bin_index(np.array(["zzz"], dtype=object))[0] == len(b.table) - 1  # unseen → missing bin


def test_learned_scorecard_ranks_and_scales_with_pdo():
    fm, y, p = toy_feature_matrix(4000, seed=0)
    card = ExpertScorecard(mode="learned").fit(fm, y)
    fm2, y2, p2 = toy_feature_matrix(2000, seed=1)
    assert roc_auc_score(y2, card.decision_function(fm2)) > roc_auc_score(y2, p2) - 0.06
    # PDO: raw points fall by pdo when the model's odds of an event double
    raw = card.points_breakdown(fm2).sum(axis=1).to_numpy()
    logit = np.log(card.predict_proba(fm2)[:, 1] / card.predict_proba(fm2)[:, 0])
    slope = np.polyfit(logit, raw, 1)[0]
    assert slope * np.log(2) == pytest.approx(-card.learned.pdo, rel=1e-6)
    assert card.iv_.index[-1] == "noise" or card.iv_["noise"] < 0.02
    assert "noise" not in card.binnings_


def test_rules_scorecard_points_grades_and_vetoes():
    card = ExpertScorecard(
        mode="rules",
        indicators=(
            Indicator("penalties", "penalties_3y", "law_abiding",
                      (IndicatorBin(1, 600), IndicatorBin(3, 300), IndicatorBin(None, 0)), missing=100),
            Indicator("age", "age_years", "basic", (IndicatorBin(3, 100), IndicatorBin(None, 400)), missing=0),
        ),
        bands=(Band("excellent", 900), Band("good", 700), Band("fair", 500), Band("poor", 0)),
        vetoes=(Veto("serious", "serious_listing_active", ">", 0, "poor"),),
    )
    X = pd.DataFrame({"penalties_3y": [0, 2, np.nan, 0], "age_years": [10, 10, 10, 1], "serious_listing_active": [0, 0, 0, 1]})
    card.fit(X)
    g = card.grade(X)
    assert g["points"].tolist() == [1000, 700, 500, 700]
    assert g["grade"].tolist() == ["excellent", "good", "fair", "poor"]
    assert g["veto"].tolist() == ["", "", "", "serious"]
    with pytest.raises(ModelError, match="has points, not probabilities"):
        card.predict_proba(X)


def test_packaged_rule_set_is_valid():
    config = load_scorecard_config()
    assert config.mode == "rules" and config.max_points == 1000
    card = ExpertScorecard.from_config(config)
    card._validate()
    cols = {i.feature for i in config.indicators} | {v.feature for v in config.vetoes}
    X = pd.DataFrame({c: [0.0, np.nan] for c in cols})
    assert card.fit(X).points(X)[0] == 1000 - 60  # a subject of age 0 (20 of 80 points), clean record


def test_errors():
    fm, y, _ = toy_feature_matrix(500, seed=2)
    with pytest.raises(ModelNotFittedError):
        ExpertScorecard().points(fm)
    with pytest.raises(ConfigError, match="scorecard.mode 'expert' is not one of"):
        ExpertScorecard(mode="expert").fit(fm, y)
    with pytest.raises(ConfigError, match="strictly decreasing"):
        ExpertScorecard(bands=(Band("poor", 0), Band("good", 700))).fit(fm, y)
    with pytest.raises(ConfigError, match="more than max_points"):
        ExpertScorecard(mode="rules", indicators=(
            Indicator("x", "noise", "d", (IndicatorBin(None, 1200),), missing=0),)).fit(fm)
    with pytest.raises(ConfigError, match="must end with one 'upper: null' bin"):
        ExpertScorecard(mode="rules", indicators=(
            Indicator("x", "noise", "d", (IndicatorBin(1, 10),), missing=0),)).fit(fm)
    with pytest.raises(ModelError, match=r"features \['judgment_defaulter_active'\] used by the scorecard"):
        ExpertScorecard(vetoes=(Veto("jd", "judgment_defaulter_active", ">", 0, "poor"),)).fit(fm, y)
    with pytest.raises(ModelError, match="needs labels y"):
        ExpertScorecard().fit(fm)
    card = ExpertScorecard().fit(fm, y)
    with pytest.raises(ModelError, match="are not in X"):
        card.points(fm.X.drop(columns=list(card.binnings_)[:1]))
