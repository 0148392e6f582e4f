"""The drawn plan (:class:`InspectionPlan`) and its summary counts.

Held apart from :mod:`~credit_risk.scheduler.planner` (which draws plans) and
:mod:`~credit_risk.scheduler.publication` (which writes them) so that neither imports the
other: both import this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from credit_risk.scheduler.assignment import joint_visits
from credit_risk.scheduler.policy import InspectionPolicy
from credit_risk.scheduler.sampling import region_keys

__all__ = ["InspectionPlan", "summarise"]


@dataclass(frozen=True, eq=False)
class InspectionPlan:
    """A drawn plan: visits, inspector assignments and the full sampling frame.

    Attributes
    ----------
    visits : DataFrame
        One row per (joint) visit: ``visit_id, credit_code, tier, stratum_tier, region,
        departments, items, n_items, inspector_ids, n_inspectors, inclusion_probability,
        reason, stratum, period_start, period_end`` (and ``name, industry`` if given).
        ``departments``, ``items`` and ``inspector_ids`` are ``;``-joined; items read
        ``department:domain:item``.
    assignments : DataFrame
        One row per (visit, department, inspector): ``visit_id, credit_code, department,
        slot, inspector_id``.
    frame : DataFrame
        One row per subject of the population, drawn or not: its stratum, selection kind,
        exact ``inclusion_probability`` and ``visit_id`` (empty if not drawn). The basis of
        unbiased (Horvitz–Thompson) estimates from the outcomes.
    policy, seed, period_start, period_end
        What produced the plan; published in the manifest.
    fingerprints : dict
        sha256 of the content of each input table.
    stats : dict
        Counts: population, eligible, drawn, mandatory, visits, separate department
        visits merged into joint visits, inspector-visits, expected visits.
    """

    visits: pd.DataFrame
    assignments: pd.DataFrame
    frame: pd.DataFrame
    policy: InspectionPolicy
    seed: int
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    fingerprints: dict[str, str] = field(default_factory=dict)
    stats: dict[str, float] = field(default_factory=dict)

    def disclosure(self) -> pd.DataFrame:
        """The public list (一公开): policy-chosen columns, never inspectors."""
        return self.visits.loc[:, list(self.policy.disclosure.columns)].copy()

    def summary(self) -> pd.DataFrame:
        """Counts by tier, department and region (``dimension, key, subjects, eligible,
        drawn, mandatory, expected_draws, draw_rate, inspector_visits``)."""
        return summarise(self)


def _dept_membership(plan: InspectionPlan) -> np.ndarray:
    """Boolean (subjects × departments): which departments' items apply to each subject."""
    combo, jv = joint_visits(plan.frame["domains"], plan.policy)
    names = list(plan.policy.departments)
    has = np.array([[d in depts for d in names] for depts in jv.departments], dtype=bool)
    return has.reshape(len(jv.combos), len(names))[combo]


def summarise(plan: InspectionPlan) -> pd.DataFrame:
    """Counts by tier, department and region.

    Columns: ``dimension`` (tier / department / region), ``key``, ``subjects``, ``eligible``
    (p > 0), ``mandatory``, ``drawn``, ``expected_draws`` (sum of inclusion probabilities),
    ``draw_rate`` (drawn / subjects), ``inspector_visits``.
    """
    frame = plan.frame
    p = frame["inclusion_probability"].to_numpy()
    base = pd.DataFrame(
        {
            "subjects": 1,
            "eligible": (p > 0).astype(np.int64),
            "mandatory": (frame["selection"] == "mandatory").to_numpy().astype(np.int64),
            "drawn": frame["drawn"].to_numpy().astype(np.int64),
            "expected_draws": p,
        }
    )
    visit_row = pd.Index(frame["visit_id"].dropna()).get_indexer(plan.assignments["visit_id"])
    drawn_rows = np.flatnonzero(frame["drawn"].to_numpy())
    insp_row = drawn_rows[visit_row] if len(visit_row) else np.zeros(0, np.int64)
    per_row = np.bincount(insp_row, minlength=len(frame)) if len(frame) else np.zeros(0)
    base["inspector_visits"] = per_row.astype(np.int64)

    parts = []
    region_key = pd.Series(region_keys(frame["region"], plan.policy, plan.policy.region_level), index=frame.index)
    for dim, key in (("tier", frame["tier"].astype(str)), ("region", region_key)):
        g = base.groupby(key.to_numpy(dtype=object), sort=True).sum()
        g.insert(0, "key", g.index.astype(str))
        g.insert(0, "dimension", dim)
        parts.append(g.reset_index(drop=True))
    member = _dept_membership(plan)
    dept_iv = plan.assignments.groupby("department")["visit_id"].size()
    rows = []
    for j, name in enumerate(plan.policy.departments):
        m = member[:, j]
        sub = base[m]
        rows.append(
            {
                "dimension": "department",
                "key": name,
                "subjects": int(m.sum()),
                "eligible": int(sub["eligible"].sum()),
                "mandatory": int(sub["mandatory"].sum()),
                "drawn": int(sub["drawn"].sum()),
                "expected_draws": float(sub["expected_draws"].sum()),
                "inspector_visits": int(dept_iv.get(name, 0)),
            }
        )
    parts.append(pd.DataFrame(rows))
    out = pd.concat(parts, ignore_index=True)
    out["draw_rate"] = out["drawn"] / out["subjects"].where(out["subjects"] > 0)
    cols = ["dimension", "key", "subjects", "eligible", "mandatory", "drawn", "expected_draws",
            "draw_rate", "inspector_visits"]
    out = out[cols]
    for c in ("subjects", "eligible", "mandatory", "drawn", "inspector_visits"):
        out[c] = out[c].astype(np.int64)
    out["dimension"] = out["dimension"].astype(object)
    out["key"] = out["key"].astype(object)
    return out
