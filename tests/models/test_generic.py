from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.models import GenericRiskModel, ModelNotFittedError, split_by_time
from credit_risk.models.synthetic import TOY_INFO as INFO
from credit_risk.models.synthetic import toy_feature_matrix as make_matrix


@pytest.fixture(scope="module")
def fitted(matrix):
    fm, y, _ = matrix
    return GenericRiskModel(n_estimators=200, n_jobs=1).fit(fm, y)


def test_learns_close_to_oracle(fitted):
    fm, y, p = make_matrix(3000, seed=1)
    auc = roc_auc_score(y, fitted.predict_proba(fm)[:, 1])
    assert auc > roc_auc_score(y, p) - 0.05


def test_monotone_constraints_from_directions(fitted):
    assert fitted.monotone_constraints_ == [1, 1, 1, -1, -1, 1, 0, 0]
    assert fitted.categorical_features_ == [7]
    fm, _, _ = make_matrix(200, seed=2)
    X = fm.X.copy()
    base = fitted.decision_function(X)
    X["penalties_3y"] += 3
    assert np.all(fitted.decision_function(X) >= base - 1e-12)
    X["capital_log"] += 2
    assert np.all(fitted.decision_function(X) <= fitted.decision_function(X.assign(capital_log=X["capital_log"] - 2)) + 1e-12)


def test_early_stopping_and_calibration_on_latest_dates(fitted):
    assert fitted.best_iteration_ < 200
    assert fitted.calibration_method_ in {"isotonic", "sigmoid", "none"}
    assert set(fitted.calibration_losses_) == {"isotonic", "sigmoid", "none"}
    fm, y, _ = make_matrix(3000, seed=3)
    # calibrated: mean prediction close to the event rate
    assert abs(fitted.predict_proba(fm)[:, 1].mean() - y.mean()) < 0.02


def test_split_by_time_takes_whole_latest_dates(matrix):
    fm, _, _ = matrix
    mask = split_by_time(fm.keys["as_of"], 0.2)
    assert fm.keys["as_of"][mask].min() > fm.keys["as_of"][~mask].max()
    assert 0.1 < mask.mean() < 0.3


def test_unseen_category_is_missing_not_an_error(fitted):
    fm, _, _ = make_matrix(50, seed=4)
    X = fm.X.copy()
    X["size_class"] = X["size_class"].cat.add_categories(["giant"])
    X.loc[0, "size_class"] = "giant"
    assert np.isfinite(fitted.predict_proba(X)).all()


def test_contributions_sum_to_raw_score(fitted):
    fm, _, _ = make_matrix(300, seed=5)
    contrib = fitted.raw_contributions(fm, chunk_size=64)
    np.testing.assert_allclose(contrib.sum(axis=1), fitted.decision_function(fm), atol=1e-9)


def test_sample_weight_changes_fit():
    fm, y, _ = make_matrix(2000, seed=6)
    w = np.where(y == 1, 5.0, 1.0)
    a = GenericRiskModel(n_estimators=30, calibration="none").fit(fm, y)
    b = GenericRiskModel(n_estimators=30, calibration="none").fit(fm, y, sample_weight=w)
    assert b.predict_proba(fm)[:, 1].mean() > a.predict_proba(fm)[:, 1].mean()


def test_unfitted_use_raises():
    fm, _, _ = make_matrix(20)
    with pytest.raises(ModelNotFittedError, match="not fitted yet; call 'fit'"):
        GenericRiskModel().predict_proba(fm)
    with pytest.raises(ModelError):
        GenericRiskModel().raw_contributions(fm)


def test_feature_mismatch_raises(fitted):
    fm, _, _ = make_matrix(20)
    with pytest.raises(ModelError, match=r"missing \['noise'\], unexpected \['extra'\]"):
        fitted.predict_proba(fm.X.drop(columns="noise").assign(extra=1.0))


def test_bad_parameters_raise(matrix):
    fm, y, _ = matrix
    with pytest.raises(ConfigError, match="calibration='platt' is not one of"):
        GenericRiskModel(calibration="platt").fit(fm, y)
    with pytest.raises(ConfigError, match="feature_info has 2 entries but X has 8 columns"):
        GenericRiskModel(feature_info=INFO[:2]).fit(fm.X, y)


def test_binary_only():
    fm, _, _ = make_matrix(100)
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        GenericRiskModel().fit(fm, np.arange(100) % 3)


def test_init_score_offset():
    fm, y, p = make_matrix(3000, seed=7)
    offset = np.log(p / (1 - p))
    late = (fm.keys["as_of"] >= "2023-10-01").to_numpy()
    model = GenericRiskModel(n_estimators=100).fit(
        fm.rows(~late), y[~late], init_score=offset[~late], eval_set=(fm.rows(late), y[late], None, offset[late])
    )
    assert model.uses_init_score_ and model.best_iteration_ < 100  # the truth as offset leaves little to learn
    assert model.predict_proba(fm, init_score=offset).shape == (3000, 2)
    with pytest.raises(ModelError, match="was fitted with an init_score"):
        model.predict_proba(fm)
    with pytest.raises(ModelError, match="needs a matching init score in eval_set"):
        GenericRiskModel().fit(fm.rows(~late), y[~late], init_score=offset[~late], eval_set=(fm.rows(late), y[late]))
