"""The Spark engine equals the pandas engine on the synthetic sample: features, scores, tiers, the plan.

Counts and categories exactly, floats to 1e-9 (in practice they are equal to the bit). One
local[2] session for the module (conftest.py); the sample is scored once per engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_risk.data import load_dataset
from credit_risk.data.cutoffs import active_cutoffs
from credit_risk.data.synthetic.roster import synthetic_roster
from credit_risk.engine import check_engine
from credit_risk.exceptions import ConfigError
from credit_risk.features import build_features
from credit_risk.pipeline.score import score_dataset
from credit_risk.pipeline.train import load_train_config, train
from credit_risk.scheduler import load_policy, plan_inspections, subjects_from_dataset
from credit_risk.scheduler.sampling import draw_subjects
from credit_risk.store.bundle import load_bundle

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
AS_OF = "2026-01-01"

pytestmark = [
    # pyspark 4.x warns that it does not fully support pandas 3 and, in its own conversion
    # code, passes pandas 3's deprecated copy= keyword; both come from pyspark, not from us.
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),  # py4j sockets closed by the garbage collector
]


@pytest.fixture(scope="module")
def dataset():
    if not SAMPLE.exists():
        pytest.skip("committed sample not present")
    return load_dataset(SAMPLE)


@pytest.fixture(scope="module")
def bundle(dataset, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("spark_model")
    (tmp / "model.yaml").write_text("n_estimators: 40\nnum_leaves: 7\n", encoding="utf-8")
    (tmp / "train.yaml").write_text("domains: [food]\nmodel: model.yaml\n", encoding="utf-8")
    config, _ = load_train_config(tmp / "train.yaml")
    result = train(dataset, config, out_dir=tmp / "models", created_at="2026-01-01T00:00:00")
    path = result.bundles["generic"]
    sha = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))["sha256"]
    return load_bundle(path, sha256=sha), sha


@pytest.fixture(scope="module")
def scored(spark, dataset, bundle, tmp_path_factory):
    model, sha = bundle
    tmp = tmp_path_factory.mktemp("spark_scores")
    out = {}
    for engine in ("pandas", "spark"):
        path = score_dataset(model, dataset, as_of=AS_OF, out=tmp / f"{engine}.parquet", model_name="m",
                             model_version="1", model_sha256=sha, reasons_for="all", engine=engine)
        out[engine] = pd.read_parquet(path)
    return out


def test_features_equal_the_pandas_engine(spark, dataset):
    from credit_risk.engine.features import build_features_spark

    # several dates per subject, repeats and shuffled rows; tiers for related_worst_tier
    codes = dataset.enterprises["credit_code"].to_numpy()
    rng = np.random.default_rng(0)
    dates = pd.to_datetime(["2024-06-01", "2025-03-15", AS_OF])
    cutoffs = pd.DataFrame({"credit_code": rng.choice(codes, 3000), "as_of": rng.choice(dates, 3000)})
    tiers = pd.DataFrame({"credit_code": codes, "valid_from": pd.Timestamp("2024-01-01"),
                          "tier": rng.choice(list("ABCD"), len(codes))})
    expected = build_features(dataset, cutoffs, tiers=tiers)
    got = build_features_spark(dataset, cutoffs, tiers=tiers, builder=build_features, spark=spark, partitions=3)
    assert got.info == expected.info
    pd.testing.assert_frame_equal(got.keys, expected.keys)
    pd.testing.assert_frame_equal(got.X, expected.X, check_exact=False, rtol=1e-9, atol=0)
    # the cross-subject features are really there (not all missing)
    assert got.X["related_count"].sum() > 0 and got.X["related_worst_tier"].notna().any()
    assert got.X["region_penalty_rate_365d"].notna().all()
    assert "(other)" in got.X["industry_division"].cat.categories


def test_scores_and_tiers_equal_the_pandas_engine(scored):
    pandas_scores, spark_scores = scored["pandas"], scored["spark"]
    assert len(spark_scores) == len(pandas_scores) > 3000
    pd.testing.assert_frame_equal(spark_scores, pandas_scores, check_exact=False, rtol=1e-9, atol=0)
    assert spark_scores["tier"].tolist() == pandas_scores["tier"].tolist()
    assert spark_scores["tier"].value_counts().to_dict() == pandas_scores["tier"].value_counts().to_dict()


def test_draw_reproduces_the_pandas_draw_for_any_block_size(spark):
    from credit_risk.engine.draw import draw_subjects_spark

    rng = np.random.default_rng(3)
    n = 2000
    frame = pd.DataFrame({"stratum": pd.Categorical(rng.choice(["a", "b", "c", "d"], n)),
                          "inclusion_probability": 0.0})
    frame["inclusion_probability"] = frame["stratum"].map({"a": 0.05, "b": 0.3, "c": 1.0, "d": 0.0}).astype(float)
    expected_rng = np.random.default_rng(0)
    expected = draw_subjects(frame, expected_rng)
    for block in (97, 5000):  # positions per task: the mask does not depend on it
        got_rng = np.random.default_rng(0)
        got = draw_subjects_spark(frame, got_rng, spark=spark, block=block)
        np.testing.assert_array_equal(got, expected)
    assert got_rng.random() == expected_rng.random()  # the generator is left where pandas leaves it


def test_plan_equals_the_pandas_planner(spark, dataset, scored):
    from credit_risk.engine.draw import plan_inspections_spark

    policy = load_policy()
    tiers = scored["spark"][["credit_code", "tier", "probability"]].rename(columns={"probability": "risk"})
    subjects = subjects_from_dataset(dataset, tiers, as_of=AS_OF, complaint_days=policy.mandatory.complaint_days)
    inspectors = synthetic_roster(subjects, policy, seed=7)
    kwargs = dict(period_start=AS_OF, period_end="2027-01-01", seed=2026)
    expected = plan_inspections(subjects, inspectors, policy, **kwargs)
    got = plan_inspections_spark(subjects, inspectors, policy, spark=spark, **kwargs)
    assert len(got.visits) == len(expected.visits) > 0
    pd.testing.assert_frame_equal(got.visits, expected.visits)
    pd.testing.assert_frame_equal(got.assignments, expected.assignments)
    pd.testing.assert_frame_equal(got.frame, expected.frame)
    assert got.stats == expected.stats


def test_engine_names_are_checked(dataset, bundle, tmp_path):
    assert check_engine("pandas") == "pandas"
    with pytest.raises(ConfigError, match=r"engine must be one of \['pandas', 'spark'\]; got 'dask'"):
        score_dataset(bundle[0], dataset, as_of=AS_OF, out=tmp_path / "x.parquet", model_name="m",
                      model_version="1", engine="dask")


def test_missing_java_is_one_clear_error(monkeypatch):
    from credit_risk.engine import session

    pytest.importorskip("pyspark")
    monkeypatch.setattr(session, "java_available", lambda: False)
    with pytest.raises(ConfigError, match=r"needs a Java runtime .* apt-get install openjdk-17-jre-headless"):
        session.local_session()


def test_cutoffs_of_unknown_subjects_are_refused_as_in_pandas(spark, dataset):
    from credit_risk.exceptions import DataContractError

    cutoffs = active_cutoffs(dataset, pd.Timestamp(AS_OF)).head(3)
    cutoffs.loc[1, "credit_code"] = "NOT-A-SUBJECT"
    with pytest.raises(DataContractError, match="NOT-A-SUBJECT"):
        build_features(dataset, cutoffs, engine="spark")


def test_group_size_attributes_are_refused_not_counted_per_partition(spark, dataset):
    from credit_risk.features.spec import AttributeSpec, FeatureSpec

    spec = FeatureSpec(attributes=(AttributeSpec(column="name", type="group_size"),))
    cutoffs = active_cutoffs(dataset, pd.Timestamp(AS_OF)).head(3)
    with pytest.raises(ConfigError, match=r"Spark engine cannot build group_size attributes yet \(\['name'\]\)"):
        build_features(dataset, cutoffs, spec, views=["context"], engine="spark")
