"""Context 环境基准: point-in-time industry and region base rates, and static attributes.

For each kind in ``kinds`` (default: penalties) and each group (GB/T 4754 industry
*section*, the letter; prefecture *city*, the first four digits of the region code + ``00``),
the base rate at ``t`` is

    (events_g(t) − events_own(t) + m · prior(t)) / (alive_g(t) − alive_own(t) + m)

where ``events`` counts the records of the kind that count at ``t`` and started in the
last ``window_days`` (the same rules as every other feature: known strictly before ``t``),
``alive`` counts subjects established before ``t`` and not closed before ``t``, ``m`` is
``prior_strength`` and ``prior(t)`` the same ratio over the whole dataset. The subject
itself is left out (leave-one-out) so its own records are not fed back as a "base rate".

Static registration attributes are returned as categoricals with stable categories: the
industry section (A–T), the entity type, the prefecture city.

Base rates aggregate over all subjects: when the work is partitioned by subject, the group
counts must be computed over the whole province first (docs/features.md).
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd

from credit_risk.data.schema import ENTITY_TYPES
from credit_risk.features.engine import INF, Queries, day_numbers, interval_count
from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.prepared import Prepared
from credit_risk.features.spec import ContextParams

__all__ = ["SECTIONS", "build_context", "group_keys"]

#: GB/T 4754 sections.
SECTIONS: tuple[str, ...] = tuple(string.ascii_uppercase[:20])


def group_keys(enterprises: pd.DataFrame) -> dict[str, pd.Series]:
    """Industry section and prefecture city of every subject (strings, missing as None)."""
    industry = enterprises["industry"].astype("string")
    region = enterprises["region"].astype("string")
    return {
        "industry": industry.str.slice(0, 1).astype(object).where(industry.notna(), None),
        "region": (region.str.slice(0, 4) + "00").astype(object).where(region.notna(), None),
    }


def _rates(p: Prepared, group: np.ndarray, params: ContextParams, kind: str, own_events, own_alive, est, closed):
    """Leave-one-out smoothed rate for subjects grouped by ``group`` (int codes, -1 = none)."""
    rs = p.select(kinds=[kind])
    hi = rs.hi(params.window_days)
    t = p.cutoff_day
    qg = Queries.build(np.maximum(group[p.cutoff_subj], 0), t)
    rec_group = group[rs.subj]
    keep = rec_group >= 0
    events = interval_count(rec_group[keep], rs.lo[keep], hi[keep], qg)
    sub_keep = group >= 0
    alive = interval_count(group[sub_keep], est[sub_keep], closed[sub_keep], qg)
    q0 = Queries.build(np.zeros(len(t), np.int64), t)
    all_events = interval_count(np.zeros(len(rs.subj), np.int64), rs.lo, hi, q0)
    all_alive = interval_count(np.zeros(len(est), np.int64), est, closed, q0)
    m = params.prior_strength
    with np.errstate(divide="ignore", invalid="ignore"):
        prior = (all_events - own_events) / np.maximum(all_alive - own_alive, 1)
        rate = (events - own_events + m * prior) / (alive - own_alive + m)
    rate[group[p.cutoff_subj] < 0] = np.nan
    return rate


def _categorical(values: np.ndarray, categories, rows: np.ndarray) -> pd.Categorical:
    """``values[rows]`` with fixed categories; values outside them become missing."""
    categories = list(categories)
    codes = pd.Index(categories).get_indexer(pd.Index(values, dtype=object))
    return pd.Categorical.from_codes(codes[rows], categories=categories)


def build_context(p: Prepared, params: ContextParams) -> list[tuple[FeatureInfo, object]]:
    ent = p.dataset.enterprises
    keys = group_keys(ent)
    est = day_numbers(ent["established_on"])
    closed = day_numbers(ent["closed_on"]) if "closed_on" in ent else np.full(len(ent), INF)
    t = p.cutoff_day
    own_alive = ((est[p.cutoff_subj] < t) & (closed[p.cutoff_subj] >= t)).astype(np.int64)
    out = []
    for kind in params.kinds:
        if kind not in p.dataset.catalog.kinds:
            continue
        rs = p.select(kinds=[kind])
        own_events = p.count(rs, params.window_days)
        zh = p.dataset.catalog.kinds[kind].name_zh
        w = params.window_days
        for level, label, label_zh in (("industry", "industry section", "行业门类"), ("region", "prefecture city", "地市")):
            codes = pd.Categorical(keys[level]).codes.astype(np.int64)
            rate = _rates(p, codes, params, kind, own_events, own_alive, est, closed)
            out.append(
                (FeatureInfo(f"{level}_{kind}_rate_{w}d", "context", 1,
                             f"{kind} records per subject in the last {w} days in the subject's {label} at t "
                             f"(leave-one-out, smoothed towards the province rate)",
                             f"所在{label_zh}近{w}天{zh}基准率"), rate)
            )
    section = keys["industry"].to_numpy(dtype=object)
    city = keys["region"].to_numpy(dtype=object)
    cities = sorted({c for c in keys["region"].dropna().unique()})
    etype = ent["entity_type"].astype(object).to_numpy()
    out += [
        (FeatureInfo("industry_section", "context", 0, "GB/T 4754 industry section (letter)", "行业门类",
                     categorical=True), _categorical(section, SECTIONS, p.cutoff_subj)),
        (FeatureInfo("entity_type", "context", 0, "type of subject", "主体类型", categorical=True),
         _categorical(etype, ENTITY_TYPES, p.cutoff_subj)),
        (FeatureInfo("region_city", "context", 0, "prefecture city (GB/T 2260, first four digits)", "所属地市",
                     categorical=True), _categorical(city, cities, p.cutoff_subj)),
    ]
    return out
