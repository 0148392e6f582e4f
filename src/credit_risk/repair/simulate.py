"""Seeded simulated repair applications, for demos and back-tests (never for real decisions)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.data.publication import counts_at
from credit_risk.repair.rules import EVIDENCE, RepairRules

__all__ = ["simulate_applications"]


def simulate_applications(dataset, rules: RepairRules, *, applied_on, seed: int, share: float = 0.3,
                          evidence_share: float = 0.8) -> pd.DataFrame:
    """Applications for a seeded ``share`` of the repairable records counting as of ``applied_on``.

    Each application shows all evidence with probability ``evidence_share``; otherwise one
    obligation, drawn at random, is missing. Some applications come before the minimum
    period and are rightly rejected.
    """
    t = pd.Timestamp(applied_on).normalize()
    rec = dataset.records
    live = counts_at(rec, dataset.catalog, t) & rec["kind"].astype(object).isin(list(rules.kinds)).to_numpy()
    pool = rec.loc[live].sort_values("record_id")
    rng = np.random.default_rng(seed)
    pick = pool.loc[rng.random(len(pool)) < share]
    n = len(pick)
    flags = np.ones((n, len(EVIDENCE)), dtype=bool)
    short = rng.random(n) >= evidence_share
    flags[np.flatnonzero(short), rng.integers(0, len(EVIDENCE), int(short.sum()))] = False
    out = pd.DataFrame({
        "application_id": [f"A{t:%Y%m%d}-{i + 1:05d}" for i in range(n)],
        "credit_code": pick["credit_code"].astype(str).to_numpy(),
        "record_id": pick["record_id"].astype(str).to_numpy(),
        "applied_on": t,
    })
    for j, name in enumerate(EVIDENCE):
        out[name] = flags[:, j]
    return out
