"""Random datasets for the feature tests: same-day records, late publication, repairs, expiries."""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.data import CreditDataset, load_catalog

CATALOG = load_catalog()
KINDS = list(CATALOG.kinds)
SEVERITIES = list(CATALOG.severities)
BASE = pd.Timestamp("2018-01-01")


def make_enterprises(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "credit_code": [f"S{i:04d}" for i in range(n)],
            "name": [f"Firm {i}" for i in range(n)],
            "entity_type": rng.choice(["enterprise", "individual_business"], n),
            "industry": rng.choice(["C13", "F52", "H61"], n),
            "region": rng.choice(["330106", "330108", "330203"], n),
            "registered_capital": rng.choice([50.0, 500.0, np.nan], n),
            "established_on": BASE - pd.to_timedelta(rng.integers(-200, 4000, n), unit="D"),
            "closed_on": [
                BASE + pd.Timedelta(days=int(d)) if c else pd.NaT
                for d, c in zip(rng.integers(200, 1500, n), rng.random(n) < 0.1, strict=True)
            ],
        }
    )


def make_records(ent: pd.DataFrame, n: int, rng: np.random.Generator, kinds=None) -> pd.DataFrame:
    """Random records with same-day events, late publication, repairs and expiries."""
    kinds = kinds or KINDS
    kind = rng.choice(kinds, n)
    start = BASE + pd.to_timedelta(rng.integers(0, 60, n) * 20, unit="D")  # coarse grid → same-day records
    late = np.where(rng.random(n) < 0.3, rng.integers(1, 200, n), 0)
    end_days = rng.integers(0, 800, n)
    has_end = rng.random(n) < 0.4
    outcomes = []
    for k in kind:
        allowed = CATALOG.kinds[k].outcomes
        outcomes.append(rng.choice(allowed) if allowed else None)
    return pd.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(n)],
            "credit_code": rng.choice(ent["credit_code"].to_numpy(), n),
            "kind": kind,
            "domain": rng.choice(["market", "food", "environment", "safety"], n),
            "start": start,
            "end": [s + pd.Timedelta(days=int(d)) if h else pd.NaT for s, d, h in zip(start, end_days, has_end, strict=True)],
            "published_on": start + pd.to_timedelta(late, unit="D"),
            "severity": rng.choice(SEVERITIES, n),
            "value": np.where(rng.random(n) < 0.8, rng.integers(1, 100, n).astype(float), np.nan),
            "outcome": outcomes,
        }
    )


def make_annual_reports(ent: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for code in ent["credit_code"]:
        for year in range(2016, 2021):
            if rng.random() < 0.75:
                filed = pd.Timestamp(f"{year + 1}-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))
                rows.append((code, year, filed, float(rng.integers(100, 1000)), float(rng.integers(1, 50)),
                             float(rng.integers(100, 900)), float(rng.integers(0, 800)), float(rng.integers(0, 40)),
                             float(rng.integers(0, 30))))
    ar = pd.DataFrame(rows, columns=["credit_code", "year", "filed_on", "revenue", "employees", "assets",
                                     "liabilities", "insured_employees", "tax_paid"])
    # profit: negative for some reports, missing where no tax was paid (no extra random draws)
    ar["profit"] = (ar["revenue"] * 0.1 - ar["tax_paid"] * 5).where(ar["tax_paid"] > 0)
    return ar


def make_relations(ent: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    codes = ent["credit_code"].to_numpy()
    a, b = rng.choice(codes, n), rng.choice(codes, n)
    keep = a != b
    start = BASE + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    end = [s + pd.Timedelta(days=int(d)) if rng.random() < 0.3 else pd.NaT for s, d in zip(start, rng.integers(0, 600, n), strict=True)]
    rel = pd.DataFrame({"credit_code": a, "related_code": b, "relation": rng.choice(["shareholder", "same_address"], n),
                        "start": start, "end": end})[keep]
    return rel.drop_duplicates(["credit_code", "related_code", "relation", "start"]).reset_index(drop=True)


def make_dataset(seed: int, n_subjects: int = 12, n_records: int = 150, kinds=None) -> CreditDataset:
    rng = np.random.default_rng(seed)
    ent = make_enterprises(n_subjects, rng)
    rec = make_records(ent, n_records, rng, kinds)
    return CreditDataset.from_frames(
        ent, rec, annual_reports=make_annual_reports(ent, rng), relations=make_relations(ent, n_subjects, rng),
        catalog=CATALOG, id_scheme="any",
    )


def make_cutoffs(ds: CreditDataset, n: int, rng: np.random.Generator) -> pd.DataFrame:
    codes = ds.enterprises["credit_code"].to_numpy()
    # dates on the records' grid (hits same-day boundaries) and in between
    days = rng.integers(0, 75, n) * 20 + rng.choice([0, 1, 7], n)
    return pd.DataFrame({"credit_code": rng.choice(codes, n), "as_of": BASE + pd.to_timedelta(days, unit="D")})
