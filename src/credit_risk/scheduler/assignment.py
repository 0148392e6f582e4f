"""Joint visits and the random draw of inspectors (双随机: the second random).

*Joint visits* (进一次门、查多项事): a drawn subject gets one visit carrying the items of
every department whose domains apply to it, instead of one visit per department.

*Inspectors*: for each department and pool (inspectors whose ``home_region`` shares the
first ``pool_level`` digits with the subject's region; under ``region_scheme: any``, whose
``home_region`` equals it), each visit needs
``min_inspectors`` distinct inspectors of that department. The pool's work
``D = visits × min_inspectors`` is split into per-inspector quotas proportional to
capacity (randomised rounding, never above capacity), so workload is balanced to within
one visit of ``D · capacity / total capacity``. The quota tickets are shuffled and dealt
to the visits; cells that break a rule (same inspector twice in a visit, a recusal
conflict 回避, an inspection in one's own home region when forbidden) are repaired by
random swaps inside the same column, which keep every inspector's load unchanged. If
the pool's capacity is short, or no valid swap exists, :class:`PlanError` names the
department, the pool and the shortfall: visits are never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from credit_risk.exceptions import DataContractError, PlanError
from credit_risk.scheduler.policy import InspectionPolicy
from credit_risk.scheduler.sampling import DOMAIN_SEPARATOR, region_keys

__all__ = ["ITEM_SEPARATOR", "JointVisits", "assign_inspectors", "check_roster", "joint_visits"]

ITEM_SEPARATOR = ";"


@dataclass(frozen=True)
class JointVisits:
    """Departments and items of each distinct domain combination.

    ``departments[i]`` and ``items[i]`` belong to the domain string ``combos[i]``; items are
    written ``department:domain:item``.
    """

    combos: tuple[str, ...]
    departments: tuple[tuple[str, ...], ...]
    items: tuple[tuple[str, ...], ...]


def joint_visits(domains: pd.Series, policy: InspectionPolicy) -> tuple[np.ndarray, JointVisits]:
    """Map each subject's ``;``-joined domains to one joint visit's departments and items.

    Returns the combination code of every row and the :class:`JointVisits` table. Domains no
    department inspects contribute nothing; a subject none of whose domains is inspected
    gets the items of ``policy.default_domains``.

    Examples
    --------
    >>> from credit_risk.scheduler.policy import load_policy
    >>> codes, jv = joint_visits(pd.Series(["food;market"]), load_policy())
    >>> jv.departments[codes[0]]
    ('market_regulation',)
    """
    codes, uniques = pd.factorize(domains)
    departments, items = [], []
    for combo in uniques:
        wanted = set(str(combo).split(DOMAIN_SEPARATOR))
        if not any(d in dept.items for dept in policy.departments.values() for d in wanted):
            wanted = set(policy.default_domains)
        depts, its = [], []
        for dept_name, dept in policy.departments.items():
            hit = [d for d in dept.items if d in wanted]
            if hit:
                depts.append(dept_name)
                its.extend(f"{dept_name}:{d}:{item}" for d in hit for item in dept.items[d])
        departments.append(tuple(depts))
        items.append(tuple(its))
    return codes, JointVisits(tuple(map(str, uniques)), tuple(departments), tuple(items))


def check_roster(inspectors: pd.DataFrame) -> pd.DataFrame:
    """Validate the inspector roster; return it sorted by ``inspector_id`` with clean types."""
    need = ("inspector_id", "department", "home_region", "capacity")
    missing = [c for c in need if c not in inspectors.columns]
    if missing:
        raise DataContractError(
            f"inspectors table lacks column(s) {missing}; it needs {list(need)} "
            f"and got {list(inspectors.columns)}"
        )
    ids = inspectors["inspector_id"].astype(str)
    dup = ids.duplicated()
    if dup.any():
        raise DataContractError(
            f"inspectors table has {int(dup.sum()):,} duplicate inspector_id(s), e.g. "
            f"{ids[dup].iloc[0]!r}; give one row per inspector"
        )
    for column in ("inspector_id", "department", "home_region"):
        empty = inspectors[column].isna() | inspectors[column].astype(str).str.strip().eq("")
        if empty.any():
            i = int(np.argmax(empty.to_numpy()))
            raise DataContractError(
                f"inspectors row {i + 1:,}, column '{column}': value is missing; every inspector "
                f"needs an {column}"
            )
    cap = pd.to_numeric(inspectors["capacity"], errors="coerce")
    bad = cap.isna() | (cap < 0) | (cap != np.floor(cap))
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise DataContractError(
            f"inspectors row {i + 1:,}, column 'capacity': {inspectors['capacity'].tolist()[i]!r} is not "
            "a non-negative whole number of visits; fix it"
        )
    out = pd.DataFrame(
        {
            "inspector_id": ids.to_numpy(dtype=object),
            "department": inspectors["department"].astype(str).to_numpy(dtype=object),
            "home_region": inspectors["home_region"].astype(str).to_numpy(dtype=object),
            "capacity": cap.to_numpy().astype(np.int64),
        }
    )
    if "qualifications" in inspectors.columns:
        qual = inspectors["qualifications"].astype(object)
        out["qualifications"] = qual.where(qual.notna(), "").astype(str).to_numpy(dtype=object)
    return out.sort_values("inspector_id", kind="stable").reset_index(drop=True)


def _quotas(
    cap: np.ndarray, demand: int, per_row_max: int | np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Integer loads summing to ``demand``, proportional to ``cap``, each ≤ min(cap, per_row_max).

    The ideal load ``λ · cap`` is water-filled under the limits, then rounded at random
    (floor, plus one for ``R`` inspectors drawn with probability ∝ their fractional part),
    so every load is within one visit of its ideal. Returns the limits themselves when
    they cannot carry ``demand`` (the caller reports the shortfall).
    """
    limit = np.minimum(cap, per_row_max).astype(np.int64)
    if demand >= limit.sum():
        return limit.copy()
    weight = cap.astype(float)
    fixed = limit <= 0
    ideal = np.zeros(len(cap))
    for _ in range(len(cap) + 1):
        free = ~fixed
        rest = demand - limit[fixed].sum()
        ideal[fixed] = limit[fixed]
        ideal[free] = rest * weight[free] / weight[free].sum()
        over = free & (ideal > limit)
        if not over.any():
            break
        fixed |= over
    base = np.minimum(np.floor(ideal + 1e-9).astype(np.int64), limit)
    extra = demand - int(base.sum())
    if extra > 0:
        frac = np.where(base < limit, np.clip(ideal - base, 0.0, None), 0.0)
        if (frac > 1e-12).sum() < extra:  # numerical corner: any inspector with room
            frac = (base < limit).astype(float)
        pick = rng.choice(len(cap), size=extra, replace=False, p=frac / frac.sum())
        base[pick] += 1
    return base


class _Rules:
    """Vectorised checks: recusal conflicts and home-region exclusion."""

    def __init__(
        self,
        conflict_keys: np.ndarray,
        n_inspectors: int,
        home: np.ndarray | None,
        subject_home: np.ndarray | None,
        qual: np.ndarray | None = None,
    ):
        self.keys = conflict_keys
        self.n_inspectors = n_inspectors
        self.home = home
        self.subject_home = subject_home
        self.qual = qual  # bit mask of domains each inspector is qualified for
        self.req: np.ndarray | None = None  # domains each visit needs, for the current department

    def qualified_counts(self, members: np.ndarray, subjects: np.ndarray) -> np.ndarray:
        """For each inspector in ``members``, how many of ``subjects`` they are qualified for."""
        if self.qual is None or self.req is None:
            return np.full(len(members), len(subjects), dtype=np.int64)
        masks, counts = np.unique(self.req[subjects], return_counts=True)
        ok = (masks[None, :] & ~self.qual[members][:, None]) == 0
        return (ok * counts[None, :]).sum(axis=1).astype(np.int64)

    def conflict_counts(self, members: np.ndarray, subjects: np.ndarray) -> np.ndarray:
        """For each inspector in ``members``, how many of ``subjects`` they must recuse from."""
        if not len(self.keys):
            return np.zeros(len(members), dtype=np.int64)
        k_subj, k_insp = self.keys // self.n_inspectors, self.keys % self.n_inspectors
        hit = np.isin(k_subj, subjects) & np.isin(k_insp, members)
        counts = np.bincount(k_insp[hit], minlength=self.n_inspectors)
        return counts[members]

    def forbidden(self, insp: np.ndarray, subj: np.ndarray) -> np.ndarray:
        bad = np.zeros(insp.shape, dtype=bool)
        if len(self.keys):
            key = subj.astype(np.int64) * self.n_inspectors + insp
            pos = np.searchsorted(self.keys, key)
            pos = np.minimum(pos, len(self.keys) - 1)
            bad |= self.keys[pos] == key
        if self.home is not None and self.subject_home is not None:
            bad |= self.home[insp] == self.subject_home[subj]
        if self.qual is not None and self.req is not None:
            bad |= (self.req[subj] & ~self.qual[insp]) != 0
        return bad


def _bad_cells(team: np.ndarray, subj: np.ndarray, rules: _Rules) -> np.ndarray:
    bad = rules.forbidden(team, subj[:, None])
    k = team.shape[1]
    for a in range(k):
        for b in range(k):
            if a != b:
                bad[:, a] |= team[:, a] == team[:, b]
    return bad


def _cell_ok(team: np.ndarray, rows: np.ndarray, col: np.ndarray, value: np.ndarray,
             subj: np.ndarray, rules: _Rules) -> np.ndarray:
    """Would ``value`` be valid in ``team[rows, col]`` (other columns unchanged)?"""
    ok = ~rules.forbidden(value, subj[rows])
    for c in range(team.shape[1]):
        ok &= (col == c) | (team[rows, c] != value)
    return ok


def _repair(team: np.ndarray, subj: np.ndarray, rules: _Rules, rng: np.random.Generator,
            rounds: int) -> np.ndarray:
    """Swap cells between visits until no rule is broken; returns the still-bad cells.

    A swap exchanges the inspectors of two cells of different visits (any columns), so
    every inspector's load is unchanged.
    """
    v_count, k = team.shape
    for _ in range(rounds):
        rows, cols = np.nonzero(_bad_cells(team, subj, rules))
        if len(rows) == 0:
            return np.zeros((0, 2), dtype=np.int64)
        first = np.unique(rows, return_index=True)[1]  # one cell per row per round
        rows, cols = rows[first], cols[first]
        partner = rng.integers(0, v_count, size=len(rows))
        pcols = rng.integers(0, k, size=len(rows))
        # rows and partners touched by one swap only
        both = np.concatenate([rows, partner])
        uniq, counts = np.unique(both, return_counts=True)
        once = np.isin(rows, uniq[counts == 1]) & np.isin(partner, uniq[counts == 1])
        rows, cols, partner, pcols = rows[once], cols[once], partner[once], pcols[once]
        a, b = team[rows, cols], team[partner, pcols]
        good = _cell_ok(team, rows, cols, b, subj, rules) & _cell_ok(team, partner, pcols, a, subj, rules)
        rows, cols, partner, pcols = rows[good], cols[good], partner[good], pcols[good]
        team[rows, cols], team[partner, pcols] = b[good], a[good]
    # exhaustive pass for what is left: try every partner cell at once
    left = []
    others = np.arange(v_count)
    for r, c in zip(*np.nonzero(_bad_cells(team, subj, rules)), strict=True):
        one = np.array([r])
        if _cell_ok(team, one, np.array([c]), team[one, c], subj, rules)[0]:
            continue  # fixed by an earlier swap
        cands = []
        for c2 in range(k):
            cols = np.full(v_count, c2)
            ok = _cell_ok(team, np.full(v_count, r), np.full(v_count, c), team[:, c2], subj, rules)
            ok &= _cell_ok(team, others, cols, np.full(v_count, team[r, c]), subj, rules)
            ok[r] = False
            cands.extend((int(w), c2) for w in np.flatnonzero(ok))
        if not cands:
            left.append((r, c))
            continue
        w, c2 = cands[int(rng.integers(len(cands)))]
        team[r, c], team[w, c2] = team[w, c2], team[r, c]
    return np.array(left, dtype=np.int64).reshape(-1, 2)


def assign_inspectors(
    visit_region: np.ndarray,
    visit_departments: list[np.ndarray],
    inspectors: pd.DataFrame,
    policy: InspectionPolicy,
    rng: np.random.Generator,
    *,
    visit_subject: np.ndarray | None = None,
    conflicts: np.ndarray | None = None,
    visit_domains: np.ndarray | None = None,
) -> pd.DataFrame:
    """Draw the inspectors of every (visit, department).

    Parameters
    ----------
    visit_region : array of str
        Region of each visit's subject (6-digit GB/T 2260, or free-form under
        ``policy.region_scheme: any``).
    visit_departments : list of int arrays
        ``visit_departments[j]`` lists the visits (row numbers) department ``j`` of
        ``policy.departments`` takes part in.
    inspectors : DataFrame
        Roster ``inspector_id, department, home_region, capacity`` (visits in the period).
    policy : InspectionPolicy
    rng : numpy Generator
    visit_subject : int array, optional
        Subject number of each visit, used with ``conflicts``; defaults to the visit number.
    conflicts : int64 array of shape (m, 2), optional
        ``(subject number, inspector row in the sorted roster)`` recusal pairs.
    visit_domains : array of str, optional
        ``;``-joined domains of each visit. With a roster column ``qualifications``
        (``;``-joined domains, ``*`` for all, empty for none), every inspector of a
        department's team must be qualified for all of that department's domains at the visit.

    Returns
    -------
    DataFrame
        ``visit``, ``department``, ``slot``, ``inspector`` (row in the roster sorted by id),
        ``inspector_id``.

    Raises
    ------
    PlanError
        A pool lacks capacity or inspectors, or the recusal rules leave no valid team.
    """
    roster = check_roster(inspectors)
    n_insp = len(roster)
    visit_region = np.asarray(visit_region, dtype=object)
    subj = np.arange(len(visit_region)) if visit_subject is None else np.asarray(visit_subject)
    rule = policy.assignment
    keys = np.zeros(0, dtype=np.int64)
    if conflicts is not None and len(conflicts):
        keys = np.unique(conflicts[:, 0].astype(np.int64) * n_insp + conflicts[:, 1].astype(np.int64))
    home = subject_home = None
    if rule.exclude_home_region:
        lvl = rule.home_region_level
        both = np.concatenate([region_keys(roster["home_region"], policy, lvl),
                               region_keys(visit_region, policy, lvl)])
        codes = pd.factorize(both)[0]
        home = codes[:n_insp]
        # home-region codes indexed by subject number
        subject_home = np.full(int(subj.max()) + 1 if len(subj) else 0, -1, dtype=np.int64)
        subject_home[subj] = codes[n_insp:]
    qual = req_all = None
    if "qualifications" in roster.columns and visit_domains is not None:
        names = [d for dept in policy.departments.values() for d in dept.items]
        bit = {d: np.uint64(1) << np.uint64(i) for i, d in enumerate(names)}
        everything = np.uint64(0)
        for b in bit.values():
            everything |= b

        def mask_of(text: str) -> np.uint64:
            parts = {p.strip() for p in str(text).split(DOMAIN_SEPARATOR)}
            if "*" in parts:
                return everything
            m = np.uint64(0)
            for p in parts:
                m |= bit.get(p, np.uint64(0))
            return m

        q_codes, q_uniques = pd.factorize(roster["qualifications"])
        qual = np.array([mask_of(u) for u in q_uniques], dtype=np.uint64)[q_codes]
        v_codes, v_uniques = pd.factorize(pd.Series(np.asarray(visit_domains, dtype=object)))
        visit_mask = np.array([mask_of(u) for u in v_uniques], dtype=np.uint64)[v_codes]
        req_all = np.zeros(int(subj.max()) + 1 if len(subj) else 0, dtype=np.uint64)
        req_all[subj] = visit_mask
    rules = _Rules(keys, n_insp, home, subject_home, qual)

    lvl = rule.pool_level
    insp_pool = region_keys(roster["home_region"], policy, lvl)
    visit_pool = region_keys(visit_region, policy, lvl)
    insp_dept = roster["department"].to_numpy(dtype=object)
    capacity = roster["capacity"].to_numpy()

    parts: list[pd.DataFrame] = []
    problems: list[str] = []
    for j, (dept_name, dept) in enumerate(policy.departments.items()):
        rows = np.asarray(visit_departments[j], dtype=np.int64)
        if len(rows) == 0:
            continue
        k = dept.min_inspectors
        if req_all is not None and qual is not None:
            dept_mask = np.uint64(0)
            for i, d in enumerate(d for dd in policy.departments.values() for d in dd.items):
                if d in dept.items:
                    dept_mask |= np.uint64(1) << np.uint64(i)
            rules.req = req_all & dept_mask
        in_dept = np.flatnonzero(insp_dept == dept_name)
        pools = pd.Series(visit_pool[rows]).groupby(visit_pool[rows], sort=True).indices
        dept_pools = pd.Series(in_dept).groupby(insp_pool[in_dept], sort=True).indices
        for pool, pos in pools.items():
            vrows = rows[np.sort(pos)]
            members = in_dept[dept_pools[pool]] if pool in dept_pools else np.zeros(0, np.int64)
            members = members[capacity[members] > 0]
            demand = len(vrows) * k
            total = int(capacity[members].sum())
            where = f"department {dept_name!r}, pool {pool or 'all'!r}"
            if len(members) < k:
                problems.append(
                    f"{where}: {len(vrows):,} visit(s) need {k} distinct inspectors each but the "
                    f"roster has {len(members)} with capacity; add inspectors"
                )
                continue
            if demand > total:
                problems.append(
                    f"{where}: {len(vrows):,} visit(s) × {k} inspectors = {demand:,} inspector-visits "
                    f"but capacity is {total:,} (shortfall {demand - total:,}); raise capacity, "
                    "widen assignment.pool_level or lower the tier shares"
                )
                continue
            # With home-region recusal, visits are grouped by the subject's home region and
            # each group's quotas go to the inspectors allowed there (tightest group first).
            if rules.home is not None:
                g_codes = rules.subject_home[subj[vrows]]
                groups = [vrows[g_codes == g] for g in np.unique(g_codes)]
                allowed = [members[rules.home[members] != g] for g in np.unique(g_codes)]
                tight = [len(g) * k / max(int(capacity[m].sum()), 1) for g, m in zip(groups, allowed, strict=True)]
                order = np.argsort(-np.array(tight), kind="stable")
            else:
                groups, allowed, order = [vrows], [members], np.array([0])
            left_cap = capacity.copy()
            for gi in order:
                g_rows, g_members = groups[gi], allowed[gi]
                g_members = g_members[left_cap[g_members] > 0]
                g_demand = len(g_rows) * k
                g_total = int(left_cap[g_members].sum())
                g_where = where if len(groups) == 1 else f"{where}, subjects in {region_keys(visit_region[g_rows[:1]], policy, rule.home_region_level)[0]!r}"
                if len(g_members) < k or g_demand > g_total:
                    problems.append(
                        f"{g_where}: {len(g_rows):,} visit(s) × {k} inspectors = {g_demand:,} "
                        f"inspector-visits but {len(g_members)} allowed inspector(s) have capacity "
                        f"{g_total:,} (shortfall {max(g_demand - g_total, 0):,}); raise capacity, "
                        "widen assignment.pool_level or disable assignment.exclude_home_region"
                    )
                    continue
                # an inspector serves a visit at most once and never one they must recuse from
                usable = rules.qualified_counts(g_members, subj[g_rows]) - rules.conflict_counts(
                    g_members, subj[g_rows]
                )
                for _attempt in range(3):
                    quota = _quotas(left_cap[g_members], g_demand, usable, rng)
                    if quota.sum() < g_demand:
                        break
                    tickets = rng.permutation(np.repeat(g_members, quota))
                    team = tickets.reshape(len(g_rows), k)
                    left = _repair(team, subj[g_rows], rules, rng, rule.max_repair_rounds)
                    if not len(left):
                        break
                if quota.sum() < g_demand:
                    problems.append(
                        f"{g_where}: cannot spread {g_demand:,} inspector-visits over "
                        f"{len(g_members)} inspectors without one inspector twice in a visit, a recusal "
                        f"or a missing qualification (shortfall {g_demand - int(quota.sum()):,}); add inspectors"
                    )
                    continue
                left_cap[g_members] -= quota
                if len(left):
                    problems.append(
                        f"{g_where}: {len(np.unique(left[:, 0])):,} visit(s) have no team without a "
                        "recusal, home-region, qualification or duplicate conflict (shortfall "
                        f"{len(left):,} inspector-visits); add inspectors or widen assignment.pool_level"
                    )
                    continue
                parts.append(
                    pd.DataFrame(
                        {
                            "visit": np.repeat(g_rows, k),
                            "department": dept_name,
                            "slot": np.tile(np.arange(k), len(g_rows)),
                            "inspector": team.ravel(),
                        }
                    )
                )
    if problems:
        shown = "; ".join(problems[:5]) + (f"; … and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise PlanError(f"inspectors cannot be assigned: {shown}")
    if parts:
        out = pd.concat(parts, ignore_index=True)
    else:
        out = pd.DataFrame({"visit": [], "department": [], "slot": [], "inspector": []})
        out = out.astype({"visit": np.int64, "department": object, "slot": np.int64, "inspector": np.int64})
    out["inspector_id"] = roster["inspector_id"].to_numpy(dtype=object)[out["inspector"].to_numpy()]
    dept_order = {d: i for i, d in enumerate(policy.departments)}
    out["_d"] = out["department"].map(dept_order)
    out = out.sort_values(["visit", "_d", "slot"], kind="stable").drop(columns="_d")
    return out.reset_index(drop=True)
