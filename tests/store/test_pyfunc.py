"""The pyfunc predictor without MLflow: feature table in (categoricals as category or text), probability out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_risk.exceptions import ModelError
from credit_risk.models import GenericRiskModel
from credit_risk.models.synthetic import toy_feature_matrix
from credit_risk.store.bundle import ModelBundle
from credit_risk.store.pyfunc import BundlePredictor, output_columns


@pytest.fixture(scope="module")
def toy():
    fm, y, _ = toy_feature_matrix(300, seed=0)
    model = GenericRiskModel(n_estimators=5, num_leaves=7).fit(fm, y)
    return fm, BundlePredictor(ModelBundle(model=model, feature_info=fm.info, created_at="t"))


def test_categoricals_as_category_or_as_text_score_the_same(toy):
    fm, predictor = toy
    expected = predictor.bundle.model.predict_proba(fm.X)[:, 1]
    as_category = predictor.predict(fm.X)
    as_text = predictor.predict(fm.X.astype({"size_class": object}))
    as_string = predictor.predict(fm.X.astype({"size_class": "string"}))
    assert list(as_category.columns) == output_columns(False) == ["probability"]
    for out in (as_category, as_text, as_string):
        np.testing.assert_allclose(out["probability"], expected)


def test_keys_are_carried_not_used_and_unseen_categories_are_missing(toy):
    fm, predictor = toy
    X = fm.X.head(4).astype({"size_class": object})
    X.loc[0, "size_class"] = "never seen"
    with_keys = X.assign(credit_code=["a", "b", "c", "d"], as_of=pd.Timestamp("2026-01-01"))
    out = predictor.predict(with_keys)
    assert len(out) == 4 and out["probability"].between(0, 1).all()
    missing = X.copy()
    missing.loc[0, "size_class"] = None
    assert out["probability"].iloc[0] == pytest.approx(predictor.predict(missing)["probability"].iloc[0])


def test_wrong_inputs_are_model_errors(toy):
    fm, predictor = toy
    with pytest.raises(ModelError, match="features do not match"):
        predictor.predict(fm.X.drop(columns=fm.X.columns[0]))
    with pytest.raises(ModelError, match=r"expected a DataFrame of features .*got ndarray"):
        predictor.predict(fm.X.to_numpy())
    with pytest.raises(ModelError, match=r"'reasons' must be between 0 and 10; got 11"):
        predictor.predict(fm.X, params={"reasons": 11})
    with pytest.raises(ModelError, match=r"'reasons' must be a whole number 0–10; got 'many'"):
        predictor.predict(fm.X, params={"reasons": "many"})
