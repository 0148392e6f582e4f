"""Inclusion probabilities and the stratified random draw of subjects.

Design: strata are tier × region (region cut to ``policy.region_level`` digits) and,
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

__all__ = ["DOMAIN_SEPARATOR", "draw_subjects", "inclusion_frame", "normalise_domains"]

DOMAIN_SEPARATOR = ";"
_REQUIRED = ("credit_code", "tier", "region")
#: Selection kinds, in the order used for stratum labels.
KINDS = ("random", "floor", "mandatory", "excluded:quiet", "excluded:cap")


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

    obj = values.astype(object)
    if obj.map(lambda v: isinstance(v, (list, tuple, set, frozenset, np.ndarray))).any():
        return obj.map(one).astype(str)
    codes, uniques = pd.factorize(obj, use_na_sentinel=True)
    mapped = np.array([one(u) for u in uniques] + [fallback], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    col = frame[column]
    if col.dtype == bool:
        return col.to_numpy()
    return col.fillna(False).astype(bool).to_numpy()


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
        ``credit_code``, ``tier``, ``region`` (6-digit GB/T 2260), optional ``domains``
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
    dup = codes.duplicated()
    if dup.any():
        raise DataContractError(
            f"subjects table has {int(dup.sum()):,} duplicate credit_code(s), e.g. "
            f"{codes[dup].iloc[0]!r}; give one row per subject"
        )
    order = codes.argsort(kind="stable").to_numpy()
    src = subjects.iloc[order].reset_index(drop=True)
    n = len(src)

    tier = src["tier"].astype(str).to_numpy(dtype=object)
    unknown = sorted(set(pd.unique(tier)) - set(policy.tiers))
    if unknown:
        raise DataContractError(
            f"subjects.tier has value(s) {unknown} the policy does not declare; "
            f"use one of {list(policy.tiers)}"
        )
    region = src["region"].astype(str).to_numpy(dtype=object)
    region_codes, region_uniques = pd.factorize(region)
    ok = pd.Series(region_uniques, dtype=object).str.fullmatch(r"\d{6}").to_numpy(dtype=bool)
    if not ok.all():
        first = int(np.argmax(~ok[region_codes]))
        raise DataContractError(
            f"subjects.region row {first + 1:,} (sorted by credit_code): {region[first]!r} "
            "is not a 6-digit GB/T 2260 code; fix the region"
        )

    # Observation period: new subjects are drawn at another tier's rate.
    stratum_tier = tier.copy()
    rule = policy.new_subjects
    if rule.treat_as_tier is not None and "established_on" in src.columns:
        born = pd.to_datetime(src["established_on"]).to_numpy()
        cutoff = np.datetime64(start - pd.Timedelta(days=rule.observation_days))
        is_new = ~np.isnat(born) & (born > cutoff)
        stratum_tier[is_new] = rule.treat_as_tier

    # Mandatory inclusions (p = 1, no cap).
    reason = np.full(n, "", dtype=object)
    mrule = policy.mandatory
    if mrule.reason_column is not None and mrule.reason_column in src.columns:
        text = src[mrule.reason_column].astype(object).where(src[mrule.reason_column].notna(), "")
        text = text.astype(str).str.strip().to_numpy(dtype=object)
        reason = np.where(text != "", text, reason)
    for flag in reversed(mrule.flags):  # the first listed flag wins the label
        if flag in src.columns:
            reason = np.where(_flag(src, flag), flag, reason)
    mandatory = reason != ""

    selection = np.full(n, "random", dtype=object)
    # Yearly visit cap of the (stratum) tier.
    if "visits_this_year" in src.columns:
        done = pd.to_numeric(src["visits_this_year"]).fillna(0).to_numpy()
        caps = {t: r.max_visits_per_year for t, r in policy.tiers.items()}
        cap = pd.Series(stratum_tier, dtype=object).map(
            {t: np.inf if c is None else float(c) for t, c in caps.items()}
        ).to_numpy(dtype=float)
        selection[done >= cap] = "excluded:cap"
    # 无事不扰: no proactive visit after a recent clean inspection.
    q = policy.quiet
    if q.tiers and {"last_inspected_on", "last_outcome"} <= set(src.columns):
        last = pd.to_datetime(src["last_inspected_on"]).to_numpy()
        since = np.datetime64(start - pd.Timedelta(days=q.clean_lookback_days))
        clean = src["last_outcome"].astype(object).isin(list(q.clean_outcomes)).to_numpy()
        quiet = np.isin(tier, list(q.tiers)) & ~np.isnat(last) & (last >= since) & clean
        quiet &= selection == "random"
        selection[quiet] = "excluded:quiet" if q.action == "exclude" else "floor"
    selection[mandatory] = "mandatory"

    prob_of = {t: policy.probability_of(t) for t in policy.tiers}
    p = pd.Series(stratum_tier, dtype=object).map(prob_of).to_numpy(dtype=float, copy=True)
    p[selection == "floor"] = policy.min_probability
    p[mandatory] = 1.0
    excluded = (selection == "excluded:quiet") | (selection == "excluded:cap")
    p[excluded] = 0.0

    # Stratum = stratum tier x region prefix x selection kind, labelled "B|3301|random".
    region_key = np.array([r[: policy.region_level] for r in region_uniques], dtype=object)
    rk_codes, rk_uniques = pd.factorize(region_key[region_codes] if n else region_key[:0])
    t_codes, t_uniques = pd.factorize(stratum_tier)
    s_codes, s_uniques = pd.factorize(selection)
    combined = (t_codes.astype(np.int64) * max(len(rk_uniques), 1) + rk_codes) * max(
        len(s_uniques), 1
    ) + s_codes
    c_codes, c_uniques = pd.factorize(combined, sort=True)
    labels = [
        f"{t_uniques[c // len(s_uniques) // len(rk_uniques)]}|"
        f"{rk_uniques[(c // len(s_uniques)) % len(rk_uniques)]}|{s_uniques[c % len(s_uniques)]}"
        for c in c_uniques
    ]
    stratum = pd.Categorical.from_codes(c_codes, categories=labels)

    out = pd.DataFrame(
        {
            "credit_code": src["credit_code"].astype(str).to_numpy(dtype=object),
            "tier": tier,
            "stratum_tier": stratum_tier,
            "region": region,
            "domains": normalise_domains(
                src["domains"] if "domains" in src.columns else pd.Series([None] * n, dtype=object),
                policy.default_domains,
            ).to_numpy(dtype=object),
            "stratum": stratum,
            "selection": selection,
            "reason": np.where(mandatory, "mandatory:" + reason.astype(object), selection),
            "inclusion_probability": p,
        }
    )
    for extra in ("name", "industry", "risk"):
        if extra in src.columns:
            out[extra] = src[extra].to_numpy()
    return out


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
