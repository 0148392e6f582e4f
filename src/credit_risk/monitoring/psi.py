"""Population stability (PSI) and characteristic stability (CSI) on fixed reference bins.

Bins come from the **reference** run only, so that the current run is counted in the same
bins (稳定性监测):

* an explicit ``missing`` bin;
* one bin per *special* value: the configured sentinels (e.g. ``-1``, ``-999``) that the
  reference holds;
* the remaining values cut at the reference's quantiles into at most ``n_bins`` intervals
  ``(-inf, e1], (e1, e2], …, (ek, inf)`` (duplicate cut points merged, so a value holding
  much of the reference, such as ``0`` of a count, ends an interval of its own and a
  feature with few distinct values gets about one bin per value).

Categorical features get one bin per reference category plus ``missing`` and ``other``
(a category the reference never saw).

``PSI = Σ (c_i − r_i) · ln(c_i / r_i)`` over the bins' shares, with empty shares raised to
``epsilon`` so that a bin empty on one side costs a finite amount. ``CSI`` of a feature is
``Σ (c_i − r_i) · s_i`` where ``s_i`` is the reference's mean contribution (log-odds,
TreeSHAP) of the feature in bin ``i``: the shift of the average score that the feature's
own distribution shift explains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from credit_risk.exceptions import ConfigError

__all__ = ["Bins", "csi", "psi", "psi_terms", "reference_bins"]

MISSING = "missing"
OTHER = "other"


@dataclass(frozen=True)
class Bins:
    """Fixed bins of one variable, learned on a reference run.

    Attributes
    ----------
    kind : {"numeric", "categorical"}
    edges : tuple of float
        Interior cut points of the numeric intervals (right-closed).
    specials : tuple of float
        Values with a bin of their own (numeric).
    categories : tuple of str
        Reference categories (categorical).
    """

    kind: Literal["numeric", "categorical"]
    edges: tuple[float, ...] = ()
    specials: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def n_bins(self) -> int:
        if self.kind == "categorical":
            return 2 + len(self.categories)
        return 1 + len(self.specials) + len(self.edges) + 1

    def labels(self) -> list[str]:
        """Readable bin names, in bin order."""
        if self.kind == "categorical":
            return [MISSING, *self.categories, OTHER]
        bounds = [-np.inf, *self.edges, np.inf]
        intervals = [f"({_num(lo)}, {_num(hi)}]" for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
        return [MISSING, *(f"={_num(v)}" for v in self.specials), *intervals]

    def assign(self, values: Any) -> np.ndarray:
        """Bin index of every value (0 = missing)."""
        series = pd.Series(values).reset_index(drop=True)
        missing = series.isna().to_numpy()
        if self.kind == "categorical":
            text = series.astype(object).where(~missing, None).astype(str).to_numpy(dtype=object)
            pos = pd.Index(self.categories, dtype=object).get_indexer(text)
            out = np.where(pos >= 0, pos + 1, len(self.categories) + 1)
            return np.where(missing, 0, out).astype(np.int64)
        x = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        missing = missing | np.isnan(x)
        out = 1 + len(self.specials) + np.searchsorted(np.asarray(self.edges, dtype=float), x, side="left")
        for i, v in enumerate(self.specials):
            out = np.where(x == v, 1 + i, out)
        return np.where(missing, 0, out).astype(np.int64)

    def counts(self, values: Any) -> np.ndarray:
        """Number of values in every bin (length :attr:`n_bins`)."""
        return np.bincount(self.assign(values), minlength=self.n_bins).astype(np.int64)

    def to_mapping(self) -> dict[str, Any]:
        return {"kind": self.kind, "edges": [float(e) for e in self.edges],
                "specials": [float(s) for s in self.specials], "categories": list(self.categories)}

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Bins:
        return cls(kind=data["kind"], edges=tuple(float(e) for e in data.get("edges", ())),
                   specials=tuple(float(s) for s in data.get("specials", ())),
                   categories=tuple(str(c) for c in data.get("categories", ())))


def _num(v: float) -> str:
    return "inf" if v == np.inf else "-inf" if v == -np.inf else f"{v:.6g}"


def reference_bins(
    values: Any,
    *,
    n_bins: int = 10,
    special_values: Sequence[float] = (),
    categorical: bool | None = None,
) -> Bins:
    """Bins of a variable from its reference values (see the module docstring).

    Parameters
    ----------
    values : array-like
        The reference run's values (missing allowed).
    n_bins : int
        Most quantile intervals for the non-special values.
    special_values : sequence of float
        Sentinels that always get their own bin when the reference holds them.
    categorical : bool, optional
        Default: True for category, text and boolean data.

    Examples
    --------
    >>> b = reference_bins([0, 0, 0, 1, 2, 3, 4, None], n_bins=2, special_values=[0])
    >>> b.labels()
    ['missing', '=0', '(-inf, 2.5]', '(2.5, inf]']
    >>> b.counts([0, 5, None, 1]).tolist()
    [1, 1, 1, 1]
    """
    if n_bins < 1:
        raise ConfigError(f"monitoring psi.bins must be at least 1; got {n_bins}")
    series = pd.Series(values).reset_index(drop=True)
    if categorical is None:
        dtype = series.dtype
        categorical = isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype) or (
            pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
        ) and pd.to_numeric(series.dropna(), errors="coerce").isna().any()
    if categorical:
        present = series.dropna().astype(str)
        return Bins("categorical", categories=tuple(sorted(present.unique())))
    x = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    x = x[~np.isnan(x)]
    specials = sorted({float(v) for v in special_values if np.any(x == v)})
    rest = x[~np.isin(x, specials)] if specials else x
    edges: tuple[float, ...] = ()
    if len(rest):
        qs = np.unique(np.quantile(rest, np.linspace(0, 1, n_bins + 1)[1:-1], method="lower"))
        distinct = np.unique(rest)
        nxt = np.searchsorted(distinct, qs, side="right")
        keep = nxt < len(distinct)  # a cut at the maximum would leave an empty last interval
        # cut half-way to the next distinct value: a value moving a little stays in its bin
        edges = tuple(float(e) for e in (qs[keep] + distinct[nxt[keep]]) / 2)
    return Bins("numeric", edges=edges, specials=tuple(specials))


def psi_terms(reference_counts: Any, current_counts: Any, *, epsilon: float = 1e-4) -> np.ndarray:
    """Per-bin PSI terms ``(c − r) · ln(c / r)`` of two count vectors over the same bins."""
    r = np.asarray(reference_counts, dtype=float)
    c = np.asarray(current_counts, dtype=float)
    if r.shape != c.shape:
        raise ConfigError(f"PSI needs counts over the same bins; got {r.shape} and {c.shape}")
    if r.sum() <= 0 or c.sum() <= 0:
        return np.full(r.shape, np.nan)
    rs = np.maximum(r / r.sum(), epsilon)
    cs = np.maximum(c / c.sum(), epsilon)
    return (cs - rs) * np.log(cs / rs)


def psi(reference_counts: Any, current_counts: Any, *, epsilon: float = 1e-4) -> float:
    """Population stability index of two count vectors over the same bins (NaN when one is empty).

    Examples
    --------
    >>> psi([10, 20, 30], [10, 20, 30])
    0.0
    >>> round(psi([50, 50], [80, 20]), 4)
    0.4159
    """
    return float(np.sum(psi_terms(reference_counts, current_counts, epsilon=epsilon)))


def csi(reference_counts: Any, current_counts: Any, bin_scores: Any) -> float:
    """Characteristic stability index: ``Σ (c_i − r_i) · s_i`` over the bins' shares.

    ``bin_scores`` is the reference's mean contribution of the feature in each bin (bins the
    reference left empty score 0). The result is the average score shift, in log-odds, that
    the feature's distribution shift explains.
    """
    r = np.asarray(reference_counts, dtype=float)
    c = np.asarray(current_counts, dtype=float)
    s = np.nan_to_num(np.asarray(bin_scores, dtype=float))
    if r.sum() <= 0 or c.sum() <= 0:
        return float("nan")
    return float(np.sum((c / c.sum() - r / r.sum()) * s))
