"""The execution rate of measures (信用惩戒执行率): tasks executed on time / tasks due.

As of an evaluation date ``t`` a task is

- **due** when its deadline has passed (``due_on < t``), unless the department reported it
  ``not_applicable`` or the listing was ``lifted`` on or before the deadline (neither counts
  against the department);
- **executed on time** when it is ``done`` with the report dated on or before ``due_on``.

A task still ``open`` past its deadline, reported ``overdue``, done late, or lifted after its
deadline without being done is due and not executed on time.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from credit_risk.exceptions import ConfigError
from credit_risk.measures.tasks import TASK_COLUMNS, _typed

__all__ = ["execution_rate", "task_outcomes"]


def task_outcomes(tasks: pd.DataFrame, as_of) -> pd.DataFrame:
    """The task table with boolean ``due`` and ``on_time`` columns as of ``as_of``."""
    t = pd.Timestamp(as_of).normalize()
    out = _typed(tasks)
    status, closed, due_on = out["status"], out["closed_on"], out["due_on"]
    # feedback dated on or after t is not known as of t
    reported = closed.notna() & (closed < t)
    excused = reported & (
        (status == "not_applicable") | ((status == "lifted") & (closed <= due_on))
    )
    out["due"] = (due_on < t) & ~excused
    out["on_time"] = out["due"] & reported & (status == "done") & (closed <= due_on)
    return out


def execution_rate(tasks: pd.DataFrame, as_of, *, by: Sequence[str] = ("department",),
                   types: Sequence[str] = ("restriction",)) -> pd.DataFrame:
    """Tasks executed on time / tasks due, per group, as of ``as_of``.

    Parameters
    ----------
    tasks : DataFrame
        A task table after feedback.
    as_of : date-like
        The evaluation date: deadlines before it are due; feedback dated before it is known.
    by : sequence of str
        Task columns to group by (``department``, ``region``, ``measure``, …); empty = overall.
    types : sequence of str
        Measure types counted (default restrictions: the punishment execution rate).

    Returns
    -------
    DataFrame
        ``*by, due, on_time, rate`` (rate NaN where nothing is due), sorted by ``by``.

    Examples
    --------
    >>> tasks = pd.DataFrame({"task_id": ["a", "b"], "department": "court", "status": ["done", "open"],
    ...     "closed_on": pd.to_datetime(["2024-01-05", None]), "due_on": pd.to_datetime(["2024-01-10"] * 2),
    ...     "type": "restriction"})
    >>> tasks = tasks.reindex(columns=TASK_COLUMNS)
    >>> tasks["reason"] = ""
    >>> execution_rate(tasks, "2024-02-01")[["department", "due", "on_time", "rate"]].to_dict("records")
    [{'department': 'court', 'due': 2, 'on_time': 1, 'rate': 0.5}]
    """
    bad = [c for c in by if c not in TASK_COLUMNS]
    if bad:
        raise ConfigError(f"execution_rate: by {bad} are not task columns; use some of {list(TASK_COLUMNS)}")
    frame = task_outcomes(tasks, as_of)
    frame = frame.loc[frame["type"].isin(list(types))]
    keys = list(by)
    if keys:
        grouped = frame.groupby(keys, dropna=False, sort=True)
        out = grouped.agg(due=("due", "sum"), on_time=("on_time", "sum")).reset_index()
    else:
        out = pd.DataFrame({"due": [int(frame["due"].sum())], "on_time": [int(frame["on_time"].sum())]})
    out["due"] = out["due"].astype(int)
    out["on_time"] = out["on_time"].astype(int)
    out["rate"] = (out["on_time"] / out["due"].where(out["due"] > 0)).astype(float)
    return out
