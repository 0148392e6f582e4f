from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.features.matrix import FeatureInfo, FeatureMatrix
from credit_risk.models.bundle import ModelBundle, load_bundle, save_bundle
from credit_risk.models.domain import DomainConfig
from credit_risk.models.generic import GenericRiskModel
from credit_risk.models.synthetic import toy_feature_matrix, toy_latent_logit
from credit_risk.models.training import (
    TimeSplit,
    _generic_refit,
    _out_of_fold_generic,
    domain_shortfall,
    fit_models,
)
from credit_risk.tiers import OverrideRule, TierConfig

EXTRA = FeatureInfo("food_sampling_fail", "compliance", 1, "failed food samplings", "食品抽检不合格次数")
TIERS = TierConfig(overrides=(OverrideRule("serious", "serious_listing_active", ">", 0, "D", legal_basis="SAMR Order 44"),))


def _data(n=6000, seed=0):
    fm, y, p = toy_feature_matrix(n, seed=seed)
    rng = np.random.default_rng(seed + 7)
    extra = rng.poisson(0.4, n).astype(float)
    z = toy_latent_logit(fm.X) * 0.6 + 1.2 * extra - 0.8
    y_food = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    fm = FeatureMatrix(fm.keys, fm.X.assign(food_sampling_fail=extra), fm.info + (EXTRA,))
    labels = fm.keys.assign(y=y, y_food=y_food)
    enterprises = pd.DataFrame({
        "credit_code": fm.keys["credit_code"],
        "industry": rng.choice(["C13", "H62", "C17", "F51"], n),
        "region": rng.choice(["330100", "330200"], n),
        "entity_type": "enterprise",
        "registered_capital": rng.lognormal(5, 2, n),
    })
    truth = fm.keys.assign(latent_risk=p)
    return fm, labels, enterprises, truth


@pytest.fixture(scope="module")
def trained():
    fm, labels, enterprises, truth = _data()
    food = DomainConfig(name="food", name_zh="食品", label="y_food", industries=("C13", "H62"),
                        extra_features=("food_sampling_fail",), model={"n_estimators": 100, "num_leaves": 7})
    return fit_models(fm, labels, enterprises=enterprises, domain_configs={"food": food}, tier_config=TIERS,
                      model_params={"n_estimators": 200}, truth=truth), fm


def test_report_contents(trained):
    models, _ = trained
    r = models.report
    assert r["split"]["rows"]["test"] > 0 and r["split"]["valid_start"] < r["split"]["test_start"]
    assert r["metrics"]["generic"]["auc"] > r["metrics"]["oracle"]["auc"] - 0.06
    assert r["oracle_gap"] == pytest.approx(r["metrics"]["oracle"]["auc"] - r["metrics"]["generic"]["auc"])
    assert r["tiers"]["increasing"]
    assert list(r["tiers"]["table"]["tier"]) == ["A", "B", "C", "D"]
    assert {"region", "industry", "size", "entity_type"} == set(r["groups"]["group"])
    assert set(r["backtest"]["slice"]) == {"validation", "test"}
    food = r["domains"]["food"]
    assert food["beats_generic"] and food["chosen"] in {"domain", "stacking", "residual", "blend", "max"}
    assert food["cross_fitted"] and r["generic_model"]["cross_fit_folds"] == 4
    assert set(food["comparison"]["combination"]) == {"generic", "domain", "stacking", "residual", "blend", "max"}
    assert set(r["scorecard_comparison"]["model"]) >= {"generic", "scorecard_learned", "oracle"}
    # every AUC difference carries a paired-bootstrap interval around its point estimate
    c = r["comparisons"]
    assert set(c["comparison"]) >= {"generic − scorecard_learned", "oracle − generic"}
    assert (c["ci_low"] <= c["difference"]).all() and (c["difference"] <= c["ci_high"]).all() and (c["se"] > 0).all()
    gap = c[(c["comparison"] == "oracle − generic") & c["weighting"].str.startswith("inspected")].iloc[0]
    assert gap["difference"] == pytest.approx(r["oracle_gap_unweighted"])
    assert r["oracle_gap_ci"]["inspected (unweighted)"] == (gap["ci_low"], gap["ci_high"])
    assert food["auc_difference_ci"][0] <= food["auc_chosen"] - food["auc_generic"] <= food["auc_difference_ci"][1]
    assert set(models.figures) == {"roc", "calibration", "tiers", "importance"}
    assert "food_sampling_fail" not in models.generic.feature_names_in_


def test_scoring_and_bundle(trained, tmp_path):
    models, fm = trained
    scores, reasons = models.score(fm.rows(np.arange(len(fm.X)) < 300), k=5, chunk_size=128)
    assert len(scores) == 300 and len(reasons) == 1500
    assert {"credit_code", "probability", "tier", "model_tier", "compliance", "log_odds"} <= set(scores.columns)
    listed = fm.X["serious_listing_active"].to_numpy()[:300] > 0
    assert (scores["tier"][listed] == "D").all()
    with_domain, _ = models.score(fm.rows(np.arange(len(fm.X)) < 300), k=1, enterprises=_data()[2])
    food = _data()[2]["industry"].head(300).isin(["C13", "H62"]).to_numpy()
    assert with_domain["p_food"].notna().to_numpy().tolist() == food.tolist()
    assert not models.report["domains"]["food"]["importance"].empty
    path = tmp_path / "models.joblib"
    manifest = save_bundle(path, ModelBundle(model=models, feature_info=models.feature_info, created_at="t"))
    loaded = load_bundle(path, sha256=json.loads(manifest.read_text(encoding="utf-8"))["sha256"])
    assert loaded.model.figures == {}
    again, _ = loaded.model.score(fm.rows(np.arange(len(fm.X)) < 300), k=5)
    np.testing.assert_allclose(again["probability"], scores["probability"])


def test_errors():
    fm, labels, enterprises, _ = _data(1500, 1)
    with pytest.raises(ModelError, match="lack columns \\['y'\\]"):
        fit_models(fm, labels.drop(columns="y"), tier_config=TIERS)
    with pytest.raises(ConfigError, match="valid_start"):
        fit_models(fm, labels, tier_config=TIERS, split=TimeSplit(valid_start="2023-09-01", test_start="2023-05-01"))
    with pytest.raises(ModelError, match="tier overrides need features \\['judgment_defaulter_active'\\]"):
        fit_models(fm, labels, model_params={"n_estimators": 10})
    bad = DomainConfig(name="x", name_zh="x", label="y_x", industries=("C13",), extra_features=("nope",))
    with pytest.raises(ModelError, match="extra_features \\['nope'\\]"):
        fit_models(fm, labels, enterprises=enterprises, domain_configs={"x": bad}, tier_config=TIERS)


def test_model_params_config(tmp_path):
    from credit_risk.models.training import load_model_params

    params = load_model_params()
    assert params["max_depth"] == 5 and params["calibration"] == "auto"
    bad = tmp_path / "model.yaml"
    bad.write_text("n_estimators: 10\nleaves: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['leaves'\]"):
        load_model_params(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("n_estimators: -1\n", r"model.yaml: n_estimators must be an integer >= 1; got -1"),
        ("learning_rate: 0\n", r"learning_rate must be in \(0, 1\]; got 0"),
        ("subsample: 1.5\n", r"subsample must be in \(0, 1\]; got 1.5"),
        ("max_depth: 0\n", r"max_depth must be an integer >= 1 \(or -1: no limit\); got 0"),
        ("calibration: platt\n", r"calibration must be one of auto, isotonic, sigmoid, none; got 'platt'"),
        ("n_estimators: true\n", r"model.yaml.n_estimators: expected an integer, got True"),
    ],
)
def test_model_params_are_range_checked(tmp_path, text, message):
    from credit_risk.models.training import load_model_params

    bad = tmp_path / "model.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_model_params(bad)


@pytest.mark.parametrize(
    ("chosen", "generic", "se", "expected"),
    [
        (0.752, 0.752, 0.0, "within noise"),  # identical ranking: SE 0, not "inf standard errors"
        (0.70, 0.72, 0.015, "within noise"),  # 1.3 SE
        (0.65, 0.72, 0.015, "a real shortfall"),  # 4.7 SE
        (0.70, 0.72, 0.0, "a real shortfall"),  # a difference no replicate varies
    ],
)
def test_domain_shortfall_verdict(chosen, generic, se, expected):
    text = domain_shortfall("blend", chosen, generic, se, 400, 60)
    assert expected in text
    assert ("within noise" in text) == (expected == "within noise")
    if chosen == generic:
        assert "0.0 standard errors" in text


def test_cross_fit_off():
    fm, labels, enterprises, _ = _data(3000, 2)
    food = DomainConfig(name="food", name_zh="食品", label="y_food", industries=("C13", "H62"),
                        extra_features=("food_sampling_fail",), model={"n_estimators": 30, "num_leaves": 7})
    for folds in (0, 1):
        r = fit_models(fm, labels, enterprises=enterprises, domain_configs={"food": food}, tier_config=TIERS,
                       model_params={"n_estimators": 30}, n_boot=50, cross_fit_folds=folds).report
        assert r["domains"]["food"]["cross_fitted"] is False and r["generic_model"]["cross_fit_folds"] == 0
        assert set(r["domains"]["food"]["comparison"]["combination"]) == {
            "generic", "domain", "stacking", "residual", "blend", "max"}
    with pytest.raises(ConfigError, match="cross_fit_folds must be an integer >= 0"):
        fit_models(fm, labels, tier_config=TIERS, cross_fit_folds=-1)


def test_out_of_fold_scores_share_the_scale_of_the_generic_raw_scores():
    from credit_risk.models.domain import DomainModel

    fm, labels, _, _ = _data(3000, 3)
    fg = fm.select(fm.feature_names[:-1])
    y = labels["y"].to_numpy()
    late = (fm.keys["as_of"] >= "2023-10-01").to_numpy()
    for calibration in ("none", "sigmoid"):
        generic = GenericRiskModel(n_estimators=60, calibration=calibration).fit(
            fg.rows(~late), y[~late], eval_set=(fg.rows(late), y[late]))
        # DomainModel reads raw (uncalibrated) log-odds from the generic model ...
        raw = DomainModel(generic=generic)._generic_raw(fg.X)
        np.testing.assert_allclose(raw, generic.decision_function(fg.X))
        # ... and the refit recipe of the folds, on the generic's own training rows, reproduces them
        again = _generic_refit(generic, fg.rows(~late), y[~late], None)
        assert again.calibration_method_ == "none" and again.best_iteration_ == generic.best_iteration_
        np.testing.assert_allclose(again.decision_function(fg.X), raw, rtol=1e-6, atol=1e-9)
        if calibration == "sigmoid":  # the calibrated probability is another scale
            p = generic.predict_proba(fg.X)[:, 1]
            assert not np.allclose(np.log(p / (1 - p)), raw)
    oof = _out_of_fold_generic(generic, fg, y, None, ~late, 4)
    assert np.isnan(oof[late]).all() and np.isfinite(oof[~late]).all()
    # a subject's rows are never scored by a model trained on them: out-of-fold scores fit worse
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y[~late], oof[~late]) < roc_auc_score(y[~late], raw[~late])


@pytest.fixture(scope="module")
def kept_out_of_time():
    """A run that keeps the out-of-time model (refit: false) on small data, ties included."""
    fm, labels, enterprises, _ = _data(n=3000, seed=4)
    models = fit_models(fm, labels, enterprises=enterprises, tier_config=TIERS, refit=False, n_boot=50,
                        model_params={"n_estimators": 60, "num_leaves": 4, "max_depth": 2, "calibration": "isotonic"})
    return models, fm


def test_report_tiers_equal_the_tiers_of_scoring_the_same_rows(kept_out_of_time):
    """One probability path: the training report and the scorer tier every test row alike."""
    models, fm = kept_out_of_time
    report = models.report["test_scores"]
    assert models.report["refit"]["refit"] is False
    te = (fm.keys["as_of"] >= pd.Timestamp(models.report["split"]["test_start"])).to_numpy()
    scores, _ = models.score(fm.rows(te), k=1, chunk_size=97)
    assert len(report) == te.sum() == len(scores)
    assert report["probability"].nunique() < len(report) / 2  # a small tree model: many tied scores
    np.testing.assert_array_equal(scores["probability"].to_numpy(), report["probability"].to_numpy())
    assert scores["tier"].tolist() == report["tier"].tolist()
    assert scores["model_tier"].tolist() == report["model_tier"].tolist()
    shares = models.tiers.realised_shares_
    assert shares.sum() == pytest.approx(1) and (shares > 0).all()
    assert models.report["tiers"]["realised_shares"] == dict(zip("ABCD", shares.tolist(), strict=True))


def test_test_figures_come_from_the_model_refit_before_the_test_start(kept_out_of_time):
    """Select on validation, refit on train + validation, report on the untouched test slice (default)."""
    models, fm = kept_out_of_time
    r = models.report
    rows = r["split"]["rows"]
    assert r["refit"]["refit_before_test"] is True and "refit on train + validation" in r["refit"]["figures_from"]
    assert r["refit"]["test_model_rows"] == r["refit"]["rows"] == rows["train"] + rows["validation"]
    # the saved model (refit: false) is the one the test figures describe: the trees and the
    # calibration chosen on validation, no early stopping on the rows it learned from
    assert models.generic.n_estimators == r["generic_model"]["best_iteration"]
    assert models.generic.calibration_method_ == r["generic_model"]["calibration_method"] == "isotonic"
    # switched off, the test figures come from the model fitted on the training slice only
    fm2, labels, enterprises, _ = _data(n=3000, seed=4)
    old = fit_models(fm2, labels, enterprises=enterprises, tier_config=TIERS, refit=False, refit_before_test=False,
                     n_boot=50, model_params={"n_estimators": 60, "num_leaves": 4, "max_depth": 2,
                                              "calibration": "isotonic"}).report
    assert old["refit"]["refit_before_test"] is False and old["refit"]["rows"] == rows["train"]
    assert old["generic_model"] == r["generic_model"]  # the same choices on validation
    assert not np.array_equal(old["test_scores"]["probability"].to_numpy(), r["test_scores"]["probability"].to_numpy())
    np.testing.assert_array_equal(old["test_scores"]["y"].to_numpy(), r["test_scores"]["y"].to_numpy())


def test_refit_is_on_by_default_and_recorded(trained):
    models, fm = trained
    r = models.report
    rows = r["split"]["rows"]
    assert r["refit"]["refit"] is True
    assert r["refit"]["rows"] == rows["train"] + rows["validation"] + rows["test"] == len(fm.X)
    assert r["refit"]["trees"] == r["generic_model"]["best_iteration"] == models.generic.best_iteration_
    assert "out-of-time test slice" in r["refit"]["figures_from"]
    # the saved model learned from the test rows too: its scores there differ from the report's
    te = (fm.keys["as_of"] >= pd.Timestamp(r["split"]["test_start"])).to_numpy()
    saved = models.generic.predict_proba(fm.rows(te).select(models.generic.feature_names_in_))[:, 1]
    assert not np.array_equal(saved, r["test_scores"]["probability"].to_numpy())
    assert models.generic.calibration_method_ == r["generic_model"]["calibration_method"]


def test_a_domain_that_cannot_be_fitted_is_skipped_with_its_reason():
    """Issue 12 item 4: a domain label with too few events must not crash training."""
    fm, labels, enterprises, _ = _data(n=2000, seed=5)
    labels = labels.assign(y_food=np.where(np.arange(len(labels)) < 3, 1, 0))  # 3 events in all
    food = DomainConfig(name="food", name_zh="食品", label="y_food", industries=("C13", "H62"),
                        extra_features=("food_sampling_fail",), model={"n_estimators": 20})
    models = fit_models(fm, labels, enterprises=enterprises, domain_configs={"food": food}, tier_config=TIERS,
                        model_params={"n_estimators": 40}, n_boot=50, cross_fit_folds=0)
    entry = models.report["domains"]["food"]
    assert entry["skipped"] is True and "events" in entry["reason"]
    assert models.domains == {} and models.report["metrics"]["generic"]["auc"] > 0.5


def test_constraints_report_names_a_wrong_direction_and_its_cost():
    """Issue 11 (directions): a wrongly declared direction is reported, with what the constraints cost."""
    fm, labels, enterprises, _ = _data(n=3000, seed=6)
    info = tuple(FeatureInfo(i.name, i.view, -i.direction if i.name == "penalties_3y" else i.direction,
                             i.description, i.description_zh, i.categorical) for i in fm.info)
    wrong = FeatureMatrix(fm.keys, fm.X, info)
    models = fit_models(wrong, labels, tier_config=TIERS, model_params={"n_estimators": 80}, n_boot=50,
                        constraints_cost=True)
    c = models.report["constraints"]
    assert c["contradicted"] == ["penalties_3y"] and c["constrained"]
    assert c["cost"] == pytest.approx(c["auc_unconstrained"] - c["auc_constrained"])
    assert c["cost_ci"][0] <= c["cost"] <= c["cost_ci"][1]
    assert c["cost"] > 0  # the wrong constraint throws away the strongest signal
    assert c["auc_constrained"] == pytest.approx(models.report["metrics"]["generic"]["auc"])
    right = fit_models(fm, labels, tier_config=TIERS, model_params={"n_estimators": 80}, n_boot=50,
                       constraints_cost=True)
    assert "constraints" not in fit_models(fm, labels, tier_config=TIERS, model_params={"n_estimators": 20},
                                           n_boot=50, refit=False).report
    assert right.report["constraints"]["contradicted"] == []
    assert right.report["constraints"]["cost"] < c["cost"]
