"""Joint-punishment and incentive tasks (失信联合惩戒任务) and their life cycle.

:func:`build_tasks` turns every list entry or grade that counts as of ``as_of`` into one task
per measure it triggers: subject, measure, department, deadline, legal basis. A task's id is
``<record_id>:<measure>`` (a tier trigger: ``tier:<tier>:<as_of>:<code>:<measure>``), so
:func:`update_tasks` run twice as of the same date adds nothing (idempotent).

Statuses: ``open`` (pushed, no feedback yet), ``done``, ``not_applicable`` (with a reason),
``overdue`` (reported by the department), ``lifted`` (the listing was removed, expired or
repaired: the measure no longer applies from ``closed_on``, the record's effective end).

Dates: ``pushed_on`` is when the listing became known (``published_on``), ``due_on`` =
``pushed_on + deadline_days`` (feedback on or before it is on time), ``ends_on`` the day the
measure stops (the record's effective end, capped by ``duration_days``; NaT = open).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from credit_risk.data.publication import counts_at, effective_end, publication_days
from credit_risk.exceptions import DataContractError
from credit_risk.measures.config import MeasuresConfig

__all__ = ["TASK_COLUMNS", "TASK_STATUSES", "build_tasks", "lift_tasks", "update_tasks"]

logger = logging.getLogger(__name__)

#: Every status a task can have.
TASK_STATUSES = ("open", "done", "not_applicable", "overdue", "lifted")

#: Columns of a task table, in order.
TASK_COLUMNS = (
    "task_id", "credit_code", "region", "record_id", "trigger", "side", "measure", "measure_zh", "type",
    "department", "legal_basis", "listed_on", "pushed_on", "due_on", "ends_on", "status", "closed_on",
    "reason",
)

_DATES = ("listed_on", "pushed_on", "due_on", "ends_on", "closed_on")


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in TASK_COLUMNS})
    for c in _DATES:
        frame[c] = pd.Series(dtype="datetime64[ns]")
    return frame


def _typed(tasks: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in TASK_COLUMNS if c not in tasks.columns]
    if missing:
        raise DataContractError(f"task table lacks column(s) {missing}; it must hold {list(TASK_COLUMNS)}")
    out = tasks.loc[:, list(TASK_COLUMNS)].copy()
    for c in _DATES:
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    for c in TASK_COLUMNS:
        if c not in _DATES:
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    out["reason"] = out["reason"].fillna("")
    bad = ~out["status"].isin(TASK_STATUSES)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataContractError(
            f"task table row {i + 1}: status {out['status'].iloc[i]!r} is not one of {list(TASK_STATUSES)}"
        )
    return out.reset_index(drop=True)


def build_tasks(dataset, measures: MeasuresConfig, as_of, *, tiers: pd.DataFrame | None = None,
                since=None) -> pd.DataFrame:
    """Tasks for every list entry or grade counting as of ``as_of`` and every measure it triggers.

    Parameters
    ----------
    dataset : CreditDataset
    measures : MeasuresConfig
    as_of : date-like
        Point in time: a record counts iff published strictly before ``as_of``, started before
        it and not ended, expired or repaired (``credit_risk.data.publication.counts_at``).
    tiers : DataFrame, optional
        ``credit_code, tier`` as of ``as_of``, for tier triggers (e.g. tier A → fewer inspections).
    since : date-like, optional
        Only listings pushed (known) on or after this date become tasks: the day the joint
        punishment system went live, so that years-old listings do not arrive overdue.

    Returns
    -------
    DataFrame
        :data:`TASK_COLUMNS`, status ``open``, sorted by ``task_id``; deterministic.
    """
    t = pd.Timestamp(as_of).normalize()
    measures.check_catalog(dataset.catalog)
    rec = dataset.records
    ent = dataset.enterprises
    region = pd.Series(ent["region"].astype(object).to_numpy(), index=ent["credit_code"].astype(str))
    live = counts_at(rec, dataset.catalog, t)
    kind = rec["kind"].astype(object).to_numpy()
    outcome = rec["outcome"].astype(object).to_numpy()
    start = pd.to_datetime(rec["start"]).to_numpy(dtype="datetime64[ns]")
    pushed = pd.to_datetime(rec["published_on"]).to_numpy(dtype="datetime64[ns]", copy=True)
    pushed[np.isnat(pushed)] = start[np.isnat(pushed)]
    # Known as of t: the end of the publication period (a removal or repair date after t is not).
    days = publication_days(rec, dataset.catalog)
    expiry = np.where(np.isnan(days), np.datetime64("NaT", "ns"),
                      start + np.nan_to_num(days).astype("timedelta64[D]")).astype("datetime64[ns]")
    t64, since64 = np.datetime64(t, "ns"), None if since is None else np.datetime64(pd.Timestamp(since), "ns")
    rows: dict[str, np.ndarray] = {}
    for name, trig in measures.triggers.items():
        if trig.kind is None:
            continue
        hit = live & (kind == trig.kind)
        if trig.outcomes:
            hit &= np.isin(outcome, list(trig.outcomes))
        if since64 is not None:
            hit &= pushed >= since64
        rows[name] = np.flatnonzero(hit)
    record_id = rec["record_id"].astype(str).to_numpy(dtype=object)
    code = rec["credit_code"].astype(str).to_numpy(dtype=object)
    parts = []
    for m in measures.measures:
        for trig_name in m.triggers:
            trig = measures.triggers[trig_name]
            if trig.kind is not None:
                idx = rows[trig_name]
                ends = expiry[idx]
                if m.duration_days is not None:
                    cap = start[idx] + np.timedelta64(m.duration_days, "D")
                    ends = np.where(np.isnat(ends) | (ends >= cap), cap, ends)
                keep = np.isnat(ends) | (ends >= t64)
                idx, ends = idx[keep], ends[keep]
                if not len(idx):
                    continue
                part = {"task_id": record_id[idx] + (":" + m.name), "credit_code": code[idx],
                        "record_id": record_id[idx], "listed_on": start[idx], "pushed_on": pushed[idx],
                        "ends_on": ends}
            else:
                if tiers is None:
                    continue
                codes = tiers.loc[tiers["tier"].astype(str) == trig.tier, "credit_code"].astype(str).to_numpy(dtype=object)
                if not len(codes):
                    continue
                rid = f"tier:{trig.tier}:{t.date().isoformat()}"
                n = len(codes)
                ends = t64 + np.timedelta64(m.duration_days, "D") if m.duration_days is not None else np.datetime64("NaT", "ns")
                part = {"task_id": rid + ":" + codes + (":" + m.name), "credit_code": codes,
                        "record_id": np.full(n, rid, dtype=object), "listed_on": np.full(n, t64),
                        "pushed_on": np.full(n, t64), "ends_on": np.full(n, ends, dtype="datetime64[ns]")}
            n = len(part["task_id"])
            part.update({"trigger": np.full(n, trig_name, dtype=object), "side": np.full(n, trig.side, dtype=object),
                         "measure": np.full(n, m.name, dtype=object), "measure_zh": np.full(n, m.name_zh, dtype=object),
                         "type": np.full(n, m.type, dtype=object),
                         "department": np.full(n, m.department, dtype=object),
                         "legal_basis": np.full(n, m.legal_basis, dtype=object),
                         "due_on": part["pushed_on"] + np.timedelta64(m.deadline_days, "D")})
            parts.append(part)
    if not parts:
        return _empty()
    out = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in parts[0]})
    # one task per (listing, measure) even when a measure names two triggers the record matches
    out = out.drop_duplicates("task_id", keep="first")
    out["region"] = region.reindex(out["credit_code"]).to_numpy()
    out["status"] = "open"
    out["closed_on"] = pd.NaT
    out["reason"] = ""
    out = out.sort_values("task_id", kind="stable")
    logger.info("%s task(s) as of %s", f"{len(out):,}", t.date())
    return _typed(out)


def lift_tasks(tasks: pd.DataFrame, dataset, as_of) -> pd.DataFrame:
    """Close as ``lifted`` the open tasks whose measure has ended before ``as_of``.

    A listing removed, expired or repaired (its effective end, with any repair log applied
    to ``dataset`` by :func:`credit_risk.repair.apply_repairs`) or a measure past its
    ``duration_days`` ends the measure: the task is closed ``lifted`` on that date and is not
    counted against the department. Tier tasks end at ``ends_on``.
    """
    t = pd.Timestamp(as_of).normalize()
    out = _typed(tasks)
    rec = dataset.records
    end = pd.Series(effective_end(rec, dataset.catalog).to_numpy(), index=rec["record_id"].astype(str))
    record_end = end.reindex(out["record_id"]).to_numpy(dtype="datetime64[ns]")
    ends = out["ends_on"].to_numpy(dtype="datetime64[ns]", copy=True)
    stop = np.where(np.isnat(record_end), ends, np.where(np.isnat(ends) | (record_end < ends), record_end, ends))
    lift = (out["status"] == "open").to_numpy() & ~np.isnat(stop) & (stop < np.datetime64(t, "ns"))
    status = out["status"].to_numpy(dtype=object, copy=True)
    closed = out["closed_on"].to_numpy(dtype="datetime64[ns]", copy=True)
    reason = out["reason"].to_numpy(dtype=object, copy=True)
    status[lift], closed[lift], reason[lift] = "lifted", stop[lift], "listing removed, expired or repaired"
    ends[lift] = stop[lift]
    out["status"], out["closed_on"], out["reason"], out["ends_on"] = status, closed, reason, ends
    if lift.any():
        logger.info("lifted %s task(s) as of %s", f"{int(lift.sum()):,}", t.date())
    return _typed(out)


def update_tasks(existing: pd.DataFrame | None, dataset, measures: MeasuresConfig, as_of, *,
                 tiers: pd.DataFrame | None = None, since=None) -> pd.DataFrame:
    """Add the tasks of new listings as of ``as_of`` and lift those whose listing ended.

    Idempotent: tasks already in ``existing`` (same ``task_id``) are kept as they are, so a
    second run as of the same date adds nothing and changes nothing.
    """
    new = build_tasks(dataset, measures, as_of, tiers=tiers, since=since)
    if existing is None or len(existing) == 0:
        merged = new
    else:
        old = _typed(existing)
        merged = pd.concat([old, new.loc[~new["task_id"].isin(old["task_id"])]], ignore_index=True)
    return lift_tasks(merged, dataset, as_of)
