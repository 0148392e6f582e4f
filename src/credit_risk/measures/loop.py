"""The supervision loop on a dataset: evaluate → act → feedback → repair → re-evaluate.

:func:`run_loop` is what the demo runs after scoring (DOMAIN.md §1.5–1.6):

1. the environmental credit evaluation of the key pollutant-discharging units as of ``start``
   (a year before ``as_of``), written back as ``environmental_rating`` records;
2. measure tasks for every listing and grade pushed from ``start`` on, refreshed monthly up to
   ``as_of`` (idempotent, so each month adds only the new listings);
3. departments' feedback, simulated with a seed (:func:`~credit_risk.measures.simulate.simulate_feedback`);
4. credit repair applications, simulated with a seed two months before ``as_of`` and decided
   against the rules; approved repairs go to the repair log and the dataset is reloaded with it;
5. the tasks of repaired listings are lifted; execution rates per department are computed; and,
   given a scorer, the repaired subjects are re-scored to show the effect of repair on tiers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from credit_risk.atomic import escape_formulas, write_text
from credit_risk.evaluations import (
    evaluate_environment,
    load_environment_rules,
    rating_records,
    with_ratings,
)
from credit_risk.evaluations.ruleset import RuleSet
from credit_risk.measures.config import MeasuresConfig, load_measures
from credit_risk.measures.execution import execution_rate
from credit_risk.measures.feedback import ingest_feedback
from credit_risk.measures.simulate import simulate_feedback
from credit_risk.measures.store import write_tasks
from credit_risk.measures.tasks import update_tasks
from credit_risk.repair import (
    append_to_log,
    apply_repairs,
    decide_repairs,
    load_repair_rules,
    write_repair_log,
)
from credit_risk.repair.rules import RepairRules
from credit_risk.repair.simulate import simulate_applications

__all__ = ["LoopResult", "run_loop", "write_loop"]

logger = logging.getLogger(__name__)

#: ``score(dataset, credit_codes, as_of) -> DataFrame`` with ``credit_code`` and ``tier``.
Scorer = Callable[[object, list, pd.Timestamp], pd.DataFrame]


@dataclass(frozen=True)
class LoopResult:
    """What one turn of the loop produced (tables) and its report section (:meth:`markdown`)."""

    start: pd.Timestamp
    as_of: pd.Timestamp
    seed: int
    dataset: object
    environment: pd.DataFrame
    tasks: pd.DataFrame
    feedback: pd.DataFrame
    decisions: pd.DataFrame
    repair_log: pd.DataFrame
    execution: pd.DataFrame
    tier_effect: pd.DataFrame | None

    @property
    def execution_overall(self) -> float:
        due = int(self.execution["due"].sum())
        return float(self.execution["on_time"].sum() / due) if due else float("nan")

    def figures(self) -> dict[str, float]:
        """Headline numbers for a report's figure list."""
        counts = self.decisions["decision"].value_counts()
        out = {
            "tasks": float(len(self.tasks)),
            "tasks_lifted": float((self.tasks["status"] == "lifted").sum()),
            "execution_rate": self.execution_overall,
            "repairs_approved": float(counts.get("approved", 0)),
            "repairs_rejected": float(counts.get("rejected", 0)),
            "environment_units": float(len(self.environment)),
        }
        if self.tier_effect is not None:
            out["repaired_tier_improved"] = float(self.tier_effect["improved"].sum())
        return out

    def markdown(self) -> str:
        """The report section: environmental levels, tasks, execution rates, repairs, tier effect."""
        levels = self.environment["level"].value_counts().reindex(["green", "blue", "yellow", "red", "black"]).dropna()
        status = self.tasks["status"].value_counts().sort_index()
        counts = self.decisions["decision"].value_counts()
        unmet = (self.decisions.loc[self.decisions["decision"] != "approved", "unmet"].str.split("; ").explode()
                 .map(_rule_name).value_counts().head(8))
        lines = [
            "## Supervision loop: environmental credit, joint punishment tasks, credit repair",
            "",
            f"One turn of the loop from {self.start.date()} to {self.as_of.date()} (departments' feedback and "
            f"repair applications are **simulated** with seed {self.seed}).",
            "",
            f"### Environmental credit evaluation as of {self.start.date()}",
            "",
            f"{len(self.environment):,} key pollutant-discharging units (environmental permit holders), written "
            "back as `environmental_rating` records:",
            "",
            _md_table(pd.DataFrame({"level": levels.index, "units": levels.to_numpy().astype(int)})),
            "",
            f"Vetoes applied (red whatever the points): {int((self.environment['veto'] != '').sum()):,}.",
            "",
            "### Measure tasks (失信联合惩戒 / 守信激励)",
            "",
            f"{len(self.tasks):,} tasks for the listings and grades pushed since {self.start.date()}:",
            "",
            _md_table(pd.DataFrame({"status": status.index, "tasks": status.to_numpy().astype(int)})),
            "",
            f"Execution rate of restrictions (executed on time / due) as of {self.as_of.date()}: "
            f"**{self.execution_overall:.1%}**",
            "",
            _md_table(self.execution.assign(rate=self.execution["rate"].map(
                lambda r: "n/a" if pd.isna(r) else f"{r:.1%}"))),
            "",
            "### Credit repair (信用修复)",
            "",
            f"{len(self.decisions):,} applications: {counts.get('approved', 0):,} approved, "
            f"{counts.get('rejected', 0):,} rejected, {counts.get('not_repairable', 0):,} not repairable. "
            "Most frequent unmet rules:",
            "",
            _md_table(pd.DataFrame({"unmet rule": unmet.index, "applications": unmet.to_numpy().astype(int)})),
            "",
            f"Approved repairs end their records on the decision date (repair log of {len(self.repair_log):,} rows; "
            f"the source records are unchanged); {int((self.tasks['status'] == 'lifted').sum()):,} tasks were "
            "lifted (removals, expiries and repairs), not counted against the departments.",
            "",
        ]
        if self.tier_effect is not None and len(self.tier_effect):
            moves = pd.crosstab(self.tier_effect["tier_before"], self.tier_effect["tier_after"])
            lines += [
                f"Effect of the approved repairs on the repaired subjects' tiers as of {self.as_of.date()} "
                f"({len(self.tier_effect):,} subjects; {int(self.tier_effect['improved'].sum()):,} improved, "
                f"{int(self.tier_effect['worsened'].sum()):,} worsened); rows before, columns after:",
                "",
                _md_table(moves.reset_index().rename(columns={"tier_before": "before \\ after"})),
                "",
            ]
        return "\n".join(lines)


def _rule_name(text: str) -> str:
    """The rule an unmet-rule message names, without its dates and record ids."""
    if text.startswith("obligation not shown"):
        return text
    if text.startswith("minimum period"):
        return "minimum period: " + text.split(": a ", 1)[-1].split(" may be")[0]
    return text.split(":")[0].split(" (")[0]


def _md_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_(none)_"
    cols = [str(c) for c in frame.columns]
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in frame.itertuples(index=False):
        rows.append("| " + " | ".join(f"{v:,}" if isinstance(v, (int, np.integer)) else str(v) for v in rec) + " |")
    return "\n".join(rows)


def run_loop(dataset, *, as_of, seed: int, start=None, measures: MeasuresConfig | None = None,
             repair_rules: RepairRules | None = None, environment_rules: RuleSet | None = None,
             score: Scorer | None = None, application_share: float = 0.3) -> LoopResult:
    """One turn of the supervision loop on ``dataset``; see the module docstring.

    Parameters
    ----------
    dataset : CreditDataset
    as_of : date-like
        The end of the turn (execution rates and tiers as of this date).
    seed : int
        Seeds the simulated feedback and repair applications.
    start : date-like, optional
        When the turn starts (default one year before ``as_of``).
    score : callable, optional
        ``score(dataset, credit_codes, as_of)`` → ``credit_code, tier``; when given, the subjects
        with an approved repair are scored on the dataset without and with the repair log.
    application_share : float
        Share of the repairable records that apply for repair.
    """
    t = pd.Timestamp(as_of).normalize()
    t0 = pd.Timestamp(start).normalize() if start is not None else (t - pd.DateOffset(years=1)).normalize()
    measures = measures if measures is not None else load_measures()
    rules = repair_rules if repair_rules is not None else load_repair_rules()
    env_rules = environment_rules if environment_rules is not None else load_environment_rules()

    environment = evaluate_environment(dataset, t0, env_rules)
    rated = with_ratings(dataset, rating_records(environment, t0)) if len(environment) else dataset
    applied_on = (t - pd.Timedelta(days=60)).normalize()
    applications = simulate_applications(rated, rules, applied_on=applied_on, seed=seed, share=application_share)
    decisions = decide_repairs(rated, applications, rules, source="simulated applications")
    log = append_to_log(None, decisions)
    repaired = apply_repairs(rated, log)
    # monthly runs in date order: before the repairs are decided the log is not known yet
    tasks = None
    months = pd.date_range(t0 + pd.offsets.MonthBegin(1), t, freq="MS")
    for month in [*months[months <= applied_on], applied_on + pd.Timedelta(days=1), *months[months > applied_on], t]:
        tasks = update_tasks(tasks, rated if month <= applied_on else repaired, measures, month, since=t0)
    feedback = simulate_feedback(tasks, t, seed=seed)
    tasks = ingest_feedback(tasks, feedback, source="simulated feedback")
    execution = execution_rate(tasks, t, by=("department",))

    effect = None
    if score is not None and len(log):
        codes = sorted(set(log["credit_code"]))
        before = score(rated, codes, t).set_index("credit_code")["tier"].astype(str)
        after = score(repaired, codes, t).set_index("credit_code")["tier"].astype(str)
        effect = pd.DataFrame({"tier_before": before, "tier_after": after.reindex(before.index)}).dropna()
        effect["improved"] = effect["tier_after"] < effect["tier_before"]
        effect["worsened"] = effect["tier_after"] > effect["tier_before"]
    logger.info("supervision loop %s – %s: %s tasks, %s repairs approved", t0.date(), t.date(),
                f"{len(tasks):,}", f"{len(log):,}")
    return LoopResult(start=t0, as_of=t, seed=seed, dataset=repaired, environment=environment, tasks=tasks,
                      feedback=feedback, decisions=decisions, repair_log=log, execution=execution,
                      tier_effect=effect)


def write_loop(result: LoopResult, out_dir) -> dict[str, Path]:
    """Write the loop's tables under ``out_dir`` (each file atomically); return them by name.

    ``tasks.parquet`` (the task table), ``repair_log.parquet``, ``repair_decisions.csv``,
    ``feedback.csv`` (simulated), ``environment.csv`` (the evaluation) and
    ``execution_rate.csv`` (by department).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"tasks": out / "tasks.parquet", "repair_log": out / "repair_log.parquet"}
    write_tasks(result.tasks, paths["tasks"])
    write_repair_log(result.repair_log, paths["repair_log"])
    for name, frame, index in (("repair_decisions", result.decisions, False), ("feedback", result.feedback, False),
                               ("environment", result.environment, True), ("execution_rate", result.execution, False)):
        paths[name] = out / f"{name}.csv"
        write_text(paths[name], escape_formulas(frame.reset_index() if index else frame).to_csv(index=False))
    return paths
