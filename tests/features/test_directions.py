"""Declared directions checked against labels; constraints only where declared; a model without them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from credit_risk.exceptions import ConfigError
from credit_risk.features import check_directions, contradicted_directions
from credit_risk.features.directions import _auc
from credit_risk.features.matrix import FeatureInfo, FeatureMatrix
from credit_risk.models import GenericRiskModel


def _matrix(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    age = rng.uniform(0, 30, n)
    penalties = rng.poisson(1.0, n).astype(float)
    noise = rng.normal(size=n)
    sparse = np.where(np.arange(n) < 10, rng.normal(size=n), np.nan)
    logit = -1.0 + 0.08 * age + 0.6 * penalties  # older firms riskier: the "wrong" way for a declared -1
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame({"age_years": age, "penalty_count": penalties, "noise": noise, "sparse": sparse,
                      "undeclared": age, "section": pd.Categorical(rng.choice(["C", "F"], n))})
    info = (
        FeatureInfo("age_years", "lifecycle", -1, "age", "成立年限"),
        FeatureInfo("penalty_count", "compliance", 1, "penalties", "行政处罚"),
        FeatureInfo("noise", "compliance", 1, "noise", "噪声"),
        FeatureInfo("sparse", "compliance", 1, "mostly missing", "缺失"),
        FeatureInfo("undeclared", "lifecycle", 0, "age again", "成立年限"),
        FeatureInfo("section", "context", 0, "section", "行业门类", categorical=True),
    )
    keys = pd.DataFrame({"credit_code": [f"s{i}" for i in range(n)],
                         "as_of": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) % 50, unit="D")})
    return FeatureMatrix(keys, X, info), y


def test_a_contradicted_direction_is_reported_and_agreeing_ones_are_not(caplog):
    fm, y = _matrix()
    with caplog.at_level("WARNING", logger="credit_risk.features.directions"):
        table = check_directions(fm, y)
    rows = table.set_index("feature")
    assert set(rows.index) == {"age_years", "penalty_count", "noise", "sparse"}  # declared, numeric only
    assert bool(rows.loc["age_years", "contradicted"]) and rows.loc["age_years", "auc"] < 0.4
    assert not rows.loc["penalty_count", "contradicted"] and rows.loc["penalty_count", "auc"] > 0.6
    assert not rows.loc["noise", "contradicted"]  # within noise
    assert not rows.loc["sparse", "tested"] and rows.loc["sparse", "n"] == 10
    assert rows.loc["age_years", "spearman"] < 0 < rows.loc["penalty_count", "spearman"]
    assert "age_years is declared -1" in caplog.text
    assert contradicted_directions(fm, y) == ["age_years"]


def test_weighted_auc_matches_sklearn_and_bad_input_is_refused():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 5, 300).astype(float)  # ties
    y = rng.integers(0, 2, 300)
    w = rng.uniform(0.5, 3, 300)
    assert _auc(x, y, w) == pytest.approx(roc_auc_score(y, x, sample_weight=w))
    assert _auc(x, y, None) == pytest.approx(roc_auc_score(y, x))
    fm, y = _matrix(100)
    with pytest.raises(ConfigError, match="99 labels for 100 feature rows"):
        check_directions(fm, y[:99])
    with pytest.raises(ConfigError, match="needs a FeatureMatrix"):
        check_directions(fm.X, y)


def test_constraints_only_for_declared_directions_and_a_model_without_them():
    fm, y = _matrix(600)
    constrained = GenericRiskModel(n_estimators=20, validation_fraction=0).fit(fm, y)
    assert constrained.monotone_constraints_ == [-1, 1, 1, 1, 0, 0]
    assert "monotone_constraints" in constrained._lgb_params()
    free = GenericRiskModel(n_estimators=20, validation_fraction=0, monotone=False).fit(fm, y)
    assert "monotone_constraints" not in free._lgb_params()
    # unconstrained, the model learns that older is riskier
    older = fm.X.assign(age_years=fm.X["age_years"] + 10, undeclared=fm.X["undeclared"] + 10)
    assert free.decision_function(older).mean() > free.decision_function(fm.X).mean()
