from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.features.matrix import FeatureInfo, FeatureMatrix
from credit_risk.models import GenericRiskModel
from credit_risk.models.domain import DomainModel, load_domain_configs
from credit_risk.models.synthetic import toy_feature_matrix, toy_latent_logit

EXTRA = FeatureInfo("food_sampling_fail", "compliance", 1, "failed food samplings", "食品抽检不合格次数")


def _domain_data(n, seed):
    fm, y, _ = toy_feature_matrix(n, seed=seed)
    rng = np.random.default_rng(seed + 100)
    extra = rng.poisson(0.4, n).astype(float)
    z = toy_latent_logit(fm.X) * 0.6 + 1.2 * extra - 0.8
    y_dom = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    X = fm.X.assign(food_sampling_fail=extra)
    return FeatureMatrix(fm.keys, X, fm.info + (EXTRA,)), y, y_dom


@pytest.fixture(scope="module")
def fitted():
    fm, y, y_dom = _domain_data(5000, 0)
    generic = GenericRiskModel(n_estimators=150).fit(fm.select(fm.feature_names[:-1]), y)
    late = (fm.keys["as_of"] >= "2023-10-01").to_numpy()
    model = DomainModel(generic=generic, extra_features=["food_sampling_fail"], name="food",
                        model_params={"n_estimators": 150, "num_leaves": 7})
    model.fit(fm.rows(~late), y_dom[~late], eval_set=(fm.rows(late), y_dom[late]))
    return model


def test_domain_beats_generic_on_its_label_and_compares_every_option(fitted):
    fm, _, y_dom = _domain_data(3000, 1)
    table = fitted.compare(fm, y_dom).set_index("combination")
    assert set(table.index) == {"generic", "domain", "stacking", "residual", "blend", "max"}
    assert table["chosen"].sum() == 1
    chosen = table[table["chosen"]].iloc[0]
    assert chosen["auc"] > table.loc["generic", "auc"] + 0.03
    assert fitted.combination_ in {"domain", "stacking", "residual", "blend", "max"}
    assert set(fitted.validation_comparison_["combination"]) == set(table.index)
    p = fitted.predict_proba(fm)
    assert p.shape == (3000, 2) and np.allclose(p.sum(axis=1), 1)


def test_explain_model_and_frame(fitted):
    fm, _, _ = _domain_data(50, 2)
    frame = fitted.explain_frame(fm)
    assert fitted.explain_model_.raw_contributions(frame).shape == (50, frame.shape[1] + 1)


def test_fixed_combination():
    fm, y, y_dom = _domain_data(3000, 3)
    generic = GenericRiskModel(n_estimators=50).fit(fm.select(fm.feature_names[:-1]), y)
    model = DomainModel(generic=generic, extra_features=["food_sampling_fail"], combination="max",
                        model_params={"n_estimators": 50}).fit(fm, y_dom)
    assert model.combination_ == "max" and not hasattr(model, "stacked_model_")


def test_packaged_domain_configs():
    configs = load_domain_configs()
    assert {"environment", "food"} <= set(configs)
    food = configs["food"]
    mask = food.subject_mask(pd.Series(["C1391", "H621", "C17", None, "F5221"]))
    assert mask.tolist() == [True, True, False, False, True]
    assert isinstance(food.model["n_estimators"], int)


def test_errors(fitted, tmp_path):
    fm, y, y_dom = _domain_data(400, 4)
    with pytest.raises(ConfigError, match="combination 'min' is not one of"):
        DomainModel(generic=fitted.generic, combination="min").fit(fm, y_dom)
    with pytest.raises(ModelError, match="needs a fitted generic model"):
        DomainModel().fit(fm, y_dom)
    with pytest.raises(ModelError, match=r"X lacks features \['food_sampling_fail'\]"):
        fitted.predict_proba(fm.X.drop(columns="food_sampling_fail"))
    with pytest.raises(ModelError, match="not fitted"):
        DomainModel(generic=fitted.generic).predict_proba(fm)
    (tmp_path / "a.yaml").write_text("name: a\nname_zh: 甲\nlabel: y\nindustries: [C13]\ncombo: max\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['combo'\]"):
        load_domain_configs(tmp_path)


def test_generic_score_replaces_the_in_sample_generic_scores_on_training_rows(fitted, monkeypatch):
    fm, _, y_dom = _domain_data(2000, 5)
    late = (fm.keys["as_of"] >= "2023-10-01").to_numpy()
    n_train = int((~late).sum())
    params = {"n_estimators": 30, "num_leaves": 7}
    calls = []
    raw = DomainModel._generic_raw

    def counting(self, frame):
        calls.append(len(frame))
        return raw(self, frame)

    monkeypatch.setattr(DomainModel, "_generic_raw", counting)
    own = fitted.generic.decision_function(fm.select(fm.feature_names[:-1]).rows(~late))
    rng = np.random.default_rng(0)
    fits = {}
    for label, score in (("own", own), ("noisy", own + rng.normal(0, 2, n_train)), ("none", None)):
        calls.clear()
        model = DomainModel(generic=fitted.generic, extra_features=["food_sampling_fail"], combination="stacking",
                            model_params=params, name="food")
        model.fit(fm.rows(~late), y_dom[~late], eval_set=(fm.rows(late), y_dom[late]), generic_score=score)
        fits[label] = (model, list(calls))
    # given generic_score, the generic model scores the validation rows only
    assert fits["own"][1] == [int(late.sum())] and fits["noisy"][1] == [int(late.sum())]
    assert sorted(fits["none"][1]) == sorted([n_train, int(late.sum())])
    monkeypatch.undo()
    probe = fm.rows(late)
    p_own = fits["own"][0].predict_proba(probe)[:, 1]
    # its own scores passed explicitly reproduce the default fit; other scores train another model
    np.testing.assert_allclose(p_own, fits["none"][0].predict_proba(probe)[:, 1])
    assert not np.allclose(p_own, fits["noisy"][0].predict_proba(probe)[:, 1])


def test_generic_score_errors(fitted):
    fm, _, y_dom = _domain_data(400, 6)
    model = DomainModel(generic=fitted.generic, extra_features=["food_sampling_fail"], model_params={"n_estimators": 10})
    with pytest.raises(ModelError, match=r"generic_score must hold one generic log-odds per training row of X \(400\)"):
        model.fit(fm, y_dom, generic_score=np.zeros(399))
    bad = np.zeros(400)
    bad[3] = np.nan
    with pytest.raises(ModelError, match="generic_score has 1 missing or infinite values"):
        model.fit(fm, y_dom, generic_score=bad)
    # without eval_set the held-out latest rows drop their generic_score
    model.fit(fm, y_dom, generic_score=np.zeros(400))
    assert hasattr(model, "combination_")
