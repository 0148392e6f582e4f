"""MLflow tracking and the model registry — the only module that imports :mod:`mlflow`.

One MLflow run per trained model records its parameters, the full training config as an
artifact, evaluation metrics, plots and tables, the data fingerprint and the code version.
The model is logged as an MLflow pyfunc model (its artifacts are the credit_risk model bundle,
whose sha256 is checked on load) with a signature, and registered as ``credit_risk_<name>``.
The alias (``champion`` by default) moves to the new version only when it beats the current
champion on the configured metric; the run records the decision either way
(tags ``alias_moved`` and ``alias_decision``).

The tracking URI is an argument: the CLI resolves ``--tracking-uri``, then
``MLFLOW_TRACKING_URI``, then the embedded local store :func:`local_tracking_uri`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from credit_risk.exceptions import ModelError

__all__ = [
    "ModelRun",
    "champion_decision",
    "RegistrationResult",
    "download_bundle",
    "local_tracking_uri",
    "log_model_run",
]

logger = logging.getLogger(__name__)

REGISTRY_PREFIX = "credit_risk_"
#: File name of a bundle inside the folder logged as the pyfunc model's artifacts.
BUNDLE_FILE = "model.joblib"


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


def _artifact_root(tracking_uri: str) -> str | None:
    """Artifacts of a local SQLite store live beside the database, not in the working directory."""
    if tracking_uri.startswith("sqlite:///"):
        return (Path(tracking_uri.removeprefix("sqlite:///")).parent / "artifacts").as_uri()
    return None


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


class _BundleModel:
    """Pyfunc wrapper: ``predict`` returns calibrated risk probabilities for a feature frame."""

    def load_context(self, context) -> None:
        from credit_risk.models.bundle import load_bundle

        self.bundle = load_bundle(Path(context.artifacts["bundle"]) / BUNDLE_FILE)

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> np.ndarray:
        return bundle_probability(self.bundle, model_input)


def _python_model():
    import mlflow.pyfunc

    class BundleModel(_BundleModel, mlflow.pyfunc.PythonModel):
        pass

    return BundleModel()


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
    client = MlflowClient(tracking_uri=tracking_uri)
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        exp_id = client.create_experiment(experiment, artifact_location=_artifact_root(tracking_uri))
    else:
        exp_id = exp.experiment_id
    with mlflow.start_run(experiment_id=exp_id, run_name=f"{run.name}") as active:
        mlflow.set_tags(
            {
                "credit_risk.model": run.name,
                "credit_risk.data_fingerprint": data_fingerprint,
                "credit_risk.code_version": code_version,
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
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            for name, text in run.texts.items():
                (tmp_path / name).write_text(text, encoding="utf-8")
                mlflow.log_artifact(str(tmp_path / name), artifact_path="config")
            for name, table in run.tables.items():
                table.to_csv(tmp_path / name, index=False)
                mlflow.log_artifact(str(tmp_path / name), artifact_path="tables")
            for name, fig in run.figures.items():
                fig.savefig(tmp_path / name, dpi=110, bbox_inches="tight")
                mlflow.log_artifact(str(tmp_path / name), artifact_path="plots")
        example = run.input_example.head(5)
        signature = infer_signature(example, np.zeros(len(example), dtype=float))
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=_python_model(),
            artifacts={"bundle": str(run.bundle_dir)},
            signature=signature,
            registered_model_name=registered_name,
            pip_requirements=[f"credit-risk=={_version()}"],
        )
        version = int(info.registered_model_version)
        champion_version, champion_value = _current_champion(client, registered_name, alias, metric)
        moved, decision = champion_decision(
            version=version, value=value, champion_version=champion_version,
            champion_value=champion_value, alias=alias, metric=metric,
            greater_is_better=greater_is_better,
        )
        if moved:
            client.set_registered_model_alias(registered_name, alias, str(version))
        mlflow.set_tags({"alias_moved": str(moved).lower(), "alias_decision": decision})
        client.set_model_version_tag(registered_name, str(version), metric, repr(value))
        manifest = json.loads((run.bundle_dir / f"{BUNDLE_FILE}.json").read_text(encoding="utf-8"))
        # The bundle's hash, pinned where the bundle's own folder cannot change it.
        client.set_model_version_tag(registered_name, str(version), "bundle_sha256", manifest["sha256"])
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
        )


def champion_decision(
    *, version: int, value: float, champion_version: int | None, champion_value: float | None,
    alias: str, metric: str, greater_is_better: bool,
) -> tuple[bool, str]:
    """Whether ``alias`` moves to ``version``, and the sentence the run records.

    A version whose metric is not finite (e.g. NaN AUC on a one-class test slice) never
    becomes champion. A champion without a comparable value (metric changed, or not finite)
    is replaced by a finite new version, and the decision says so.
    """
    shown = f"{metric}={value:.4f}" if math.isfinite(value) else f"{metric}={value}"
    if not math.isfinite(value):
        return False, f"version {version} {shown} is not a finite value: it cannot become {alias}; alias stays"
    if champion_version is None:
        return True, f"no '{alias}' yet: version {version} ({shown}) becomes {alias}"
    if champion_version == version:
        return False, f"version {version} is already {alias}"
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


def _current_champion(client, name: str, alias: str, metric: str) -> tuple[int | None, float | None]:
    """The champion's version and its value of ``metric`` (version tag, else its run's metric)."""
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
            return None, None
        raise
    tag = (mv.tags or {}).get(metric)
    if tag is not None:
        return int(mv.version), float(tag)
    logged = client.get_run(mv.run_id).data.metrics.get(metric) if mv.run_id else None
    return int(mv.version), (float(logged) if logged is not None else None)


def _version() -> str:
    from credit_risk import __version__

    return __version__


def download_bundle(model_uri: str, *, tracking_uri: str, dest: str | Path) -> tuple[Path, dict[str, str]]:
    """Fetch the bundle behind a registry URI such as ``models:/credit_risk_generic@champion``.

    Returns the bundle folder and ``{"name", "version"}`` of the registered model version.
    """
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri=tracking_uri)
    try:
        with _quiet_mlflow():
            # Resolve an alias to one version first, so a concurrent promotion cannot make the
            # bytes downloaded and the version reported disagree.
            meta = _version_meta(client, model_uri)
            pinned = f"models:/{meta['name']}/{meta['version']}"
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=pinned, dst_path=str(dest)))
    except MlflowException as exc:
        raise ModelError(
            f"cannot load model {model_uri!r} from {tracking_uri}: {exc.message}; "
            "check the name and alias (e.g. models:/credit_risk_generic@champion) and the tracking URI"
        ) from None
    found = sorted((local / "artifacts").glob(f"*/{BUNDLE_FILE}"))
    if len(found) != 1:
        raise ModelError(f"{model_uri!r} is not a credit_risk model (no single {BUNDLE_FILE} in its artifacts)")
    bundle = found[0].parent
    registered = meta.get("bundle_sha256", "")
    if not registered:
        raise ModelError(
            f"{meta['name']} v{meta['version']} carries no bundle_sha256 tag, so its bundle cannot be "
            "verified against the registry; register it with credit-risk train"
        )
    stored = json.loads((bundle / f"{BUNDLE_FILE}.json").read_text(encoding="utf-8")).get("sha256", "")
    if registered != stored:
        raise ModelError(
            f"{meta['name']} v{meta['version']}: the bundle's manifest sha256 {stored[:12]}… differs from the "
            f"sha256 recorded in the registry {registered[:12]}…; the artifact was replaced — refusing to load"
        )
    return bundle, meta


def _version_meta(client, model_uri: str) -> dict[str, str]:
    """Registered name and version behind ``models:/name@alias`` or ``models:/name/version``."""
    spec = model_uri.removeprefix("models:/")
    name, _, ref = spec.partition("@") if "@" in spec else spec.partition("/")
    mv = client.get_model_version_by_alias(name, ref) if "@" in spec else client.get_model_version(name, ref)
    return {"name": name, "version": str(mv.version), "bundle_sha256": (mv.tags or {}).get("bundle_sha256", "")}
