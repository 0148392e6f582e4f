"""Where a training run's labels come from: a built-in target or the user's own labels table.

:class:`LabelConfig` is the ``label:`` section of ``configs/train.yaml``:

``target: inspection_outcome`` (default)
    One row per inspection, label 1 when it found an adverse outcome of the catalogue
    (:func:`credit_risk.labels.inspection_outcome`); each domain model gets the outcome of its
    own domain's inspections. ``kind`` (default ``inspection``) is the catalogue's record kind
    of the inspections, for catalogues that name it otherwise.
``target: event_within``
    Every subject active at each of the ``as_of`` dates, label 1 when a record of ``kinds``
    starts within ``horizon_days`` (:func:`credit_risk.labels.event_within`).
``target: table``
    The user's labels table ``file`` (CSV or Parquet, relative to the config's folder; see
    :mod:`credit_risk.labels_table`). ``train(..., labels=frame_or_path)`` overrides any target.

:func:`training_labels` returns the :class:`~credit_risk.labels.Labels` (whose cutoffs the
features are built for) and the table :func:`~credit_risk.pipeline.fit.fit_models` reads.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from credit_risk.data import CreditDataset
from credit_risk.data.cutoffs import active_cutoffs
from credit_risk.exceptions import ConfigError
from credit_risk.labels import Labels, event_within, inspection_outcome
from credit_risk.labels_table import check_labels_table, load_labels_table

__all__ = ["LabelConfig", "training_labels"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelConfig:
    """The ``label:`` section of the training config (see the module docstring)."""

    target: Literal["inspection_outcome", "event_within", "table"] = "inspection_outcome"
    kind: str = "inspection"
    start: str | None = None
    end: str | None = None
    weight: Literal["inverse_draw_probability", "none"] = "inverse_draw_probability"
    unreachable: Literal["exclude", "problem"] = "exclude"
    kinds: tuple[str, ...] = ()
    horizon_days: int = 365
    as_of: tuple[str, ...] = ()
    file: str | None = None


def _domain_columns(dataset: CreditDataset, labels: Labels, frame: pd.DataFrame,
                    label_columns: Mapping[str, str]) -> pd.DataFrame:
    """One column per domain: the outcome of that domain's inspections, else NaN."""
    record_ids = labels.meta.get("record_ids")
    if not label_columns:
        return frame
    if record_ids is None:
        raise ConfigError("domain labels need the inspections' record ids in the labels' meta")
    domain_of = dataset.records.set_index("record_id")["domain"].astype(object)
    of_row = domain_of.reindex(record_ids).to_numpy()
    for name, column in label_columns.items():
        frame[column] = np.where(of_row == name, labels.y.astype(float), np.nan)
    return frame


def _user_table(dataset: CreditDataset, table: pd.DataFrame | str | Path, where: str) -> tuple[Labels, pd.DataFrame]:
    checked = (check_labels_table(table, where=where) if isinstance(table, pd.DataFrame)
               else load_labels_table(table))
    known = pd.Index(dataset.enterprises["credit_code"].astype(object))
    unknown = ~checked["credit_code"].isin(known).to_numpy()
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0])
        raise ConfigError(
            f"{where}, row {row + 1}, column 'credit_code': subject {checked['credit_code'].iloc[row]!r} is not in "
            f"the dataset's enterprises ({int(unknown.sum()):,} row(s) affected); drop those rows or add the subjects"
        )
    weight = checked["weight"].to_numpy(dtype=float) if "weight" in checked else np.ones(len(checked))
    labels = Labels(
        cutoffs=checked[["credit_code", "as_of"]].copy(), y=checked["label"].to_numpy(dtype=np.int8),
        sample_weight=weight, meta={"target": "table", "source": where, "n": len(checked)},
    )
    frame = checked.rename(columns={"label": "y", "weight": "sample_weight"})
    frame["y"] = frame["y"].astype(int)
    return labels, frame


def training_labels(
    dataset: CreditDataset,
    config: LabelConfig,
    *,
    table: pd.DataFrame | str | Path | None = None,
    file: Path | None = None,
    domain_labels: Mapping[str, str] | None = None,
) -> tuple[Labels, pd.DataFrame]:
    """The labels of a training run and the table ``fit_models`` reads.

    Parameters
    ----------
    dataset : CreditDataset
    config : LabelConfig
    table : DataFrame or path, optional
        The user's labels table; overrides ``config.target``.
    file : Path, optional
        ``config.file`` resolved against the config's folder (for ``target: table``).
    domain_labels : mapping, optional
        Domain name → label column of its domain model (``inspection_outcome`` only).

    Returns
    -------
    labels : Labels
    table : DataFrame
        ``credit_code``, ``as_of``, ``y``, ``sample_weight`` and, where given, ``group``,
        ``split`` and the domain label columns.
    """
    if table is not None:
        return _user_table(dataset, table, "labels table" if isinstance(table, pd.DataFrame) else f"labels file {table}")
    if config.target == "table":
        if file is None:
            raise ConfigError("train config: label.target is 'table' but label.file is not set; give the labels "
                              "file (CSV or Parquet, relative to the config) or pass labels= / --labels FILE")
        return _user_table(dataset, file, f"labels file {file}")
    if config.target == "event_within":
        if not config.kinds or not config.as_of:
            raise ConfigError("train config: label.target 'event_within' needs label.kinds (record kinds) and "
                              "label.as_of (one or more YYYY-MM-DD dates)")
        cutoffs = pd.concat([active_cutoffs(dataset, pd.Timestamp(d)) for d in config.as_of], ignore_index=True)
        labels = event_within(dataset, cutoffs, list(config.kinds), config.horizon_days)
        frame = labels.cutoffs.assign(y=labels.y.astype(int), sample_weight=labels.sample_weight)
        logger.info("labels: %d subject-dates, %.1f %% with an event within %d days", len(labels),
                    100 * labels.y.mean(), config.horizon_days)
        return labels, frame
    labels = inspection_outcome(
        dataset, kind=config.kind, start=config.start, end=config.end,
        weight=None if config.weight == "none" else config.weight, unreachable=config.unreachable,
    )
    logger.info("labels: %d inspections, %.1f %% with an adverse outcome", len(labels), 100 * labels.y.mean())
    frame = labels.cutoffs.copy()
    frame["y"] = labels.y
    frame["sample_weight"] = labels.sample_weight
    return labels, _domain_columns(dataset, labels, frame, dict(domain_labels or {}))
