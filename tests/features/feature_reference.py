"""A naive reference implementation: one plain Python loop per cutoff, obviously correct.

Each function mirrors the documented semantics (docs/features.md) without any of the
interval/searchsorted machinery, so the fast builders can be checked against it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from credit_risk.data import CreditDataset
from credit_risk.features.spec import FeatureSpec

DAY = pd.Timedelta(days=1)


def effective_end(ds: CreditDataset) -> pd.Series:
    rec = ds.records
    out = []
    for kind, sev, start, end in zip(rec["kind"], rec["severity"], rec["start"], rec["end"], strict=True):
        days = ds.catalog.kinds[kind].publication_days[sev]
        expiry = pd.NaT if days is None else start + pd.Timedelta(days=days)
        candidates = [d for d in (end, expiry) if not pd.isna(d)]
        out.append(min(candidates) if candidates else pd.NaT)
    return pd.Series(out, index=rec.index, dtype="datetime64[ns]")


def _counts_at(r, t) -> bool:
    """A record counts at t: known strictly before t, started before t, not ended before t."""
    return r.published_on < t and r.start < t and (pd.isna(r.eff_end) or r.eff_end >= t)


def _select(rec: pd.DataFrame, f, catalog=None) -> pd.DataFrame:
    m = rec["kind"].isin(f.kinds)
    if getattr(f, "adverse", False):
        m &= rec["outcome"].isin([o for k in f.kinds for o in catalog.kinds[k].adverse_outcomes])
    if f.domains is not None:
        m &= rec["domain"].isin(f.domains)
    if f.severities is not None:
        m &= rec["severity"].isin(f.severities)
    if f.outcomes is not None:
        m &= rec["outcome"].isin(f.outcomes)
    return rec[m]


def _last(recs: pd.DataFrame, t):
    """Most recent record known before t among those that ever count; None if it no longer counts."""
    best, best_key = None, None
    for _, r in recs.iterrows():
        lo = max(r.published_on, r.start)
        hi = pd.Timestamp.max if pd.isna(r.eff_end) else r.eff_end
        if not (lo < hi and lo < t):
            continue
        key = (r.start, hi, str(r.record_id))  # same-day ties: the greatest record_id, whatever the row order
        if best_key is None or key > best_key:
            best, best_key = r, key
    if best is None or not (pd.isna(best.eff_end) or best.eff_end >= t):
        return None
    return best


def naive_aggregates(ds: CreditDataset, cutoffs: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    rec = ds.records.copy()
    rec["eff_end"] = effective_end(ds)
    sev_rank = {s: i for i, s in enumerate(ds.catalog.severities)}
    rows = []
    for code, t in zip(cutoffs["credit_code"], cutoffs["as_of"], strict=True):
        own = rec[rec["credit_code"] == code]
        row = {}
        for g in spec.aggregates:
            sel = _select(own, g.filter, ds.catalog)
            counting = sel[np.array([_counts_at(r, t) for r in sel.itertuples()], dtype=bool)]

            def in_window(w, counting=counting, t=t):
                return counting[counting["start"] >= t - w * DAY]

            for agg, w, info in g.expand(spec.decay_tau_days):
                if agg == "count":
                    v = float(len(in_window(w)))
                elif agg == "sum":
                    v = float(in_window(w)["value"].fillna(0).sum())
                elif agg == "mean":
                    vals = in_window(w)["value"].dropna()
                    v = float(vals.mean()) if len(vals) else np.nan
                elif agg == "last_value":
                    r = _last(sel[sel["value"].notna()], t)
                    v = np.nan if r is None else float(r.value)
                elif agg == "max_severity":
                    win = in_window(w)
                    v = float(max(sev_rank[s] for s in win["severity"])) if len(win) else np.nan
                elif agg == "decayed_count":
                    v = float(sum(math.exp(-((t - s) / DAY) / spec.decay_tau_days) for s in in_window(w)["start"]))
                elif agg == "trend":
                    w1, w2 = g.trend_pair
                    c1, c2 = len(in_window(w1)), len(in_window(w2))
                    v = 365.0 * (c1 / w1 - (c2 - c1) / (w2 - w1))
                elif agg == "active":
                    v = float(len(counting) > 0)
                elif agg == "active_count":
                    v = float(len(counting))
                elif agg == "last":
                    r = _last(sel, t)
                    v = None if r is None else r.outcome
                elif agg == "days_since_last":
                    r = _last(sel, t)
                    v = np.nan if r is None else float((t - r.start) / DAY)
                row[info.name] = v
        rows.append(row)
    return pd.DataFrame(rows)


def naive_compliance(ds: CreditDataset, cutoffs: pd.DataFrame) -> pd.DataFrame:
    rec = ds.records.copy()
    rec["eff_end"] = effective_end(ds)
    rows = []
    for code, t in zip(cutoffs["credit_code"], cutoffs["as_of"], strict=True):
        own = rec[rec["credit_code"] == code]
        counting = own[np.array([_counts_at(r, t) for r in own.itertuples()], dtype=bool)]
        win = counting[counting["start"] >= t - 1825 * DAY]
        insp = win[win["kind"] == "inspection"]
        concluded = insp["outcome"].isin(["pass", "problem"]).sum()
        rate = (insp["outcome"] == "problem").sum() / concluded if concluded else np.nan
        last = _last(own[own["kind"] == "inspection"], t)
        samp = win[win["kind"] == "product_sampling"]
        srate = (samp["outcome"] == "fail").sum() / len(samp) if len(samp) else np.nan
        ab = _last(own[own["kind"] == "abnormal_listing"], t)
        si = counting[counting["kind"] == "social_insurance_arrears"]["value"].fillna(0).sum()
        comp = counting[(counting["kind"] == "complaint") & (counting["start"] >= t - 1095 * DAY)]
        rows.append(
            {
                "inspection_problem_rate_1825d": rate,
                "days_since_inspection": np.nan if last is None else (t - last.start) / DAY,
                "inspection_last_outcome": None if last is None else last.outcome,
                "sampling_fail_rate_1825d": srate,
                "abnormal_days_listed": np.nan if ab is None else (t - ab.start) / DAY,
                "social_insurance_arrears_amount": float(si),
                "complaint_verified_share_1095d": (comp["outcome"] == "verified").mean() if len(comp) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def naive_relations(ds: CreditDataset, cutoffs: pd.DataFrame, tiers: pd.DataFrame | None = None) -> pd.DataFrame:
    rec = ds.records.copy()
    rec["eff_end"] = effective_end(ds)
    negative = [k for k, s in ds.catalog.kinds.items() if s.polarity == "negative"]
    rel = ds.relations
    rows = []
    for code, t in zip(cutoffs["credit_code"], cutoffs["as_of"], strict=True):
        related = set()
        for r in rel.itertuples():
            if r.start < t and (pd.isna(r.end) or r.end >= t):
                if r.credit_code == code:
                    related.add(r.related_code)
                if r.related_code == code:
                    related.add(r.credit_code)
        bad = 0
        worst = np.nan
        for other in related:
            o = rec[rec["credit_code"] == other]
            if any(
                _counts_at(r, t)
                and (r.kind in ("serious_listing", "judgment_defaulter") or (r.kind in negative and r.severity == "serious"))
                for r in o.itertuples()
            ):
                bad += 1
            if tiers is not None:
                known = tiers[(tiers["credit_code"] == other) & (tiers["valid_from"] < t)]
                if len(known):
                    latest = known[known["valid_from"] == known["valid_from"].max()]
                    rank = max("ABCD".index(x) for x in latest["tier"])
                    worst = rank if np.isnan(worst) else max(worst, rank)
        row = {
            "related_count": float(len(related)),
            "related_serious_count": float(bad),
            "related_serious_share": bad / len(related) if related else np.nan,
        }
        if tiers is not None:
            row["related_worst_tier"] = float(worst)
        rows.append(row)
    return pd.DataFrame(rows)


def naive_lifecycle_commercial(ds: CreditDataset, cutoffs: pd.DataFrame, history_years: int = 7) -> pd.DataFrame:
    ent = ds.enterprises.set_index("credit_code")
    ar = ds.annual_reports
    rec = ds.records
    rows = []
    for code, t in zip(cutoffs["credit_code"], cutoffs["as_of"], strict=True):
        e = ent.loc[code]
        age = (t - e.established_on) / DAY / 365.25 if e.established_on < t else np.nan
        known = ar[(ar["credit_code"] == code) & (ar["filed_on"] < t)]
        last = known[known["year"] == known["year"].max()].iloc[-1] if len(known) else None
        prev = known[known["year"] == last.year - 1] if last is not None else known.iloc[:0]
        prev = prev.iloc[-1] if len(prev) else None

        def growth(c, last=last, prev=prev):
            if last is None or prev is None or prev[c] == 0 or pd.isna(prev[c]) or pd.isna(last[c]):
                return np.nan
            return (last[c] - prev[c]) / abs(prev[c])

        def ratio(a, b, last=last):
            if last is None or pd.isna(last[b]) or last[b] == 0 or pd.isna(last[a]):
                return np.nan
            return last[a] / last[b]

        def history_mean(a, b, known=known, t=t):
            hist = known[(known["year"] >= t.year - history_years) & (known["year"] <= t.year - 1)]
            values = [r[a] / r[b] for _, r in hist.iterrows()
                      if not (pd.isna(r[a]) or pd.isna(r[b]) or r[b] == 0) and np.isfinite(r[a] / r[b])]
            return float(np.mean(values)) if values else np.nan

        deadline = lambda y: pd.Timestamp(f"{y + 1}-06-30")  # noqa: E731
        last_expected = t.year - 1 if deadline(t.year - 1) < t else t.year - 2
        missing = late = 0
        overdue = np.nan
        for k in range(3):
            y = last_expected - k
            if y < e.established_on.year:
                continue
            rep = known[known["year"] == y]
            if len(rep):
                late += int(rep["filed_on"].iloc[-1] > deadline(y))
            else:
                missing += 1
            if k == 0:
                overdue = 0.0 if len(rep) else (t - deadline(y)) / DAY
        if last_expected < e.established_on.year:
            missing = late = np.nan
        closed = float(not pd.isna(e.closed_on) and e.closed_on < t)
        g = growth("revenue")
        if np.isnan(age):
            stage = None
        elif closed or g <= -0.2:
            stage = "decline"
        else:
            stage = "startup" if age < 3 else ("growth" if age < 8 else "mature")
        caps = rec[(rec["credit_code"] == code) & (rec["kind"] == "capital_change") & (rec["published_on"] >= t)]
        cap = e.registered_capital - caps["value"].fillna(0).sum()
        rows.append(
            {
                "annual_report_missing_3y": missing,
                "annual_report_late_3y": late,
                "annual_report_overdue_days": overdue,
                "revenue_growth": g,
                "employee_growth": growth("employees"),
                "liability_ratio": ratio("liabilities", "assets"),
                "insured_employee_ratio": ratio("insured_employees", "employees"),
                "log_registered_capital": math.log1p(cap) if cap >= 0 else np.nan,
                f"liability_ratio_mean_{history_years}y": history_mean("liabilities", "assets"),
                f"insured_employee_ratio_mean_{history_years}y": history_mean("insured_employees", "employees"),
                f"tax_to_revenue_mean_{history_years}y": history_mean("tax_paid", "revenue"),
                f"profit_margin_mean_{history_years}y": history_mean("profit", "revenue"),
                "age_years": age,
                "closed": closed,
                "lifecycle_stage": stage,
            }
        )
    return pd.DataFrame(rows)


def naive_context(ds: CreditDataset, cutoffs: pd.DataFrame, kind="penalty", window=365, m=20.0) -> pd.DataFrame:
    rec = ds.records.copy()
    rec["eff_end"] = effective_end(ds)
    rec = rec[rec["kind"] == kind]
    ent = ds.enterprises.set_index("credit_code")
    section = ent["industry"].astype(str).str[0]
    rows = []
    for code, t in zip(cutoffs["credit_code"], cutoffs["as_of"], strict=True):
        def events(r, t=t):
            return _counts_at(r, t) and r.start >= t - window * DAY

        def alive(c, t=t):
            e = ent.loc[c]
            return e.established_on < t and (pd.isna(e.closed_on) or e.closed_on >= t)

        ev = {c: 0 for c in ent.index}
        for r in rec.itertuples():
            if events(r):
                ev[r.credit_code] += 1
        others = [c for c in ent.index if c != code]
        prior = sum(ev[c] for c in others) / max(sum(alive(c) for c in others), 1)
        same = [c for c in others if section[c] == section[code]]
        rate = (sum(ev[c] for c in same) + m * prior) / (sum(alive(c) for c in same) + m)
        rows.append({f"industry_{kind}_rate_{window}d": rate})
    return pd.DataFrame(rows)
