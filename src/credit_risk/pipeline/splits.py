"""How labelled rows are split for fitting and honest evaluation.

Three splits, all understood by :func:`credit_risk.pipeline.fit.fit_models`:

:class:`TimeSplit`
    Out of time: train ``< valid_start <=`` validation ``< test_start <=`` test, by dates or by
    fractions of the rows (whole as-of dates). The default for labels spread over time.
:class:`ColumnSplit`
    The labels say it: a ``split`` column of ``train`` / ``validation`` / ``test`` per row.
:class:`GroupedKFold`
    Stratified K-fold grouped by subject (or by a ``group`` column): for labels that all share
    one as-of date, where no out-of-time split exists. Every figure is out of fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from credit_risk.exceptions import ConfigError

__all__ = ["ColumnSplit", "GroupedKFold", "Split", "TimeSplit", "split_masks"]


@dataclass(frozen=True)
class TimeSplit:
    """Out-of-time split: train ``< valid_start <=`` validation ``< test_start <=`` test.

    With no dates, :meth:`resolve` puts the latest ``test_fraction`` of rows (whole as-of
    dates) in test and the ``valid_fraction`` before them in validation.
    """

    valid_start: str | None = None
    test_start: str | None = None
    valid_fraction: float = 0.2
    test_fraction: float = 0.2

    def resolve(self, as_of: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
        dates = np.sort(pd.to_datetime(as_of).unique())
        if len(dates) < 3:
            raise ConfigError(
                f"an out-of-time split needs at least 3 distinct as-of dates; got {len(dates)}; "
                "build features for more cutoffs, or use split method 'kfold' (grouped K-fold) for labels "
                "that share one as-of date"
            )
        if self.valid_start is not None and self.test_start is not None:
            vs, ts = pd.Timestamp(self.valid_start), pd.Timestamp(self.test_start)
        else:
            counts = pd.Series(pd.to_datetime(as_of)).value_counts().sort_index()
            cum = counts.cumsum() / counts.sum()
            ts_i = int(np.searchsorted(cum.to_numpy(), 1 - self.test_fraction, side="left")) + 1
            vs_i = int(np.searchsorted(cum.to_numpy(), 1 - self.test_fraction - self.valid_fraction, side="left")) + 1
            ts_i = min(max(ts_i, 2), len(dates) - 1)
            vs_i = min(max(vs_i, 1), ts_i - 1)
            vs, ts = pd.Timestamp(dates[vs_i]), pd.Timestamp(dates[ts_i])
        if not dates[0] < vs < ts <= dates[-1]:
            raise ConfigError(
                f"split dates must satisfy first as_of {pd.Timestamp(dates[0]).date()} < valid_start "
                f"{vs.date()} < test_start {ts.date()} <= last as_of {pd.Timestamp(dates[-1]).date()}"
            )
        return vs, ts


@dataclass(frozen=True)
class ColumnSplit:
    """The labels' own ``split`` column (``train``, ``validation``, ``test``) decides."""

    column: str = "split"


@dataclass(frozen=True)
class GroupedKFold:
    """Stratified K-fold, grouped by ``group`` (default: ``credit_code``), shuffled with ``seed``."""

    folds: int = 5
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.folds, bool) or not isinstance(self.folds, (int, np.integer)) or self.folds < 2:
            raise ConfigError(f"split.folds must be an integer >= 2; got {self.folds!r}")

    def fold_of(self, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Fold number (0 … folds − 1) of every row; a group's rows share a fold."""
        n_groups = len(np.unique(groups))
        events = int(np.sum(y == 1))
        if n_groups < self.folds or min(events, len(y) - events) < self.folds:
            raise ConfigError(
                f"grouped {self.folds}-fold cross-validation needs at least {self.folds} groups and {self.folds} "
                f"rows of each label; got {n_groups} groups, {events} positive and {len(y) - events} negative "
                "rows; lower split.folds or add labels"
            )
        out = np.empty(len(y), dtype=np.int64)
        splitter = StratifiedGroupKFold(n_splits=self.folds, shuffle=True, random_state=self.seed)
        for k, (_, held) in enumerate(splitter.split(np.zeros(len(y)), y, groups)):
            out[held] = k
        return out


Split = TimeSplit | ColumnSplit | GroupedKFold


def split_masks(split: TimeSplit | ColumnSplit, as_of: pd.Series, column: pd.Series | None) -> dict:
    """Train / validation / test masks of a time or column split, and how they were set."""
    if isinstance(split, ColumnSplit):
        if column is None:
            raise ConfigError(
                f"split method 'column' needs a {split.column!r} column in the labels (train, validation, test per row)"
            )
        values = column.astype(object).to_numpy()
        masks = {name: values == name for name in ("train", "validation", "test")}
        return {"method": "column", "valid_start": None, "test_start": None, **masks}
    vs, ts = split.resolve(as_of)
    return {
        "method": "time", "valid_start": vs, "test_start": ts,
        "train": (as_of < vs).to_numpy(), "validation": ((as_of >= vs) & (as_of < ts)).to_numpy(),
        "test": (as_of >= ts).to_numpy(),
    }
