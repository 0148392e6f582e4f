"""Gather a report's inputs from what a run wrote: a model bundle, scores, a plan folder, monitoring and warnings.

Each reader takes a path the caller chose and returns what :class:`~credit_risk.report.render.ReportInputs`
holds; a missing optional file is the caller's choice, a present but unreadable one an error that says
which file and what to do.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from credit_risk.exceptions import DataContractError, ModelError

__all__ = ["bundle_parts", "read_monitoring", "read_plan", "read_warnings"]

logger = logging.getLogger(__name__)


def bundle_parts(bundle, *, name: str = "", version: str = "", sha256: str = "") -> dict[str, Any]:
    """``model_report``, ``feature_info``, ``spec`` and the ``model`` facts of a model bundle (or trained models)."""
    from credit_risk.pipeline.score import bundle_feature_spec

    model = getattr(bundle, "model", bundle)
    report = getattr(model, "report", None)
    if report is None:
        raise ModelError(f"model {name or bundle!r} carries no training report; retrain it with credit-risk train "
                         "to get a report")
    spec = None
    try:
        spec = bundle_feature_spec(bundle)
    except (ModelError, AttributeError) as exc:  # an estimator without the stored spec: default actionable rules
        logger.info("report: no feature spec in the bundle (%s); default actionable rules used", exc)
    info = tuple(getattr(bundle, "feature_info", ()) or getattr(model, "feature_info", ()))
    facts = {"name": name, "version": version, "sha256": sha256,
             "trained_at": getattr(bundle, "created_at", ""), "library_version": getattr(bundle, "library_version", "")}
    label = getattr(report, "label", None) or {}
    if label.get("target"):
        facts["label"] = label["target"]
    return {"model_report": report, "feature_info": info, "spec": spec, "model": {k: v for k, v in facts.items() if v}}


def read_plan(folder: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A published plan folder's ``summary.csv`` and its headline figures (period and seed from ``manifest.json``)."""
    folder = Path(folder)
    summary_path = folder / "summary.csv"
    if not summary_path.is_file():
        raise DataContractError(f"plan folder {folder}: summary.csv not found; pass the folder credit-risk plan wrote")
    summary = pd.read_csv(summary_path, dtype={"key": str})
    stats: dict[str, Any] = {}
    manifest = folder / "manifest.json"
    if manifest.is_file():
        m = json.loads(manifest.read_text(encoding="utf-8"))
        for key in ("period_start", "period_end", "seed"):
            if key in m:
                stats[key] = m[key]
        for key, value in (m.get("stats") or {}).items():
            stats[key] = value
    tiers = summary[summary["dimension"] == "tier"]
    if len(tiers):
        stats.setdefault("subjects", int(tiers["subjects"].sum()))
        stats.setdefault("drawn", int(tiers["drawn"].sum()))
    return summary, stats


def read_monitoring(folder: str | Path) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The checks of a monitoring folder (``monitor.json``, else ``checks.csv``) and the runs compared."""
    folder = Path(folder)
    js = folder / "monitor.json"
    if js.is_file():
        m = json.loads(js.read_text(encoding="utf-8"))
        return pd.DataFrame(m.get("checks", [])), tuple(str(m[k]) for k in ("reference", "current") if k in m)
    csv = folder / "checks.csv"
    if csv.is_file():
        return pd.read_csv(csv), ()
    raise DataContractError(f"monitoring folder {folder}: neither monitor.json nor checks.csv found; pass the "
                            "folder credit-risk monitor --out wrote")


def read_warnings(path: str | Path) -> pd.DataFrame:
    """An early-warning list (``warnings.csv``, or the folder that holds it)."""
    path = Path(path)
    if path.is_dir():
        path = path / "warnings.csv"
    if not path.is_file():
        raise DataContractError(f"early-warning list {path} not found; pass warnings.csv written by credit-risk warn")
    return pd.read_csv(path, dtype={"region": str, "credit_code": str})
