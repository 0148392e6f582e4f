"""Training runs: labels → point-in-time features → models → bundles → tracked runs.

:func:`train` is what ``credit-risk train`` runs (and what a notebook calls): it builds the
labels (a built-in target or your own labels table, :mod:`credit_risk.label_sources`) and
features from a dataset as the training config says, fits and evaluates every model on rows
it did not learn from — out of time, by the labels' split column, or by grouped K-fold
(:func:`credit_risk.pipeline.fit.fit_models`) — refits the saved generic model on all
labelled rows unless ``refit: false``, saves one verified bundle per model, and — when given a tracking URI — records one MLflow run per model and registers it
(``credit_risk_generic``, ``credit_risk_<domain>``) with the champion rule of
:mod:`credit_risk.store.tracking`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from credit_risk.config import contained_path, from_mapping, load_yaml, packaged
from credit_risk.data import CreditDataset
from credit_risk.exceptions import ConfigError
from credit_risk.features import FeatureMatrix, FeatureSpec, build_features
from credit_risk.features.spec import default_spec_path
from credit_risk.label_sources import LabelConfig, training_labels
from credit_risk.labels import Labels
from credit_risk.models.domain import load_domain_configs
from credit_risk.models.generic import load_model_params
from credit_risk.models.scorecard import load_scorecard_config
from credit_risk.models.tiers import load_tier_config
from credit_risk.pipeline.fit import TrainedModels, fit_models
from credit_risk.pipeline.splits import ColumnSplit, GroupedKFold, TimeSplit
from credit_risk.store.bundle import BUNDLE_FILE, ModelBundle, new_run_folder, save_bundle
from credit_risk.store.tracking import ModelRun

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
class SplitConfig:
    """How labelled rows are split (see :mod:`credit_risk.pipeline.splits`).

    ``method``: ``time`` (out of time, by dates or fractions), ``column`` (the labels'
    ``split`` column), ``kfold`` (stratified K-fold grouped by subject or ``group``, out-of-fold
    figures) or ``auto``: ``column`` when the labels have a ``split`` column, ``kfold`` when
    they span fewer than 3 as-of dates, else ``time``. ``refit_before_test`` (time and column
    splits, default true): the test figures come from the generic model refit on train +
    validation with the trees and calibration chosen on validation (false: fitted on train only).
    """

    method: Literal["auto", "time", "column", "kfold"] = "auto"
    valid_start: str | None = None
    test_start: str | None = None
    valid_fraction: float = 0.2
    test_fraction: float = 0.2
    folds: int = 5
    seed: int = 0
    refit_before_test: bool = True

    def resolve(self, table: pd.DataFrame) -> TimeSplit | ColumnSplit | GroupedKFold:
        """The split for a labels table (``auto`` decided by its columns and dates)."""
        method = self.method
        if method == "auto":
            method = ("column" if "split" in table else
                      "kfold" if pd.to_datetime(table["as_of"]).nunique() < 3 else "time")
            logger.info("split: %s (auto)", method)
        if method == "column":
            return ColumnSplit()
        if method == "kfold":
            return GroupedKFold(folds=self.folds, seed=self.seed)
        return TimeSplit(valid_start=self.valid_start, test_start=self.test_start,
                         valid_fraction=self.valid_fraction, test_fraction=self.test_fraction)


@dataclass(frozen=True)
class TrackingConfig:
    experiment: str = "credit_risk"
    alias: str = "champion"
    metric: str = "test_auc"
    greater_is_better: bool = True


@dataclass(frozen=True)
class TrainConfig:
    """``configs/train.yaml``: label, features, domains, tiers, scorecard, model, split, refit, tracking.

    ``features``, ``domains_dir``, ``tiers``, ``scorecard``, ``model`` and ``label.file`` are
    paths to the other configs, relative to the training config's folder (None: the packaged
    default). ``refit`` (default true): the saved generic model is refit on all labelled rows
    after its trees, calibration and tier cut-offs were chosen out of time.
    """

    label: LabelConfig = field(default_factory=LabelConfig)
    features: str | None = None
    domains: tuple[str, ...] = ()
    domains_dir: str | None = None
    tiers: str | None = None
    scorecard: str | None = None
    model: str | None = None
    split: SplitConfig = field(default_factory=SplitConfig)
    refit: bool = True
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    base_dir: str = field(default=".", metadata={"config": False})  # set by load_train_config

    def path(self, value: str | None, *, directory: bool = False) -> Path | None:
        """A path relative to the config's folder and kept inside it, or None for the packaged default."""
        return None if value is None else contained_path(self.base_dir, value, f"training config in {self.base_dir}", directory=directory)


def default_train_config_path() -> Path:
    return packaged("train.yaml")


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
    labels: pd.DataFrame | str | Path | None = None,
) -> TrainingResult:
    """Train every model the config declares and save one verified bundle per model.

    Parameters
    ----------
    dataset : CreditDataset
    config : TrainConfig
    out_dir : path
        Bundles are written as ``OUT/run-<created_at>-<random>/<name>/model.joblib`` (+ its
        ``.json`` manifest), a fresh folder per run (:func:`~credit_risk.store.bundle.new_run_folder`).
    created_at : str
        Timestamp recorded in the bundles (the library never reads the clock).
    truth : DataFrame, optional
        Synthetic ground truth (``truth/latent.parquet``) for the oracle AUC only.
    labels : DataFrame or path, optional
        Your own labels table (``credit_code, as_of, label`` [, ``weight``, ``group``,
        ``split``]; see :mod:`credit_risk.labels_table`), instead of the config's target. With
        one as-of date for all labels the split is grouped K-fold (``split.method: auto``).
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
    user_table = labels
    labels, table = training_labels(
        dataset, lc, table=user_table, file=config.path(lc.file),
        domain_labels={d: c.label for d, c in domain_configs.items()},
    )
    target = "table" if user_table is not None else lc.target
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
        split=config.split.resolve(table),
        truth=None if truth is None else truth_for_cutoffs(truth, labels.cutoffs),
        refit=config.refit,
        refit_before_test=config.split.refit_before_test,
        targeting=target == "inspection_outcome",
        constraints_cost=True,
    )
    trained.report = replace(trained.report, label={"target": target, "rows": len(labels), "positives": int(labels.y.sum())})
    # One fresh folder per training run: two runs sharing out_dir never cross bundles.
    out = new_run_folder(out_dir, created_at)
    common = {
        "feature_spec_yaml": spec_text,
        "train_config": {k: v for k, v in vars(config).items() if k != "base_dir"},
        "label": {**vars(lc), "target": target},
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
    labels: pd.DataFrame | str | Path | None = None,
    data_source: str | Path | None = None,
) -> tuple[TrainingResult, list]:
    """:func:`train`, then one tracked training: a parent MLflow run with one registered child run
    per model (champion rule applied).

    ``truth_path`` (synthetic data only) is read when it exists, for the oracle AUC.
    ``data_source`` (the dataset folder) is recorded as the source of the logged datasets.
    """
    from credit_risk.store.tracking import log_training

    truth = pd.read_parquet(truth_path) if truth_path is not None and Path(truth_path).exists() else None
    result = train(dataset, config, out_dir=out_dir, created_at=created_at, truth=truth, labels=labels)
    fingerprint = dataset.fingerprint()
    registrations = log_training(
        model_runs(result, config_text=config_text, data_source=str(data_source or "")),
        tracking_uri=tracking_uri, experiment=config.tracking.experiment,
        data_fingerprint=fingerprint, code_version=code_version, alias=config.tracking.alias,
        metric=config.tracking.metric, greater_is_better=config.tracking.greater_is_better,
        run_name=f"training {created_at}",
    )
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


def _targeting_metrics(table: pd.DataFrame | None) -> dict[str, float]:
    """``targeting_<metric>`` with ``_ci_low``/``_ci_high`` (MLflow names: ``%`` becomes ``pct``)."""
    out: dict[str, float] = {}
    if table is None:
        return out
    for row in table.to_dict("records"):
        name = "targeting_" + str(row["metric"]).replace("%", "pct")
        out[name] = float(row["value"])
        out[f"{name}_ci_low"] = float(row["ci_low"])
        out[f"{name}_ci_high"] = float(row["ci_high"])
    return out


#: Metrics charted in MLflow (the rest are in the run's tables/metrics.csv).
GENERIC_HEADLINE = ("test_auc", "test_ks", "test_gini", "test_brier", "test_log_loss", "test_event_rate",
                    "oracle_gap_auc", "targeting_capture_at_10pct")
DOMAIN_HEADLINE = ("test_auc", "test_auc_generic")


def training_datasets(result: TrainingResult) -> dict[str, pd.DataFrame]:
    """The labelled rows the models learned from, as logged to MLflow: keys, features, ``label``
    (and ``weight``), one frame per split (``train``/``validation``/``test`` for a time split,
    else one ``training`` frame)."""
    fm = result.features
    frame = pd.concat([fm.keys.reset_index(drop=True), fm.X.reset_index(drop=True)], axis=1)
    frame["label"] = np.asarray(result.labels.y, dtype=np.int64)
    if result.labels.sample_weight is not None:
        frame["weight"] = np.asarray(result.labels.sample_weight, dtype=float)
    split = result.trained.report.split
    if split.get("method") != "time" or not split.get("valid_start") or not split.get("test_start"):
        return {"training": frame}
    as_of = pd.to_datetime(frame["as_of"])
    valid, test = pd.Timestamp(split["valid_start"]), pd.Timestamp(split["test_start"])
    parts = {"train": frame[as_of < valid], "validation": frame[(as_of >= valid) & (as_of < test)],
             "test": frame[as_of >= test]}
    return {k: v.reset_index(drop=True) for k, v in parts.items() if len(v)}


def model_runs(result: TrainingResult, *, config_text: str, data_source: str = "") -> list:
    """One :class:`~credit_risk.store.tracking.ModelRun` per model: params, metrics, plots, tables, config,
    datasets and description. Every run of one training has the same parameter names (flattened keys:
    ``config.*`` as written in train.yaml, ``model.*``, ``split.*`` as resolved, ``tiers.*``, ``refit.*``,
    ``data.*``, ``run.output``, ``domain.combination``)."""
    trained, report = result.trained, result.trained.report
    # The feature table itself (categoricals included) is the pyfunc model's input example.
    example = result.features.X.head(5)
    datasets = training_datasets(result)
    texts = {"train.yaml": config_text, "features.yaml": result.spec_text}
    metrics = _scalars("test_", report.metrics["generic"])
    for name, values in report.metrics.items():
        if name != "generic":
            metrics.update(_scalars(f"{name}_", {k: values[k] for k in ("auc", "ks", "brier") if k in values}))
    if report.oracle_gap is not None:
        metrics["oracle_gap_auc"] = float(report.oracle_gap)
        for weighting, (lo, hi) in report.oracle_gap_ci.items():
            tag = "population" if weighting.startswith("population") else "inspected"
            metrics[f"oracle_gap_auc_{tag}_ci_low"] = float(lo)
            metrics[f"oracle_gap_auc_{tag}_ci_high"] = float(hi)
    metrics["tiers_increasing"] = float(bool(report.tiers["increasing"]))
    for label, share in report.tiers.get("realised_shares", {}).items():
        metrics[f"tier_{label}_validation_share"] = float(share)
    metrics.update(_scalars("generic_", {k: v for k, v in report.generic_model.items() if k != "calibration_losses"}))
    tier_table = report.tiers["table"]
    for _, row in tier_table.iterrows():
        if "event_rate" in tier_table.columns:
            metrics[f"tier_{row.iloc[0]}_event_rate"] = float(row["event_rate"])
    metrics.update(_targeting_metrics(report.targeting))
    constraints = report.constraints or {}
    if constraints:
        metrics["directions_contradicted"] = float(len(constraints["contradicted"]))
    if "cost" in constraints:
        metrics["constraints_auc_cost"] = float(constraints["cost"])
        metrics["constraints_auc_cost_ci_low"], metrics["constraints_auc_cost_ci_high"] = map(float, constraints["cost_ci"])
        metrics["test_auc_unconstrained"] = float(constraints["auc_unconstrained"])
    refit = report.refit
    if refit:
        metrics["refit"] = float(bool(refit["refit"]))
        metrics["refit_rows"] = float(refit["rows"])
    tables = {
        "targeting.csv": report.targeting,
        "directions.csv": constraints.get("directions"),
        "tier_table.csv": tier_table,
        "calibration.csv": report.calibration,
        "groups.csv": report.groups,
        "backtest.csv": report.backtest,
        "importance.csv": report.importance,
        "scorecard_comparison.csv": report.scorecard_comparison,
        "auc_differences.csv": report.comparisons,
    }
    tables = {name: table for name, table in tables.items() if table is not None}
    figures = {f"{name}.png": fig for name, fig in trained.figures.items()}
    split = report.split
    import yaml

    written = yaml.safe_load(config_text) if config_text.strip() else {}
    model_params = report.generic_model.get("params", trained.generic.get_params())
    params = {
        "config": written if isinstance(written, dict) else {},
        "model": {k: v for k, v in model_params.items() if k != "feature_info"},
        "split": {"method": split.get("method", "time"), "valid_start": split.get("valid_start"),
                  "test_start": split.get("test_start")},
        "label": {"target": (report.label or {}).get("target", "inspection_outcome")},
        "data": {"features": len(result.features.info), "labels": len(result.labels),
                 **{f"rows_{k}": len(v) for k, v in datasets.items()}},
        "tiers": {"method": report.tiers["method"], "cutoffs": report.tiers["cutoffs"]},
        "calibration": {"method": report.generic_model["calibration_method"]},
        "refit": {"enabled": bool(refit.get("refit", False)), "rows": refit.get("rows"), "trees": refit.get("trees"),
                  "before_test": bool(refit.get("refit_before_test", False)),
                  "figures_from": refit.get("figures_from", "the out-of-time test slice")},
    }
    n_features = len(result.features.info)
    described = (f"Generic risk model: LightGBM on {n_features} features, calibration "
                 f"{report.generic_model['calibration_method']}, tiers {list(trained.tiers.labels_)} "
                 f"({report.tiers['method']} cut-offs); label: {params['label']['target']}.")
    tags = {
        "credit_risk.refit": str(bool(refit.get("refit", False))).lower(),
        "credit_risk.saved_model": str(refit.get("saved_model", ""))[:500],
        "credit_risk.figures_from": str(refit.get("figures_from", ""))[:500],
        "credit_risk.refit_before_test": str(bool(refit.get("refit_before_test", False))).lower(),
        "credit_risk.directions_contradicted": ", ".join(constraints.get("contradicted", []))[:500],
        **{f"credit_risk.domain_skipped.{name}": str(info.get("reason", ""))[:500]
           for name, info in report.domains.items() if info.get("skipped")},
    }
    common = dict(input_example=example, texts=texts, datasets=datasets, data_source=data_source, target="label")
    runs = [
        ModelRun(
            name="generic", bundle_dir=result.bundles["generic"].parent,
            params={**params, "run": {"output": "generic"}, "domain": {"combination": "none"}},
            metrics=metrics, figures=figures, tables=tables, tags=tags, description=described,
            headline=GENERIC_HEADLINE, **common,
        )
    ]
    for name, info in report.domains.items():
        if info.get("skipped") or name not in result.bundles:
            continue  # reported on the generic run (tag credit_risk.domain_skipped.<name>)
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
                name=name, bundle_dir=result.bundles[name].parent,
                params={**params, "run": {"output": name}, "domain": {"combination": info["chosen"]}},
                metrics=dm, tables=dtables, tags={"credit_risk.domain": name}, headline=DOMAIN_HEADLINE,
                description=(f"{name} domain model ({info['chosen']}) for the subjects of its industries, "
                             "compared with the generic model on the same test subjects."),
                **common,
            )
        )
    return runs
