"""The feature matrix: what the feature builders return and the models consume.

This module is the interface between :mod:`credit_risk.features` (which fills it) and
:mod:`credit_risk.models` (which reads it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

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

    def rows(self, mask) -> FeatureMatrix:
        """A matrix restricted to the rows where ``mask`` is true (index reset)."""
        keys = self.keys[mask].reset_index(drop=True)
        X = self.X[mask].reset_index(drop=True)
        return FeatureMatrix(keys, X, self.info)

    def frame(self) -> pd.DataFrame:
        """Keys and features side by side."""
        return pd.concat([self.keys, self.X], axis=1)
