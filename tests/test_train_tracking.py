"""Training runs tracked in MLflow (embedded store), registry, champion alias, batch scoring."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_risk.atomic import sha256_file
from credit_risk.cli import main, run_training
from credit_risk.data import load_dataset
from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.scoring import resolve_model, score_dataset
from credit_risk.tracking import BUNDLE_FILE, local_tracking_uri
from credit_risk.train import load_train_config

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two training runs of the sample into one embedded store (the second registers version 2)."""
    root = tmp_path_factory.mktemp("train")
    uri = local_tracking_uri(root)
    first = run_training(str(SAMPLE), None, str(root / "models"), uri, None)
    second = run_training(str(SAMPLE), None, str(root / "models2"), uri, None)
    return root, uri, first, second


def _generic(root: Path) -> tuple[str, str]:
    """The first run's generic bundle folder (one fresh run folder per training) and its sha256."""
    (folder,) = (root / "models").glob("run-*/generic")
    manifest = json.loads((folder / f"{BUNDLE_FILE}.json").read_text(encoding="utf-8"))
    return str(folder), manifest["sha256"]


def test_one_registered_run_per_model(trained):
    root, uri, first, second = trained
    assert [r.registered_name for r in first] == ["credit_risk_generic", "credit_risk_environment", "credit_risk_food"]
    assert all(r.version == 1 and r.alias_moved for r in first)
    assert all(r.version == 2 for r in second)
    for r in second:
        # Same data and config: the same metric, so the alias stays and the run says why.
        assert not r.alias_moved
        assert "does not beat champion v1" in r.decision and "alias stays" in r.decision


def test_run_records_params_metrics_artifacts_and_fingerprint(trained):
    import mlflow
    from mlflow.tracking import MlflowClient

    root, uri, first, _ = trained
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(first[0].run_id)
    assert 0.5 < run.data.metrics["test_auc"] <= 1.0
    assert "test_brier" in run.data.metrics
    from credit_risk.models.training import load_model_params

    assert run.data.params["model.n_estimators"] == str(load_model_params()["n_estimators"])
    assert run.data.tags["credit_risk.data_fingerprint"] == load_dataset(SAMPLE).fingerprint()
    assert run.data.tags["alias_moved"] == "true"
    mlflow.set_tracking_uri(uri)
    paths = {a.path for top in ("config", "plots", "tables") for a in client.list_artifacts(run.info.run_id, top)}
    assert {"config/train.yaml", "config/features.yaml", "tables/tier_table.csv", "tables/metrics.csv"} <= paths
    assert any(p.startswith("plots/") and p.endswith(".png") for p in paths)
    # Every metric is in tables/metrics.csv; only the headline ones are charted (no flood of one-value bars).
    table = pd.read_csv(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="tables/metrics.csv",
                                                            dst_path=str(root / "metrics_csv")))
    assert {"tier_A_event_rate", "test_auc", "targeting_capture_at_10pct"} <= set(table["metric"])
    assert "tier_A_event_rate" not in run.data.metrics and len(run.data.metrics) <= 10
    assert set(table.loc[table["chart"], "metric"]) == set(run.data.metrics)
    auc_row = table.set_index("metric").loc["test_auc"]
    assert auc_row["value"] == pytest.approx(run.data.metrics["test_auc"]) and "population-weighted" in auc_row["definition"]


def test_registered_model_loads_and_predicts_as_pyfunc(trained):
    import mlflow

    root, uri, first, _ = trained
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model("models:/credit_risk_generic@champion")
    bundle, name, version, _ = resolve_model("models:/credit_risk_generic@champion", uri, root / "cache")
    assert (name, version) == ("credit_risk_generic", "1")
    ds = load_dataset(SAMPLE)
    from credit_risk.features import build_features
    from credit_risk.scoring import active_cutoffs, bundle_feature_spec

    fm = build_features(ds, active_cutoffs(ds, pd.Timestamp("2025-06-01")).head(50), bundle_feature_spec(bundle))
    assert any(isinstance(fm.X[c].dtype, pd.CategoricalDtype) for c in fm.X.columns)
    # The library's own feature table, categoricals included, goes in as it is.
    out = model.predict(fm.X)
    assert list(out.columns[:3]) == ["probability", "model_tier", "tier"] and len(out) == 50
    p = out["probability"].to_numpy()
    assert ((p > 0) & (p < 1)).all()
    np.testing.assert_allclose(p, bundle.model.generic.predict_proba(fm.X[list(bundle.model.generic.feature_names_in_)])[:, 1])
    scored = bundle.model.score(fm, k=3)[0]
    assert out["tier"].tolist() == scored["tier"].astype(str).tolist()
    assert out["reason_1"].notna().all() and out["reason_3_zh"].notna().all() and "reason_4" not in out
    assert "reason_5" in model.predict(fm.X, params={"reasons": 5})
    # Text columns (JSON served input) score the same as categoricals.
    from credit_risk.train import _plain_dtypes

    np.testing.assert_allclose(model.predict(_plain_dtypes(fm.X))["probability"], p)
    # The verified loader pins the registry's hash; MLmodel names credit_risk.tracking as its only loader.
    from credit_risk.tracking import load_verified_pyfunc

    verified = load_verified_pyfunc("models:/credit_risk_generic@champion", tracking_uri=uri, dest=root / "verified")
    pd.testing.assert_frame_equal(verified.predict(fm.X), out)
    assert not list((root / "verified").rglob("python_model.pkl"))  # nothing of MLflow's own is unpickled
    # A domain model returns its probability.
    food = mlflow.pyfunc.load_model("models:/credit_risk_food@champion").predict(fm.X)
    assert list(food.columns) == ["probability"] and food["probability"].between(0, 1).all()


def test_score_output_and_domain_results(trained, tmp_path):
    root, uri, first, _ = trained
    model, sha = _generic(root)
    assert sha == first[0].bundle_sha256  # the hash train printed is the one registered
    out = tmp_path / "scores.parquet"
    assert main(["score", "--model", model, "--sha256", sha, "--data", str(SAMPLE),
                 "--as-of", "2026-01-01", "--out", str(out), "--chunk-size", "700", "--quiet"]) == 0
    scores = pd.read_parquet(out)
    ds = load_dataset(SAMPLE)
    assert scores["credit_code"].is_unique and len(scores) > 0.5 * ds.n_subjects
    assert set(scores["tier"]) <= {"A", "B", "C", "D"}
    assert {"probability", "compliance", "p_food", "p_environment", "reason_1_feature", "reason_5_text_zh",
            "model_name", "model_version"} <= set(scores.columns)
    food = scores.merge(ds.enterprises[["credit_code", "industry"]].astype({"industry": str}), on="credit_code")
    is_food = food["industry"].str.startswith(("C13", "C14", "C15", "F522", "H62"))
    assert food.loc[is_food, "p_food"].notna().all() and food.loc[~is_food, "p_food"].isna().all()
    # Neither chunking nor prediction threads change the result.
    one = tmp_path / "one.parquet"
    assert main(["score", "--model", model, "--sha256", sha, "--data", str(SAMPLE),
                 "--as-of", "2026-01-01", "--out", str(one), "--chunk-size", "1000000", "--threads", "2",
                 "--quiet"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(one), scores)


def test_score_refuses_mismatching_features(trained, tmp_path):
    root, *_ = trained
    model, sha = _generic(root)
    bundle, *_ = resolve_model(str(Path(model) / BUNDLE_FILE), "", tmp_path, sha256=sha)
    spec = bundle.config["feature_spec_yaml"].replace("prefix: penalty\n", "prefix: sanction\n", 1)
    assert spec != bundle.config["feature_spec_yaml"]
    import dataclasses

    altered = dataclasses.replace(bundle, config={**bundle.config, "feature_spec_yaml": spec})
    with pytest.raises(ModelError, match=r"features do not match the model bundle .*missing \['penalty_"):
        score_dataset(altered, load_dataset(SAMPLE), as_of="2026-01-01", out=tmp_path / "x.parquet",
                      model_name="m", model_version="1")
    assert not (tmp_path / "x.parquet").exists()


def test_unknown_registry_model_is_a_clear_error(trained, tmp_path):
    root, uri, *_ = trained
    with pytest.raises(ModelError, match="cannot load model 'models:/credit_risk_nothing@champion'"):
        resolve_model("models:/credit_risk_nothing@champion", uri, tmp_path)


def test_killed_scoring_leaves_no_file_and_rerun_matches(trained, tmp_path):
    """SIGKILL a real scoring process mid-way, then re-run: same bytes as one clean run."""
    root, *_ = trained
    model, sha = _generic(root)
    clean = tmp_path / "clean.parquet"
    args = ["score", "--model", model, "--sha256", sha, "--data", str(SAMPLE), "--as-of", "2026-01-01", "--chunk-size", "150", "--quiet"]
    assert main([*args, "--out", str(clean)]) == 0
    out = tmp_path / "killed.parquet"
    parts = tmp_path / "killed.parquet.parts"
    errors = tmp_path / "stderr.txt"
    with open(errors, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "credit_risk.cli", *args, "--out", str(out)],
                                stdout=subprocess.DEVNULL, stderr=err, env={**os.environ})
        deadline = time.time() + 180
        while time.time() < deadline and proc.poll() is None and len(list(parts.glob("part-*.parquet"))) < 3:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    n_parts = len(list(parts.glob("part-*.parquet")))
    assert n_parts >= 3, f"the scoring run was not killed mid-way ({n_parts} parts): {errors.read_text()[-3000:]}"
    assert n_parts < -(-len(pd.read_parquet(clean)) // 150), "the scoring run finished before it could be killed"
    assert not out.exists()
    assert main([*args, "--out", str(out)]) == 0
    assert sha256_file(out) == sha256_file(clean)
    assert not parts.exists()


def test_train_config_rejects_unknown_keys(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("label:\n  target: inspection_outcome\nlearning_rate: 0.1\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['learning_rate'\]"):
        load_train_config(path)


def test_resume_never_reuses_parts_of_another_model(trained, tmp_path, monkeypatch):
    """Parts left by a killed run with model A are discarded when scoring with model B."""
    import copy
    import dataclasses

    import credit_risk.scoring as scoring

    root, *_ = trained
    bundle_a, *_ = resolve_model(*_generic(root)[:1], "", tmp_path, sha256=_generic(root)[1])
    model_b = copy.deepcopy(bundle_a.model)
    model_b.tiers.cutoffs_ = model_b.tiers.cutoffs_ * 0.5  # a different tiering: different output
    bundle_b = dataclasses.replace(bundle_a, model=model_b)
    ds = load_dataset(SAMPLE)
    args = dict(as_of="2026-01-01", model_name="credit_risk_generic", model_version="x", chunk_size=500)
    clean_b = score_dataset(bundle_b, ds, out=tmp_path / "clean_b.parquet", **args)

    real = scoring.score_frame
    calls = []

    def dying(*a, **kw):
        calls.append(1)
        if len(calls) > 2:
            raise KeyboardInterrupt("killed")
        return real(*a, **kw)

    out = tmp_path / "scores.parquet"
    monkeypatch.setattr(scoring, "score_frame", dying)
    with pytest.raises(KeyboardInterrupt):
        score_dataset(bundle_a, ds, out=out, **args)
    monkeypatch.setattr(scoring, "score_frame", real)
    assert len(list((tmp_path / "scores.parquet.parts").glob("part-*.parquet"))) == 2
    score_dataset(bundle_b, ds, out=out, **args)
    assert sha256_file(out) == sha256_file(clean_b)


def test_registry_pins_the_bundle_hash(trained, tmp_path):
    """Replacing a registered bundle and its manifest together is still caught by the registry tag."""
    import json

    from mlflow.tracking import MlflowClient

    root, uri, _, second = trained
    client = MlflowClient(tracking_uri=uri)
    mv = client.get_model_version("credit_risk_generic", str(second[0].version))
    assert len(mv.tags["bundle_sha256"]) == 64
    store = Path(uri.removeprefix("sqlite:///")).parent / "artifacts"
    manifests = [p for p in store.rglob(f"{BUNDLE_FILE}.json") if json.loads(p.read_text())["sha256"] == mv.tags["bundle_sha256"]]
    assert manifests, "the registered bundle's manifest was not found in the artifact store"
    for manifest in manifests:
        bundle = manifest.with_name(BUNDLE_FILE)
        bundle.write_bytes(bundle.read_bytes() + b"tampered")
        meta = json.loads(manifest.read_text())
        meta["sha256"] = sha256_file(bundle)
        manifest.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="differs from the sha256 recorded in the registry"):
        resolve_model(f"models:/credit_risk_generic/{mv.version}", uri, tmp_path)


def test_score_frame_needs_industry_for_domain_models(trained, tmp_path):
    from credit_risk.features import build_features
    from credit_risk.scoring import active_cutoffs, bundle_feature_spec, score_frame

    root, *_ = trained
    model, sha = _generic(root)
    bundle, *_ = resolve_model(model, "", tmp_path, sha256=sha)
    ds = load_dataset(SAMPLE)
    fm = build_features(ds, active_cutoffs(ds, pd.Timestamp("2026-01-01")).head(20), bundle_feature_spec(bundle))
    with pytest.raises(ModelError, match=r"has domain models \['environment', 'food'\]; pass industry="):
        score_frame(bundle.model, fm.select(bundle.feature_names))


# ----------------------------------------------------------------------------- the story MLflow tells (issue 13 part 3)


def _runs(uri: str) -> dict[str, list]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("credit_risk")
    by_id = {r.info.run_id: r for r in client.search_runs([exp.experiment_id], max_results=100)}
    return {"exp": exp, "by_id": by_id, "client": client}


def test_a_training_is_a_parent_run_with_one_child_per_model(trained):
    root, uri, first, second = trained
    found = _runs(uri)
    assert found["exp"].tags["mlflow.experimentKind"] == "custom_model_development"  # the classic ML view
    for results in (first, second):
        children = [found["by_id"][r.run_id] for r in results]
        (parent_id,) = {c.data.tags["mlflow.parentRunId"] for c in children}
        parent = found["by_id"][parent_id]
        assert parent.info.run_name.startswith("training ") and parent.data.tags["credit_risk.kind"] == "training"
        note = parent.data.tags["mlflow.note.content"]
        assert all(f"{r.registered_name} v{r.version}: test_auc = {r.value:.4f}" in note for r in results)
        assert [c.info.run_name for c in children] == ["generic", "environment", "food"]
    assert len(found["by_id"]) == 2 * (1 + len(first))


def test_each_run_logs_its_training_data_as_mlflow_datasets(trained):
    import json

    root, uri, first, second = trained
    found = _runs(uri)
    digests = []
    for r in (*first, *second):
        run = found["by_id"][r.run_id]
        inputs = {i.tags[0].value: i.dataset for i in run.inputs.dataset_inputs}
        assert set(inputs) == {"train", "validation", "test"}
        rows = {k: json.loads(d.profile)["num_rows"] for k, d in inputs.items()}
        assert sum(rows.values()) == int(run.data.params["data.labels"])
        assert rows == {k: int(run.data.params[f"data.rows_{k}"]) for k in rows}
        schema = {c["name"] for c in json.loads(inputs["train"].schema)["mlflow_colspec"]}
        assert {"credit_code", "as_of", "label", "weight", "industry_section"} <= schema
        assert str(SAMPLE) in json.loads(inputs["train"].source)["uri"]
        digests.append(tuple(d.digest for _, d in sorted(inputs.items())))
    assert len(set(digests)) == 1  # same data, same features: the same digests in every run and training
    assert len(set(digests[0])) == 3


def test_every_run_has_the_same_parameter_names(trained):
    root, uri, first, second = trained
    found = _runs(uri)
    names = {frozenset(found["by_id"][r.run_id].data.params) for r in (*first, *second)}
    assert len(names) == 1
    (params,) = names
    assert {"config.split.valid_start", "split.valid_start", "model.num_leaves", "tiers.cutoffs", "run.output",
            "domain.combination", "data.features"} <= params
    assert not any(p.startswith("generic.") for p in params)
    food = found["by_id"][first[2].run_id].data.params
    assert food["run.output"] == "food" and food["domain.combination"] != "none"


def test_runs_carry_a_description_and_a_model_card(trained, tmp_path):
    import mlflow

    root, uri, first, _ = trained
    found = _runs(uri)
    generic = found["by_id"][first[0].run_id]
    note = generic.data.tags["mlflow.note.content"]
    assert note.startswith("**credit_risk_generic** — Generic risk model: LightGBM on ")
    assert "labelled rows from" in note and "test_auc = " in note
    mlflow.set_tracking_uri(uri)
    card = Path(mlflow.artifacts.download_artifacts(run_id=generic.info.run_id, artifact_path="model_card.md",
                                                    dst_path=str(tmp_path))).read_text(encoding="utf-8")
    for section in ("# Model card: credit_risk_generic", "## Data", "## Features", "## Metrics", "## Intended use",
                    "## Limits", "## Fairness by group", "## Environment"):
        assert section in card, section
    assert "| region |" in card and "population-weighted" in card
    mv = found["client"].get_model_version("credit_risk_generic", str(first[0].version))
    assert mv.description.startswith("# Model card: credit_risk_generic")
    assert "build_features" in found["client"].get_registered_model("credit_risk_generic").description


def test_pyfunc_model_has_signature_input_example_and_installable_requirements(trained, tmp_path):
    import importlib.metadata as md

    import mlflow
    import yaml

    root, uri, *_ = trained
    mlflow.set_tracking_uri(uri)
    local = Path(mlflow.artifacts.download_artifacts("models:/credit_risk_generic@champion", dst_path=str(tmp_path)))
    meta = mlflow.models.Model.load(str(local / "MLmodel"))
    types = {c["name"]: c["type"] for c in meta.get_input_schema().to_dict()}
    bundle, *_ = resolve_model("models:/credit_risk_generic@champion", uri, tmp_path / "cache")
    categorical = {i.name for i in bundle.feature_info if i.categorical}
    assert categorical and all(types[c] == "any" for c in categorical)  # pandas category and text both pass
    assert types["annual_report_missing_3y"] == "double"
    assert [c["name"] for c in meta.get_output_schema().to_dict()][:3] == ["probability", "model_tier", "tier"]
    assert meta.get_params_schema().to_dict()[0]["name"] == "reasons"
    assert meta.load_input_example(str(local)) is not None
    pins = [line.strip() for line in (local / "requirements.txt").read_text().splitlines() if line.strip()]
    assert pins and not any(line.lower().startswith(("credit-risk", "credit_risk")) for line in pins)
    for pin in pins:  # every pin is what is installed here, so it installs
        if "==" in pin:
            name, version = pin.split("==")
            assert md.version(name) == version, pin
    assert yaml.safe_load((local / "MLmodel").read_text())["flavors"]["python_function"]["loader_module"] == "credit_risk.tracking"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pandas 4 deprecations inside MLflow's evaluator
def test_mlflow_models_evaluate_runs_on_the_registered_model(trained):
    import mlflow
    from sklearn.metrics import roc_auc_score

    from credit_risk.features import build_features
    from credit_risk.labels import inspection_outcome
    from credit_risk.scoring import bundle_feature_spec
    from credit_risk.tracking import evaluation_metrics

    root, uri, *_ = trained
    bundle, *_ = resolve_model("models:/credit_risk_generic@champion", uri, root / "eval-cache")
    ds = load_dataset(SAMPLE)
    labels = inspection_outcome(ds)
    rows = labels.cutoffs.index[-400:]
    fm = build_features(ds, labels.cutoffs.loc[rows].reset_index(drop=True), bundle_feature_spec(bundle))
    data = fm.X.assign(label=np.asarray(labels.y)[rows])
    mlflow.set_tracking_uri(uri)
    with mlflow.start_run(run_name="evaluate"):
        result = mlflow.models.evaluate("models:/credit_risk_generic@champion", data, targets="label",
                                        predictions="probability", extra_metrics=evaluation_metrics())
    p = bundle.model.generic.predict_proba(fm.X[list(bundle.model.generic.feature_names_in_)])[:, 1]
    assert result.metrics["auc"] == pytest.approx(roc_auc_score(data["label"], p))
    assert 0 < result.metrics["brier"] < 0.25 and 0 < result.metrics["ks"] <= 1


def test_score_writes_csv_when_out_ends_in_csv(trained, tmp_path):
    root, *_ = trained
    model, sha = _generic(root)
    out = tmp_path / "scores.csv"
    assert main(["score", "--model", model, "--sha256", sha, "--data", str(SAMPLE), "--as-of", "2026-01-01",
                 "--out", str(out), "--quiet"]) == 0
    assert out.read_bytes()[:4] != b"PAR1"
    frame = pd.read_csv(out, dtype={"credit_code": str})
    assert {"credit_code", "probability", "tier", "reason_1_text"} <= set(frame.columns)
    assert frame["credit_code"].is_unique and set(frame["tier"]) <= {"A", "B", "C", "D"}
    assert not [p.name for p in tmp_path.iterdir() if "parquet" in p.name]  # no Parquet left beside it
    assert (tmp_path / "runs").is_dir()  # the run record, as for a Parquet output
