"""MLflow tracking and the model registry — the only module that imports :mod:`mlflow`.

One MLflow run per trained model records its parameters, the full training config as an
artifact, evaluation metrics, plots and tables, the data fingerprint and the code version.
The model is logged as an MLflow pyfunc model and registered as ``credit_risk_<name>``; the
alias (``champion`` by default) moves to the new version only when it beats the current
champion on the configured metric; the run records the decision either way (tags
``alias_moved`` and ``alias_decision``).

Registration, in this order, so that a process killed at any step (``kill -9`` included)
leaves a store where the champion still loads:

1. the bundle is copied into a private staging folder and hashed there — the pinned hash is
   that of the exact bytes uploaded — and the copy is logged as the model's data;
2. the model version is created **with** its ``bundle_sha256`` and metric tags in the same
   registry transaction, so no version ever exists without them;
3. only then may the alias move, and only to a version whose ``bundle_sha256`` tag is there;
   a champion without that tag (left by an older release) is replaced by any finite new version.

A run ends FAILED when registration raises or the process gets SIGTERM/SIGHUP/SIGINT; a run
left RUNNING by a process that was killed outright is marked FAILED by the next registration
on the same machine (tags ``credit_risk.pid``/``credit_risk.host`` say whose it is). The first
use of a new local SQLite store creates and migrates it under a file lock
(``mlflow.db.lock``), so two trains on a brand-new store do not race.

What is tamper-evident: the pyfunc model has **no pickled Python object of MLflow's own**
(no ``python_model.pkl``): its ``MLmodel`` names this module as loader
(:func:`_load_pyfunc`), which unpickles the bundle only after its sha256 matches a pin.
:func:`download_bundle` (used by ``credit-risk score --model models:/…``) and
:func:`load_verified_pyfunc` take the pin from the registry tag and refuse an ``MLmodel``
that names any other loader; plain ``mlflow.pyfunc.load_model`` takes the pin from the
``MLmodel`` file itself, which someone able to rewrite the artifact store can rewrite too
(including to point at another flavour that unpickles a file) — so it detects a replaced or
damaged bundle but not a rewrite of the whole model folder.

The tracking URI is an argument: the CLI resolves ``--tracking-uri``, then
``MLFLOW_TRACKING_URI``, then the embedded local store :func:`local_tracking_uri`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import shutil
import signal
import socket
import tempfile
import threading
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from credit_risk.atomic import escape_formulas, process_alive, sha256_file
from credit_risk.exceptions import ModelError, TrackingError
from credit_risk.store.bundle import BUNDLE_FILE, load_bundle, manifest_path

__all__ = [
    "ModelRun",
    "check_tracking_server",
    "champion_decision",
    "RegistrationResult",
    "download_bundle",
    "load_verified_pyfunc",
    "local_tracking_uri",
    "log_model_run",
]

logger = logging.getLogger(__name__)

REGISTRY_PREFIX = "credit_risk_"
#: The pyfunc loader module written into MLmodel (MLflow imports it and calls _load_pyfunc).
#: Registered models name this path, so ``credit_risk.tracking`` stays an alias of this module.
PYFUNC_LOADER = "credit_risk.tracking"
#: Registry tag holding the sha256 of the registered bundle's bytes.
SHA_TAG = "bundle_sha256"
#: Version tag: hash of the data schema and feature names a model was trained on. A champion
#: trained on another schema is not comparable (its metric was measured on other data) and
#: cannot score data of the new schema, so it never blocks a new version.
SCHEMA_TAG = "credit_risk.input_schema"


def bundle_probability(bundle, frame: pd.DataFrame) -> np.ndarray:
    """Calibrated probability from a bundle: the generic model of a model set, or a domain model."""
    bundle.check_features(list(frame.columns))
    model = bundle.model
    X = frame[bundle.feature_names]
    if hasattr(model, "generic") and hasattr(model, "tiers"):  # a TrainedModels model set
        return model.generic.predict_proba(X[list(model.generic.feature_names_in_)])[:, 1]
    return model.predict_proba(X)[:, 1]


def local_tracking_uri(root: str | Path) -> str:
    """The embedded store: a SQLite database under ``ROOT/mlruns`` (no server needed).

    ``mlflow ui --backend-store-uri sqlite:///ROOT/mlruns/mlflow.db`` shows its runs.
    """
    store = Path(root).resolve() / "mlruns"
    store.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{store / 'mlflow.db'}"


def check_tracking_server(tracking_uri: str, *, timeout: float = 5.0) -> None:
    """Refuse, within ``timeout`` seconds, an ``http(s)://`` tracking server that does not answer.

    One plain HTTP request to the server's ``/health`` page, before any work: any HTTP answer
    (even 401 or 404) means the server is there. Other stores (SQLite, file) are not checked.

    Raises
    ------
    TrackingError
        Connection refused, unknown host or no answer within ``timeout`` seconds.
    """
    import urllib.error
    import urllib.request
    from urllib.parse import urlparse

    parsed = urlparse(tracking_uri)
    if parsed.scheme.lower() not in ("http", "https"):
        return
    url = tracking_uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return
    except urllib.error.HTTPError:
        return  # it answered
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TrackingError(
            f"tracking server {tracking_uri} cannot be reached ({reason}; waited at most {timeout:g} s); start it, "
            "correct --tracking-uri or MLFLOW_TRACKING_URI, or unset both to use the local store ./mlruns"
        ) from None


def _tracking_failure(tracking_uri: str, exc: BaseException) -> TrackingError:
    """A clear error for a tracking server that stopped answering (MLflow's retries are exhausted)."""
    message = str(getattr(exc, "message", exc)).split(" (Caused by")[0]
    return TrackingError(
        f"tracking server {tracking_uri} failed: {message[:300]}; check that it runs and answers, or unset "
        "--tracking-uri and MLFLOW_TRACKING_URI to use the local store ./mlruns"
    )


def _artifact_root(tracking_uri: str) -> str | None:
    """Artifacts of a local SQLite store live beside the database, not in the working directory."""
    if tracking_uri.startswith("sqlite:///"):
        return (Path(tracking_uri.removeprefix("sqlite:///")).parent / "artifacts").as_uri()
    return None


@contextlib.contextmanager
def _store_lock(tracking_uri: str) -> Iterator[None]:
    """An exclusive lock on ``<db>.lock`` beside a local SQLite store (no-op for other stores).

    Held while the store is created and migrated and while the champion alias is decided and
    moved, so two processes on one machine never run the first migration at once
    (``duplicate column name``) nor both move the alias from the same old champion.
    """
    if not tracking_uri.startswith("sqlite:///"):
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    db = Path(tracking_uri.removeprefix("sqlite:///"))
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        fh = open(db.with_name(db.name + ".lock"), "a+b")  # noqa: SIM115 - closed below
    except OSError as exc:  # a read-only store can still be read: it needs no migration lock
        logger.debug("no lock beside %s (%s); reading without it", db, exc)
        yield
        return
    with fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _open_store(tracking_uri: str, MlflowClient):
    """A client whose tracking and registry stores exist and are migrated (under the store lock)."""
    from mlflow.exceptions import MlflowException

    with _store_lock(tracking_uri):
        # Creating the client opens the store; touching both stores creates the database and
        # runs MLflow's migrations, once.
        client = MlflowClient(tracking_uri=tracking_uri)
        try:
            client.search_experiments(max_results=1)
            client.search_registered_models(max_results=1)
        except (MlflowException, OSError) as exc:
            if tracking_uri.lower().startswith(("http://", "https://")):
                raise _tracking_failure(tracking_uri, exc) from None
            raise
    return client


def _experiment_id(client, experiment: str, tracking_uri: str) -> str:
    """Get or create the experiment; a concurrent creation by another process is not an error."""
    from mlflow.exceptions import MlflowException

    exp = client.get_experiment_by_name(experiment)
    if exp is not None:
        return exp.experiment_id
    try:
        return client.create_experiment(experiment, artifact_location=_artifact_root(tracking_uri))
    except MlflowException:
        exp = client.get_experiment_by_name(experiment)
        if exp is None:
            raise
        return exp.experiment_id


@dataclass(frozen=True)
class ModelRun:
    """What one trained model contributes to its MLflow run.

    Attributes
    ----------
    name : str
        ``generic`` or a domain name; registered as ``credit_risk_<name>``.
    bundle_dir : Path
        Folder holding the saved model bundle (logged as the pyfunc model's artifacts).
    input_example : DataFrame
        A few rows of features, for the signature.
    params, metrics : mapping
        Flat parameters and numeric metrics (non-finite metrics are skipped and logged).
    figures : mapping of file name to matplotlib Figure
    tables : mapping of file name to DataFrame (logged as CSV)
    texts : mapping of file name to text (e.g. the training config)
    tags : mapping
    bundle_sha256 : str, optional
        The hash of the bundle as its training run wrote it; when given, registration refuses
        a bundle folder whose file no longer has it (overwritten by another process).
    """

    name: str
    bundle_dir: Path
    input_example: pd.DataFrame
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    figures: Mapping[str, Any] = field(default_factory=dict)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    bundle_sha256: str = ""


@dataclass(frozen=True)
class RegistrationResult:
    """Outcome of logging and registering one model."""

    run_id: str
    registered_name: str
    version: int
    metric: str
    value: float
    champion_version: int | None
    champion_value: float | None
    alias_moved: bool
    decision: str
    bundle_sha256: str = ""


class _PyfuncBundle:
    """What :func:`_load_pyfunc` returns: ``predict`` gives calibrated risk probabilities."""

    def __init__(self, bundle) -> None:
        self.bundle = bundle

    def predict(self, model_input: pd.DataFrame, params: dict | None = None) -> np.ndarray:
        return bundle_probability(self.bundle, model_input)


def _load_pyfunc(data_path: str, model_config: dict | None = None) -> _PyfuncBundle:
    """MLflow's entry point for ``mlflow.pyfunc.load_model`` of a credit_risk model.

    Unpickles the bundle under ``data_path`` only after its sha256 matches the pin in
    ``model_config["bundle_sha256"]`` (the registry tag when loaded through
    :func:`load_verified_pyfunc`, else the value written into MLmodel at registration).
    """
    pin = (model_config or {}).get(SHA_TAG)
    if not pin:
        raise ModelError(
            f"credit_risk model at {data_path}: no {SHA_TAG} in its model_config, so its bundle cannot be "
            "verified before unpickling; load it with credit_risk.tracking.load_verified_pyfunc"
        )
    folder = Path(data_path)
    found = sorted(folder.rglob(BUNDLE_FILE)) if folder.is_dir() else [folder]
    if len(found) != 1:
        raise ModelError(f"credit_risk model at {data_path}: expected one {BUNDLE_FILE}, found {len(found)}")
    return _PyfuncBundle(load_bundle(found[0], sha256=pin))


class _BundleModel:
    """Pyfunc wrapper of models registered by credit_risk ≤ 0.x (``python_model.pkl``).

    Kept so that those versions still unpickle; it loads the bundle only with a pin passed as
    ``model_config={"bundle_sha256": …}`` (what :func:`load_verified_pyfunc` does).
    """

    def load_context(self, context) -> None:
        pin = (getattr(context, "model_config", None) or {}).get(SHA_TAG)
        self.bundle = load_bundle(Path(context.artifacts["bundle"]) / BUNDLE_FILE, sha256=pin)

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> np.ndarray:
        return bundle_probability(self.bundle, model_input)


@contextlib.contextmanager
def _quiet_mlflow() -> Iterator[None]:
    """MLflow emits advisory UserWarnings (type hints, serialisation); they are not our errors."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"mlflow\..*")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"mlflow\..*")
        # SQLAlchemy 2.1 deprecations raised inside MLflow's SQL store (not our code).
        warnings.filterwarnings("ignore", message=r".*loader strategy is deprecated.*", category=DeprecationWarning)
        yield


def _flat_params(params: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): json.dumps(v, default=str)[:6000] if not isinstance(v, str) else v[:6000] for k, v in params.items()}


def log_model_run(
    run: ModelRun,
    *,
    tracking_uri: str,
    experiment: str = "credit_risk",
    data_fingerprint: str,
    code_version: str,
    alias: str = "champion",
    metric: str = "test_auc",
    greater_is_better: bool = True,
) -> RegistrationResult:
    """Log ``run`` to MLflow, register its model and move ``alias`` only if it is better.

    Parameters
    ----------
    run : ModelRun
    tracking_uri : str
        Any MLflow tracking URI (local SQLite store, or ``http://host:port`` of a server).
    experiment : str
        Experiment name.
    data_fingerprint, code_version : str
        Recorded as tags (sha256 of the training data; library version and git commit).
    alias, metric, greater_is_better
        The champion rule: the alias moves when ``metric`` of the new version beats the
        champion's (or there is no champion yet).
    """
    import mlflow
    from mlflow.models import infer_signature
    from mlflow.tracking import MlflowClient

    if metric not in run.metrics:
        raise ModelError(
            f"model '{run.name}': the champion metric '{metric}' is not among its metrics "
            f"{sorted(run.metrics)}; set tracking.metric in the training config to one of them"
        )
    value = float(run.metrics[metric])
    registered_name = REGISTRY_PREFIX + run.name
    with _quiet_mlflow():
        return _log_model_run(run, mlflow, infer_signature, MlflowClient, tracking_uri=tracking_uri,
                              experiment=experiment, data_fingerprint=data_fingerprint,
                              code_version=code_version, alias=alias, metric=metric,
                              greater_is_better=greater_is_better, value=value,
                              registered_name=registered_name)


def _log_model_run(run, mlflow, infer_signature, MlflowClient, *, tracking_uri, experiment,
                   data_fingerprint, code_version, alias, metric, greater_is_better, value,
                   registered_name) -> RegistrationResult:
    mlflow.set_tracking_uri(tracking_uri)
    client = _open_store(tracking_uri, MlflowClient)
    exp_id = _experiment_id(client, experiment, tracking_uri)
    _fail_abandoned_runs(client, exp_id)
    with _signals_end_the_run(), tempfile.TemporaryDirectory(prefix="credit_risk_register_") as tmp:
        tmp_path = Path(tmp)
        # Stage first: the hash pinned in the registry is that of the bytes uploaded.
        staged, sha = _stage_bundle(run, tmp_path / "bundle")
        schema = _input_schema(staged)
        with mlflow.start_run(experiment_id=exp_id, run_name=f"{run.name}") as active:
            mlflow.set_tags(
                {
                    "credit_risk.model": run.name,
                    "credit_risk.data_fingerprint": data_fingerprint,
                    "credit_risk.code_version": code_version,
                    "credit_risk.pid": str(os.getpid()),
                    "credit_risk.host": socket.gethostname(),
                    SHA_TAG: sha,
                    **{str(k): str(v) for k, v in run.tags.items()},
                }
            )
            if run.params:
                mlflow.log_params(_flat_params(run.params))
            finite = {k: float(v) for k, v in run.metrics.items() if v is not None and math.isfinite(float(v))}
            skipped = sorted(set(run.metrics) - set(finite))
            if skipped:
                logger.info("model %s: metrics %s are not finite and are not logged", run.name, skipped)
            mlflow.log_metrics(finite)
            files = tmp_path / "files"
            files.mkdir()
            for name, text in run.texts.items():
                (files / name).write_text(text, encoding="utf-8")
                mlflow.log_artifact(str(files / name), artifact_path="config")
            for name, table in run.tables.items():
                escape_formulas(table).to_csv(files / name, index=False)
                mlflow.log_artifact(str(files / name), artifact_path="tables")
            for name, fig in run.figures.items():
                fig.savefig(files / name, dpi=110, bbox_inches="tight")
                mlflow.log_artifact(str(files / name), artifact_path="plots")
            example = run.input_example.head(5)
            signature = infer_signature(example, np.zeros(len(example), dtype=float))
            # No python_model: MLmodel names this module as loader, so loading the model runs
            # no pickle of MLflow's own, and _load_pyfunc checks the bundle's hash first.
            info = mlflow.pyfunc.log_model(
                name="model",
                loader_module=PYFUNC_LOADER,
                data_path=str(staged),
                signature=signature,
                model_config={SHA_TAG: sha},
                pip_requirements=[f"credit-risk=={_version()}"],
            )
            # The version is created with its tags in one registry transaction.
            mv = mlflow.register_model(info.model_uri, registered_name,
                                       tags={SHA_TAG: sha, SCHEMA_TAG: schema, metric: repr(value)})
            version = int(mv.version)
            with _store_lock(tracking_uri):
                champion_version, champion_value, verified, champion_schema = _current_champion(
                    client, registered_name, alias, metric
                )
                moved, decision = champion_decision(
                    version=version, value=value, champion_version=champion_version,
                    champion_value=champion_value, alias=alias, metric=metric,
                    greater_is_better=greater_is_better, champion_verified=verified,
                    schema=schema, champion_schema=champion_schema,
                )
                if moved:
                    _move_alias(client, registered_name, alias, version, sha)
            mlflow.set_tags({"alias_moved": str(moved).lower(), "alias_decision": decision})
            logger.info("%s: %s", registered_name, decision)
            return RegistrationResult(
                run_id=active.info.run_id,
                registered_name=registered_name,
                version=version,
                metric=metric,
                value=value,
                champion_version=champion_version,
                champion_value=champion_value,
                alias_moved=moved,
                decision=decision,
                bundle_sha256=sha,
            )


def _input_schema(staged: Path) -> str:
    """Hash of the training data's schema fingerprint and the feature names, from a staged manifest."""
    manifest = json.loads(manifest_path(staged / BUNDLE_FILE).read_text(encoding="utf-8"))
    names = [f.get("name") for f in manifest.get("features", [])]
    text = json.dumps([manifest.get("schema_fingerprint", ""), names], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stage_bundle(run: ModelRun, dest: Path) -> tuple[Path, str]:
    """Copy the bundle into a private folder and hash the copy; refuse a bundle that changed.

    Returns the staged folder (what is uploaded) and the sha256 of its ``model.joblib``.
    """

    source = Path(run.bundle_dir) / BUNDLE_FILE
    if not source.is_file() or not manifest_path(source).is_file():
        raise ModelError(f"model '{run.name}': no bundle {source} (and its manifest) to register; train it first")
    dest.mkdir(parents=True)
    shutil.copyfile(source, dest / BUNDLE_FILE)
    shutil.copyfile(manifest_path(source), manifest_path(dest / BUNDLE_FILE))
    sha = sha256_file(dest / BUNDLE_FILE)
    try:
        recorded = json.loads(manifest_path(dest / BUNDLE_FILE).read_text(encoding="utf-8"))["sha256"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"model '{run.name}': the manifest of {source} is unreadable ({exc}); retrain") from None
    expected = run.bundle_sha256 or recorded
    if sha != recorded or sha != expected:
        raise ModelError(
            f"model '{run.name}': bundle {source} has sha256 {sha[:12]}… but its training run wrote "
            f"{expected[:12]}… — another process overwrote it; give each training run its own --out "
            "folder and retrain"
        )
    return dest, sha


def _move_alias(client, name: str, alias: str, version: int, sha: str) -> None:
    """Point ``alias`` at ``version`` — only if the version carries the bundle hash registered."""
    tags = client.get_model_version(name, str(version)).tags or {}
    if tags.get(SHA_TAG) != sha:
        raise ModelError(
            f"{name} v{version} does not carry {SHA_TAG}={sha[:12]}… in the registry; it cannot become "
            f"{alias} — the {alias} alias was not moved"
        )
    client.set_registered_model_alias(name, alias, str(version))


@contextlib.contextmanager
def _signals_end_the_run() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception, so that the MLflow run ends FAILED, not RUNNING.

    (SIGINT already raises KeyboardInterrupt; SIGKILL cannot be caught — a run left RUNNING
    that way is failed by the next registration, see :func:`_fail_abandoned_runs`.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = {}
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            previous[sig] = signal.signal(sig, stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _fail_abandoned_runs(client, experiment_id: str) -> list[str]:
    """Mark FAILED the RUNNING runs whose process, on this machine, no longer exists."""
    from mlflow.entities import RunStatus

    host = socket.gethostname()
    failed = []
    for r in client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'", max_results=1000):
        tags = r.data.tags
        pid = tags.get("credit_risk.pid", "")
        if tags.get("credit_risk.host") != host or not pid.isdigit() or process_alive(int(pid)):
            continue
        client.set_tag(r.info.run_id, "credit_risk.ended_by", f"cleanup: process {pid} no longer runs")
        client.set_terminated(r.info.run_id, status=RunStatus.to_string(RunStatus.FAILED))
        failed.append(r.info.run_id)
    if failed:
        logger.warning("marked %d run(s) left RUNNING by killed processes as FAILED: %s", len(failed), failed)
    return failed


def champion_decision(
    *, version: int, value: float, champion_version: int | None, champion_value: float | None,
    alias: str, metric: str, greater_is_better: bool, champion_verified: bool = True,
    schema: str | None = None, champion_schema: str | None = None,
) -> tuple[bool, str]:
    """Whether ``alias`` moves to ``version``, and the sentence the run records.

    A version whose metric is not finite (e.g. NaN AUC on a one-class test slice) never
    becomes champion. A champion without a comparable value (metric changed, or not finite)
    is replaced by a finite new version, and the decision says so; so is a champion that
    carries no ``bundle_sha256`` tag (``champion_verified=False``), since it cannot be scored,
    and so is a champion trained on another data schema or feature set (``schema`` given and
    ``champion_schema`` different or unknown): its metric was measured on other data and it
    cannot score data of the new schema.
    """
    shown = f"{metric}={value:.4f}" if math.isfinite(value) else f"{metric}={value}"
    if not math.isfinite(value):
        return False, f"version {version} {shown} is not a finite value: it cannot become {alias}; alias stays"
    if champion_version is None:
        return True, f"no '{alias}' yet: version {version} ({shown}) becomes {alias}"
    if champion_version == version:
        return False, f"version {version} is already {alias}"
    if not champion_verified:
        return True, (
            f"{alias} v{champion_version} carries no {SHA_TAG} tag, so it cannot be verified or scored; "
            f"version {version} ({shown}) replaces it: alias moved"
        )
    if schema is not None and champion_schema != schema:
        return True, (
            f"{alias} v{champion_version} was trained on another data schema or feature set, so its "
            f"{metric} is not comparable and it cannot score this data; version {version} ({shown}) "
            "replaces it: alias moved"
        )
    if champion_value is None or not math.isfinite(champion_value):
        return True, (
            f"{alias} v{champion_version} has no comparable {metric} ({champion_value}); "
            f"version {version} ({shown}) replaces it: alias moved"
        )
    better = value > champion_value if greater_is_better else value < champion_value
    return better, (
        f"version {version} {shown} {'beats' if better else 'does not beat'} {alias} v{champion_version} "
        f"{metric}={champion_value:.4f}: {'alias moved' if better else 'alias stays'}"
    )


def _current_champion(
    client, name: str, alias: str, metric: str
) -> tuple[int | None, float | None, bool, str | None]:
    """The champion's version, its value of ``metric`` (version tag, else its run's metric),
    whether it carries its ``bundle_sha256`` tag, and its input-schema tag (None if absent)."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import (
        INVALID_PARAMETER_VALUE,
        RESOURCE_DOES_NOT_EXIST,
        ErrorCode,
    )

    try:
        mv = client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        # Only "no such model / alias" means there is no champion; anything else is an error.
        if exc.error_code in (ErrorCode.Name(RESOURCE_DOES_NOT_EXIST), ErrorCode.Name(INVALID_PARAMETER_VALUE)):
            return None, None, True, None
        raise
    tags = mv.tags or {}
    verified = bool(tags.get(SHA_TAG))
    schema = tags.get(SCHEMA_TAG)
    tag = tags.get(metric)
    if tag is not None:
        return int(mv.version), float(tag), verified, schema
    logged = client.get_run(mv.run_id).data.metrics.get(metric) if mv.run_id else None
    return int(mv.version), (float(logged) if logged is not None else None), verified, schema


def _version() -> str:
    from credit_risk import __version__

    return __version__


def _download_model(model_uri: str, *, tracking_uri: str, dest: str | Path) -> tuple[Path, dict[str, str]]:
    """Resolve ``model_uri`` to one version, check it carries its hash tag, download its files."""
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(tracking_uri)
    try:
        with _quiet_mlflow():
            client = _open_store(tracking_uri, MlflowClient)
            # Resolve an alias to one version first, so a concurrent promotion cannot make the
            # bytes downloaded and the version reported disagree.
            meta = _version_meta(client, model_uri)
            if not meta[SHA_TAG]:
                raise ModelError(
                    f"{meta['name']} v{meta['version']} carries no {SHA_TAG} tag, so its bundle cannot be "
                    "verified against the registry; register it with credit-risk train"
                )
            pinned = f"models:/{meta['name']}/{meta['version']}"
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=pinned, dst_path=str(dest)))
    except MlflowException as exc:
        raise ModelError(
            f"cannot load model {model_uri!r} from {tracking_uri}: {exc.message}; "
            "check the name and alias (e.g. models:/credit_risk_generic@champion) and the tracking URI"
        ) from None
    return local, meta


def download_bundle(model_uri: str, *, tracking_uri: str, dest: str | Path) -> tuple[Path, dict[str, str]]:
    """Fetch the bundle behind a registry URI such as ``models:/credit_risk_generic@champion``.

    Returns the bundle folder and ``{"name", "version", "bundle_sha256"}`` of the registered
    model version. Load the bundle with ``load_bundle(folder / BUNDLE_FILE,
    sha256=meta["bundle_sha256"])``: the registry tag is the pin, not the manifest.

    Raises
    ------
    ModelError
        Unknown model or alias, a version without its ``bundle_sha256`` tag, not a credit_risk
        model, or a manifest that disagrees with the registry (the artifact was replaced).
    """
    local, meta = _download_model(model_uri, tracking_uri=tracking_uri, dest=dest)
    found = sorted(local.rglob(BUNDLE_FILE))
    if len(found) != 1:
        raise ModelError(f"{model_uri!r} is not a credit_risk model (no single {BUNDLE_FILE} in its files)")
    bundle = found[0].parent
    registered = meta[SHA_TAG]
    try:
        stored = json.loads(manifest_path(bundle / BUNDLE_FILE).read_text(encoding="utf-8")).get("sha256", "")
    except (OSError, ValueError, AttributeError):
        stored = ""
    if registered != stored:
        raise ModelError(
            f"{meta['name']} v{meta['version']}: the bundle's manifest sha256 {str(stored)[:12]}… differs from the "
            f"sha256 recorded in the registry {registered[:12]}…; the artifact was replaced — refusing to load"
        )
    return bundle, meta


def load_verified_pyfunc(model_uri: str, *, tracking_uri: str, dest: str | Path):
    """``mlflow.pyfunc.load_model`` for a credit_risk registry model, verified first.

    The model's ``MLmodel`` must name :mod:`credit_risk.tracking` as its only loader (no
    pickled ``python_model``, no other flavour, no code files), and the bundle is unpickled
    only after its sha256 matches the registry's ``bundle_sha256`` tag. Models registered by
    older releases (``python_model.pkl``) are refused: re-register them with credit-risk train.

    Raises
    ------
    ModelError
        As :func:`download_bundle`, or the MLmodel names another way to load the model.
    """
    import mlflow
    import yaml

    local, meta = _download_model(model_uri, tracking_uri=tracking_uri, dest=dest)
    try:
        spec = yaml.safe_load((local / "MLmodel").read_text(encoding="utf-8"))
        flavors = spec["flavors"]
        pyfunc = flavors["python_function"]
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise ModelError(f"{model_uri!r}: its MLmodel file is unreadable ({exc}); refusing to load") from None
    allowed = {"loader_module", "data", "env", "python_version", "model_config", "streamable", "code", "config"}
    if (set(flavors) != {"python_function"} or pyfunc.get("loader_module") != PYFUNC_LOADER
            or pyfunc.get("code") or set(pyfunc) - allowed):
        raise ModelError(
            f"{meta['name']} v{meta['version']}: its MLmodel does not load through {PYFUNC_LOADER} alone "
            f"(flavours {sorted(flavors)}, loader {pyfunc.get('loader_module')!r}); it was rewritten or registered "
            "by an older release — refusing to load; re-register it with credit-risk train"
        )
    with _quiet_mlflow():
        return mlflow.pyfunc.load_model(str(local), model_config={SHA_TAG: meta[SHA_TAG]})


def _version_meta(client, model_uri: str) -> dict[str, str]:
    """Registered name and version behind ``models:/name@alias`` or ``models:/name/version``."""
    spec = model_uri.removeprefix("models:/")
    name, _, ref = spec.partition("@") if "@" in spec else spec.partition("/")
    mv = client.get_model_version_by_alias(name, ref) if "@" in spec else client.get_model_version(name, ref)
    return {"name": name, "version": str(mv.version), SHA_TAG: (mv.tags or {}).get(SHA_TAG, "")}
