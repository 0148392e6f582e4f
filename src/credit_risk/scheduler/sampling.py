"""Inclusion probabilities and the stratified random draw of subjects.

Design: strata are tier × region (a GB/T 2260 region cut to ``policy.region_level`` digits,
or the full value when ``policy.region_scheme`` is ``any``, e.g. postal codes) and,
inside them, the kind of selection (random at the tier rate, random at the floor,
mandatory, excluded). In a random stratum of ``N`` subjects with probability ``p`` the
draw takes ``n = floor(N p)`` subjects, plus one more with probability ``N p - floor(N p)``
(randomised rounding), by simple random sampling without replacement. Every subject's
inclusion probability is then exactly ``p`` (``E[n] / N``), and it is recorded in the
*frame*: one row per subject of the population, drawn or not. Mandatory subjects have
``p = 1``; subjects excluded this period (无事不扰 after a recent clean visit, or the
yearly cap) have ``p = 0`` and are listed with the reason.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from credit_risk.exceptions import DataContractError
from credit_risk.scheduler.policy import InspectionPolicy

__all__ = ["DOMAIN_SEPARATOR", "draw_subjects", "inclusion_frame", "normalise_domains", "region_keys"]

DOMAIN_SEPARATOR = ";"
_REQUIRED = ("credit_code", "tier", "region")
#: Selection kinds, in the order used for stratum labels.
KINDS = ("random", "floor", "mandatory", "excluded:quiet", "excluded:cap")


def region_keys(regions, policy: InspectionPolicy, level: int) -> np.ndarray:
    """The key that groups regions into strata or inspector pools.

    Under ``policy.region_scheme == "gb2260"`` the first ``level`` digits of the 6-digit
    code (6 county, 4 prefecture, 2 province); under ``"any"`` the full value, since a prefix
    of a free-form region (a postal code, a district name) has no declared meaning. ``level``
    0 puts every region under one key (one pool for all) in both schemes.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from credit_risk.scheduler.policy import load_policy
    >>> region_keys(["330106", "330102"], load_policy(), 4).tolist()
    ['3301', '3301']
    >>> region_keys(["94110", "94103"], replace(load_policy(), region_scheme="any"), 4).tolist()
    ['94110', '94103']
    """
    values = pd.Series(np.asarray(regions, dtype=object), dtype=object).astype(str)
    if level == 0:
        return np.full(len(values), "", dtype=object)
    if policy.region_scheme == "any":
        return values.to_numpy(dtype=object)
    return values.str.slice(0, level).to_numpy(dtype=object)


def _as_date(value: object, name: str) -> pd.Timestamp:
    if isinstance(value, (str, dt.date, pd.Timestamp, np.datetime64)):
        ts = pd.Timestamp(value)
        if not pd.isna(ts):
            return ts.normalize()
    raise DataContractError(f"{name} must be a date such as '2026-01-01'; got {value!r}")


def normalise_domains(values: pd.Series, default: tuple[str, ...]) -> pd.Series:
    """Canonical ``;``-joined, sorted, de-duplicated domain strings.

    Accepts ``"market;food"`` strings or list-likes; empty or missing values get ``default``.

    Examples
    --------
    >>> normalise_domains(pd.Series(["food; market", None, ["environment"]]), ("market",)).tolist()
    ['food;market', 'market', 'environment']
    """
    fallback = DOMAIN_SEPARATOR.join(sorted(set(default)))

    def one(value: object) -> str:
        if isinstance(value, str):
            parts = value.split(DOMAIN_SEPARATOR)
        elif isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
            parts = [str(v) for v in value]
        elif value is None or pd.isna(value):
            parts = []
        else:
            parts = [str(value)]
        parts = sorted({p.strip() for p in parts if p and p.strip()})
        return DOMAIN_SEPARATOR.join(parts) if parts else fallback

    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # list-like cells are unhashable
        return pd.Series(pd.Categorical([one(v) for v in values]), index=values.index)
    if any(isinstance(u, (list, tuple, set, frozenset, np.ndarray)) for u in uniques):
        return pd.Series(pd.Categorical([one(v) for v in values]), index=values.index)
    mapped = [one(u) for u in uniques] + [fallback]
    m_codes, m_uniques = pd.factorize(np.array(mapped, dtype=object), sort=True)
    final = m_codes[np.where(codes < 0, len(mapped) - 1, codes)]
    return pd.Series(
        pd.Categorical.from_codes(final, categories=[str(u) for u in m_uniques]),
        index=values.index,
    )


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def _flag(col: pd.Series) -> np.ndarray:
    """A boolean flag column: booleans, 0/1, or true/false text; anything else is an error.

    A mandatory inclusion draws a subject with certainty and cites a legal basis, so a value
    that cannot be read (e.g. "maybe") must never default to True (or to False).
    """
    if col.dtype == bool:
        return col.to_numpy()
    values = col.astype(object)
    text = values.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip().lower())
    bad = ~text.isin(_TRUE | _FALSE)
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataContractError(
            f"subjects row {first + 1:,}, column '{col.name}': {values.iloc[first]!r} is not a boolean flag; "
            "use true/false, 1/0 or yes/no"
        )
    return text.isin(_TRUE).to_numpy()


def inclusion_frame(
    subjects: pd.DataFrame,
    policy: InspectionPolicy,
    *,
    period_start: object,
    period_end: object,
) -> pd.DataFrame:
    """One row per subject with its stratum and exact inclusion probability for the period.

    Parameters
    ----------
    subjects : DataFrame
        ``credit_code``, ``tier``, ``region`` (6-digit GB/T 2260, or any non-empty text under
        ``policy.region_scheme: any``), optional ``domains``
        (``;``-joined), ``established_on``, ``last_inspected_on``, ``last_outcome``,
        ``visits_this_year`` (inspections earlier in the period's year), the mandatory
        flag columns and ``mandatory_reason`` of the policy, ``industry``, ``name``, ``risk``.
    policy : InspectionPolicy
    period_start, period_end : date-like
        The plan period ``[period_start, period_end)``; the clock is never read.

    Returns
    -------
    DataFrame
        Sorted by ``credit_code``: ``credit_code, tier, stratum_tier, region, domains,
        stratum, selection, reason, inclusion_probability`` and the optional pass-through
        columns ``name, industry, risk``.

    Raises
    ------
    DataContractError
        Missing columns, duplicate credit codes, tiers the policy does not declare, bad dates.
    """
    frame, _ = _inclusion_frame(subjects, policy, period_start=period_start, period_end=period_end)
    return frame


def _inclusion_frame(
    subjects: pd.DataFrame, policy: InspectionPolicy, *, period_start: object, period_end: object
) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`inclusion_frame` and the row order that sorted ``subjects`` by credit code."""
    start = _as_date(period_start, "period_start")
    end = _as_date(period_end, "period_end")
    if end <= start:
        raise DataContractError(
            f"period_end {end.date()} must be after period_start {start.date()}; swap or fix them"
        )
    missing = [c for c in _REQUIRED if c not in subjects.columns]
    if missing:
        raise DataContractError(
            f"subjects table lacks column(s) {missing}; it needs {list(_REQUIRED)} "
            f"and got {list(subjects.columns)}"
        )
    codes = subjects["credit_code"].astype(str)
    order = codes.argsort(kind="stable").to_numpy()
    sorted_codes = codes.iloc[order].to_numpy()
    dup = sorted_codes[1:] == sorted_codes[:-1]
    if dup.any():
        raise DataContractError(
            f"subjects table has {int(dup.sum()):,} duplicate credit_code(s), e.g. "
            f"{sorted_codes[1:][dup][0]!r}; give one row per subject"
        )
    n = len(subjects)

    def col(name: str) -> pd.Series:  # a column in credit-code order
        return subjects[name].iloc[order].reset_index(drop=True)

    tiers = list(policy.tiers)
    raw_codes, raw_uniques = pd.factorize(subjects["tier"].astype(str))
    unknown = sorted(set(map(str, raw_uniques)) - set(tiers))
    if unknown:
        raise DataContractError(
            f"subjects.tier has value(s) {unknown} the policy does not declare; "
            f"use one of {tiers}"
        )
    tier_idx = np.array([tiers.index(str(u)) for u in raw_uniques], dtype=np.int64)[raw_codes][order]

    region = subjects["region"]
    absent = (region.isna() | region.astype(str).str.strip().eq("")).to_numpy(dtype=bool)
    if absent.any():
        first = int(np.argmax(absent))
        raise DataContractError(
            f"subjects row {first + 1:,} (credit_code {codes.iloc[first]!r}), column 'region': value is "
            f"missing ({int(absent.sum()):,} subjects without a region); the draw is stratified by region, "
            "so give every subject one or leave those subjects out of the plan"
        )
    raw_codes, region_uniques = pd.factorize(region.astype(str), sort=True)
    region_codes = raw_codes[order]
    region_uniques = np.asarray(region_uniques, dtype=object)
    if policy.region_scheme == "gb2260":
        ok = pd.Series(region_uniques, dtype=object).str.fullmatch(r"\d{6}").to_numpy(dtype=bool)
        if not ok.all():
            first = int(np.argmax(~ok[raw_codes]))
            raise DataContractError(
                f"subjects row {first + 1:,} (credit_code {codes.iloc[first]!r}), column 'region': "
                f"{region_uniques[raw_codes[first]]!r} is not a 6-digit GB/T 2260 code; fix the region, or "
                "set region_scheme: any in the inspection policy for free-form regions such as postal codes"
            )

    # Observation period: new subjects are drawn at another tier's rate.
    stratum_idx = tier_idx.copy()
    rule = policy.new_subjects
    if rule.treat_as_tier is not None and "established_on" in subjects.columns:
        born = pd.to_datetime(col("established_on")).to_numpy()
        cutoff = np.datetime64(start - pd.Timedelta(days=rule.observation_days))
        is_new = ~np.isnat(born) & (born > cutoff)
        # "At least" that tier: a new subject already rated riskier keeps its own rate.
        stratum_idx[is_new] = np.maximum(stratum_idx[is_new], tiers.index(rule.treat_as_tier))

    domains = normalise_domains(
        col("domains") if "domains" in subjects.columns else pd.Series([None] * n, dtype=object),
        policy.default_domains,
    )

    # Mandatory inclusions (p = 1, no cap): reason code 0 = none, else index into reasons.
    reasons: list[str] = [""]
    reason_code = np.zeros(n, dtype=np.int64)
    mrule = policy.mandatory
    if mrule.reason_column is not None and mrule.reason_column in subjects.columns:
        text = col(mrule.reason_column)
        t_codes, t_uniques = pd.factorize(text.astype(object), sort=True)
        labels = [str(u).strip() for u in t_uniques]
        lookup = np.array([0] + [len(reasons) + i if lab else 0 for i, lab in enumerate(labels)])
        reasons.extend(labels)
        reason_code = lookup[t_codes + 1]
    for flag in reversed(mrule.flags):  # the first listed flag wins the label
        if flag in subjects.columns:
            reasons.append(flag)
            reason_code = np.where(_flag(col(flag)), len(reasons) - 1, reason_code)
    if mrule.coverage_days:  # full-coverage cycles per domain, e.g. food every 2 years
        if "last_inspected_on" not in subjects.columns:
            raise DataContractError(
                f"mandatory.coverage_days {dict(mrule.coverage_days)} needs the subjects column "
                "'last_inspected_on' (empty when never inspected); add it or empty coverage_days"
            )
        last = pd.to_datetime(col("last_inspected_on")).to_numpy()
        cats = domains.cat.categories
        for domain, days in mrule.coverage_days.items():
            in_domain = np.array([domain in str(c).split(DOMAIN_SEPARATOR) for c in cats], dtype=bool)
            member = in_domain[domains.cat.codes.to_numpy()] if len(cats) else np.zeros(n, bool)
            limit = np.datetime64(end - pd.Timedelta(days=days))
            due = member & (np.isnat(last) | (last <= limit))
            reasons.append(f"coverage:{domain}")
            reason_code = np.where(due & (reason_code == 0), len(reasons) - 1, reason_code)
    mandatory = reason_code > 0

    sel = np.zeros(n, dtype=np.int64)  # index into KINDS
    # Yearly visit cap of the (stratum) tier.
    if "visits_this_year" in subjects.columns:
        done = pd.to_numeric(col("visits_this_year")).fillna(0).to_numpy(dtype=float)
        caps = [policy.tiers[t].max_visits_per_year for t in tiers]
        cap = np.array([np.inf if c is None else float(c) for c in caps])[stratum_idx]
        sel[done >= cap] = KINDS.index("excluded:cap")
    # 无事不扰: no proactive visit after a recent clean inspection.
    q = policy.quiet
    if q.tiers and {"last_inspected_on", "last_outcome"} <= set(subjects.columns):
        last = pd.to_datetime(col("last_inspected_on")).to_numpy()
        since = np.datetime64(start - pd.Timedelta(days=q.clean_lookback_days))
        clean = col("last_outcome").isin(list(q.clean_outcomes)).to_numpy(dtype=bool)
        quiet_tier = np.isin(tier_idx, [tiers.index(t) for t in q.tiers])
        quiet = quiet_tier & ~np.isnat(last) & (last >= since) & clean & (sel == 0)
        sel[quiet] = KINDS.index("excluded:quiet" if q.action == "exclude" else "floor")
    sel[mandatory] = KINDS.index("mandatory")

    p = np.array([policy.probability_of(t) for t in tiers])[stratum_idx]
    p[sel == KINDS.index("floor")] = policy.min_probability
    p[mandatory] = 1.0
    p[sel >= KINDS.index("excluded:quiet")] = 0.0

    # Stratum = stratum tier x region key x selection kind, labelled "B|3301|random".
    prefix = region_keys(region_uniques, policy, policy.region_level)
    rk_codes, rk_uniques = pd.factorize(prefix, sort=True)
    n_rk, n_sel = max(len(rk_uniques), 1), len(KINDS)
    combined = (stratum_idx * n_rk + rk_codes[region_codes]) * n_sel + sel
    c_codes, c_uniques = pd.factorize(combined, sort=True)
    labels = [
        f"{tiers[c // n_sel // n_rk]}|{rk_uniques[(c // n_sel) % n_rk]}|{KINDS[c % n_sel]}"
        for c in c_uniques
    ]

    def cat(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=categories).remove_unused_categories()

    reason_labels = list(KINDS) + [f"mandatory:{r}" for r in reasons[1:]]
    # distinct free-text reasons may coincide with flag names: merge duplicate labels
    uniq_labels, inverse = np.unique(np.array(reason_labels, dtype=object), return_inverse=True)
    reason_full = np.where(mandatory, len(KINDS) + reason_code - 1, sel)
    out = pd.DataFrame(
        {
            "credit_code": col("credit_code").astype(str),
            "tier": cat(tier_idx, tiers),
            "stratum_tier": cat(stratum_idx, tiers),
            "region": cat(region_codes, [str(r) for r in region_uniques]),
            "domains": domains.to_numpy(),
            "stratum": pd.Categorical.from_codes(c_codes, categories=labels),
            "selection": cat(sel, list(KINDS)),
            "reason": cat(inverse[reason_full], [str(u) for u in uniq_labels]),
            "inclusion_probability": p,
        }
    )
    for extra in ("name", "industry", "risk"):
        if extra in subjects.columns:
            out[extra] = col(extra).to_numpy()
    return out, order


def draw_subjects(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Draw from an :func:`inclusion_frame`: a boolean mask, one entry per frame row.

    Inside each stratum of ``N`` rows with probability ``p``, exactly ``floor(N p)`` or
    ``floor(N p) + 1`` rows are taken by simple random sampling (randomised rounding), so
    each row is drawn with probability exactly ``p``.

    Examples
    --------
    >>> frame = pd.DataFrame({"stratum": pd.Categorical(["a"] * 10), "inclusion_probability": 0.3})
    >>> int(draw_subjects(frame, np.random.default_rng(0)).sum())
    3
    """
    n = len(frame)
    if n == 0:
        return np.zeros(0, dtype=bool)
    codes = frame["stratum"].cat.codes.to_numpy().astype(np.int64)
    p = frame["inclusion_probability"].to_numpy(dtype=float)
    n_strata = int(codes.max()) + 1
    size = np.bincount(codes, minlength=n_strata)
    p_h = np.zeros(n_strata)
    p_h[codes] = p  # constant within a stratum by construction
    target = np.round(size * p_h, 9)
    base = np.floor(target)
    extra = rng.random(n_strata) < (target - base)
    take = (base + extra).astype(np.int64)
    key = codes + rng.random(n)  # sort by stratum, random order inside
    order = np.argsort(key, kind="stable")
    starts = np.concatenate(([0], np.cumsum(size)[:-1]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[codes[order]]
    return rank < take[codes]
