"""MLflow tracking and the model registry — the only module that imports :mod:`mlflow`.

A training is one parent run (:func:`log_training`) with one child run per trained model.
Each child records its parameters under one naming scheme (flattened keys: ``config.*`` as
written in train.yaml, ``model.*``, ``split.*``, ``tiers.*``, ``refit.*``, ``data.*``,
``run.output``, ``domain.combination`` — the same names in every run), its headline metrics
as MLflow metrics and every metric with its definition in ``tables/metrics.csv`` (no wall of
one-value charts), the training data as MLflow dataset inputs (one per split: source,
digest, schema, row count), a description and a model card (``model_card.md``, also the
model version's description), plots, tables, the full config, the data fingerprint and the
code version. The experiment opens in MLflow's classic machine-learning view
(``mlflow.experimentKind``).

The model is logged as an MLflow pyfunc model with a signature (categorical features typed
*any*, so the library's own feature table passes), an input example and pip requirements
that install (the library's dependencies pinned; the library itself is installed from its
source, see the model card), and registered as ``credit_risk_<name>``; its ``predict``
returns probability, tiers and reasons (:mod:`credit_risk.store.pyfunc`), and
``mlflow.models.evaluate`` runs on it with :func:`evaluation_metrics`. The alias
(``champion`` by default) moves to the new version only when it beats the current champion
on the configured metric; the run records the decision either way (tags ``alias_moved`` and
``alias_decision``).

An ``http(s)`` tracking server is checked before any work (:func:`check_tracking_server`);
one that stops answering later fails with :class:`~credit_risk.exceptions.TrackingError`
after MLflow's retries, which the CLI bounds (``MLFLOW_HTTP_REQUEST_*``).

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
from credit_risk.store.card import dataset_summary, model_card, run_description
from credit_risk.store.pyfunc import DEFAULT_REASONS, BundlePredictor, output_columns

__all__ = [
    "ModelRun",
    "check_tracking_server",
    "champion_decision",
    "RegistrationResult",
    "download_bundle",
    "load_verified_pyfunc",
    "local_tracking_uri",
    "evaluation_metrics",
    "log_model_run",
    "log_training",
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
        if EXPERIMENT_KIND[0] not in (exp.tags or {}):
            client.set_experiment_tag(exp.experiment_id, *EXPERIMENT_KIND)
        return exp.experiment_id
    try:
        return client.create_experiment(experiment, artifact_location=_artifact_root(tracking_uri),
                                        tags=dict([EXPERIMENT_KIND]))
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
    datasets : mapping of context to DataFrame
        The training data, one frame per split (``train``, ``validation``, ``test``, or one
        ``training`` frame): keys, features and the ``target`` column. Each is logged as an
        MLflow dataset input of the run (source, digest, schema, row count).
    data_source : str
        Where the data came from (the dataset folder), recorded as the datasets' source.
    target : str
        The label column of ``datasets``.
    description : str
        One sentence on what the model is (the run description and the model card start with it).
    headline : sequence of str
        The metrics logged as MLflow metrics (charts); every metric goes to ``tables/metrics.csv``.
        Empty: every metric is logged. The champion metric is always logged.
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
    datasets: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    data_source: str = ""
    target: str = "label"
    description: str = ""
    headline: tuple[str, ...] = ()


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


def _load_pyfunc(data_path: str, model_config: dict | None = None) -> BundlePredictor:
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
    return BundlePredictor(load_bundle(found[0], sha256=pin))


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
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"mlflow\..*")
        # SQLAlchemy 2.1 deprecations raised inside MLflow's SQL store (not our code).
        warnings.filterwarnings("ignore", message=r".*loader strategy is deprecated.*", category=DeprecationWarning)
        yield


#: Experiment tag that makes the MLflow UI open the experiment in its classic machine-learning view.
EXPERIMENT_KIND = ("mlflow.experimentKind", "custom_model_development")
#: Longest parameter value MLflow accepts.
MAX_PARAM_CHARS = 6000


def _flat_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested mappings flattened to dotted keys (``split.valid_start``); values as text (JSON for lists)."""
    out: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat_params(value, prefix=f"{name}."))
        else:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            out[name] = text[:MAX_PARAM_CHARS]
    return out


#: The distributions the library imports at run time: ``[project] dependencies`` of pyproject.toml,
#: by name (tests/store/test_requirements.py keeps the two equal and checks every third-party
#: import of the library is one of them). Kept here, not read from the installed metadata, which
#: an editable install leaves stale until it is reinstalled.
RUNTIME_REQUIREMENTS = ("scikit-learn", "lightgbm", "pandas", "numpy", "mlflow", "joblib", "pyarrow", "pyyaml",
                        "tqdm", "matplotlib", "scipy", "numba", "requests")


def _pip_requirements() -> list[str]:
    """The library's runtime dependencies pinned to the versions installed here — not the library itself.

    ``credit-risk`` is not on the package index under that name, so a requirement on it cannot
    install; the model's environment is these pins plus the library installed from its source
    or wheel without its dependencies (``pip install --no-deps /path/to/credit_risk``), which the
    model card says.
    """
    import importlib.metadata as md

    pins = []
    for name in RUNTIME_REQUIREMENTS:
        try:
            pins.append(f"{name}=={md.version(name)}")
        except md.PackageNotFoundError:  # pragma: no cover - the library imports each of them
            pins.append(name)
    return pins


def _signature(bundle_dir: Path, example: pd.DataFrame, model_set: bool):
    """Input schema from the features as trained (categoricals: any type, so ``category`` and text pass),
    output schema of :class:`~credit_risk.store.pyfunc.BundlePredictor`, and the ``reasons`` parameter."""
    from mlflow.models import ModelSignature
    from mlflow.types.schema import AnyType, ColSpec, ParamSchema, ParamSpec, Schema

    manifest = json.loads(manifest_path(bundle_dir / BUNDLE_FILE).read_text(encoding="utf-8"))
    categorical = {f.get("name") for f in manifest.get("features", []) if f.get("categorical")}
    inputs = []
    for col in example.columns:
        dtype = example[col].dtype
        if col in categorical or not pd.api.types.is_numeric_dtype(dtype):
            spec = ColSpec(AnyType(), col, required=False)
        elif pd.api.types.is_bool_dtype(dtype):
            spec = ColSpec("boolean", col, required=False)
        elif pd.api.types.is_integer_dtype(dtype):
            spec = ColSpec("long", col, required=False)
        else:
            spec = ColSpec("double", col, required=False)
        inputs.append(spec)
    outputs = [ColSpec("double" if c == "probability" else "string", c, required=c in ("probability", "tier"))
               for c in output_columns(model_set)]
    params = ParamSchema([ParamSpec("reasons", "long", DEFAULT_REASONS)]) if model_set else None
    return ModelSignature(inputs=Schema(inputs), outputs=Schema(outputs), params=params)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as text (an input example must serialise to JSON)."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


class _Datasets:
    """MLflow dataset objects of a training's frames, built once and logged on every run that used them.

    The digest is the data fingerprint (sha256 of the tables), the split and the frame's shape and
    columns — computed in microseconds, where MLflow's own digest maps ``type`` over every cell.
    """

    def __init__(self, data_fingerprint: str = "") -> None:
        self._built: dict[tuple[int, str], Any] = {}
        self.data_fingerprint = data_fingerprint

    def get(self, run: ModelRun, context: str, frame: pd.DataFrame):
        import mlflow

        key = (id(frame), context)
        if key not in self._built:
            name = f"{Path(run.data_source).name or 'credit_risk'}-{context}"
            text = json.dumps([self.data_fingerprint, context, frame.shape, [str(c) for c in frame.columns]])
            self._built[key] = mlflow.data.from_pandas(
                frame, source=run.data_source or "credit_risk", name=name,
                targets=run.target if run.target in frame.columns else None,
                digest=hashlib.sha256(text.encode("utf-8")).hexdigest()[:12],
            )
        return self._built[key]


def _log_datasets(run: ModelRun, cache: _Datasets) -> None:
    import mlflow

    for context, frame in run.datasets.items():
        mlflow.log_input(cache.get(run, context, frame), context=context)


def _features_table(bundle_dir: Path) -> pd.DataFrame:
    manifest = json.loads(manifest_path(bundle_dir / BUNDLE_FILE).read_text(encoding="utf-8"))
    cols = ["name", "view", "direction", "categorical", "description", "description_zh"]
    return pd.DataFrame([{c: f.get(c, "") for c in cols} for f in manifest.get("features", [])], columns=cols)


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
    (result,) = log_training([run], tracking_uri=tracking_uri, experiment=experiment,
                             data_fingerprint=data_fingerprint, code_version=code_version, alias=alias,
                             metric=metric, greater_is_better=greater_is_better, parent=False)
    return result


def log_training(
    runs: list[ModelRun],
    *,
    tracking_uri: str,
    experiment: str = "credit_risk",
    data_fingerprint: str,
    code_version: str,
    alias: str = "champion",
    metric: str = "test_auc",
    greater_is_better: bool = True,
    parent: bool = True,
    run_name: str = "training",
) -> list[RegistrationResult]:
    """Log one training: a parent run with one child run per model, each registered (champion rule applied).

    The parent run holds what the models share (the datasets, the config, a description listing
    the models and the registry decisions); each child holds its model's parameters (one naming
    scheme for all: flattened config keys), headline metrics, every metric in
    ``tables/metrics.csv``, plots, tables, the model card, its datasets, and the registered
    pyfunc model. ``parent=False`` logs each model as a top-level run (what
    :func:`log_model_run` does).
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    for run in runs:
        if metric not in run.metrics:
            raise ModelError(
                f"model '{run.name}': the champion metric '{metric}' is not among its metrics "
                f"{sorted(run.metrics)}; set tracking.metric in the training config to one of them"
            )
    with _quiet_mlflow(), _server_failures(tracking_uri):
        mlflow.set_tracking_uri(tracking_uri)
        client = _open_store(tracking_uri, MlflowClient)
        exp_id = _experiment_id(client, experiment, tracking_uri)
        _fail_abandoned_runs(client, exp_id)
        common = dict(mlflow=mlflow, client=client, exp_id=exp_id, tracking_uri=tracking_uri,
                      data_fingerprint=data_fingerprint, code_version=code_version, alias=alias, metric=metric,
                      greater_is_better=greater_is_better, datasets=_Datasets(data_fingerprint))
        with _signals_end_the_run():
            if not parent:
                return [_log_model_run(run, **common) for run in runs]
            with mlflow.start_run(experiment_id=exp_id, run_name=run_name) as top:
                mlflow.set_tags({**_owner_tags(data_fingerprint, code_version), "credit_risk.kind": "training",
                                 "credit_risk.models": ", ".join(r.name for r in runs)})
                if runs:
                    _log_datasets(runs[0], common["datasets"])
                    with tempfile.TemporaryDirectory(prefix="credit_risk_training_") as tmp:
                        for name, text in runs[0].texts.items():
                            (Path(tmp) / name).write_text(text, encoding="utf-8")
                            mlflow.log_artifact(str(Path(tmp) / name), artifact_path="config")
                results = [_log_model_run(run, parent_run_id=top.info.run_id, **common) for run in runs]
                lines = [f"**Training of {len(runs)} model(s)** on `{runs[0].data_source or 'a dataset'}` "
                         f"(data fingerprint `{data_fingerprint[:12]}…`, code `{code_version}`); one child run per "
                         "model:", ""] if runs else []
                lines += [f"- {r.registered_name} v{r.version}: {r.metric} = {r.value:.4f} — {r.decision}" for r in results]
                mlflow.set_tag("mlflow.note.content", "\n".join(lines))
                return results


@contextlib.contextmanager
def _to_debug_log() -> Iterator[None]:
    """What MLflow prints on stderr goes to this module's debug log instead of the user's terminal."""
    import io

    buffer = io.StringIO()
    try:
        with contextlib.redirect_stderr(buffer):
            yield
    finally:
        for line in buffer.getvalue().splitlines():
            if line.strip():
                logger.debug("mlflow: %s", line)


@contextlib.contextmanager
def _server_failures(tracking_uri: str) -> Iterator[None]:
    """A tracking server that stops answering mid-way is a :class:`TrackingError`, not an internal error."""
    if not tracking_uri.lower().startswith(("http://", "https://")):
        yield
        return
    import requests
    from mlflow.exceptions import MlflowException

    try:
        yield
    except (MlflowException, requests.exceptions.RequestException) as exc:
        raise _tracking_failure(tracking_uri, exc) from None


def _owner_tags(data_fingerprint: str, code_version: str) -> dict[str, str]:
    return {"credit_risk.data_fingerprint": data_fingerprint, "credit_risk.code_version": code_version,
            "credit_risk.pid": str(os.getpid()), "credit_risk.host": socket.gethostname()}


def _headline(run: ModelRun, metric: str) -> dict[str, float]:
    """The metrics logged as MLflow metrics: ``run.headline`` (all when empty) and the champion metric."""
    names = list(run.headline) or list(run.metrics)
    if metric not in names:
        names.append(metric)
    out = {}
    for name in names:
        value = run.metrics.get(name)
        if value is not None and math.isfinite(float(value)):
            out[name] = float(value)
    return out


def _metrics_table(run: ModelRun, headline: Mapping[str, float]) -> pd.DataFrame:
    from credit_risk.store.card import METRIC_DEFINITIONS

    rows = [{"metric": k, "value": float(v) if v is not None else float("nan"), "chart": k in headline,
             "definition": METRIC_DEFINITIONS.get(k, "")} for k, v in sorted(run.metrics.items())]
    return pd.DataFrame(rows, columns=["metric", "value", "chart", "definition"])


def _log_model_run(run: ModelRun, *, mlflow, client, exp_id, tracking_uri, data_fingerprint, code_version, alias,
                   metric, greater_is_better, datasets: _Datasets, parent_run_id: str | None = None
                   ) -> RegistrationResult:
    value = float(run.metrics[metric])
    registered_name = REGISTRY_PREFIX + run.name
    logger.info("logging %s to MLflow and registering it", registered_name)
    with tempfile.TemporaryDirectory(prefix="credit_risk_register_") as tmp:
        tmp_path = Path(tmp)
        # Stage first: the hash pinned in the registry is that of the bytes uploaded.
        staged, sha = _stage_bundle(run, tmp_path / "bundle")
        schema = _input_schema(staged)
        nested = {"nested": True, "parent_run_id": parent_run_id} if parent_run_id else {}
        with mlflow.start_run(experiment_id=exp_id, run_name=f"{run.name}", **nested) as active:
            mlflow.set_tags({
                "credit_risk.model": run.name,
                **_owner_tags(data_fingerprint, code_version),
                SHA_TAG: sha,
                **{str(k): str(v) for k, v in run.tags.items()},
            })
            if run.params:
                mlflow.log_params(_flat_params(run.params))
            headline = _headline(run, metric)
            skipped = sorted(k for k, v in run.metrics.items() if v is None or not math.isfinite(float(v)))
            if skipped:
                logger.info("model %s: metrics %s are not finite and are not logged", run.name, skipped)
            mlflow.log_metrics(headline)
            _log_datasets(run, datasets)
            files = tmp_path / "files"
            files.mkdir()
            for name, text in run.texts.items():
                (files / name).write_text(text, encoding="utf-8")
                mlflow.log_artifact(str(files / name), artifact_path="config")
            tables = {"metrics.csv": _metrics_table(run, headline), **run.tables}
            summary = dataset_summary(run.datasets, run.target)
            if len(summary):
                tables["datasets.csv"] = summary
            for name, table in tables.items():
                escape_formulas(table).to_csv(files / name, index=False)
                mlflow.log_artifact(str(files / name), artifact_path="tables")
            for name, fig in run.figures.items():
                fig.savefig(files / name, dpi=110, bbox_inches="tight")
                mlflow.log_artifact(str(files / name), artifact_path="plots")
            model_set = _bundle_is_model_set(staged)
            example = _plain(run.input_example.head(5))
            # No python_model: MLmodel names this module as loader, so loading the model runs
            # no pickle of MLflow's own, and _load_pyfunc checks the bundle's hash first.
            info = mlflow.pyfunc.log_model(
                name="model",
                loader_module=PYFUNC_LOADER,
                data_path=str(staged),
                signature=_signature(staged, example, model_set),
                input_example=example,
                model_config={SHA_TAG: sha},
                pip_requirements=_pip_requirements(),
            )
            # The version is created with its tags in one registry transaction.
            with _to_debug_log():  # MLflow prints "Successfully registered model …" on stderr
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
            _describe_run(run, client=client, run_id=active.info.run_id, registered_name=registered_name,
                          version=version, summary=summary, headline=headline, data_fingerprint=data_fingerprint,
                          code_version=code_version, staged=staged, decision=decision, files=files)
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


def _bundle_is_model_set(staged: Path) -> bool:
    """Whether the staged bundle is a model set (tiers and reasons), from its manifest's config."""
    manifest = json.loads(manifest_path(staged / BUNDLE_FILE).read_text(encoding="utf-8"))
    return (manifest.get("config") or {}).get("output") == "generic"


def _describe_run(run: ModelRun, *, client, run_id: str, registered_name: str, version: int, summary: pd.DataFrame,
                  headline: Mapping[str, float], data_fingerprint: str, code_version: str, staged: Path,
                  decision: str, files: Path) -> None:
    """The run's description, its ``model_card.md``, and the registry descriptions of model and version."""
    import mlflow

    shown = {k: v for k, v in headline.items() if k in (run.headline or headline)}
    description = run_description(name=run.name, registered_name=registered_name, description=run.description,
                                  summary=summary, headline=shown, data_source=run.data_source)
    card = model_card(
        name=run.name, registered_name=registered_name, description=run.description, summary=summary,
        data_source=run.data_source, data_fingerprint=data_fingerprint, code_version=code_version,
        features=_features_table(staged), headline=shown, groups=run.tables.get("groups.csv"), decision=decision,
    )
    card += ("\n## Environment\n\nThe model's `requirements.txt` pins the library's runtime dependencies as "
             "installed at training (no test or development packages); credit_risk itself is not on the package "
             f"index: `pip install -r requirements.txt`, then install credit_risk {_version()} from its source or "
             "wheel (`pip install --no-deps /path/to/credit_risk`) before `mlflow models serve` or loading the model "
             "elsewhere.\n")
    (files / "model_card.md").write_text(card, encoding="utf-8")
    mlflow.log_artifact(str(files / "model_card.md"))
    mlflow.set_tag("mlflow.note.content", description)
    client.update_model_version(registered_name, str(version), description=card[:5000])
    model = client.get_registered_model(registered_name)
    if not model.description:
        client.update_registered_model(registered_name, description=(
            f"{run.description or registered_name}\n\nPyfunc input: the library's own feature table "
            "(`build_features(...).X`); output: probability" + (", model_tier, tier and the top reasons "
            "(`params={'reasons': k}`)" if _bundle_is_model_set(staged) else "") + ". Each version carries its "
            "model card."))


def evaluation_metrics() -> list:
    """AUC, KS and Brier score as MLflow metrics, for ``mlflow.models.evaluate`` of a credit_risk model.

    The pyfunc model returns a DataFrame (probability, tiers, reasons), so evaluate it with the
    default evaluator on its ``probability`` column and these metrics (unweighted: pass the
    inspected rows; the training report holds the population-weighted figures)::

        mlflow.models.evaluate("models:/credit_risk_generic@champion", data, targets="label",
                               predictions="probability", extra_metrics=evaluation_metrics())
    """
    from mlflow.metrics import MetricValue, make_metric
    from sklearn.metrics import roc_auc_score, roc_curve

    def _arrays(predictions, targets) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(targets, dtype=float), np.asarray(predictions, dtype=float)

    def auc(predictions, targets, metrics=None):
        y, p = _arrays(predictions, targets)
        if len(np.unique(y)) < 2:  # MLflow tries every metric on the first row alone
            return MetricValue(aggregate_results={"auc": float("nan")})
        return MetricValue(aggregate_results={"auc": float(roc_auc_score(y, p))})

    def ks(predictions, targets, metrics=None):
        y, p = _arrays(predictions, targets)
        if len(np.unique(y)) < 2:
            return MetricValue(aggregate_results={"ks": float("nan")})
        fpr, tpr, _ = roc_curve(y, p)
        return MetricValue(aggregate_results={"ks": float(np.max(tpr - fpr))})

    def brier(predictions, targets, metrics=None):
        y, p = _arrays(predictions, targets)
        return MetricValue(aggregate_results={"brier": float(np.mean((p - y) ** 2))})

    return [make_metric(eval_fn=auc, greater_is_better=True, name="auc"),
            make_metric(eval_fn=ks, greater_is_better=True, name="ks"),
            make_metric(eval_fn=brier, greater_is_better=False, name="brier")]


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
