"""Departments' feedback on tasks (信息反馈): ``done``, ``not_applicable`` with a reason, ``overdue``.

A feedback table has one row per report: ``task_id``, ``status``, ``reported_on`` and
``reason`` (required for ``not_applicable``, e.g. "the subject holds no procurement contract").
Reports are applied in date order; the latest report of a task wins, except that a task
already ``lifted`` before the report stays lifted (the measure no longer applied).
"""

from __future__ import annotations

import pandas as pd

from credit_risk.exceptions import DataContractError, Problem
from credit_risk.measures.tasks import _typed

__all__ = ["FEEDBACK_STATUSES", "ingest_feedback"]

#: Statuses a department may report.
FEEDBACK_STATUSES = ("done", "not_applicable", "overdue")


def ingest_feedback(tasks: pd.DataFrame, feedback: pd.DataFrame, *, source: str = "feedback") -> pd.DataFrame:
    """Apply the departments' reports to the task table; refuse a report that cannot be applied.

    Parameters
    ----------
    tasks : DataFrame
        A task table (:data:`~credit_risk.measures.tasks.TASK_COLUMNS`).
    feedback : DataFrame
        ``task_id, status, reported_on`` and ``reason``.
    source : str
        Name of the feedback file, used in error messages.

    Raises
    ------
    DataContractError
        Listing every bad row: unknown task, unknown status, missing or unreadable date,
        ``not_applicable`` without a reason.
    """
    out = _typed(tasks)
    missing = [c for c in ("task_id", "status", "reported_on") if c not in feedback.columns]
    if missing:
        raise DataContractError(
            f"{source} lacks column(s) {missing}; a feedback table holds task_id, status, reported_on, reason"
        )
    fb = feedback.reset_index(drop=True).copy()
    reason = fb["reason"].astype(object).where(fb["reason"].notna(), "") if "reason" in fb else pd.Series("", index=fb.index)
    fb["reason"] = reason.astype(str).str.strip()
    fb["reported_on"] = pd.to_datetime(fb["reported_on"], errors="coerce")
    known = set(out["task_id"])
    problems: list[Problem] = []
    for i, row in fb.iterrows():
        line = int(i) + 1
        if str(row["task_id"]) not in known:
            problems.append(Problem(source, line, "task_id", row["task_id"], "is not a task of the task table",
                                    "correct the id or run credit-risk measures first"))
        if row["status"] not in FEEDBACK_STATUSES:
            problems.append(Problem(source, line, "status", row["status"], f"is not one of {list(FEEDBACK_STATUSES)}",
                                    "report done, not_applicable (with a reason) or overdue"))
        if pd.isna(row["reported_on"]):
            problems.append(Problem(source, line, "reported_on", feedback["reported_on"].iloc[i],
                                    "is missing or not a date", "give the report's date as YYYY-MM-DD"))
        if row["status"] == "not_applicable" and not row["reason"]:
            problems.append(Problem(source, line, "reason", None, "is empty for a not_applicable report",
                                    "say why the measure does not apply"))
    if problems:
        raise DataContractError(problems)
    fb = fb.sort_values(["reported_on"], kind="stable").groupby("task_id", sort=False).tail(1)
    pos = pd.Index(out["task_id"]).get_indexer(fb["task_id"].astype(str))
    lifted_before = (out["status"].to_numpy()[pos] == "lifted") & (
        out["closed_on"].to_numpy()[pos] <= fb["reported_on"].to_numpy()
    )
    pos, fb = pos[~lifted_before], fb.loc[~lifted_before]
    status = out["status"].to_numpy(dtype=object, copy=True)
    closed = out["closed_on"].to_numpy(dtype="datetime64[ns]", copy=True)
    why = out["reason"].to_numpy(dtype=object, copy=True)
    status[pos] = fb["status"].to_numpy(dtype=object)
    closed[pos] = fb["reported_on"].to_numpy(dtype="datetime64[ns]")
    why[pos] = fb["reason"].to_numpy(dtype=object)
    out["status"], out["closed_on"], out["reason"] = status, closed, why
    return _typed(out)
