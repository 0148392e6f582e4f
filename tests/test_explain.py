from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from credit_risk.exceptions import ModelError
from credit_risk.explain import Explainer, global_importance, importance_figure, top_k
from credit_risk.features.matrix import VIEWS
from credit_risk.models import GenericRiskModel, ModelNotFittedError
from credit_risk.models.synthetic import toy_feature_matrix

with warnings.catch_warnings():
    # shap 0.51 calls Colormap.set_bad/set_over/set_under at import time, pending deprecation in matplotlib:
    # not our code and harmless, so silence exactly that warning for the import only.
    warnings.filterwarnings("ignore", message=r"The set_(bad|over|under) function", category=PendingDeprecationWarning)
    import shap


@pytest.fixture(scope="module")
def model_and_data():
    fm, y, _ = toy_feature_matrix(4000, seed=0)
    return GenericRiskModel(n_estimators=150).fit(fm, y), fm


def test_planted_record_is_the_top_reason(model_and_data):
    model, fm = model_and_data
    # a quiet subject: no records, mature, well capitalised, no dishonest relations
    quiet = fm.X.iloc[[0]].copy()
    quiet[:] = quiet.to_numpy()
    quiet = quiet.assign(
        penalties_3y=0.0, serious_listing_active=0.0, complaints_1y=0.0, capital_log=5.5,
        age_years=15.0, related_dishonest_share=0.0, noise=0.0,
    )
    quiet["size_class"] = pd.Categorical(["medium"], categories=fm.X["size_class"].cat.categories)
    planted = quiet.assign(serious_listing_active=1.0)
    both = pd.concat([quiet, planted], ignore_index=True)
    expl = Explainer(model).explain(both, k=5)
    top = expl.reasons[expl.reasons["rank"] == 1].set_index("row")
    assert top.loc[1, "feature"] == "serious_listing_active"
    assert top.loc[1, "direction"] == 1 and top.loc[1, "contribution"] > 0.5
    assert top.loc[1, "text"].startswith("on the serious illegal and dishonest list = 1 (raises risk")
    assert top.loc[1, "text_zh"].startswith("列入严重违法失信名单：1（推高风险")
    # the planted record moved the compliance view, and the portrait adds up to the log-odds
    portrait = expl.portrait
    assert portrait.loc[1, "compliance"] - portrait.loc[0, "compliance"] > 0.5
    np.testing.assert_allclose(
        portrait[list(VIEWS) + ["base"]].sum(axis=1), model.decision_function(both), atol=1e-9
    )


def test_reasons_match_shap_tree_explainer(model_and_data):
    model, fm = model_and_data
    sub = fm.X.iloc[:50]
    ours = Explainer(model).contributions(sub)[:, :-1]
    Xa = model._check(sub)
    with warnings.catch_warnings():
        # shap announces that its LightGBM binary output format changed; irrelevant here.
        warnings.filterwarnings("ignore", message="LightGBM binary classifier with TreeExplainer", category=UserWarning)
        theirs = shap.TreeExplainer(model.booster_).shap_values(Xa)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_reason_table_shape_keys_and_missing_values(model_and_data):
    model, fm = model_and_data
    sub = fm.rows(np.arange(len(fm.X)) < 40)
    sub.X.loc[:, "capital_log"] = np.nan
    expl = Explainer(model).explain(sub, k=3)
    assert len(expl.reasons) == 120
    assert {"credit_code", "as_of", "rank", "feature", "value", "contribution", "text", "text_zh"} <= set(expl.reasons.columns)
    per_row = expl.reasons.groupby("row")["contribution"].apply(lambda s: s.is_monotonic_decreasing)
    assert per_row.all()
    capital = expl.reasons[expl.reasons["feature"] == "capital_log"]
    if len(capital):
        assert capital["text"].str.contains("= missing").all()
        assert capital["text_zh"].str.contains("缺失").all()


def test_top_k_matches_full_sort():
    rng = np.random.default_rng(0)
    c = rng.normal(size=(200, 30))
    np.testing.assert_array_equal(top_k(c, 5), np.argsort(-c, axis=1)[:, :5])


def test_global_importance(model_and_data):
    model, fm = model_and_data
    table = global_importance(model, fm.rows(np.arange(len(fm.X)) < 500))
    assert table["feature"].iloc[-3:].tolist().count("noise") == 1  # the uninformative feature ranks low
    assert table["gain_share"].sum() == pytest.approx(1.0)
    importance_figure(table)


def test_errors(model_and_data):
    model, fm = model_and_data
    with pytest.raises(ModelNotFittedError):
        Explainer(GenericRiskModel()).explain(fm)
    with pytest.raises(ModelError, match="does not match the model's features"):
        Explainer(model, info=fm.info[::-1]).explain(fm.X.iloc[:3])
    with pytest.raises(ModelError, match="missing \\['noise'\\]"):
        Explainer(model).explain(fm.X.iloc[:3].drop(columns="noise"))
