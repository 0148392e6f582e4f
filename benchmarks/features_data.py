"""A fast vectorised random dataset for the feature benchmark (no validation pass).

``n`` subjects, about ``records_per_subject`` records each over ``years`` years, with late
publication, removal dates on interval kinds, severities, outcomes and amounts, plus annual
reports and relations. Built straight into a :class:`CreditDataset` with the contract's
dtypes (the validator is skipped: generating is not what is benchmarked).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.data import CreditDataset, load_catalog

KIND_SHARES = {
    "inspection": 0.25, "penalty": 0.15, "complaint": 0.12, "abnormal_listing": 0.08, "tax_rating": 0.1,
    "licence": 0.05, "legal_rep_change": 0.05, "address_change": 0.05, "product_sampling": 0.05,
    "social_insurance_arrears": 0.02, "environmental_violation": 0.02, "capital_change": 0.03,
    "judgment_defaulter": 0.01, "serious_listing": 0.01, "honour": 0.01,
}
START = np.datetime64("2020-01-01")


def random_dataset(n: int, *, records_per_subject: float = 5.0, years: int = 5, seed: int = 0,
                   simple: bool = False) -> CreditDataset:
    """``simple=True``: published on the start date, no ends (for featuretools, which knows one time index)."""
    rng = np.random.default_rng(seed)
    cat = load_catalog()
    codes = np.char.add("S", np.char.zfill(np.arange(n).astype(str), 8)).astype(object)
    span = 365 * years
    est = START - rng.integers(0, 365 * 15, n).astype("timedelta64[D]")
    closed = np.where(rng.random(n) < 0.05, START + rng.integers(0, span, n).astype("timedelta64[D]"),
                      np.datetime64("NaT"))
    ent = pd.DataFrame({
        "credit_code": codes,
        "name": codes,
        "entity_type": pd.Categorical(rng.choice(["enterprise", "individual_business"], n)),
        "industry": pd.Categorical(rng.choice(["C13", "C17", "F51", "F52", "H61", "I65", "M74"], n)),
        "region": pd.Categorical(rng.choice(["330102", "330106", "330203", "330302", "330402", "330502"], n)),
        "registered_capital": rng.lognormal(5, 1.5, n),
        "established_on": est.astype("datetime64[ns]"),
        "closed_on": closed.astype("datetime64[ns]"),
    })
    m = rng.poisson(records_per_subject * n)
    kinds = np.array(list(KIND_SHARES))
    p = np.array(list(KIND_SHARES.values()))
    kind = kinds[rng.choice(len(kinds), m, p=p / p.sum())]
    subj = np.sort(rng.integers(0, n, m))
    start = START + rng.integers(0, span, m).astype("timedelta64[D]")
    if simple:
        pub = start
        end = np.full(m, np.datetime64("NaT"), dtype="datetime64[D]")
    else:
        late = np.where(rng.random(m) < 0.3, rng.geometric(0.05, m), 0)
        pub = start + late.astype("timedelta64[D]")
        interval = np.isin(kind, [k for k, s in cat.kinds.items() if s.interval])
        has_end = interval & (rng.random(m) < 0.5)
        end = np.where(has_end, start + rng.integers(1, 900, m).astype("timedelta64[D]"), np.datetime64("NaT"))
    default_sev = pd.Series(kind).map({k: s.default_severity for k, s in cat.kinds.items()}).to_numpy()
    sev = np.where(kind == "penalty", rng.choice(["info", "minor", "general", "serious"], m, p=[.1, .4, .4, .1]), default_sev)
    outcome = np.full(m, None, dtype=object)
    for k, spec in cat.kinds.items():
        if spec.outcomes:
            sel = kind == k
            outcome[sel] = rng.choice(list(spec.outcomes), int(sel.sum()))
    value = np.where(np.isin(kind, ["penalty", "social_insurance_arrears", "capital_change"]),
                     np.round(rng.lognormal(8, 1.2, m)), np.nan)
    outcomes = sorted({o for s in cat.kinds.values() for o in s.outcomes})
    rec = pd.DataFrame({
        "record_id": np.arange(m).astype(str).astype(object),
        "credit_code": codes[subj],
        "kind": pd.Categorical(kind, categories=list(cat.kinds)),
        "domain": pd.Categorical(rng.choice(["market", "food", "environment", "safety", "quality"], m),
                                 categories=list(cat.domains)),
        "start": start.astype("datetime64[ns]"),
        "end": end.astype("datetime64[ns]"),
        "published_on": pub.astype("datetime64[ns]"),
        "severity": pd.Categorical(sev, categories=list(cat.severities), ordered=True),
        "value": value,
        "outcome": pd.Categorical(outcome, categories=outcomes),
        "source": pd.Categorical(np.full(m, "samr")),
    })
    # annual reports of the last three years, 85 % filed, some late
    ys = np.repeat(np.arange(2021, 2024), n)
    rs = np.tile(np.arange(n), 3)
    filed_mask = rng.random(len(ys)) < 0.85
    ys, rs = ys[filed_mask], rs[filed_mask]
    filed = (ys + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]") + rng.integers(0, 240, len(ys)).astype("timedelta64[D]")
    emp = rng.integers(1, 300, len(ys)).astype(float)
    ar = pd.DataFrame({
        "credit_code": codes[rs], "year": ys.astype(np.int64), "filed_on": filed.astype("datetime64[ns]"),
        "revenue": rng.lognormal(6, 1.5, len(ys)), "profit": rng.normal(0, 100, len(ys)),
        "assets": rng.lognormal(6, 1.5, len(ys)), "liabilities": rng.lognormal(5.5, 1.5, len(ys)),
        "employees": emp, "insured_employees": np.floor(emp * rng.random(len(ys))), "tax_paid": rng.lognormal(3, 1, len(ys)),
    })
    nl = n // 3
    a, b = rng.integers(0, n, nl), rng.integers(0, n, nl)
    keep = a != b
    rel = pd.DataFrame({
        "credit_code": codes[a[keep]], "related_code": codes[b[keep]],
        "relation": pd.Categorical(rng.choice(["shareholder", "legal_representative", "same_address"], int(keep.sum())),
                                   categories=["shareholder", "legal_representative", "same_address"]),
        "start": (START - rng.integers(0, 2000, int(keep.sum())).astype("timedelta64[D]")).astype("datetime64[ns]"),
        "end": np.full(int(keep.sum()), np.datetime64("NaT"), dtype="datetime64[ns]"),
    })
    return CreditDataset(enterprises=ent, records=rec, catalog=cat, annual_reports=ar, relations=rel, id_scheme="any")


def cutoffs_one_date(ds: CreditDataset, as_of: str = "2025-01-01") -> pd.DataFrame:
    return pd.DataFrame({"credit_code": ds.enterprises["credit_code"].to_numpy(), "as_of": pd.Timestamp(as_of)})


def cutoffs_per_inspection(ds: CreditDataset) -> pd.DataFrame:
    rec = ds.records
    insp = rec[rec["kind"] == "inspection"]
    return pd.DataFrame({"credit_code": insp["credit_code"].to_numpy(), "as_of": insp["start"].to_numpy()})
