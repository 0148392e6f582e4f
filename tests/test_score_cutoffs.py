"""score_cutoffs: each (credit_code, as_of) row scored as of its own date."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_risk.data import load_dataset
from credit_risk.exceptions import ConfigError
from credit_risk.features import build_features
from credit_risk.labels import inspection_outcome
from credit_risk.models.bundle import load_bundle
from credit_risk.scoring import bundle_feature_spec, score_cutoffs, score_dataset, score_frame
from credit_risk.train import load_train_config, train

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    if not SAMPLE.exists():
        pytest.skip("committed sample not present")
    tmp = tmp_path_factory.mktemp("cutoffs")
    (tmp / "model.yaml").write_text("n_estimators: 60\nnum_leaves: 7\n", encoding="utf-8")
    (tmp / "train.yaml").write_text("domains: [food]\nmodel: model.yaml\n", encoding="utf-8")
    config, _ = load_train_config(tmp / "train.yaml")
    dataset = load_dataset(SAMPLE)
    result = train(dataset, config, out_dir=tmp / "models", created_at="2026-01-01T00:00:00")
    path = result.bundles["generic"]
    sha = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))["sha256"]
    targeting = result.trained.report["targeting"].set_index("metric")  # inspection labels: targeting figures
    assert {"days_earlier", "days_earlier_random", "first_half_share", "capture_at_10%"} <= set(targeting.index)
    return dataset, load_bundle(path, sha256=sha), sha, tmp


def test_each_row_is_scored_as_of_its_own_date(trained):
    dataset, bundle, sha, tmp = trained
    codes = dataset.enterprises["credit_code"].head(40).tolist()
    dates = pd.to_datetime(["2023-03-01", "2024-06-15", "2025-01-01"])
    cutoffs = pd.DataFrame({"credit_code": codes * 3, "as_of": np.repeat(dates, 40)}).sample(frac=1, random_state=0)
    out = score_cutoffs(bundle, dataset, cutoffs, out=tmp / "scores.parquet", model_name="m", model_version="1",
                        chunk_size=50, k=2, model_sha256=sha)
    scores = pd.read_parquet(out)
    assert scores["credit_code"].tolist() == cutoffs["credit_code"].tolist()
    assert (scores["as_of"].to_numpy() == cutoffs["as_of"].to_numpy()).all()
    # the same as build_features + predict on the same rows
    fm = build_features(dataset, cutoffs.reset_index(drop=True), bundle_feature_spec(bundle)).select(bundle.feature_names)
    industry = cutoffs.merge(dataset.enterprises[["credit_code", "industry"]], on="credit_code", how="left")["industry"]
    direct = score_frame(bundle.model, fm, k=2, industry=industry)
    np.testing.assert_array_equal(scores["probability"].to_numpy(), direct["probability"].to_numpy())
    p = bundle.model.generic.predict_proba(fm.select(bundle.model.generic.feature_names_in_))[:, 1]
    np.testing.assert_array_equal(scores["probability"].to_numpy(), p)
    assert scores["tier"].tolist() == direct["tier"].tolist()
    np.testing.assert_array_equal(scores["p_food"].to_numpy(), direct["p_food"].to_numpy())
    # one date for everyone gives what the monthly job gives for those subjects
    one = score_dataset(bundle, dataset, as_of="2025-01-01", out=tmp / "monthly.parquet", model_name="m",
                        model_version="1", k=2, model_sha256=sha)
    monthly = pd.read_parquet(one).set_index("credit_code")
    late = scores[scores["as_of"] == pd.Timestamp("2025-01-01")].set_index("credit_code")
    common = late.index.intersection(monthly.index)
    assert len(common) > 20
    np.testing.assert_allclose(late.loc[common, "probability"], monthly.loc[common, "probability"])
    # the scores of earlier dates differ: each row saw only what was published before its date
    early = scores[scores["as_of"] == dates[0]].set_index("credit_code")
    assert not np.allclose(early.loc[common, "probability"], late.loc[common, "probability"])


def test_inspection_cutoffs_match_the_training_features(trained):
    dataset, bundle, sha, tmp = trained
    labels = inspection_outcome(dataset)
    cut = labels.cutoffs.tail(60).reset_index(drop=True)
    out = score_cutoffs(bundle, dataset, cut, out=tmp / "insp.parquet", model_name="m", model_version="1",
                        k=1, model_sha256=sha)
    fm = build_features(dataset, labels.cutoffs, bundle_feature_spec(bundle)).select(bundle.feature_names)
    p = bundle.model.generic.predict_proba(fm.rows(np.arange(len(labels) - 60, len(labels))).select(
        bundle.model.generic.feature_names_in_))[:, 1]
    np.testing.assert_array_equal(pd.read_parquet(out)["probability"].to_numpy(), p)


@pytest.mark.parametrize(
    ("cutoffs", "message"),
    [
        (pd.DataFrame({"credit_code": ["x"]}), "cutoffs need columns credit_code and as_of"),
        (pd.DataFrame({"credit_code": [], "as_of": []}), "cutoffs hold no rows"),
        (pd.DataFrame({"credit_code": ["?"], "as_of": ["2024-01-01"]}), r"row 1, column 'credit_code': subject '\?' is not in"),
    ],
)
def test_bad_cutoffs_raise(trained, cutoffs, message):
    dataset, bundle, sha, tmp = trained
    with pytest.raises(ConfigError, match=message):
        score_cutoffs(bundle, dataset, cutoffs, out=tmp / "x.parquet", model_name="m", model_version="1")


def test_a_bad_date_is_named(trained):
    dataset, bundle, sha, tmp = trained
    code = dataset.enterprises["credit_code"].iloc[0]
    with pytest.raises(ConfigError, match=r"cutoffs row 2, column 'as_of': 'someday' is not a date"):
        score_cutoffs(bundle, dataset, pd.DataFrame({"credit_code": [code, code], "as_of": ["2024-01-01", "someday"]}),
                      out=tmp / "x.parquet", model_name="m", model_version="1")
