"""``plan_inspections``: tiers → inclusion probabilities → drawn subjects → joint visits → inspectors."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from credit_risk.exceptions import DataContractError, PlanError
from credit_risk.scheduler.assignment import (
    ITEM_SEPARATOR,
    assign_inspectors,
    check_roster,
    joint_visits,
)
from credit_risk.scheduler.plan import InspectionPlan
from credit_risk.scheduler.policy import InspectionPolicy
from credit_risk.scheduler.publication import fingerprint
from credit_risk.scheduler.sampling import _inclusion_frame, draw_subjects

__all__ = ["InspectionPlan", "plan_inspections"]

logger = logging.getLogger(__name__)


def _spawn(seed: int, n: int) -> list[np.random.Generator]:
    return [np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(seed).spawn(n)]


def _conflict_pairs(
    conflicts: pd.DataFrame | None, visit_codes: pd.Series, roster_ids: np.ndarray
) -> tuple[np.ndarray, int]:
    """Recusal pairs (visit number, roster row) touching a drawn subject, and their count."""
    if conflicts is None or len(conflicts) == 0:
        return np.zeros((0, 2), dtype=np.int64), 0
    missing = [c for c in ("inspector_id", "credit_code") if c not in conflicts.columns]
    if missing:
        raise DataContractError(
            f"conflicts table lacks column(s) {missing}; it needs ['inspector_id', 'credit_code'] "
            f"and got {list(conflicts.columns)}"
        )
    insp = pd.Index(roster_ids).get_indexer(conflicts["inspector_id"].astype(str))
    unknown = np.flatnonzero(insp < 0)
    if len(unknown):
        # A typo in the recusal table must not silently lift a recusal (回避).
        raise DataContractError(
            f"conflicts row {int(unknown[0]) + 1:,}, column 'inspector_id': "
            f"{conflicts['inspector_id'].iloc[int(unknown[0])]!r} is not on the roster "
            f"({len(unknown):,} such rows); correct the id or remove the row"
        )
    subj = pd.Index(visit_codes).get_indexer(conflicts["credit_code"].astype(str))
    keep = (subj >= 0) & (insp >= 0)
    return np.column_stack([subj[keep], insp[keep]]).astype(np.int64), int(keep.sum())


def plan_inspections(
    subjects: pd.DataFrame,
    inspectors: pd.DataFrame,
    policy: InspectionPolicy,
    *,
    period_start: object,
    period_end: object,
    seed: int,
    conflicts: pd.DataFrame | None = None,
    draw: Callable[[pd.DataFrame, np.random.Generator], np.ndarray] | None = None,
) -> InspectionPlan:
    """Draw a differential double-random inspection plan.

    Parameters
    ----------
    subjects : DataFrame
        ``credit_code, tier, region`` and the optional columns described in
        :func:`credit_risk.scheduler.inclusion_frame` (``domains`` is ``;``-joined, e.g.
        ``"market;food"``).
    inspectors : DataFrame
        ``inspector_id, department, home_region, capacity`` (visits in the period).
    policy : InspectionPolicy
        From :func:`credit_risk.scheduler.load_policy`.
    period_start, period_end : date-like
        The period ``[period_start, period_end)``.
    seed : int
        Non-negative; with the same inputs the plan is identical, byte for byte once written.
    conflicts : DataFrame, optional
        Recusal pairs ``inspector_id, credit_code`` (回避).
    draw : callable, optional
        ``draw(frame, rng)`` → the drawn mask; default :func:`~credit_risk.scheduler.sampling.draw_subjects`
        (:func:`credit_risk.engine.draw.draw_subjects_spark` gives the same mask on Spark).

    Returns
    -------
    InspectionPlan

    Raises
    ------
    DataContractError
        Malformed input tables.
    PlanError
        Not enough inspectors or capacity in a department/pool, naming it and the shortfall.

    Examples
    --------
    >>> from credit_risk.scheduler import load_policy
    >>> subjects = pd.DataFrame({"credit_code": [f"S{i:04d}" for i in range(200)],
    ...                          "tier": ["D"] * 200, "region": ["330102"] * 200})
    >>> inspectors = pd.DataFrame({"inspector_id": [f"I{i}" for i in range(8)],
    ...                            "department": "market_regulation",
    ...                            "home_region": "330106", "capacity": 60})
    >>> plan = plan_inspections(subjects, inspectors, load_policy(), period_start="2026-01-01",
    ...                         period_end="2027-01-01", seed=7)
    >>> len(plan.visits), int(plan.visits["n_inspectors"].min())
    (200, 2)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise PlanError(f"seed must be a non-negative integer (it is published); got {seed!r}")
    seed = int(seed)
    clock = time.perf_counter()
    roster = check_roster(inspectors)
    frame, order = _inclusion_frame(
        subjects, policy, period_start=period_start, period_end=period_end
    )
    start = pd.Timestamp(period_start).normalize()
    end = pd.Timestamp(period_end).normalize()
    rng_draw, rng_assign = _spawn(seed, 2)

    drawn = (draw or draw_subjects)(frame, rng_draw)
    rows = np.flatnonzero(drawn)
    sel = frame.iloc[rows].reset_index(drop=True)
    width = max(7, len(str(len(rows))))
    stamp = start.strftime("%Y%m%d")
    visit_id = np.array([f"V{stamp}-{i:0{width}d}" for i in range(1, len(rows) + 1)], dtype=object)

    combo, jv = joint_visits(sel["domains"], policy)
    dept_names = list(policy.departments)
    has = np.array([[d in depts for d in dept_names] for depts in jv.departments], dtype=bool)
    has = has.reshape(len(jv.combos), len(dept_names))
    visit_departments = [np.flatnonzero(has[combo, j]) for j in range(len(dept_names))]

    pairs, n_pairs = _conflict_pairs(
        conflicts, sel["credit_code"], roster["inspector_id"].to_numpy(dtype=object)
    )
    assigned = assign_inspectors(
        sel["region"].to_numpy(dtype=object),
        visit_departments,
        roster,
        policy,
        rng_assign,
        conflicts=pairs,
        visit_domains=sel["domains"].astype(str).to_numpy(dtype=object),
    )
    # assignments come sorted by visit: join each visit's slice of inspector ids
    n_team = np.bincount(assigned["visit"].to_numpy(dtype=np.int64), minlength=len(rows))
    ends = np.cumsum(n_team)
    ids = assigned["inspector_id"].tolist()
    inspector_ids = np.array(
        [ITEM_SEPARATOR.join(ids[a:b]) for a, b in zip((ends - n_team).tolist(), ends.tolist(), strict=True)],
        dtype=object,
    )

    dept_str = np.array([ITEM_SEPARATOR.join(d) for d in jv.departments] + [""], dtype=object)
    item_str = np.array([ITEM_SEPARATOR.join(i) for i in jv.items] + [""], dtype=object)
    n_items = np.array([len(i) for i in jv.items] + [0], dtype=np.int64)
    visits = pd.DataFrame({"visit_id": visit_id, "credit_code": sel["credit_code"].to_numpy()})
    if "name" in sel.columns:
        visits["name"] = sel["name"].to_numpy()
    for c in ("tier", "stratum_tier", "region"):
        visits[c] = sel[c].astype(str).to_numpy()
    if "industry" in sel.columns:
        visits["industry"] = sel["industry"].to_numpy()
    visits["domains"] = sel["domains"].astype(str).to_numpy()
    visits["departments"] = dept_str[combo]
    visits["items"] = item_str[combo]
    visits["n_items"] = n_items[combo]
    visits["inspector_ids"] = inspector_ids
    visits["n_inspectors"] = n_team
    visits["inclusion_probability"] = sel["inclusion_probability"].to_numpy()
    visits["reason"] = sel["reason"].astype(str).to_numpy()
    visits["stratum"] = sel["stratum"].astype(str).to_numpy()
    visits["period_start"] = start.date().isoformat()
    visits["period_end"] = end.date().isoformat()

    assignments = pd.DataFrame(
        {
            "visit_id": visit_id[assigned["visit"].to_numpy(dtype=np.int64)],
            "credit_code": sel["credit_code"].to_numpy()[assigned["visit"].to_numpy(dtype=np.int64)],
            "department": assigned["department"].to_numpy(dtype=object),
            "slot": assigned["slot"].to_numpy(dtype=np.int64),
            "inspector_id": assigned["inspector_id"].to_numpy(dtype=object),
        }
    )

    frame = frame.copy()
    frame_visit = np.full(len(frame), None, dtype=object)
    frame_visit[rows] = visit_id
    frame["drawn"] = drawn
    frame["visit_id"] = frame_visit

    if len(rows) and (n_team == 0).any():  # defensive: every visit has a team
        raise PlanError(f"{int((n_team == 0).sum())} visit(s) got no inspectors; report this bug")

    p = frame["inclusion_probability"].to_numpy()
    separate = int(has[combo].sum()) if len(rows) else 0
    stats: dict[str, float] = {
        "population": len(frame),
        "eligible": int((p > 0).sum()),
        "excluded": int((p == 0).sum()),
        "mandatory": int((frame["selection"] == "mandatory").sum()),
        "drawn": len(rows),
        "visits": len(rows),
        "department_visits_if_separate": separate,
        "visits_saved_by_joint_visits": separate - len(rows),
        "inspector_visits": len(assignments),
        "expected_visits": float(p.sum()),
        "conflicts_on_drawn_subjects": n_pairs,
    }
    fingerprints = {
        "subjects": fingerprint(subjects, sort_by=("credit_code",), order=order),
        "inspectors": fingerprint(inspectors, sort_by=("inspector_id",)),
        "conflicts": fingerprint(
            conflicts if conflicts is not None else pd.DataFrame({"inspector_id": [], "credit_code": []}),
            sort_by=("inspector_id", "credit_code"),
        ),
    }
    logger.debug(
        "plan seed=%d: %d subjects, %d visits, %d inspector-visits in %.2f s",
        seed, len(frame), len(rows), len(assignments), time.perf_counter() - clock,
    )
    return InspectionPlan(
        visits=visits,
        assignments=assignments,
        frame=frame,
        policy=policy,
        seed=seed,
        period_start=start,
        period_end=end,
        fingerprints=fingerprints,
        stats=stats,
    )
