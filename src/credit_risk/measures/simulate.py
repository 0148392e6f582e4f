"""Seeded simulated feedback from departments, for demos and back-tests (never for real reporting).

Each department gets its own diligence, drawn once from the seed: the share of its tasks it
reports ``done`` and how often it is late. A task whose deadline has passed by ``as_of`` gets
one report: ``not_applicable`` (with a reason) with probability ``not_applicable_share``, else
``done`` with the department's probability (on time, or late by 1–60 days with its lateness
probability), else ``overdue`` reported a few days after the deadline, or nothing at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.measures.tasks import _typed

__all__ = ["simulate_feedback"]


def simulate_feedback(tasks: pd.DataFrame, as_of, *, seed: int, done_range: tuple[float, float] = (0.6, 0.95),
                      late_range: tuple[float, float] = (0.05, 0.3), not_applicable_share: float = 0.05,
                      silent_share: float = 0.5) -> pd.DataFrame:
    """A feedback table (``task_id, status, reported_on, reason``) for the open or lifted tasks due before ``as_of``.

    Parameters
    ----------
    tasks : DataFrame
    as_of : date-like
        Reports are dated before it.
    seed : int
    done_range, late_range : (low, high)
        Each department's share of tasks done and of done tasks done late, drawn uniformly.
    not_applicable_share : float
        Share of tasks reported not applicable (with a reason).
    silent_share : float
        Share of the tasks neither done nor not applicable that get no report (the rest are
        reported ``overdue``).

    Examples
    --------
    >>> tasks = pd.DataFrame({"task_id": ["a", "b"], "department": "court", "status": "open",
    ...     "pushed_on": pd.to_datetime(["2024-01-01"] * 2), "due_on": pd.to_datetime(["2024-01-15"] * 2)})
    >>> from credit_risk.measures.tasks import TASK_COLUMNS
    >>> tasks = tasks.reindex(columns=TASK_COLUMNS).assign(reason="", status="open")
    >>> fb = simulate_feedback(tasks, "2024-03-01", seed=0)
    >>> fb.equals(simulate_feedback(tasks, "2024-03-01", seed=0)), set(fb["status"]) <= {"done", "overdue", "not_applicable"}
    (True, True)
    """
    t = pd.Timestamp(as_of).normalize()
    frame = _typed(tasks)
    # lifted tasks too: a report dated before the lift counts, a later one is ignored by ingest_feedback
    frame = frame.loc[frame["status"].isin(["open", "lifted"]) & (frame["due_on"] < t)].sort_values("task_id")
    rng = np.random.default_rng(seed)
    departments = sorted(frame["department"].astype(str).unique())
    done_p = dict(zip(departments, rng.uniform(*done_range, len(departments)), strict=True))
    late_p = dict(zip(departments, rng.uniform(*late_range, len(departments)), strict=True))
    n = len(frame)
    dept = frame["department"].astype(str).to_numpy()
    u = rng.random(n)
    na = u < not_applicable_share
    done = ~na & (rng.random(n) < np.array([done_p[d] for d in dept]))
    late = done & (rng.random(n) < np.array([late_p[d] for d in dept]))
    pushed = frame["pushed_on"].to_numpy(dtype="datetime64[D]")
    due = frame["due_on"].to_numpy(dtype="datetime64[D]")
    span = np.maximum((due - pushed).astype(int), 0)
    on_time_day = pushed + (rng.random(n) * (span + 1)).astype(int).astype("timedelta64[D]")
    late_day = due + rng.integers(1, 61, n).astype("timedelta64[D]")
    overdue_day = due + rng.integers(1, 8, n).astype("timedelta64[D]")
    silent = ~na & ~done & (rng.random(n) < silent_share)
    day = np.where(late, late_day, np.where(done | na, on_time_day, overdue_day))
    status = np.where(na, "not_applicable", np.where(done, "done", "overdue"))
    keep = ~silent & (day < np.datetime64(t.date(), "D"))
    return pd.DataFrame({
        "task_id": frame["task_id"].to_numpy()[keep],
        "status": status[keep],
        "reported_on": pd.to_datetime(day[keep]),
        "reason": np.where(na, "the measure does not apply to the subject's business (simulated)", "")[keep],
    })
