"""Window aggregates declared in the feature spec, computed for every cutoff in one pass.

Aggregations (``t`` = as-of date; a record *counts* at ``t`` when it is known strictly
before ``t``, started before ``t`` and its effective end is ``>= t``; windowed aggregations
also need ``start >= t - window``):

``count``          number of counting records in the window;
``sum``            sum of their ``value`` (missing values count 0);
``mean``           mean of their ``value`` over those with a value, NaN if none;
``max_severity``   highest severity rank among them on their kind's scale (packaged scale:
                   0 = info … 3 = serious), NaN if none;
``decayed_count``  Σ exp(−(t − start)/tau) over them;
``adverse_share``  adverse outcomes / outcomes that are neither missing nor no-contact, among
                   them (the catalogue's ``adverse_outcomes``, ``no_contact_outcomes`` of each
                   kind), NaN if none;
``trend``          annualised rate in the last ``w1`` days minus the rate in the ``w1``–``w2``
                   days before (both from ``count``);
``active_count``   number of counting records (no window);
``active``         1.0 if any record counts (no window), else 0.0;
``last``           outcome of the most recent record known before ``t`` (greatest start) if
                   that record still counts, else missing (categorical);
``days_since_last``  ``t − start`` of that same record, else NaN.
"""

from __future__ import annotations

import numpy as np

from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.prepared import Prepared
from credit_risk.features.spec import AggregateGroup, FeatureSpec

__all__ = ["adverse_share", "build_aggregates", "group_features", "share"]


def _max_severity(p: Prepared, rs, window: int, windows=()) -> np.ndarray:
    """Highest severity rank counting in the window (``windows``: every window to compute at once)."""
    total = p.count(rs, window)
    out = np.where(total > 0, 0.0, np.nan)
    top = int(rs.severity.max()) if len(rs.severity) else 0
    for rank in range(1, top + 1):
        if ("at_least", rank) not in rs.memo:
            rs.memo[("at_least", rank)] = rs.take(rs.severity >= rank)
        sub = rs.memo[("at_least", rank)]
        if len(sub.subj):
            p.prefetch(sub, [window, *windows])
            out[p.count(sub, window) > 0] = rank
    return out


def _outcome_sets(p: Prepared, kinds) -> tuple[list[str], list[str]]:
    """(adverse, concluded) outcomes of ``kinds`` by the catalogue: concluded = every outcome but no-contact."""
    cat = p.dataset.catalog
    adverse: list[str] = []
    concluded: list[str] = []
    for k in kinds:
        spec = cat.kinds[k]
        adverse += [o for o in spec.adverse_outcomes if o not in adverse]
        concluded += [o for o in spec.outcomes if o not in spec.no_contact_outcomes and o not in concluded]
    return adverse, concluded


def share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, else NaN."""
    out = np.full(len(num), np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def adverse_share(p: Prepared, kinds, window: int, windows=(), **filters) -> np.ndarray:
    """Share of records of ``kinds`` with a concluded outcome in the window that are adverse.

    ``windows``: every window the caller will ask for (computed in the same pass).
    """
    adverse, concluded = _outcome_sets(p, kinds)
    sets = [p.select(kinds=kinds, outcomes=adverse, **filters), p.select(kinds=kinds, outcomes=concluded, **filters)]
    for rs in sets:
        p.prefetch(rs, [window, *windows])
    num, den = (p.count(rs, window) for rs in sets)
    return share(num.astype(float), den.astype(float))


def group_features(p: Prepared, group: AggregateGroup, tau: float) -> list[tuple[FeatureInfo, object]]:
    """Features of one aggregate group, in spec order, as (info, values) pairs."""
    f = group.filter
    outcomes = f.outcomes_in(p.dataset.catalog)
    rs = p.select(kinds=f.kinds, domains=f.domains, severities=f.severities, outcomes=outcomes)
    expanded = group.expand(tau)
    # every window this group counts or sums, computed in one pass over the records
    windows = [w for agg, w, _ in expanded if agg in ("count", "sum", "mean", "max_severity", "adverse_share")]
    if any(agg == "trend" for agg, _, _ in expanded):
        windows += list(group.trend_pair)
    if any(agg in ("active_count", "active") for agg, _, _ in expanded):
        windows.append(None)
    p.prefetch(rs, windows)
    counts: dict[int | None, np.ndarray] = {}

    def count(w):
        if w not in counts:
            counts[w] = p.count(rs, w)
        return counts[w]

    last_pos = None
    valued = None
    out = []
    for agg, w, info in expanded:
        if agg == "count":
            values = count(w).astype(np.float64)
        elif agg == "sum":
            values = p.total(rs, w)
        elif agg == "mean":
            if valued is None:
                valued = rs.take(~np.isnan(rs.value))
                p.prefetch(valued, windows)
            values = share(p.total(valued, w), p.count(valued, w).astype(float))
        elif agg == "last_value":
            valued = rs.take(~np.isnan(rs.value)) if valued is None else valued
            pos = p.last(valued)
            values = np.full(len(pos), np.nan)
            values[pos >= 0] = valued.value[pos[pos >= 0]]
        elif agg == "adverse_share":
            values = adverse_share(p, f.kinds, w, windows, domains=f.domains, severities=f.severities)
        elif agg == "max_severity":
            values = _max_severity(p, rs, w, windows)
        elif agg == "decayed_count":
            values = p.decayed(rs, w, tau)
        elif agg == "trend":
            w1, w2 = group.trend_pair
            c1, c2 = count(w1).astype(float), count(w2).astype(float)
            values = 365.0 * (c1 / w1 - (c2 - c1) / (w2 - w1))
        elif agg == "active_count":
            values = count(None).astype(np.float64)
        elif agg == "active":
            values = (count(None) > 0).astype(np.float64)
        elif agg in ("last", "days_since_last"):
            if last_pos is None:
                last_pos = p.last(rs)
            if agg == "last":
                allowed = _outcomes_of(p, f.kinds, outcomes)
                values = p.outcome_of(rs, last_pos, allowed)
            else:
                values = p.days_since(rs, last_pos)
        else:  # pragma: no cover - guarded by the spec's Literal
            raise AssertionError(agg)
        out.append((info, values))
    return out


def _outcomes_of(p: Prepared, kinds, outcomes) -> list[str]:
    if outcomes is not None:
        return list(outcomes)
    cat = p.dataset.catalog
    found: list[str] = []
    for k in kinds:
        for o in cat.kinds[k].outcomes if k in cat.kinds else ():
            if o not in found:
                found.append(o)
    return found


def build_aggregates(p: Prepared, spec: FeatureSpec, views) -> list[tuple[FeatureInfo, object]]:
    """Every aggregate group of ``spec`` whose view is in ``views``."""
    out = []
    for group in spec.aggregates:
        if group.view in views:
            out.extend(group_features(p, group, spec.decay_tau_days))
    return out
