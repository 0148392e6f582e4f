"""Build the subjects table of a plan from a credit dataset and a tier table.

:func:`subjects_from_dataset` reads, point-in-time at ``as_of`` (the plan's start), what
the policy needs from the public credit records: the domains a subject falls under (from
its licences and ratings), its last inspection and outcome (无事不扰 rule), the number of
inspections earlier in the year (yearly cap), and the mandatory flags (serious dishonest
listing, court-listed judgment defaulter, recent verified complaint).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from credit_risk.data.publication import counts_at
from credit_risk.exceptions import DataContractError

__all__ = ["subjects_from_dataset"]


#: On a day with several inspections (a joint visit), the day counts as its worst outcome.
_OUTCOME_RANK = {"pass": 0, "unreachable": 1, "problem": 2}


def subjects_from_dataset(
    dataset: object,
    tiers: pd.DataFrame,
    *,
    as_of: object,
    domain_kinds: Sequence[str] = ("licence", "environmental_rating"),
    complaint_days: int = 90,
    base_domain: str = "market",
) -> pd.DataFrame:
    """The subjects table for :func:`~credit_risk.scheduler.plan_inspections`.

    Parameters
    ----------
    dataset : CreditDataset
        ``enterprises`` and ``records`` of the data contract.
    tiers : DataFrame
        ``credit_code, tier`` (and optionally ``risk``) for every subject operating at ``as_of``.
    as_of : date-like
        The plan's start. The same point-in-time rule as the features applies: a record
        counts iff published strictly before ``as_of``, started before it, and not ended,
        repaired or expired by then (``credit_risk.data.publication``); a subject operates
        iff established before ``as_of`` (or on an unknown date) and not closed before it.
    domain_kinds : sequence of str
        Record kinds whose ``domain`` puts a subject under that domain while active.
    complaint_days : int
        A complaint with outcome ``verified`` in the ``complaint_days`` before ``as_of``
        makes the subject mandatory [I]; pass ``policy.mandatory.complaint_days``.
    base_domain : str
        Domain every subject falls under (``market``: registration and disclosure items).

    Returns
    -------
    DataFrame
        ``credit_code, tier, region, industry, established_on, domains, last_inspected_on,
        last_outcome, visits_this_year, serious_listing, judgment_defaulter,
        verified_complaint`` (+ ``risk`` and ``name``), one row per operating subject.
    """
    t = pd.Timestamp(as_of).normalize()
    ent = dataset.enterprises  # type: ignore[attr-defined]
    rec = dataset.records  # type: ignore[attr-defined]
    missing = [c for c in ("credit_code", "tier") if c not in tiers.columns]
    if missing:
        raise DataContractError(f"tiers table lacks column(s) {missing}; got {list(tiers.columns)}")
    established = pd.to_datetime(ent["established_on"])
    closed = pd.to_datetime(ent["closed_on"]) if "closed_on" in ent.columns else pd.Series(pd.NaT, index=ent.index)
    alive = ~(established >= t) & ~(closed < t)  # an unknown establishment date: operating
    cols = [c for c in ("credit_code", "name", "region", "industry", "established_on") if c in ent.columns]
    out = ent.loc[alive, cols].copy()
    for c in ("credit_code", "region", "industry"):
        if c in out.columns:
            out[c] = out[c].astype(str)
    out = out.reset_index(drop=True)

    tier_table = tiers.assign(credit_code=tiers["credit_code"].astype(str)).set_index("credit_code")
    pos = tier_table.index.get_indexer(out["credit_code"])
    if (pos < 0).any():
        raise DataContractError(
            f"tiers table has no tier for {int((pos < 0).sum()):,} operating subject(s), e.g. "
            f"{out['credit_code'][pos < 0].iloc[0]!r}; tier every subject operating at {t.date()}"
        )
    out["tier"] = tier_table["tier"].astype(str).to_numpy()[pos]
    if "risk" in tier_table.columns:
        out["risk"] = tier_table["risk"].to_numpy(dtype=float)[pos]

    rec = rec.assign(credit_code=rec["credit_code"].astype(str))
    code_index = pd.Index(out["credit_code"])
    row = code_index.get_indexer(rec["credit_code"])
    rec = rec.loc[row >= 0].assign(_row=row[row >= 0])
    start = pd.to_datetime(rec["start"])
    known = pd.to_datetime(rec["published_on"]).fillna(start) if "published_on" in rec.columns else start
    seen = (start < t) & (known < t)
    active = pd.Series(counts_at(rec, dataset.catalog, t), index=rec.index)  # type: ignore[attr-defined]

    # domains: base + active licences / ratings
    dom = rec.loc[rec["kind"].isin(list(domain_kinds)) & active & rec["domain"].notna(), ["_row", "domain"]]
    extra = dom.assign(domain=dom["domain"].astype(str)).drop_duplicates()
    joined = extra.sort_values(["_row", "domain"]).groupby("_row")["domain"].agg(";".join)
    domains = np.full(len(out), base_domain, dtype=object)
    domains[joined.index.to_numpy()] = [
        ";".join(sorted({base_domain, *d.split(";")})) for d in joined.to_numpy(dtype=object)
    ]
    out["domains"] = domains

    # last inspection and inspections earlier this year
    insp = rec.loc[(rec["kind"] == "inspection") & seen, ["_row", "start", "outcome"]]
    insp = insp.assign(
        start=pd.to_datetime(insp["start"]),
        _rank=insp["outcome"].astype(object).map(_OUTCOME_RANK).fillna(-1).astype(int),
    )
    # Last inspection day per subject, with the worst outcome of that day (order-independent).
    last = (
        insp.sort_values(["_row", "start", "_rank"], kind="stable")
        .groupby("_row", sort=True)
        .tail(1)
    )
    out["last_inspected_on"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out.loc[last["_row"].to_numpy(), "last_inspected_on"] = last["start"].to_numpy()
    outcome = np.full(len(out), None, dtype=object)
    outcome[last["_row"].to_numpy()] = last["outcome"].astype(object).to_numpy()
    out["last_outcome"] = outcome
    this_year = insp["start"] >= pd.Timestamp(year=t.year, month=1, day=1)
    out["visits_this_year"] = np.bincount(insp.loc[this_year, "_row"], minlength=len(out)).astype(np.int64)

    # mandatory flags
    for kind in ("serious_listing", "judgment_defaulter"):
        hit = rec.loc[(rec["kind"] == kind) & active, "_row"].to_numpy()
        flag = np.zeros(len(out), dtype=bool)
        flag[hit] = True
        out[kind] = flag
    since = t - pd.Timedelta(days=complaint_days)
    comp = rec.loc[(rec["kind"] == "complaint") & seen & (start >= since)
                   & (rec["outcome"].astype(object) == "verified"), "_row"].to_numpy()
    flag = np.zeros(len(out), dtype=bool)
    flag[comp] = True
    out["verified_complaint"] = flag
    return out
