"""The feature matrix: what the feature builders return and the models consume.

This module is the interface between :mod:`credit_risk.features` (which fills it) and
:mod:`credit_risk.models` (which reads it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from credit_risk.exceptions import ConfigError

__all__ = ["KEY_COLUMNS", "VIEWS", "FeatureInfo", "FeatureMatrix"]

#: Views of the indicator system: commercial credit 商务信用, compliance credit 合规信用,
#: social responsibility 社会责任, life cycle 生命周期, related parties 关联关系, context 环境基准.
VIEWS: tuple[str, ...] = ("commercial", "compliance", "social", "lifecycle", "relations", "context")

#: Columns that identify a row of a feature matrix: the subject and its as-of date.
KEY_COLUMNS: tuple[str, str] = ("credit_code", "as_of")


@dataclass(frozen=True)
class FeatureInfo:
    """Metadata of one feature.

    Attributes
    ----------
    name : str
        Column name in the matrix.
    view : str
        One of :data:`VIEWS`.
    direction : {1, -1, 0}
        Expected effect on risk: 1 = higher value, higher risk; -1 = higher value, lower risk;
        0 = no declared direction. Used as a monotone constraint and in explanations.
    description, description_zh : str
        What the feature measures, in English and Chinese.
    categorical : bool
        True for categorical features (stored as pandas ``category``).
    """

    name: str
    view: str
    direction: Literal[-1, 0, 1]
    description: str
    description_zh: str
    categorical: bool = False

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ConfigError(f"feature '{self.name}': view {self.view!r} is not one of {VIEWS}")
        if self.direction not in (-1, 0, 1):
            raise ConfigError(f"feature '{self.name}': direction must be -1, 0 or 1; got {self.direction!r}")


@dataclass(frozen=True, eq=False)
class FeatureMatrix:
    """Features per cutoff.

    Attributes
    ----------
    keys : DataFrame
        ``credit_code`` and ``as_of`` (datetime64[ns]), one row per cutoff, in the order of
        the cutoffs given to the builder.
    X : DataFrame
        One column per feature, aligned row by row with ``keys`` (same RangeIndex).
    info : tuple of FeatureInfo
        One entry per column of ``X``, in the same order.
    """

    keys: pd.DataFrame
    X: pd.DataFrame
    info: tuple[FeatureInfo, ...]

    def __post_init__(self) -> None:
        names = [i.name for i in self.info]
        if list(self.X.columns) != names:
            raise ConfigError(
                "FeatureMatrix: X columns and info disagree; "
                f"X has {list(self.X.columns)[:5]}…, info has {names[:5]}…"
            )
        if len(self.keys) != len(self.X):
            raise ConfigError(f"FeatureMatrix: {len(self.keys)} key rows but {len(self.X)} feature rows")

    @property
    def feature_names(self) -> list[str]:
        return [i.name for i in self.info]

    def info_by_name(self) -> dict[str, FeatureInfo]:
        return {i.name: i for i in self.info}

    def select(self, names: Iterable[str]) -> FeatureMatrix:
        """A matrix with only the named features, in the given order."""
        names = list(names)
        by = self.info_by_name()
        missing = [n for n in names if n not in by]
        if missing:
            raise ConfigError(f"unknown features {missing}; available: {self.feature_names[:10]}…")
        return FeatureMatrix(self.keys, self.X[names], tuple(by[n] for n in names))

    def rows(self, selection) -> FeatureMatrix:
        """A matrix restricted to some rows (index reset).

        Parameters
        ----------
        selection : array-like of bool or of int
            A boolean mask with one entry per row, or integer positions (0-based, negative
            counting from the end, repeats allowed) — what scikit-learn's splitters yield.

        Raises
        ------
        ConfigError
            A mask of the wrong length, positions out of range, or another kind of selector.
        """
        n = len(self.X)
        if isinstance(selection, pd.Series) and pd.api.types.is_bool_dtype(selection.dtype):
            if selection.isna().any():
                raise ConfigError("FeatureMatrix.rows: the boolean mask has missing values; fill them first")
            selection = selection.to_numpy(dtype=bool)
        sel = np.asarray(selection)
        if sel.ndim != 1:
            raise ConfigError(f"FeatureMatrix.rows: the selection must be 1-d; got shape {sel.shape}")
        if sel.dtype == bool:
            if len(sel) != n:
                raise ConfigError(
                    f"FeatureMatrix.rows: a boolean mask needs one entry per row ({n}); got {len(sel)}"
                )
            positions = np.flatnonzero(sel)
        elif np.issubdtype(sel.dtype, np.integer) or (sel.size == 0 and sel.dtype == float):
            positions = sel.astype(np.int64)
            bad = (positions < -n) | (positions >= n)
            if bad.any():
                raise ConfigError(
                    f"FeatureMatrix.rows: position {int(positions[bad][0])} is out of range for {n} rows; "
                    f"give positions in [-{n}, {n})"
                )
        else:
            raise ConfigError(
                "FeatureMatrix.rows: give a boolean mask or integer row positions; got an array of "
                f"dtype {sel.dtype} (for labels, select with .keys first)"
            )
        keys = self.keys.iloc[positions].reset_index(drop=True)
        X = self.X.iloc[positions].reset_index(drop=True)
        return FeatureMatrix(keys, X, self.info)

    def frame(self) -> pd.DataFrame:
        """Keys and features side by side."""
        return pd.concat([self.keys, self.X], axis=1)
