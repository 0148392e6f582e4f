"""A synthetic inspector roster (执法人员名录库) sized to a policy, for the demo and benchmarks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["synthetic_roster"]


def synthetic_roster(
    subjects: pd.DataFrame,
    policy,
    *,
    seed: int,
    capacity: int = 80,
    slack: float = 1.6,
) -> pd.DataFrame:
    """A plausible inspector roster for synthetic data: per department and prefecture city.

    ``subjects`` are those of :func:`~credit_risk.scheduler.subjects_from_dataset` (``tier``,
    ``region``, optional ``domains``); ``policy`` is an
    :class:`~credit_risk.scheduler.InspectionPolicy` (read for its tier shares, departments and
    minimum probability only, so the data layer does not import the scheduler).

    Each department gets enough inspectors in every prefecture city (GB/T 2260 first four
    digits) to cover ``slack`` × the expected visits of the policy × its minimum team size,
    at ``capacity`` visits per inspector and period. Real deployments load their roster
    (名录库) instead; this exists so the demo and benchmarks have one.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    shares = {t: r.share for t, r in policy.tiers.items()}
    rate = subjects["tier"].astype(object).map(shares).fillna(max(shares.values())).to_numpy(dtype=float)
    prefecture = subjects["region"].astype(str).str[:4].to_numpy()
    domains = subjects["domains"].astype(str) if "domains" in subjects else pd.Series("market", index=subjects.index)
    rows = []
    for dept, rule in sorted(policy.departments.items()):
        covers = domains.str.split(";").map(lambda ds, items=rule.items: any(d in items for d in ds)).to_numpy()
        for pref in sorted(set(prefecture)):
            in_pref = (prefecture == pref) & covers
            expected = float(np.maximum(rate[in_pref], policy.min_probability).sum())
            if expected <= 0:
                continue
            n = max(rule.min_inspectors + 1, math.ceil(slack * expected * rule.min_inspectors / capacity))
            counties = sorted(set(subjects.loc[in_pref, "region"].astype(str))) or [pref + "00"]
            home = rng.choice(counties, size=n)
            rows.append(pd.DataFrame({
                "inspector_id": [f"{dept[:3].upper()}-{pref}-{i:04d}" for i in range(n)],
                "department": dept,
                "home_region": home,
                "capacity": capacity,
            }))
    return pd.concat(rows, ignore_index=True)
