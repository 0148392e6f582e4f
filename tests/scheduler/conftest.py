"""Seeded toy province for the scheduler tests.

Tiers are built from a known latent risk plus noise (the real tier model arrives later):
``score = logit(latent_risk) + N(0, noise)``, cut at population shares 50/30/15/5 % into
A/B/C/D. ``violating`` is drawn from ``latent_risk``, so tiers carry signal but are imperfect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_risk.scheduler import load_policy

REGIONS = ("330102", "330106", "330108", "330203", "330205", "330302")
TIER_SHARES = (0.50, 0.30, 0.15, 0.05)


def make_population(n: int, seed: int, *, noise: float = 0.7, regions=REGIONS) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    logit = rng.normal(-3.0, 1.3, n)
    latent = 1 / (1 + np.exp(-logit))
    score = logit + rng.normal(0, noise, n)
    cuts = np.quantile(score, np.cumsum(TIER_SHARES)[:-1])
    tier = np.array(list("ABCD"))[np.searchsorted(cuts, score)]
    domains = np.full(n, "market", dtype=object)
    food = rng.random(n) < 0.3
    env = rng.random(n) < 0.1
    safety = rng.random(n) < 0.1
    domains[food] = domains[food] + ";food"
    domains[env] = domains[env] + ";environment"
    domains[safety] = domains[safety] + ";safety"
    return pd.DataFrame(
        {
            "credit_code": [f"S{i:07d}" for i in range(n)],
            "tier": tier,
            "region": rng.choice(np.array(regions), n),
            "industry": rng.choice(np.array(["C13", "H62", "F52"]), n),
            "domains": domains,
            "latent_risk": latent,
            "violating": rng.random(n) < latent,
        }
    )


def make_roster(subjects: pd.DataFrame, policy, *, per_pool: int = 12, slack: float = 1.6,
                seed: int = 0) -> pd.DataFrame:
    """Inspectors per (department, prefecture) with capacity ≈ slack × worst-case demand."""
    rng = np.random.default_rng(seed)
    rows = []
    counties = sorted(subjects["region"].unique())
    for dept_name, dept in policy.departments.items():
        for pref in sorted({c[:4] for c in counties}):
            mine = subjects[subjects["region"].str.startswith(pref)]
            covered = mine["domains"].apply(lambda d, dept=dept: any(x in dept.items for x in d.split(";")))
            expected = sum(policy.probability_of(t) for t in mine.loc[covered, "tier"]) + 20
            cap_total = int(np.ceil(expected * dept.min_inspectors * slack))
            caps = rng.multinomial(cap_total, np.ones(per_pool) / per_pool)
            pool_counties = [c for c in counties if c.startswith(pref)]
            for i in range(per_pool):
                rows.append(
                    {
                        "inspector_id": f"{dept_name[:3].upper()}{pref}{i:03d}",
                        "department": dept_name,
                        "home_region": pool_counties[i % len(pool_counties)],
                        "capacity": int(caps[i]),
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def policy():
    return load_policy()


@pytest.fixture(scope="session")
def population():
    return make_population(6000, seed=11)


@pytest.fixture(scope="session")
def roster(population, policy):
    return make_roster(population, policy)


@pytest.fixture(scope="session")
def population_factory():
    """:func:`make_population`, for tests that need their own province."""
    return make_population


@pytest.fixture(scope="session")
def roster_factory():
    """:func:`make_roster`, for tests that need their own roster."""
    return make_roster
