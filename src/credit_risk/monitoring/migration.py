"""Tier migration between two runs (等级迁移矩阵): counts, shares and the subjects that moved far."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from credit_risk.exceptions import DataContractError

__all__ = ["NEW", "GONE", "migration_matrix", "tier_steps"]

NEW = "(new)"
GONE = "(gone)"


def tier_steps(reference: Sequence, current: Sequence, order: Sequence[str]) -> np.ndarray:
    """Tiers moved from ``reference`` to ``current`` (positive = worse; NaN when a tier is unknown).

    Examples
    --------
    >>> tier_steps(["A", "B", "D"], ["C", "B", "A"], "ABCD").tolist()
    [2.0, 0.0, -3.0]
    """
    index = pd.Index(list(order), dtype=object)
    r = index.get_indexer(pd.Index(np.asarray(reference, dtype=object))).astype(float)
    c = index.get_indexer(pd.Index(np.asarray(current, dtype=object))).astype(float)
    r[r < 0] = np.nan
    c[c < 0] = np.nan
    return c - r


def migration_matrix(
    reference: pd.DataFrame, current: pd.DataFrame, order: Sequence[str], *, min_steps: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The migration matrix from two per-subject tier tables.

    Parameters
    ----------
    reference, current : DataFrame
        ``credit_code, tier`` (and optionally ``probability, region``), one row per subject.
    order : sequence of str
        Tiers from best to worst.
    min_steps : int
        Subjects moving at least this many tiers (either way) are listed.

    Returns
    -------
    counts, shares, movers : DataFrame
        ``counts``: rows = reference tier (plus ``(new)``: subjects only in the current
        run), columns = current tier (plus ``(gone)``); ``shares``: each row divided by its
        total; ``movers``: ``credit_code, tier_reference, tier_current, steps`` (+
        probabilities and region when given), worst moves first.
    """
    for name, t in (("reference", reference), ("current", current)):
        if not {"credit_code", "tier"} <= set(t.columns):
            raise DataContractError(f"{name} tiers need credit_code and tier; got {list(t.columns)[:10]}")
    cols = [c for c in ("credit_code", "tier", "probability", "region") if c in reference.columns]
    ref = reference[cols].drop_duplicates("credit_code").assign(credit_code=lambda f: f["credit_code"].astype(str))
    cols = [c for c in ("credit_code", "tier", "probability", "region") if c in current.columns]
    cur = current[cols].drop_duplicates("credit_code").assign(credit_code=lambda f: f["credit_code"].astype(str))
    both = ref.merge(cur, on="credit_code", how="outer", suffixes=("_reference", "_current"), indicator=True)
    rows = both["tier_reference"].astype(object).where(both["tier_reference"].notna(), NEW).astype(str)
    columns = both["tier_current"].astype(object).where(both["tier_current"].notna(), GONE).astype(str)
    tiers = list(order)
    extra_r = sorted(set(rows) - set(tiers) - {NEW})
    extra_c = sorted(set(columns) - set(tiers) - {GONE})
    counts = pd.crosstab(pd.Categorical(rows, categories=[*tiers, *extra_r, NEW]),
                         pd.Categorical(columns, categories=[*tiers, *extra_c, GONE]), dropna=False)
    counts.index.name, counts.columns.name = "reference", "current"
    counts = counts.astype(np.int64)
    totals = counts.sum(axis=1)
    shares = counts.div(totals.where(totals > 0), axis=0)
    steps = tier_steps(both["tier_reference"].astype(object), both["tier_current"].astype(object), tiers)
    far = np.abs(np.nan_to_num(steps)) >= min_steps
    movers = both.loc[far].assign(steps=steps[far].astype(np.int64)).drop(columns="_merge")
    movers = movers.sort_values(["steps", "credit_code"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return counts, shares, movers
