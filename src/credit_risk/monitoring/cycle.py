"""One month of the supervision cycle on two scoring runs: monitor, warn, and a report section.

:func:`compare_months` is what the demo runs after scoring: it scores the month before (when
that run is not there yet), records both runs, compares them (:func:`~credit_risk.monitoring.checks.monitor`),
lists the risers (:func:`~credit_risk.monitoring.warning.early_warning`), writes both outputs
and returns a Markdown section for a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from credit_risk.exceptions import ConfigError
from credit_risk.monitoring.checks import MonitorReport, monitor
from credit_risk.monitoring.config import MonitoringConfig, load_monitoring_config
from credit_risk.monitoring.runs import Run, find_run, load_run, record_run
from credit_risk.monitoring.warning import by_region, early_warning, write_warnings

if TYPE_CHECKING:
    from credit_risk.data import CreditDataset
    from credit_risk.store.bundle import ModelBundle

__all__ = ["MonthComparison", "compare_months"]


@dataclass(frozen=True, eq=False)
class MonthComparison:
    """Two recorded runs, what monitor and warn found, where they wrote it, and a Markdown section."""

    reference: Run
    current: Run
    report: MonitorReport
    warnings: pd.DataFrame
    monitor_dir: Path
    warnings_dir: Path
    markdown: str


def compare_months(
    bundle: ModelBundle,
    dataset: CreditDataset,
    *,
    current_scores: str | Path,
    previous_as_of: str | pd.Timestamp,
    out_dir: str | Path,
    model_name: str,
    model_version: str,
    model_sha256: str,
    config: MonitoringConfig | None = None,
) -> MonthComparison:
    """Score the previous month, record both runs, monitor and warn; write under ``out_dir``.

    ``current_scores`` is this month's scores file (from
    :func:`~credit_risk.pipeline.score.score_dataset`; its run record is reused when that call
    wrote it with ``run_history=out_dir/runs``, else rebuilt); the previous month is scored with
    the same model into ``out_dir/scores_<date>.parquet``, its record written by that scoring. Outputs: ``out_dir/runs/`` (run
    records), ``out_dir/monitoring/`` (monitor tables) and ``out_dir/warnings/`` (the warning
    list and the per-region lists).
    """
    from credit_risk.pipeline.score import score_dataset

    config = config if config is not None else load_monitoring_config()
    out = Path(out_dir)
    previous_as_of = pd.Timestamp(previous_as_of)
    # the previous month's record comes from its scoring pass (no second feature build or TreeSHAP
    # pass); this month's is the one its scoring wrote in out_dir/runs, else rebuilt from its scores
    history = out / "runs"
    previous = score_dataset(bundle, dataset, as_of=previous_as_of, out=out / f"scores_{previous_as_of.date()}.parquet",
                             model_name=model_name, model_version=model_version, model_sha256=model_sha256,
                             run_history=history, run_config=config)
    reference = load_run(find_run(history, previous))
    try:
        current = load_run(find_run(history, current_scores))
    except ConfigError:  # scored without run_history=out_dir/runs
        current = load_run(record_run(current_scores, bundle, dataset, model_name=model_name,
                                      model_version=model_version, model_sha256=model_sha256, history=history,
                                      config=config))
    report = monitor(reference, current, dataset=dataset, config=config)
    monitor_dir = out / "monitoring"
    report.write(monitor_dir)
    warnings = early_warning(reference, current, config=config)
    warnings_dir = out / "warnings"
    write_warnings(warnings, warnings_dir)
    return MonthComparison(reference, current, report, warnings, monitor_dir, warnings_dir,
                           _markdown(reference, current, report, warnings, monitor_dir, warnings_dir))


def _markdown(reference: Run, current: Run, report: MonitorReport, warnings: pd.DataFrame,
              monitor_dir: Path, warnings_dir: Path) -> str:
    checks = report.checks.assign(value=report.checks["value"].map(lambda v: f"{v:.4g}" if pd.notna(v) else ""))
    lines = [
        f"## Monitoring: {reference.as_of} → {current.as_of} (监测)",
        "",
        f"Overall verdict: **{report.verdict}**. Tables in `{monitor_dir}`.",
        "",
        "| check | value | verdict | detail |",
        "|---|---|---|---|",
        *[f"| {r.check} | {r.value} | {r.verdict} | {r.detail} |" for r in checks.itertuples(index=False)],
        "",
        *[f"- {n}" for n in report.notes],
        "",
        "## Early warning (预警)",
        "",
        f"{len(warnings):,} subject(s) flagged in {len(by_region(warnings)) if len(warnings) else 0:,} region(s); "
        f"the list and the per-region lists (网格重点走访名单) are in `{warnings_dir}`.",
        "",
    ]
    if len(warnings):
        lines += ["| rank | subject | region | department | tiers | probability | first reason |",
                  "|---|---|---|---|---|---|---|"]
        for r in warnings.head(10).itertuples(index=False):
            lines.append(f"| {r.rank} | {r.credit_code} | {r.region} | {r.department} | "
                         f"{r.tier_reference}→{r.tier_current} | {r.p_reference:.3f}→{r.p_current:.3f} | "
                         f"{r.reason_1_text} / {r.reason_1_text_zh} |")
    return "\n".join(lines) + "\n"
