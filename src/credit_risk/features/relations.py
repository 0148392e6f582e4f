"""Related parties 关联关系: contagion from related subjects, as of ``t``.

Links in ``relations`` are taken as undirected and active at ``t`` when ``start < t`` and
(``end`` is missing or ``end >= t``). A related subject is *seriously negative* at ``t`` when
one of its records counts at ``t`` (same rules as every other feature) and is of a kind in
``serious_kinds`` or of a negative-polarity kind with severity ``serious_severity`` or worse.

With a ``tiers`` table (``credit_code``, ``valid_from`` or ``as_of``, ``tier`` A–D), the worst
tier among related subjects known strictly before ``t`` (the latest tier of each related
subject with ``valid_from < t``) is added, as 0 = A … 3 = D.

Relations need the records of the *related* subjects: when the work is partitioned by
subject, the partition must also carry its neighbours' records (or the neighbours'
"seriously negative" intervals), see docs/features.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.exceptions import DataContractError, Problem
from credit_risk.features.engine import INF, Queries, day_numbers, interval_count_sum, interval_last
from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.prepared import Prepared
from credit_risk.features.spec import RelationsParams

__all__ = ["TIERS", "build_relations", "expand_links"]

TIERS: tuple[str, ...] = ("A", "B", "C", "D")


def expand_links(p: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """(cutoff row, related subject) pairs of links active at each cutoff, without duplicates."""
    rel = p.dataset.relations
    if rel is None or len(rel) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    a = p.subject_index(rel["credit_code"])
    b = p.subject_index(rel["related_code"])
    start = day_numbers(rel["start"])
    end = day_numbers(rel["end"]) if "end" in rel else np.full(len(rel), INF)
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    st = np.concatenate([start, start])
    en = np.concatenate([end, end])
    keep = (src >= 0) & (dst >= 0)
    src, dst, st, en = src[keep], dst[keep], st[keep], en[keep]
    order = np.argsort(src, kind="stable")
    src, dst, st, en = src[order], dst[order], st[order], en[order]
    first = np.searchsorted(src, p.cutoff_subj, side="left")
    last = np.searchsorted(src, p.cutoff_subj, side="right")
    n_links = last - first
    row = np.repeat(np.arange(len(p.cutoff_subj)), n_links)
    offsets = np.repeat(first - np.cumsum(n_links) + n_links, n_links) + np.arange(n_links.sum())
    t = p.cutoff_day[row]
    active = (st[offsets] < t) & (en[offsets] >= t)
    row, related = row[active], dst[offsets][active]
    pair = np.unique(row * np.int64(p.n_subjects + 1) + related)
    return pair // (p.n_subjects + 1), pair % (p.n_subjects + 1)


def _tier_table(tiers: pd.DataFrame, p: Prepared):
    date_col = "valid_from" if "valid_from" in tiers else "as_of"
    problems = [
        Problem("tiers", None, c, None, "required column is missing", "pass credit_code, valid_from (or as_of) and tier")
        for c in ("credit_code", date_col, "tier") if c not in tiers
    ]
    if problems:
        raise DataContractError(problems)
    rank = pd.Index(list(TIERS)).get_indexer(tiers["tier"].astype(object)).astype(np.int64)
    bad = np.flatnonzero((rank < 0) & tiers["tier"].notna().to_numpy())
    if len(bad):
        raise DataContractError(
            [Problem("tiers", int(i) + 1, "tier", tiers["tier"].iloc[i], "is not a tier", f"use one of {list(TIERS)}")
             for i in bad[:20]]
        )
    subj = p.subject_index(tiers["credit_code"])
    day = day_numbers(tiers[date_col])
    keep = (subj >= 0) & (rank >= 0) & (day != INF)
    return subj[keep], day[keep], rank[keep]


def build_relations(
    p: Prepared, params: RelationsParams, tiers: pd.DataFrame | None = None
) -> list[tuple[FeatureInfo, object]]:
    n = len(p.cutoff_day)
    row, related = expand_links(p)
    cat = p.dataset.catalog
    negative = [k for k, s in cat.kinds.items() if s.polarity == "negative"]
    serious = p.select(kinds=list(params.serious_kinds))
    severe = p.select(kinds=negative, min_severity=params.serious_severity)
    q = Queries.build(related, p.cutoff_day[row])
    # records counting at t (no window) of the related subject, by the compiled merge
    bad = (interval_count_sum(serious.subj, serious.lo, serious.end, serious.start, None, [None], q)[0][:, 0] > 0) | (
        interval_count_sum(severe.subj, severe.lo, severe.end, severe.start, None, [None], q)[0][:, 0] > 0
    )
    n_rel = np.bincount(row, minlength=n).astype(np.float64)
    n_bad = np.bincount(row, weights=bad.astype(np.float64), minlength=n)
    share = np.full(n, np.nan)
    ok = n_rel > 0
    share[ok] = n_bad[ok] / n_rel[ok]
    out = [
        (FeatureInfo("related_count", "relations", 0, "number of related subjects linked at t", "关联主体数量"), n_rel),
        (FeatureInfo("related_serious_count", "relations", 1,
                     "number of related subjects with a serious negative record counting at t",
                     "存在严重失信记录的关联主体数量"), n_bad),
        (FeatureInfo("related_serious_share", "relations", 1,
                     "share of related subjects with a serious negative record counting at t (missing if none linked)",
                     "关联主体严重失信比例"), share),
    ]
    if tiers is not None:
        ts, td, tr = _tier_table(tiers, p)
        pos = interval_last(ts, td, np.full(len(td), INF), td * 4 + tr, q)
        worst = np.full(n, -1.0)
        has = pos >= 0
        np.maximum.at(worst, row[has], tr[pos[has]].astype(np.float64))
        worst[worst < 0] = np.nan
        out.append(
            (FeatureInfo("related_worst_tier", "relations", 1,
                         "worst risk tier (0 = A … 3 = D) known before t among related subjects",
                         "关联主体最差风险等级"), worst)
        )
    return out
