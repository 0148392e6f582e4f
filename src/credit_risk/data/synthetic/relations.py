"""Related parties: shareholder, shared legal representative and shared address links.

Links join subjects of the same city more often than not. They feed the ``relations``
table and the contagion of latent risk (:mod:`credit_risk.data.synthetic.risk`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from credit_risk.data.schema import RELATION_TYPES
from credit_risk.data.synthetic.config import SyntheticConfig
from credit_risk.data.synthetic.population import NEVER, Population, day_number

__all__ = ["Links", "draw_links"]


@dataclass(frozen=True, eq=False)
class Links:
    """Directed links ``source → target`` (the ``relations`` rows) with their validity."""

    source: np.ndarray  # int64 subject index (credit_code)
    target: np.ndarray  # int64 subject index (related_code)
    relation: np.ndarray  # int8 index into RELATION_TYPES
    start: np.ndarray  # int64 day number
    end: np.ndarray  # int64 day number or NEVER

    def undirected(self) -> tuple[np.ndarray, np.ndarray]:
        """Both directions of every link, for contagion."""
        return np.concatenate([self.source, self.target]), np.concatenate([self.target, self.source])


def _pairs(
    rng: np.random.Generator, pop: Population, candidates: np.ndarray, m: int, same_city: float
) -> tuple[np.ndarray, np.ndarray]:
    """``m`` pairs of distinct candidates, the second from the same city with prob ``same_city``."""
    if len(candidates) < 2 or m == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a = candidates[rng.integers(0, len(candidates), size=m)]
    b = candidates[rng.integers(0, len(candidates), size=m)]
    # Same-city partner: the nearest candidate in a city-sorted list, from a random offset.
    city = np.array([int(r[:4]) for r in pop.regions])[pop.region[candidates]]
    order = np.argsort(city, kind="stable")
    sorted_city = city[order]
    a_city = np.array([int(r[:4]) for r in pop.regions])[pop.region[a]]
    lo = np.searchsorted(sorted_city, a_city, side="left")
    hi = np.searchsorted(sorted_city, a_city, side="right")
    pick = lo + np.minimum((rng.random(m) * (hi - lo)).astype(np.int64), np.maximum(hi - lo - 1, 0))
    local = rng.random(m) < same_city
    b = np.where(local, candidates[order[pick]], b)
    keep = a != b
    return a[keep], b[keep]


def draw_links(pop: Population, config: SyntheticConfig, rng: np.random.Generator) -> Links:
    """Draw the related-party links of a population (deduplicated, sorted)."""
    spec = config.relations
    n = pop.n
    types = pop.entity_types
    market = np.flatnonzero(np.isin(pop.entity_type, [types.index(t) for t in ("enterprise", "farmer_cooperative") if t in types]))
    anyone = np.flatnonzero(np.isin(pop.entity_type, [types.index(t) for t in ("enterprise", "individual_business", "farmer_cooperative") if t in types]))
    parts = []
    for rel, rate, cands in (
        ("shareholder", spec.shareholder_rate, market),
        ("legal_representative", spec.legal_representative_rate, anyone),
        ("same_address", spec.same_address_rate, anyone),
    ):
        a, b = _pairs(rng, pop, cands, int(round(rate * n)), spec.same_city_share)
        if rel == "shareholder":  # the larger capital holds shares in the smaller
            swap = np.nan_to_num(pop.capital[a]) < np.nan_to_num(pop.capital[b])
            a, b = np.where(swap, b, a), np.where(swap, a, b)
        else:  # symmetric links: store with the smaller index first
            a, b = np.minimum(a, b), np.maximum(a, b)
        parts.append((a, b, np.full(len(a), RELATION_TYPES.index(rel), dtype=np.int8)))
    src = np.concatenate([p[0] for p in parts])
    dst = np.concatenate([p[1] for p in parts])
    rel = np.concatenate([p[2] for p in parts])
    key = (rel.astype(np.int64) * n + src) * n + dst
    _, first = np.unique(key, return_index=True)  # sorted by key, duplicates dropped
    src, dst, rel = src[first], dst[first], rel[first]
    # Valid from when both exist (plus a delay of up to two years), until either closes.
    both = np.maximum(pop.established[src], pop.established[dst])
    closes = np.minimum(pop.closed[src], pop.closed[dst])
    delay = (rng.random(len(src)) * 730).astype(np.int64)
    start = both + delay
    start = np.where(start > np.minimum(closes, day_number(config.history_end)), both, start)
    end = np.where(closes < NEVER, np.maximum(closes, start), NEVER)
    order = np.lexsort((start, rel, dst, src))
    return Links(src[order], dst[order], rel[order], start[order], end[order])
