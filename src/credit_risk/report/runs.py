"""The report each command writes: train, score, plan, monitor, and one from files (``credit-risk report``).

Each function gathers what its step has into :class:`~credit_risk.report.render.ReportInputs` and
writes the page atomically; the caller (the CLI or the demo) chooses the path and passes the clock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from credit_risk.config import from_mapping
from credit_risk.exceptions import ConfigError
from credit_risk.features.spec import FeatureSpec
from credit_risk.report.load import bundle_parts, read_monitoring, read_plan, read_warnings
from credit_risk.report.render import ReportInputs, write_report

__all__ = ["files_report", "monitoring_report", "plan_report", "scoring_report", "training_report"]

logger = logging.getLogger(__name__)


def _spec(text: str | None) -> FeatureSpec | None:
    """The feature spec of a training run (``None``, and the default actionable rules, if it cannot be read alone)."""
    if not text:
        return None
    try:
        return from_mapping(FeatureSpec, yaml.safe_load(text), where="training feature spec")
    except (ConfigError, yaml.YAMLError) as exc:
        logger.info("report: the feature spec is not self-contained (%s); default actionable rules used", exc)
        return None


def _data_facts(dataset) -> dict[str, Any]:
    if dataset is None:
        return {}
    facts: dict[str, Any] = {"subjects": f"{dataset.n_subjects:,}"}
    records = getattr(dataset, "records", None)
    if records is not None and len(records):
        facts["records"] = f"{len(records):,}"
        if "published_on" in records:
            last = pd.to_datetime(records["published_on"]).max()
            if pd.notna(last):
                facts["records_known_until"] = str(last.date())
    return facts


def training_report(result, dataset, path: str | Path, *, created_at: str, registrations: Sequence = (),
                    title: str = "credit_risk — training report") -> Path:
    """The report of a training run (:class:`~credit_risk.pipeline.train.TrainingResult`): the held-out figures
    with their ROC and capture curves, the domain verdicts and the model card."""
    trained = result.trained
    model: dict[str, Any] = {}
    for r in registrations:
        if getattr(r, "registered_name", "").endswith("generic"):
            model = {"name": r.registered_name, "version": r.version, "decision": r.decision}
    if getattr(trained.report, "label", None):
        model["label"] = trained.report.label.get("target")
    inputs = ReportInputs(
        title=title, created_at=created_at, model_report=trained.report, feature_info=tuple(trained.feature_info),
        spec=_spec(result.spec_text), model=model, data=_data_facts(dataset),
        enterprises=getattr(dataset, "enterprises", None),
        notes=[f"bundle {name}: {p}" for name, p in result.bundles.items()],
    )
    return write_report(inputs, path)


def scoring_report(bundle, scores: pd.DataFrame, dataset, path: str | Path, *, created_at: str, model_name: str = "",
                   model_version: str = "", model_sha256: str = "", title: str = "credit_risk — scoring report",
                   notes: Sequence[str] = ()) -> Path:
    """The report of a scoring run: the map, the tier mix, model and final tiers, actionable reasons, and
    the model's training figures carried in its bundle."""
    parts = bundle_parts(bundle, name=model_name, version=model_version, sha256=model_sha256)
    inputs = ReportInputs(title=title, created_at=created_at, **parts, data=_data_facts(dataset), scores=scores,
                          enterprises=getattr(dataset, "enterprises", None), notes=list(notes))
    return write_report(inputs, path)


def plan_report(plan, scores: pd.DataFrame | None, path: str | Path, *, created_at: str,
                title: str = "credit_risk — inspection plan report", notes: Sequence[str] = ()) -> Path:
    """The report of an inspection plan (:class:`~credit_risk.scheduler.InspectionPlan`): its summary by tier,
    department and region, and the map (regions from the plan's frame)."""
    frame = plan.frame
    enterprises = frame[[c for c in ("credit_code", "region", "industry") if c in frame]] if "region" in frame else None
    stats = {"period_start": str(pd.Timestamp(plan.period_start).date()),
             "period_end": str(pd.Timestamp(plan.period_end).date()), "seed": plan.seed, **dict(plan.stats)}
    inputs = ReportInputs(title=title, created_at=created_at, scores=scores, enterprises=enterprises,
                          plan_summary=plan.summary(), plan_stats=stats, notes=list(notes))
    return write_report(inputs, path)


def monitoring_report(checks: pd.DataFrame, runs: tuple[str, ...], path: str | Path, *, created_at: str,
                      snapshot: pd.DataFrame | None = None, warnings: pd.DataFrame | None = None,
                      title: str = "credit_risk — monitoring report", notes: Sequence[str] = ()) -> Path:
    """The report of a monitoring comparison: the checks and their verdicts, the current run's map and
    tiers (from its snapshot), and the early-warning list when there is one."""
    scores = enterprises = None
    if snapshot is not None and {"credit_code", "tier"} <= set(snapshot.columns):
        scores = snapshot[[c for c in ("credit_code", "as_of", "probability", "tier") if c in snapshot]]
        enterprises = snapshot[[c for c in ("credit_code", "region", "industry", "entity_type") if c in snapshot]]
        if "region" not in enterprises:
            enterprises = None
    inputs = ReportInputs(title=title, created_at=created_at, scores=scores, enterprises=enterprises,
                          monitoring=checks, monitoring_runs=runs, warnings=warnings, notes=list(notes))
    return write_report(inputs, path)


def files_report(path: str | Path, *, created_at: str, bundle=None, model_name: str = "", model_version: str = "",
                 model_sha256: str = "", dataset=None, scores: str | Path | None = None,
                 plan: str | Path | None = None, monitor: str | Path | None = None,
                 warnings: str | Path | None = None, title: str = "credit_risk — report") -> Path:
    """A report from what earlier runs wrote (``credit-risk report``): any of a model bundle, a scores
    file, a plan folder, a monitoring folder and an early-warning list."""
    kwargs: dict[str, Any] = {}
    if bundle is not None:
        kwargs.update(bundle_parts(bundle, name=model_name, version=model_version, sha256=model_sha256))
    if scores is not None:
        scores = Path(scores)
        kwargs["scores"] = pd.read_csv(scores) if scores.suffix.lower() == ".csv" else pd.read_parquet(scores)
    if plan is not None:
        kwargs["plan_summary"], kwargs["plan_stats"] = read_plan(plan)
    if monitor is not None:
        kwargs["monitoring"], kwargs["monitoring_runs"] = read_monitoring(monitor)
    if warnings is not None:
        kwargs["warnings"] = read_warnings(warnings)
    if dataset is not None:
        kwargs["data"] = _data_facts(dataset)
        kwargs["enterprises"] = dataset.enterprises
    return write_report(ReportInputs(title=title, created_at=created_at, **kwargs), path)
