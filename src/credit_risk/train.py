"""Training runs: labels → point-in-time features → models → bundles → tracked runs.

:func:`train` is what ``credit-risk train`` runs (and what a notebook calls): it builds the
labels and features from a dataset as the training config says, fits and evaluates every
model out of time (:func:`credit_risk.models.training.fit_models`), saves one verified bundle
per model, and — when given a tracking URI — records one MLflow run per model and registers it
(``credit_risk_generic``, ``credit_risk_<domain>``) with the champion rule of
:mod:`credit_risk.tracking`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from credit_risk.config import contained_path, from_mapping, load_yaml
from credit_risk.data import CreditDataset
from credit_risk.exceptions import ConfigError
from credit_risk.features import FeatureMatrix, FeatureSpec, build_features
from credit_risk.features.spec import default_spec_path
from credit_risk.labels import Labels, inspection_outcome
from credit_risk.models.bundle import ModelBundle, save_bundle
from credit_risk.models.domain import load_domain_configs
from credit_risk.models.scorecard import load_scorecard_config
from credit_risk.models.training import TimeSplit, TrainedModels, fit_models, load_model_params
from credit_risk.tiers import load_tier_config
from credit_risk.tracking import BUNDLE_FILE, ModelRun

__all__ = [
    "TrainConfig",
    "TrainingResult",
    "default_train_config_path",
    "load_train_config",
    "train",
    "train_and_track",
    "truth_for_cutoffs",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelConfig:
    target: Literal["inspection_outcome"] = "inspection_outcome"
    start: str | None = None
    end: str | None = None
    weight: Literal["inverse_draw_probability", "none"] = "inverse_draw_probability"
    unreachable: Literal["exclude", "problem"] = "exclude"


@dataclass(frozen=True)
class SplitConfig:
    valid_start: str | None = None
    test_start: str | None = None
    valid_fraction: float = 0.2
    test_fraction: float = 0.2


@dataclass(frozen=True)
class TrackingConfig:
    experiment: str = "credit_risk"
    alias: str = "champion"
    metric: str = "test_auc"
    greater_is_better: bool = True


@dataclass(frozen=True)
class TrainConfig:
    """``configs/train.yaml``: label, features, domains, tiers, scorecard, model, split, tracking.

    ``features``, ``domains_dir``, ``tiers``, ``scorecard`` and ``model`` are paths to the other
    configs, relative to the training config's folder (None: the packaged default).
    """

    label: LabelConfig = field(default_factory=LabelConfig)
    features: str | None = None
    domains: tuple[str, ...] = ()
    domains_dir: str | None = None
    tiers: str | None = None
    scorecard: str | None = None
    model: str | None = None
    split: SplitConfig = field(default_factory=SplitConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    base_dir: str = field(default=".", metadata={"config": False})  # set by load_train_config

    def path(self, value: str | None, *, directory: bool = False) -> Path | None:
        """A path relative to the config's folder and kept inside it, or None for the packaged default."""
        return None if value is None else contained_path(self.base_dir, value, f"training config in {self.base_dir}", directory=directory)


def default_train_config_path() -> Path:
    return Path(__file__).resolve().parent / "configs" / "train.yaml"


def load_train_config(path: str | Path | None = None) -> tuple[TrainConfig, str]:
    """Load and validate a training config; return it and its text (logged as an artifact)."""
    path = Path(path) if path is not None else default_train_config_path()
    raw = load_yaml(path)
    if isinstance(raw, dict) and "base_dir" in raw:
        raise ConfigError(f"{path}: unknown key(s) ['base_dir']; paths are relative to the config file")
    config = replace(from_mapping(TrainConfig, raw, where=str(path)), base_dir=str(path.resolve().parent))
    return config, path.read_text(encoding="utf-8")


@dataclass(eq=False)
class TrainingResult:
    """What :func:`train` produced: the models, their bundles and the data they saw."""

    trained: TrainedModels
    labels: Labels
    features: FeatureMatrix
    bundles: dict[str, Path]
    spec_text: str


def _labels_table(dataset: CreditDataset, labels: Labels, domains: list[str], label_columns: dict[str, str]) -> pd.DataFrame:
    """Generic label ``y`` plus one column per domain: the outcome of that domain's inspections, else NaN."""
    frame = labels.cutoffs.copy()
    frame["y"] = labels.y
    frame["sample_weight"] = labels.sample_weight
    record_ids = labels.meta.get("record_ids")
    if domains and record_ids is None:
        raise ConfigError("domain labels need the inspections' record ids in the labels' meta")
    if domains:
        domain_of = dataset.records.set_index("record_id")["domain"].astype(object)
        of_row = domain_of.reindex(record_ids).to_numpy()
        for name in domains:
            frame[label_columns[name]] = np.where(of_row == name, labels.y.astype(float), np.nan)
    return frame


def truth_for_cutoffs(truth: pd.DataFrame, cutoffs: pd.DataFrame) -> pd.DataFrame:
    """Align a monthly ground-truth table (synthetic data only) to cutoffs by the month of ``as_of``.

    Used only to report the oracle AUC; the truth never becomes a feature.
    """
    keys = cutoffs[["credit_code", "as_of"]].copy()
    keys["month"] = keys["as_of"].to_numpy(dtype="datetime64[M]").astype("datetime64[ns]")
    cols = [c for c in truth.columns if c.startswith("latent_risk")]
    t = truth[["credit_code", "month", *cols]].copy()
    t["month"] = pd.to_datetime(t["month"]).astype("datetime64[ns]")
    merged = keys.merge(t, on=["credit_code", "month"], how="left", validate="many_to_one")
    return merged.drop(columns=["month"])


def train(
    dataset: CreditDataset,
    config: TrainConfig,
    *,
    out_dir: str | Path,
    created_at: str,
    truth: pd.DataFrame | None = None,
) -> TrainingResult:
    """Train every model the config declares and save one verified bundle per model.

    Parameters
    ----------
    dataset : CreditDataset
    config : TrainConfig
    out_dir : path
        Bundles are written as ``OUT/<name>/model.joblib`` (+ its ``.json`` manifest).
    created_at : str
        Timestamp recorded in the bundles (the library never reads the clock).
    truth : DataFrame, optional
        Synthetic ground truth (``truth/latent.parquet``) for the oracle AUC only.
    """
    spec_path = config.path(config.features)
    spec = from_mapping(FeatureSpec, load_yaml(spec_path or default_spec_path()), where=str(spec_path or default_spec_path()))
    spec_text = (spec_path or default_spec_path()).read_text(encoding="utf-8")
    all_domains = load_domain_configs(config.path(config.domains_dir, directory=True))
    unknown = [d for d in config.domains if d not in all_domains]
    if unknown:
        raise ConfigError(f"train config: domains {unknown} have no config; available: {sorted(all_domains)}")
    domain_configs = {d: all_domains[d] for d in config.domains}

    lc = config.label
    labels = inspection_outcome(
        dataset, start=lc.start, end=lc.end,
        weight=None if lc.weight == "none" else lc.weight, unreachable=lc.unreachable,
    )
    logger.info("labels: %d inspections, %.1f %% with a problem", len(labels), 100 * labels.y.mean())
    table = _labels_table(dataset, labels, list(domain_configs), {d: c.label for d, c in domain_configs.items()})
    features = build_features(dataset, labels.cutoffs, spec)
    logger.info("features: %d rows × %d features", *features.X.shape)
    trained = fit_models(
        features,
        table,
        enterprises=dataset.enterprises,
        domain_configs=domain_configs,
        tier_config=load_tier_config(config.path(config.tiers)),
        scorecard_config=load_scorecard_config(config.path(config.scorecard)),
        model_params=load_model_params(config.path(config.model)),
        split=TimeSplit(**vars(config.split)),
        truth=None if truth is None else truth_for_cutoffs(truth, labels.cutoffs),
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    common = {
        "feature_spec_yaml": spec_text,
        "train_config": {k: v for k, v in vars(config).items() if k != "base_dir"},
        "label": vars(lc),
    }
    bundles = {}
    generic_path = out / "generic" / BUNDLE_FILE
    save_bundle(
        generic_path,
        ModelBundle(
            model=trained, feature_info=features.info, config={**common, "output": "generic"},
            schema_fingerprint=dataset.schema_fingerprint(), created_at=created_at,
        ),
    )
    bundles["generic"] = generic_path
    for name, model in trained.domains.items():
        path = out / name / BUNDLE_FILE
        save_bundle(
            path,
            ModelBundle(
                model=model, feature_info=features.info, config={**common, "output": name},
                schema_fingerprint=dataset.schema_fingerprint(), created_at=created_at,
            ),
        )
        bundles[name] = path
    return TrainingResult(trained=trained, labels=labels, features=features, bundles=bundles, spec_text=spec_text)


def train_and_track(
    dataset: CreditDataset,
    config: TrainConfig,
    *,
    config_text: str,
    out_dir: str | Path,
    tracking_uri: str,
    created_at: str,
    code_version: str,
    truth_path: str | Path | None = None,
) -> tuple[TrainingResult, list]:
    """:func:`train`, then one tracked, registered MLflow run per model (champion rule applied).

    ``truth_path`` (synthetic data only) is read when it exists, for the oracle AUC.
    """
    from credit_risk.tracking import log_model_run

    truth = pd.read_parquet(truth_path) if truth_path is not None and Path(truth_path).exists() else None
    result = train(dataset, config, out_dir=out_dir, created_at=created_at, truth=truth)
    fingerprint = dataset.fingerprint()
    registrations = [
        log_model_run(
            run, tracking_uri=tracking_uri, experiment=config.tracking.experiment,
            data_fingerprint=fingerprint, code_version=code_version, alias=config.tracking.alias,
            metric=config.tracking.metric, greater_is_better=config.tracking.greater_is_better,
        )
        for run in model_runs(result, config_text=config_text)
    ]
    return result, registrations


def _scalars(prefix: str, values: dict) -> dict[str, float]:
    out = {}
    for key, value in values.items():
        if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
            out[f"{prefix}{key}"] = float(value)
    return out


def _plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as strings (MLflow's schema has no categorical type)."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None).astype("string")
    return out


def model_runs(result: TrainingResult, *, config_text: str) -> list:
    """One :class:`~credit_risk.tracking.ModelRun` per model: params, metrics, plots, tables, config."""
    trained, report = result.trained, result.trained.report
    # MLflow signatures have no categorical type: categorical features travel as strings,
    # which the models map back onto their learned categories.
    example = _plain_dtypes(result.features.X.head(5))
    texts = {"train.yaml": config_text, "features.yaml": result.spec_text}
    metrics = _scalars("test_", report["metrics"]["generic"])
    for name, values in report["metrics"].items():
        if name != "generic":
            metrics.update(_scalars(f"{name}_", {k: values[k] for k in ("auc", "ks", "brier") if k in values}))
    if report.get("oracle_gap") is not None:
        metrics["oracle_gap_auc"] = float(report["oracle_gap"])
        for weighting, (lo, hi) in report.get("oracle_gap_ci", {}).items():
            tag = "population" if weighting.startswith("population") else "inspected"
            metrics[f"oracle_gap_auc_{tag}_ci_low"] = float(lo)
            metrics[f"oracle_gap_auc_{tag}_ci_high"] = float(hi)
    metrics["tiers_increasing"] = float(bool(report["tiers"]["increasing"]))
    for label, share in report["tiers"].get("realised_shares", {}).items():
        metrics[f"tier_{label}_validation_share"] = float(share)
    metrics.update(_scalars("generic_", {k: v for k, v in report["generic_model"].items() if k != "calibration_losses"}))
    tier_table = report["tiers"]["table"]
    for _, row in tier_table.iterrows():
        if "event_rate" in tier_table.columns:
            metrics[f"tier_{row.iloc[0]}_event_rate"] = float(row["event_rate"])
    tables = {
        "tier_table.csv": tier_table,
        "calibration.csv": report["calibration"],
        "groups.csv": report["groups"],
        "backtest.csv": report["backtest"],
        "importance.csv": report["importance"],
        "scorecard_comparison.csv": report["scorecard_comparison"],
        "auc_differences.csv": report["comparisons"],
    }
    figures = {f"{name}.png": fig for name, fig in trained.figures.items()}
    split = report["split"]
    params = {
        **{f"model.{k}": v for k, v in trained.generic.get_params().items()},
        "valid_start": split["valid_start"],
        "test_start": split["test_start"],
        "n_features": len(result.features.info),
        "n_labels": len(result.labels),
        "tier_method": report["tiers"]["method"],
        "tier_cutoffs": report["tiers"]["cutoffs"],
        "calibration_method": report["generic_model"]["calibration_method"],
    }
    runs = [
        ModelRun(
            name="generic", bundle_dir=result.bundles["generic"].parent, input_example=example,
            params=params, metrics=metrics, figures=figures, tables=tables, texts=texts,
        )
    ]
    for name, info in report.get("domains", {}).items():
        dm = {
            "test_auc": info["auc_chosen"],
            "test_auc_generic": info["auc_generic"],
            "beats_generic": float(bool(info["beats_generic"])),
            "events_test": info["events_test"],
            "subjects_test": info["subjects_test"],
        }
        dtables = {"combination_test.csv": info["comparison"], "combination_validation.csv": info["validation"]}
        runs.append(
            ModelRun(
                name=name, bundle_dir=result.bundles[name].parent, input_example=example,
                params={"combination": info["chosen"], **{f"generic.{k}": v for k, v in params.items()}},
                metrics=dm, tables=dtables, texts=texts,
                tags={"credit_risk.domain": name},
            )
        )
    return runs
