"""Run records and credit-risk monitor on tiny hand-made runs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from monitoring_fixtures import FEATURES, make_dataset, make_run

from credit_risk.exceptions import ConfigError, DataContractError
from credit_risk.monitoring import load_run, write_run_record
from credit_risk.monitoring.checks import monitor, verdict
from credit_risk.monitoring.migration import migration_matrix


def test_run_record_holds_what_comparisons_need(tmp_path, base_frames):
    X, contributions, tiers = base_frames
    ds = make_dataset()
    run = make_run(tmp_path, ds, as_of="2025-01-01", X=X, contributions=contributions, tiers=tiers)
    meta = run.meta
    assert run.path.parent.name == "runs" and run.path.name.startswith("2025-01-01_")
    assert meta["as_of"] == "2025-01-01" and meta["model"]["sha256"] == "ab" * 32
    assert meta["data_fingerprint"] == ds.fingerprint()
    assert sum(meta["tier_counts"].values()) == len(X) == meta["rows"]
    assert list(meta["score_quantiles"]) == ["0.01", "0.05", "0.1", "0.25", "0.5", "0.75", "0.9", "0.95", "0.99"]
    f = meta["features"]["log_capital"]
    assert f["labels"][0] == "missing" and f["counts"][0] == 1 and sum(f["counts"]) == len(X)
    assert len(f["mean_contribution"]) == len(f["counts"])
    assert set(meta["segments"]) == {"region", "industry", "entity_type", "established_on"}
    snap = run.snapshot
    np.testing.assert_allclose(snap["c:penalty_count_365d"], contributions[:, 0], rtol=1e-6)
    assert snap["departments"].notna().all()
    # the same run recorded twice: the same folder and bytes
    first = (run.path / "run.json").read_bytes()
    again = make_run(tmp_path, ds, as_of="2025-01-01", X=X, contributions=contributions, tiers=tiers)
    assert again.path == run.path and (again.path / "run.json").read_bytes() == first


def test_altered_or_missing_records_are_refused(tmp_path, base_frames):
    X, contributions, tiers = base_frames
    run = make_run(tmp_path, make_dataset(), as_of="2025-01-01", X=X, contributions=contributions, tiers=tiers)
    with pytest.raises(ConfigError, match="holds no run.json"):
        load_run(tmp_path)
    pd.DataFrame({"x": [1]}).to_parquet(run.path / "snapshot.parquet")
    with pytest.raises(DataContractError, match="does not match the sha256"):
        _ = load_run(run.path).snapshot
    (run.path / "run.json").write_text(json.dumps({"format": "other"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="is not 'credit_risk.run_record/1'"):
        load_run(run.path / "run.json")
    from credit_risk.features.matrix import FeatureMatrix
    short = FeatureMatrix(pd.DataFrame({"credit_code": ["x"], "as_of": pd.Timestamp("2025-01-01")}), X.head(1), FEATURES)
    with pytest.raises(DataContractError, match="has 40 rows but the features 1"):
        write_run_record(tmp_path / "run" / "scores.parquet", features=short, dataset=make_dataset(),
                         model_name="m", model_version="1", model_sha256="0" * 64)


def test_identical_runs_are_stable_and_a_shift_is_caught(tmp_path, base_frames):
    X, contributions, tiers = base_frames
    ds = make_dataset()
    ref = make_run(tmp_path, ds, as_of="2025-01-01", X=X, contributions=contributions, tiers=tiers, name="a")
    same = make_run(tmp_path, ds, as_of="2025-02-01", X=X, contributions=contributions, tiers=tiers, name="b")
    report = monitor(ref, same, dataset=ds)
    assert (report.stability["psi"] == 0).all()
    assert report.verdict == "stable" or set(report.checks["verdict"]) <= {"stable", "watch"}
    assert report.checks.set_index("check").loc["score PSI", "verdict"] == "stable"
    assert report.migration_counts.to_numpy().trace() == len(X) and report.movers.empty
    assert {"region", "industry", "entity_type", "vintage"} == set(report.segments["segment"])
    assert any("outcomes of run" in n for n in report.notes)  # no inspections after the runs
    shifted = X.assign(penalty_count_365d=X["penalty_count_365d"] + 3)
    c2 = contributions.copy()
    c2[:, 0] = 0.3 * shifted["penalty_count_365d"]
    moved = make_run(tmp_path, ds, as_of="2025-02-01", X=shifted, contributions=c2, tiers=np.full(len(X), "D"),
                     name="c")
    report = monitor(ref, moved)
    row = report.stability.set_index("variable").loc["penalty_count_365d"]
    assert row["psi"] > 0.25 and row["csi"] > 0.15 and row["verdict"] == "act"
    checks = report.checks.set_index("check")
    assert checks.loc["score PSI", "verdict"] == "act"
    assert checks.loc["moved >= 2 tiers (share)", "verdict"] == "act"
    assert (report.movers["steps"] >= 2).all() and len(report.movers) == int((tiers <= "B").sum())
    written = report.write(tmp_path / "out")
    assert {p.name for p in written} >= {"checks.csv", "stability.csv", "migration_counts.csv", "monitor.json"}
    assert "score PSI" in report.text()


def test_a_jurisdiction_without_regions_is_skipped_with_a_note(tmp_path, base_frames):
    X, contributions, tiers = base_frames
    ds = make_dataset(region=False)
    a = make_run(tmp_path, ds, as_of="2025-01-01", X=X, contributions=contributions, tiers=tiers, name="a")
    b = make_run(tmp_path, ds, as_of="2025-02-01", X=X, contributions=contributions, tiers=tiers, name="b")
    report = monitor(a, b)
    assert "region" not in set(report.segments["segment"])
    assert any("segment 'region' skipped" in n for n in report.notes)


def test_migration_matrix_counts_new_and_gone():
    ref = pd.DataFrame({"credit_code": ["a", "b", "c", "d"], "tier": ["A", "B", "D", "C"]})
    cur = pd.DataFrame({"credit_code": ["a", "b", "c", "e"], "tier": ["C", "B", "A", "B"]})
    counts, shares, movers = migration_matrix(ref, cur, "ABCD")
    assert counts.loc["A", "C"] == 1 and counts.loc["D", "A"] == 1 and counts.loc["(new)", "B"] == 1
    assert counts.loc["C", "(gone)"] == 1 and shares.loc["A", "C"] == 1.0
    assert movers["credit_code"].tolist() == ["a", "c"] and movers["steps"].tolist() == [2, -3]
    assert [verdict(v, 0.1, 0.25) for v in (np.nan, 0.05, 0.2, 0.5)] == ["watch", "stable", "watch", "act"]
    with pytest.raises(DataContractError, match="need credit_code and tier"):
        migration_matrix(ref.drop(columns="tier"), cur, "ABCD")


def test_outcome_metrics_agree_with_the_evaluation_module():
    from credit_risk.evaluation import binary_metrics
    from credit_risk.monitoring.checks import auc_ks, outcome_metrics

    rng = np.random.default_rng(4)
    p = np.round(rng.random(400), 2)  # ties
    y = (rng.random(400) < p).astype(float)
    w = rng.uniform(1, 5, 400)
    auc, ks = auc_ks(y, p, w[None, :])
    ref = binary_metrics(y, p, w)
    assert auc[0] == pytest.approx(ref["auc"]) and ks[0] == pytest.approx(ref["ks"])
    table = outcome_metrics(y, p, np.array(list("ABCD"))[np.minimum((p * 4).astype(int), 3)], w, bootstrap=100)
    overall = table.iloc[0]
    assert overall["auc_low"] < overall["auc"] < overall["auc_high"]
    assert overall["gini"] == pytest.approx(2 * overall["auc"] - 1)
    tiers = table.iloc[1:]
    assert (tiers["event_rate_low"] <= tiers["event_rate"]).all() and (tiers["event_rate"] <= tiers["event_rate_high"]).all()
    assert tiers["event_rate"].iloc[-1] > tiers["event_rate"].iloc[0]


def test_categorical_features_and_runs_without_contributions(tmp_path, base_frames):
    from monitoring_fixtures import FEATURES

    from credit_risk.features.matrix import FeatureInfo, FeatureMatrix
    from credit_risk.monitoring import MonitoringConfig
    from credit_risk.monitoring.config import RunSettings
    from credit_risk.monitoring.warning import early_warning

    X, contributions, tiers = base_frames
    ds = make_dataset()
    codes = ds.enterprises["credit_code"].astype(str).to_numpy()
    info = (*FEATURES, FeatureInfo("size_class", "commercial", 0, "size class", "规模", categorical=True))
    config = MonitoringConfig(runs=RunSettings(contributions=False))
    runs = []
    for name, sizes in (("a", ["small", "large"]), ("b", ["small", "micro"])):
        Xc = X.assign(size_class=pd.Categorical(np.resize(sizes, len(X))))
        folder = tmp_path / name
        folder.mkdir()
        pd.DataFrame({"credit_code": codes, "as_of": pd.Timestamp("2025-01-01"), "probability": 0.1,
                      "tier": tiers}).to_parquet(folder / "s.parquet")
        fm = FeatureMatrix(pd.DataFrame({"credit_code": codes, "as_of": pd.Timestamp("2025-01-01")}), Xc, info)
        runs.append(load_run(write_run_record(folder / "s.parquet", features=fm, dataset=ds, model_name="m",
                                              model_version="1", model_sha256="0" * 64,
                                              contributions=np.c_[contributions[:, :3], np.zeros(len(X)),
                                                                  contributions[:, 3]], config=config)))
    assert runs[0].meta["features"]["size_class"]["labels"] == ["missing", "large", "small", "other"]
    assert not runs[0].meta["contributions"] and "c:log_capital" not in runs[0].snapshot.columns
    report = monitor(*runs, config=config)
    row = report.bins[(report.bins["variable"] == "size_class") & (report.bins["bin"] == "other")]
    assert float(row["current_share"].iloc[0]) == 0.5  # "micro" was never seen by the reference
    assert early_warning(*runs, config=config).empty  # nothing rose; no contributions needed to say so


def test_the_python_scoring_api_writes_the_run_record(sample_model):
    """score_dataset / score_cutoffs with run_history= write what credit-risk score writes; None writes nothing."""
    from credit_risk.monitoring import find_run, record_run
    from credit_risk.pipeline.score import score_cutoffs, score_dataset
    from credit_risk.store.bundle import load_bundle

    dataset, path, sha, tmp = sample_model
    bundle = load_bundle(path, sha256=sha)
    model = dict(model_name="m", model_version="1", model_sha256=sha)
    out = score_dataset(bundle, dataset, as_of="2025-06-01", out=tmp / "api" / "scores.parquet",
                        run_history=tmp / "api" / "history", **model)
    run = load_run(find_run(tmp / "api" / "history", out))
    assert run.as_of == "2025-06-01" and run.meta["scores"]["file"] == "scores.parquet"
    assert run.meta["rows"] == len(pd.read_parquet(out, columns=["tier"])) and run.meta["contributions"]
    # the same record as rebuilding it after the fact (what the CLI did before): same folder name and bytes
    again = record_run(out, bundle, dataset, history=tmp / "api" / "again", **model)
    assert again.name == run.path.name
    assert (again / "run.json").read_bytes() == (run.path / "run.json").read_bytes()
    # scores at each row's own date: one record spanning the dates
    codes = dataset.enterprises["credit_code"].astype(str).iloc[:40]
    cutoffs = pd.DataFrame({"credit_code": codes, "as_of": ["2025-03-01"] * 20 + ["2025-05-01"] * 20})
    out = score_cutoffs(bundle, dataset, cutoffs, out=tmp / "api" / "cut.parquet",
                        run_history=tmp / "api" / "history", **model)
    cut = load_run(find_run(tmp / "api" / "history", out))
    assert cut.as_of == "2025-03-01..2025-05-01 (2 dates)" and cut.meta["rows"] == 40
    # by default the Python API writes the scores only
    plain = score_cutoffs(bundle, dataset, cutoffs, out=tmp / "plain" / "cut.parquet", **model)
    assert sorted(p.name for p in plain.parent.iterdir()) == ["cut.parquet"]
    with pytest.raises(ConfigError, match=r"holds no run record of cut\.parquet \(sha256 [0-9a-f]{12}…\)"):
        find_run(tmp / "api" / "again", plain)
