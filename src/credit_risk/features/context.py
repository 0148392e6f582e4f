"""Context 环境基准: point-in-time industry and region base rates, and static attributes.

For each kind in ``kinds`` (default: penalties) and each group (GB/T 4754 industry
*section*, the letter; prefecture *city*, the first four digits of the region code + ``00``;
the raw value under ``industry_scheme: any`` / ``region_scheme: any`` of ``dataset.yaml``),
the base rate at ``t`` is

    (events_g(t) − events_own(t) + m · prior(t)) / (alive_g(t) − alive_own(t) + m)

where ``events`` counts the records of the kind that count at ``t`` and started in the
last ``window_days`` (the same rules as every other feature: known strictly before ``t``),
``alive`` counts subjects established before ``t`` and not closed before ``t``, ``m`` is
``prior_strength`` and ``prior(t)`` the same ratio over the whole dataset. The subject
itself is left out (leave-one-out) so its own records are not fed back as a "base rate".

Static registration attributes are returned as categoricals with stable categories:

- GB/T 4754 industry (``industry_scheme: gb4754``): ``industry_section`` (the letter, A–T),
  ``industry_division`` (letter + 2 digits, e.g. ``C13``), ``industry_class`` (letter + 4
  digits, e.g. ``C1311``; missing when the code is shorter); ``any``: ``industry_code``;
- GB/T 2260 region (``region_scheme: gb2260``): ``region_province`` (2 digits + ``0000``),
  ``region_city`` (4 digits + ``00``), ``region_county`` (the 6-digit code); ``any``:
  ``region_code``;
- ``entity_type``.

Levels held by fewer than the spec's ``min_level_count`` subjects of the ``enterprises``
table are grouped into ``(other)`` (the table does not depend on the as-of date, so every
cutoff sees the same levels); unknown values are missing, never a placeholder level.

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

__all__ = ["OTHER", "SECTIONS", "build_context", "group_keys", "grouped_levels", "hierarchy_levels"]

#: GB/T 4754 sections.
SECTIONS: tuple[str, ...] = tuple(string.ascii_uppercase[:20])
#: The level rare values are grouped into.
OTHER = "(other)"


def _text(values: pd.Series) -> pd.Series:
    """Stripped strings, empty → missing."""
    text = values.astype("string").str.strip()
    return text.where(text.notna() & (text != ""))


def _schemes(dataset) -> tuple[str, str]:
    manifest = getattr(dataset, "manifest", None)
    return getattr(manifest, "industry_scheme", "gb4754"), getattr(manifest, "region_scheme", "gb2260")


def hierarchy_levels(enterprises: pd.DataFrame, industry_scheme: str = "gb4754",
                     region_scheme: str = "gb2260") -> dict[str, pd.Series]:
    """Every level of the industry and region hierarchies per subject (strings, missing as NA).

    Examples
    --------
    >>> ent = pd.DataFrame({"industry": ["C1311", "F52", None], "region": ["330106", "x", "110101"]})
    >>> lv = hierarchy_levels(ent)
    >>> lv["industry_class"].tolist(), lv["region_city"].tolist()
    (['C1311', <NA>, <NA>], ['330100', <NA>, '110100'])
    """
    # computed on the distinct values, then spread to every subject (a province has few codes)
    inds, ind_codes = _distinct(enterprises["industry"])
    regs, reg_codes = _distinct(enterprises["region"])
    levels = _levels(inds, regs, industry_scheme, region_scheme)
    out: dict[str, pd.Series] = {}
    for name, values in levels.items():
        codes = ind_codes if name.startswith("industry") else reg_codes
        out[name] = pd.Series(values.array.take(codes, allow_fill=True), index=enterprises.index)
    return out


def _distinct(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(distinct values, code of each row into them; -1 = missing)."""
    codes, uniques = pd.factorize(values)
    return pd.Series(np.asarray(uniques, dtype=object), dtype=object), codes


def _levels(industry: pd.Series, region: pd.Series, industry_scheme: str, region_scheme: str) -> dict[str, pd.Series]:
    """The hierarchy levels of ``industry`` and ``region`` values (strings, missing as NA)."""
    out: dict[str, pd.Series] = {}
    industry = _text(industry)
    if industry_scheme == "gb4754":
        code = industry.str.upper()
        section = code.str.slice(0, 1)
        out["industry_section"] = section.where(section.isin(SECTIONS))
        out["industry_division"] = code.str.extract(r"^([A-T]\d{2})", expand=False).astype("string")
        out["industry_class"] = code.str.extract(r"^([A-T]\d{4})", expand=False).astype("string")
    else:
        out["industry_code"] = industry
    region = _text(region)
    if region_scheme == "gb2260":
        six = region.where(region.str.fullmatch(r"\d{6}").fillna(False))
        out["region_province"] = six.str.slice(0, 2) + "0000"
        out["region_city"] = six.str.slice(0, 4) + "00"
        out["region_county"] = six
    else:
        out["region_code"] = region
    return out


def group_keys(enterprises: pd.DataFrame, industry_scheme: str = "gb4754",
               region_scheme: str = "gb2260") -> dict[str, pd.Series]:
    """Industry and region group of every subject for the base rates (strings, missing as None).

    GB/T 4754: the section; GB/T 2260: the prefecture city; ``any``: the raw value.
    """
    lv = hierarchy_levels(enterprises, industry_scheme, region_scheme)
    industry = lv["industry_section"] if industry_scheme == "gb4754" else lv["industry_code"]
    region = lv["region_city"] if region_scheme == "gb2260" else lv["region_code"]
    return {
        "industry": industry.astype(object).where(industry.notna(), None),
        "region": region.astype(object).where(region.notna(), None),
    }


def grouped_levels(values: pd.Series, min_count: int) -> tuple[np.ndarray, list[str]]:
    """Values with levels held by fewer than ``min_count`` rows replaced by :data:`OTHER`.

    Returns the values (object, None = missing) and the sorted categories (``OTHER`` last).
    """
    text = values.astype("string")
    counts = text.value_counts(dropna=True)
    kept = sorted(str(v) for v in counts.index[counts.to_numpy() >= min_count])
    rare = text.notna() & ~text.isin(kept)
    out = np.array(text.astype(object).where(text.notna(), None), dtype=object)
    out[rare.to_numpy(dtype=bool)] = OTHER
    return out, kept + ([OTHER] if rare.any() else [])


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


_LEVEL_TEXT = {
    "industry_section": ("GB/T 4754 industry section (letter)", "行业门类"),
    "industry_division": ("GB/T 4754 industry division (letter + 2 digits)", "行业大类"),
    "industry_class": ("GB/T 4754 industry class (letter + 4 digits)", "行业小类"),
    "industry_code": ("industry as given in the data", "行业"),
    "region_province": ("province (GB/T 2260, first two digits)", "所属省份"),
    "region_city": ("prefecture city (GB/T 2260, first four digits)", "所属地市"),
    "region_county": ("county or district (GB/T 2260, six digits)", "所属区县"),
    "region_code": ("region as given in the data", "所属地区"),
}


def build_context(p: Prepared, params: ContextParams, min_level_count: int = 20) -> list[tuple[FeatureInfo, object]]:
    ent = p.dataset.enterprises
    industry_scheme, region_scheme = _schemes(p.dataset)
    keys = group_keys(ent, industry_scheme, region_scheme)
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
        labels = (
            ("industry", "industry section" if industry_scheme == "gb4754" else "industry", "行业门类"),
            ("region", "prefecture city" if region_scheme == "gb2260" else "region", "地市"),
        )
        for level, label, label_zh in (lv for lv in labels if lv[0] in params.groups):
            codes = pd.Categorical(keys[level]).codes.astype(np.int64)
            rate = _rates(p, codes, params, kind, own_events, own_alive, est, closed)
            out.append(
                (FeatureInfo(f"{level}_{kind}_rate_{w}d", "context", 1,
                             f"{kind} records per subject in the last {w} days in the subject's {label} at t "
                             f"(leave-one-out, smoothed towards the province rate)",
                             f"所在{label_zh}近{w}天{zh}基准率"), rate)
            )
    etype = ent["entity_type"].astype(object).to_numpy()
    levels = hierarchy_levels(ent, industry_scheme, region_scheme) if params.hierarchy else {}
    for name, values in levels.items():
        if name.split("_")[0] not in params.groups:
            continue
        en, zh = _LEVEL_TEXT[name]
        if name == "industry_section":
            cats, categories = values.astype(object).where(values.notna(), None).to_numpy(), list(SECTIONS)
        else:
            cats, categories = grouped_levels(values, min_level_count)
            en += f"; levels with fewer than {min_level_count} subjects grouped as {OTHER}"
        out.append((FeatureInfo(name, "context", 0, en, zh, categorical=True), _categorical(cats, categories, p.cutoff_subj)))
    if params.entity_type:
        out.append((FeatureInfo("entity_type", "context", 0, "type of subject", "主体类型", categorical=True),
                    _categorical(etype, ENTITY_TYPES, p.cutoff_subj)))
    return out
