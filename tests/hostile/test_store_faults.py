"""Faults in the model store and the outputs (issue 12 items 1, 2, 7, 8–12, 16).

One test per case; each matches the message the user sees. Fault tests use tiny models and
tiny data so that each takes seconds.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_risk.atomic import atomic_path, check_writable, write_csv, write_parquet, write_text
from credit_risk.chunked import write_chunked
from credit_risk.exceptions import CreditRiskError, OutputError


def _compute(start: int, stop: int) -> pd.DataFrame:
    return pd.DataFrame({"row": np.arange(start, stop, dtype=np.int64), "score": np.arange(start, stop) / 10.0})


# --- item 7: disk full, read-only or forbidden output ------------------------------------------


def _failing(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (errno.ENOSPC, r"No space left on device \(ENOSPC\); free space on that file system"),
        (errno.EROFS, r"Read-only file system \(EROFS\); the file system is read-only; write to a writable folder"),
        (errno.EACCES, r"Permission denied \(EACCES\); you lack permission to write there"),
    ],
)
def test_write_fault_inside_the_writer_is_a_clean_error(tmp_path, monkeypatch, code, says):
    target = tmp_path / "out.txt"
    monkeypatch.setattr(Path, "write_text", _failing(code))
    with pytest.raises(OutputError, match=rf"cannot write {target}: {says}"):
        write_text(target, "x")
    assert not target.exists() and list(tmp_path.iterdir()) == []  # no temporary left behind


def test_read_only_folder_is_a_clean_error(tmp_path, monkeypatch):
    # Running as root ignores chmod, so the read-only file system is simulated at os level.
    target = tmp_path / "ro" / "out.parquet"
    monkeypatch.setattr("tempfile._os.open", _failing(errno.EROFS))
    with pytest.raises(OutputError, match=r"cannot write .*out.parquet: Read-only file system \(EROFS\)"):
        write_parquet(pd.DataFrame({"a": [1]}), target)


def test_disk_full_from_pyarrow_is_a_clean_error(tmp_path, monkeypatch):
    # pyarrow reports ENOSPC as an OSError whose errno is only in the message.
    def full(self, path, **kwargs):
        raise OSError("[Errno 28] Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    with pytest.raises(OutputError, match=r"cannot write .*scores.parquet: No space left on device \(ENOSPC\)"):
        write_parquet(pd.DataFrame({"a": [1]}), tmp_path / "scores.parquet")
    assert list(tmp_path.iterdir()) == []


def test_output_error_is_a_credit_risk_error_and_an_os_error():
    assert issubclass(OutputError, CreditRiskError) and issubclass(OutputError, OSError)


def test_unusable_output_is_refused_before_any_work(tmp_path, monkeypatch):
    calls = []

    def compute(start, stop):
        calls.append(start)
        return _compute(start, stop)

    monkeypatch.setattr("tempfile._os.open", _failing(errno.ENOSPC))
    with pytest.raises(OutputError, match="No space left on device"):
        write_chunked(100, compute, tmp_path / "scores.parquet", chunk_size=10, fingerprint="x")
    assert calls == []


def test_output_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / "scores.parquet").mkdir()
    with pytest.raises(OutputError, match=r"scores.parquet is an existing folder; give a file path"):
        check_writable(tmp_path / "scores.parquet")


def test_other_os_errors_are_not_disguised(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "x.txt"):
        open(tmp_path / "missing" / "input.txt")  # noqa: SIM115 - a read error inside the block


# --- item 16 (assembly part): a killed writer's hidden temporary is cleaned next time ----------


def test_temporary_of_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    import subprocess
    import sys

    # A process that dies holding a temporary (as kill -9 during assembly would leave it).
    code = (
        "import os, sys\n"
        "from credit_risk.atomic import atomic_path\n"
        f"with atomic_path({str(tmp_path / 'scores.parquet')!r}) as tmp:\n"
        "    tmp.write_bytes(b'half')\n"
        "    os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".scores.parquet.") and left[0].endswith(".tmp")
    write_chunked(10, _compute, tmp_path / "scores.parquet", chunk_size=5, fingerprint="x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.parquet"]


def test_temporary_of_a_live_writer_is_kept(tmp_path):
    live = tmp_path / f".scores.parquet.{os.getppid()}.abcd.tmp"
    live.write_bytes(b"in progress")
    write_text(tmp_path / "scores.parquet", "x")
    assert live.exists()


# --- item 11: score --out X never deletes an unrelated X.parts/ ---------------------------------


def test_unrelated_parts_folder_is_left_untouched(tmp_path):
    parts = tmp_path / "scores.parquet.parts"
    parts.mkdir()
    (parts / "thesis.docx").write_bytes(b"years of work")
    with pytest.raises(OutputError, match=r"scores.parquet.parts exists but was not written by credit_risk .*thesis.docx.*left untouched"):
        write_chunked(10, _compute, tmp_path / "scores.parquet", chunk_size=5, fingerprint="x")
    assert (parts / "thesis.docx").read_bytes() == b"years of work"


def test_parts_folder_with_a_foreign_manifest_is_left_untouched(tmp_path):
    parts = tmp_path / "scores.parquet.parts"
    parts.mkdir()
    (parts / "manifest.json").write_text('{"project": "someone else"}')
    with pytest.raises(OutputError, match="no credit_risk.chunked/1 manifest"):
        write_chunked(10, _compute, tmp_path / "scores.parquet", chunk_size=5, fingerprint="x")
    assert (parts / "manifest.json").exists()


def test_our_parts_folder_with_a_stranger_inside_is_not_deleted(tmp_path):
    out = tmp_path / "scores.parquet"

    def crashing(start, stop):
        if start >= 5:
            raise RuntimeError("boom")
        return _compute(start, stop)

    with pytest.raises(RuntimeError):
        write_chunked(10, crashing, out, chunk_size=5, fingerprint="x")
    (tmp_path / "scores.parquet.parts" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="notes.txt"):
        write_chunked(10, _compute, out, chunk_size=5, fingerprint="x")
    assert (tmp_path / "scores.parquet.parts" / "notes.txt").exists()


def test_empty_parts_folder_of_a_killed_run_is_reused(tmp_path):
    (tmp_path / "scores.parquet.parts").mkdir()
    write_chunked(10, _compute, tmp_path / "scores.parquet", chunk_size=5, fingerprint="x")
    assert not (tmp_path / "scores.parquet.parts").exists()


def test_parts_of_the_previous_manifest_format_are_still_ours(tmp_path):
    parts = tmp_path / "scores.parquet.parts"
    parts.mkdir()
    (parts / "manifest.json").write_text(json.dumps({"fingerprint": "old", "chunk_size": 5, "n_rows": 10}))
    write_parquet(_compute(0, 5).assign(score=-1.0), parts / "part-000000.parquet")
    write_chunked(10, _compute, tmp_path / "scores.parquet", chunk_size=5, fingerprint="x")
    assert (pd.read_parquet(tmp_path / "scores.parquet")["score"] >= 0).all()
    assert not parts.exists()


# --- item 12: formula injection in published CSV -------------------------------------------------


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://evil.example/?x","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_cells_are_escaped_in_csv(tmp_path, cell):
    write_csv(pd.DataFrame({"name": [cell, "Acme Foods"], "value": [-1.5, 2.0]}), tmp_path / "x.csv")
    back = pd.read_csv(tmp_path / "x.csv", dtype={"name": str}, keep_default_na=False)
    assert back["name"].tolist() == ["'" + cell, "Acme Foods"]
    assert back["value"].tolist() == [-1.5, 2.0]  # numbers stay numbers


def test_disclosure_escapes_a_hostile_name(tmp_path):
    import dataclasses

    from credit_risk.scheduler import load_policy, plan_inspections, write_plan

    policy = load_policy()
    policy = dataclasses.replace(
        policy, disclosure=dataclasses.replace(policy.disclosure, columns=(*policy.disclosure.columns, "name"))
    )
    hostile = '=HYPERLINK("http://evil.example/?x","click")'
    subjects = pd.DataFrame({"credit_code": ["S1", "S2"], "tier": "D", "region": "330102",
                             "name": [hostile, "Acme"]})
    inspectors = pd.DataFrame({"inspector_id": ["I1", "I2"], "department": "market_regulation",
                               "home_region": "330102", "capacity": 5})
    plan = plan_inspections(subjects, inspectors, policy, period_start="2026-01-01", period_end="2026-07-01", seed=1)
    write_plan(plan, tmp_path)
    text = (tmp_path / "disclosure.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    assert not any(line.startswith(("=", '"=')) or ",=" in line or ',"=' in line for line in text.splitlines())


# --- the model store: registration, kills, concurrency, untrusted pickles -----------------------

CHILD = r"""
import json, os, signal, sys, time
from pathlib import Path

args = json.loads(sys.argv[1])
import mlflow
import mlflow.pyfunc
from mlflow.tracking import MlflowClient

from credit_risk.models import GenericRiskModel
from credit_risk.models.bundle import ModelBundle, new_run_folder, save_bundle
from credit_risk.models.synthetic import toy_feature_matrix
from credit_risk.tracking import ModelRun, log_model_run


def die(*a, **k):
    os.kill(os.getpid(), getattr(signal, args.get("signal", "SIGKILL")))
    time.sleep(5)  # SIGTERM: the handler raises SystemExit here


def after(fn):
    def wrapped(*a, **k):
        out = fn(*a, **k)
        die()
        return out
    return wrapped


step = args.get("kill")
if step == "before_upload":
    mlflow.pyfunc.log_model = die
elif step == "before_version":
    mlflow.register_model = die
elif step == "after_version":
    mlflow.register_model = after(mlflow.register_model)
elif step == "after_alias":
    MlflowClient.set_registered_model_alias = after(MlflowClient.set_registered_model_alias)

fm, y, _ = toy_feature_matrix(300, seed=0)
model = GenericRiskModel(n_estimators=5, num_leaves=args["num_leaves"]).fit(fm, y)
folder = new_run_folder(args["out"], "2026-11-30T12:00:00+00:00") / "toy"
save_bundle(folder / "model.joblib", ModelBundle(model=model, feature_info=fm.info, created_at="t"))
if args.get("go"):
    Path(args["ready"]).touch()
    while not Path(args["go"]).exists():
        time.sleep(0.01)
r = log_model_run(
    ModelRun(name="toy", bundle_dir=folder, input_example=fm.X.head(5).astype({"size_class": str}),
             params={"num_leaves": args["num_leaves"]}, metrics={"test_auc": args["value"]}),
    tracking_uri=args["uri"], data_fingerprint="x", code_version="y",
)
print(json.dumps({"version": r.version, "sha": r.bundle_sha256}))
"""


def _child(tmp_path: Path, **args):
    import subprocess
    import sys

    script = tmp_path / "register_child.py"
    if not script.exists():
        script.write_text(CHILD, encoding="utf-8")
    return subprocess.Popen([sys.executable, str(script), json.dumps(args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "MLFLOW_TRACKING_URI": ""})


def _register(uri: str, out: Path, *, name: str = "toy", num_leaves: int = 7, value: float = 0.7):
    """Train a tiny model and register it, in this process."""
    from credit_risk.models import GenericRiskModel
    from credit_risk.models.bundle import ModelBundle, new_run_folder, save_bundle
    from credit_risk.models.synthetic import toy_feature_matrix
    from credit_risk.tracking import ModelRun, log_model_run

    fm, y, _ = toy_feature_matrix(300, seed=0)
    model = GenericRiskModel(n_estimators=5, num_leaves=num_leaves).fit(fm, y)
    folder = new_run_folder(out, "2026-11-30T12:00:00+00:00") / name
    save_bundle(folder / "model.joblib", ModelBundle(model=model, feature_info=fm.info, created_at="t"))
    return log_model_run(
        ModelRun(name=name, bundle_dir=folder, input_example=fm.X.head(5).astype({"size_class": str}),
                 params={"num_leaves": num_leaves}, metrics={"test_auc": value}),
        tracking_uri=uri, data_fingerprint="x", code_version="y",
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from credit_risk.tracking import local_tracking_uri

    root = tmp_path_factory.mktemp("store")
    uri = local_tracking_uri(root)
    first = _register(uri, root / "models", value=0.7)
    assert first.version == 1 and first.alias_moved
    return root, uri


def _versions(uri: str, name: str = "credit_risk_toy"):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri).search_model_versions(f"name='{name}'")


def _champion_scores(uri: str, cache: Path, name: str = "credit_risk_toy") -> tuple[str, int]:
    """Load the champion the way credit-risk score does; its run's num_leaves must be the bundle's."""
    from mlflow.tracking import MlflowClient

    from credit_risk.scoring import resolve_model

    bundle, _, version, sha = resolve_model(f"models:/{name}@champion", uri, cache)
    mv = MlflowClient(tracking_uri=uri).get_model_version(name, version)
    params = MlflowClient(tracking_uri=uri).get_run(mv.run_id).data.params
    assert params["num_leaves"] == str(bundle.model.num_leaves), "the version holds another run's bundle"
    return version, bundle.model.num_leaves


KILL_STEPS = ("before_upload", "before_version", "after_version", "after_alias")


@pytest.fixture(scope="module")
def killed(store, tmp_path_factory):
    """One registration per step killed there (kill -9; and SIGTERM after the version is created).

    Each runs on its own copy of the store, all at once (a few seconds in all).
    """
    import shutil

    from credit_risk.scoring import resolve_model

    root, uri = store
    work = tmp_path_factory.mktemp("killed")
    before = resolve_model("models:/credit_risk_toy@champion", uri, work / "before").version
    cases = {}
    for i, (step, sig) in enumerate([*((s, "SIGKILL") for s in KILL_STEPS), ("after_version", "SIGTERM")]):
        copy = work / f"{step}-{sig}" / "mlruns"
        copy.mkdir(parents=True)
        shutil.copyfile(Path(uri.removeprefix("sqlite:///")), copy / "mlflow.db")
        copy_uri = f"sqlite:///{copy / 'mlflow.db'}"
        proc = _child(work, uri=copy_uri, out=str(root / "models"), num_leaves=3 + i, value=0.80 + i / 100,
                      kill=step, signal=sig)
        cases[(step, sig)] = (copy_uri, proc, 3 + i)
    results = {}
    for key, (copy_uri, proc, leaves) in cases.items():
        _, err = proc.communicate(timeout=180)
        results[key] = (copy_uri, proc.returncode, err, leaves)
    return before, results


@pytest.mark.parametrize("step", KILL_STEPS)
def test_kill_9_at_a_registration_step_leaves_a_scorable_champion(killed, step, tmp_path):
    before, results = killed
    uri, code, err, leaves = results[(step, "SIGKILL")]
    assert code == -9, f"{step}: the child was not killed: {err[-2000:]}"
    version, got = _champion_scores(uri, tmp_path)
    versions = _versions(uri)
    assert all(len(v.tags.get("bundle_sha256", "")) == 64 for v in versions), f"{step}: a version without its tag"
    if step == "after_alias":  # the alias had moved: the new champion is complete and scores
        assert int(version) == max(int(v.version) for v in versions) and got == leaves
    else:
        assert version == before, f"{step}: the champion moved to a version killed mid-registration"


@pytest.mark.parametrize("step", KILL_STEPS)
def test_run_left_running_by_kill_9_is_failed_by_the_next_registration(killed, step):
    from mlflow.tracking import MlflowClient

    from credit_risk.tracking import _fail_abandoned_runs

    uri = killed[1][(step, "SIGKILL")][0]
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("credit_risk").experiment_id
    running = client.search_runs([exp], filter_string="attributes.status = 'RUNNING'")
    assert len(running) == 1
    assert _fail_abandoned_runs(client, exp) == [running[0].info.run_id]
    assert client.search_runs([exp], filter_string="attributes.status = 'RUNNING'") == []
    run = client.get_run(running[0].info.run_id)
    assert run.info.status == "FAILED" and run.data.tags["credit_risk.ended_by"].startswith("cleanup: process")


def test_sigterm_ends_the_run_failed(killed, tmp_path):
    from mlflow.tracking import MlflowClient

    before, results = killed
    uri, code, err, leaves = results[("after_version", "SIGTERM")]
    assert code == 128 + 15, err[-2000:]
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("credit_risk")
    newest = client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"], max_results=1)[0]
    assert newest.info.status == "FAILED" and newest.data.params["num_leaves"] == str(leaves)
    assert _champion_scores(uri, tmp_path)[0] == before  # the alias did not move to it


def test_champion_without_its_hash_tag_is_replaced(store, tmp_path):
    from mlflow.tracking import MlflowClient

    _, uri = store
    _register(uri, tmp_path / "models", name="old", value=0.9)
    # What the old order (alias, then tags) left after a kill: a champion with no hash tag.
    MlflowClient(tracking_uri=uri).delete_model_version_tag("credit_risk_old", "1", "bundle_sha256")
    with pytest.raises(CreditRiskError, match=r"credit_risk_old v1 carries no bundle_sha256 tag"):
        _champion_scores(uri, tmp_path / "c0", name="credit_risk_old")
    r = _register(uri, tmp_path / "models", name="old", num_leaves=4, value=0.6)  # a worse metric
    assert r.alias_moved and "champion v1 carries no bundle_sha256 tag" in r.decision
    assert _champion_scores(uri, tmp_path / "c1", name="credit_risk_old") == ("2", 4)


def test_two_concurrent_trains_on_a_brand_new_store_never_cross(tmp_path):
    """Same working folder, same brand-new SQLite store, started at the same instant."""
    from credit_risk.tracking import local_tracking_uri

    uri = local_tracking_uri(tmp_path / "fresh")
    go = tmp_path / "go"
    procs = [_child(tmp_path, uri=uri, out=str(tmp_path / "models"), num_leaves=leaves, value=0.7, go=str(go),
                    ready=str(tmp_path / f"ready{leaves}")) for leaves in (7, 15)]
    import time

    deadline = time.time() + 120
    while not all((tmp_path / f"ready{n}").exists() for n in (7, 15)) and time.time() < deadline:
        time.sleep(0.01)  # both have trained and wait at the barrier
    go.touch()
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
        assert "duplicate column name" not in err
    assert sorted(json.loads(o.strip().splitlines()[-1])["version"] for o, _ in outs) == [1, 2]
    from mlflow.tracking import MlflowClient

    from credit_risk.scoring import resolve_model

    client = MlflowClient(tracking_uri=uri)
    for v in ("1", "2"):
        bundle, *_ = resolve_model(f"models:/credit_risk_toy/{v}", uri, tmp_path / f"c{v}")
        run = client.get_run(client.get_model_version("credit_risk_toy", v).run_id)
        assert run.data.params["num_leaves"] == str(bundle.model.num_leaves)
    assert len(list((tmp_path / "models").glob("run-*/toy/model.joblib"))) == 2


def test_store_lock_serialises_the_first_migration(tmp_path):
    import threading

    from credit_risk.tracking import _store_lock

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    order = []
    inside = threading.Event()

    def second():
        inside.wait()
        with _store_lock(uri):
            order.append("second")

    t = threading.Thread(target=second)
    with _store_lock(uri):
        t.start()
        inside.set()
        t.join(0.3)
        order.append("first")
        assert t.is_alive()  # blocked on the lock
    t.join(5)
    assert order == ["first", "second"] and (tmp_path / "mlflow.db.lock").exists()


def test_read_only_store_is_read_without_the_lock(tmp_path, monkeypatch):
    import builtins

    from credit_risk.tracking import _store_lock

    real = builtins.open

    def read_only(path, *args, **kwargs):
        if str(path).endswith(".lock"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", read_only)
    entered = []
    with _store_lock(f"sqlite:///{tmp_path / 'mlflow.db'}"):
        entered.append(True)
    assert entered == [True] and not (tmp_path / "mlflow.db.lock").exists()


def test_bundle_that_changed_after_training_is_not_registered(store, tmp_path):
    from credit_risk.models import GenericRiskModel
    from credit_risk.models.bundle import ModelBundle, save_bundle
    from credit_risk.models.synthetic import toy_feature_matrix
    from credit_risk.tracking import ModelRun, log_model_run

    _, uri = store
    fm, y, _ = toy_feature_matrix(300, seed=0)
    folder = tmp_path / "toy"
    save_bundle(folder / "model.joblib", ModelBundle(model=GenericRiskModel(n_estimators=3).fit(fm, y),
                                                     feature_info=fm.info, created_at="t"))
    run = ModelRun(name="toy", bundle_dir=folder, input_example=fm.X.head(5), metrics={"test_auc": 0.5},
                   bundle_sha256="0" * 64)
    with pytest.raises(CreditRiskError, match=r"another process overwrote it; give each training run its own --out"):
        log_model_run(run, tracking_uri=uri, data_fingerprint="x", code_version="y")


# --- items 8, 9: a malicious pickle never runs, by path or by registry ---------------------------


class _Evil:
    """Unpickling this creates the marker file (stands in for arbitrary code)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def _plant(folder: Path, marker: Path, features_from: Path | None = None) -> str:
    """Write a malicious model.joblib and a manifest that vouches for it; return its sha256."""
    import joblib

    from credit_risk.atomic import sha256_file

    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(_Evil(marker), folder / "model.joblib")
    sha = sha256_file(folder / "model.joblib")
    meta = json.loads((features_from / "model.joblib.json").read_text()) if features_from else {"features": []}
    meta["sha256"] = sha
    (folder / "model.joblib.json").write_text(json.dumps(meta), encoding="utf-8")
    return sha


SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _score(model: str, out: Path, *extra: str) -> tuple[int, str]:
    import contextlib
    import io

    from credit_risk.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["score", "--model", model, *extra, "--data", str(SAMPLE), "--as-of", "2026-01-01",
                     "--out", str(out), "--quiet"])
    return code, err.getvalue()


def test_malicious_pickle_by_path_without_a_pin_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    _plant(tmp_path / "evil", marker)
    code, err = _score(str(tmp_path / "evil"), tmp_path / "s.parquet")
    assert code != 0 and "needs its sha256 pinned" in err
    assert not marker.exists()


def test_malicious_pickle_by_path_with_a_good_pin_never_runs(store, tmp_path):
    root, _ = store
    genuine = next((root / "models").glob("run-*/toy"))
    pin = json.loads((genuine / "model.joblib.json").read_text())["sha256"]
    marker = tmp_path / "pwned"
    _plant(tmp_path / "evil", marker, features_from=genuine)
    code, err = _score(str(tmp_path / "evil"), tmp_path / "s.parquet", "--sha256", pin)
    assert code != 0 and "fails its integrity check" in err and "(pinned)" in err
    assert not marker.exists()


def _registered_files(uri: str, name: str, version: str) -> Path:
    """The model folder (MLmodel, data/bundle/…) of a registered version in the local artifact store."""
    from urllib.parse import unquote, urlparse

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    mv = client.get_model_version(name, version)
    model_id = mv.source.removeprefix("models:/")  # MLflow 3: the version's source is its logged model
    folder = Path(unquote(urlparse(client.get_logged_model(model_id).artifact_location).path))
    assert (folder / "MLmodel").exists() and (folder / "data" / "bundle" / "model.joblib").exists()
    return folder


@pytest.mark.parametrize("manifest", ["rewritten", "kept"])
def test_malicious_pickle_in_the_registry_never_runs(store, tmp_path, manifest):
    import mlflow

    from credit_risk.tracking import load_verified_pyfunc

    _, uri = store
    name = f"evil_{manifest}"
    _register(uri, tmp_path / "models", name=name, num_leaves=11, value=0.8)
    model_dir = _registered_files(uri, f"credit_risk_{name}", "1")
    bundle = model_dir / "data" / "bundle"
    marker = tmp_path / "pwned"
    kept = (bundle / "model.joblib.json").read_text()
    _plant(bundle, marker, features_from=bundle)
    if manifest == "kept":
        (bundle / "model.joblib.json").write_text(kept)
    says = "differs from the sha256 recorded in the registry" if manifest == "rewritten" else "fails its integrity check"
    code, err = _score(f"models:/credit_risk_{name}@champion", tmp_path / "s.parquet", "--tracking-uri", uri)
    assert code != 0 and says in err
    with pytest.raises(CreditRiskError, match="differs from the sha256 recorded in the registry|fails its integrity check"):
        load_verified_pyfunc(f"models:/credit_risk_{name}@champion", tracking_uri=uri, dest=tmp_path / "v")
    # MLflow's own loader goes through credit_risk.tracking._load_pyfunc, which checks the pin too.
    mlflow.set_tracking_uri(uri)
    with pytest.raises(CreditRiskError, match="fails its integrity check"):
        mlflow.pyfunc.load_model(f"models:/credit_risk_{name}@champion")
    assert not marker.exists()


def test_rewritten_mlmodel_is_refused_by_the_verified_loader(store, tmp_path):
    """An MLmodel rerouted to a flavour that unpickles a file is refused before loading."""
    import yaml

    from credit_risk.tracking import load_verified_pyfunc

    _, uri = store
    _register(uri, tmp_path / "models", name="rerouted", num_leaves=12, value=0.8)
    model_dir = _registered_files(uri, "credit_risk_rerouted", "1")
    marker = tmp_path / "pwned"
    _plant(model_dir / "data" / "payload", marker)
    spec = yaml.safe_load((model_dir / "MLmodel").read_text())
    spec["flavors"]["python_function"]["loader_module"] = "mlflow.sklearn"
    spec["flavors"]["python_function"]["data"] = "data/payload/model.joblib"
    (model_dir / "MLmodel").write_text(yaml.safe_dump(spec))
    with pytest.raises(CreditRiskError, match="does not load through credit_risk.tracking alone"):
        load_verified_pyfunc("models:/credit_risk_rerouted/1", tracking_uri=uri, dest=tmp_path / "v")
    assert not marker.exists()
