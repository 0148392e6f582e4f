"""Training targets: what a label is, as of which date, with which sample weight.

Two targets, each returned as :class:`Labels` (cutoffs to pass to
:func:`credit_risk.features.build_features`, the label ``y`` and a ``sample_weight``):

``inspection_outcome``
    One cutoff per record of the inspection kind (default ``inspection``), as of its
    ``start`` date; label 1 when its outcome is one of the kind's ``adverse_outcomes`` in the
    catalogue (packaged: ``problem``). Features as of that date only see records published
    strictly before it, so the inspection's own result is invisible. Inspections with one of
    the kind's ``no_contact_outcomes`` (packaged: ``unreachable``) are excluded by default
    (logged count) or labelled positive (``unreachable="problem"``). A kind that declares no
    adverse outcome is refused (:class:`ConfigError`), never turned into 0 positives. The weight is ``1 / draw_probability`` when the records
    carry a ``draw_probability`` column with a value (inverse selection probability,
    DOMAIN.md §7), else 1.
``event_within``
    For given cutoffs, label 1 when a record of the given kinds starts in
    ``[as_of, as_of + horizon)``. Raises :class:`LeakageError` when the horizon passes the
    last date the data knows (censoring) unless ``allow_censored=True``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from credit_risk.data.dataset import CreditDataset
from credit_risk.exceptions import ConfigError, LeakageError
from credit_risk.features.engine import Queries, day_numbers, interval_count

__all__ = ["Labels", "event_within", "inspection_outcome"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Labels:
    """Cutoffs with their labels and sample weights.

    Attributes
    ----------
    cutoffs : DataFrame
        ``credit_code`` and ``as_of`` (datetime64[ns]), RangeIndex.
    y : ndarray of int8
        1 = positive (problem found, event happened), 0 = negative.
    sample_weight : ndarray of float64
    meta : dict
        How the labels were made (target, parameters, counts excluded).
    """

    cutoffs: pd.DataFrame
    y: np.ndarray
    sample_weight: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (len(self.cutoffs) == len(self.y) == len(self.sample_weight)):
            raise ConfigError(
                f"Labels: {len(self.cutoffs)} cutoffs, {len(self.y)} labels and "
                f"{len(self.sample_weight)} weights must have the same length"
            )

    def __len__(self) -> int:
        return len(self.y)


def _check_kinds(dataset: CreditDataset, kinds, where: str) -> None:
    bad = [k for k in kinds if k not in dataset.catalog.kinds]
    if bad:
        raise ConfigError(f"{where}: unknown kind(s) {bad}; use some of {sorted(dataset.catalog.kinds)}")


def inspection_outcome(
    dataset: CreditDataset,
    *,
    kind: str = "inspection",
    domains: list[str] | tuple[str, ...] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    weight: Literal["inverse_draw_probability"] | None = "inverse_draw_probability",
    unreachable: Literal["exclude", "problem"] = "exclude",
) -> Labels:
    """One labelled cutoff per inspection (as of its date; label = an adverse outcome).

    Parameters
    ----------
    dataset : CreditDataset
    kind : str
        The record kind of the inspections; its ``adverse_outcomes`` in the catalogue are the
        positives, its ``no_contact_outcomes`` the unreachable visits.
    domains : sequence of str, optional
        Keep inspections of these domains (default: all).
    start, end : date, optional
        Keep inspections with ``start <= date < end``.
    weight : {"inverse_draw_probability", None}
        ``1 / draw_probability`` where the records have that column and a value, else 1.
    unreachable : {"exclude", "problem"}
        What to do with inspections whose outcome is a no-contact outcome of the kind: leave
        them out, or count them as positives.

    Raises
    ------
    ConfigError
        ``kind`` is not in the catalogue or declares no ``adverse_outcomes``.

    Examples
    --------
    >>> import pandas as pd
    >>> from credit_risk.data import CreditDataset
    >>> ent = pd.DataFrame({"credit_code": ["a"], "name": ["A"], "entity_type": ["enterprise"],
    ...     "industry": ["C13"], "region": ["330106"], "registered_capital": [1.0],
    ...     "established_on": ["2015-01-01"]})
    >>> rec = pd.DataFrame({"record_id": ["i1", "i2"], "credit_code": ["a", "a"],
    ...     "kind": ["inspection"] * 2, "domain": ["food"] * 2, "start": ["2023-01-05", "2024-02-01"],
    ...     "outcome": ["problem", "pass"], "draw_probability": [0.25, None]})
    >>> lab = inspection_outcome(CreditDataset.from_frames(ent, rec, id_scheme="any"))
    >>> lab.y.tolist(), lab.sample_weight.tolist()
    ([1, 0], [4.0, 1.0])
    """
    if unreachable not in ("exclude", "problem"):
        raise ConfigError(f"inspection_outcome: unreachable must be 'exclude' or 'problem'; got {unreachable!r}")
    if weight not in ("inverse_draw_probability", None):
        raise ConfigError(f"inspection_outcome: weight must be 'inverse_draw_probability' or None; got {weight!r}")
    _check_kinds(dataset, [kind], "inspection_outcome")
    try:
        adverse = dataset.catalog.adverse(kind)
    except ConfigError as exc:
        raise ConfigError(f"inspection_outcome: {exc}; the labels would have no positives") from None
    no_contact = tuple(dataset.catalog.kinds[kind].no_contact_outcomes)
    rec = dataset.records
    mask = (rec["kind"] == kind).to_numpy(dtype=bool).copy()
    if domains is not None:
        bad = [d for d in domains if d not in dataset.catalog.domains]
        if bad:
            raise ConfigError(f"inspection_outcome: unknown domain(s) {bad}; use some of {list(dataset.catalog.domains)}")
        mask &= rec["domain"].isin(list(domains)).to_numpy(dtype=bool)
    if start is not None:
        mask &= (rec["start"] >= pd.Timestamp(start)).to_numpy(dtype=bool)
    if end is not None:
        mask &= (rec["start"] < pd.Timestamp(end)).to_numpy(dtype=bool)
    insp = rec[mask]
    outcome = insp["outcome"].astype(object)
    is_unreachable = outcome.isin(list(no_contact)).to_numpy(dtype=bool)
    no_outcome = outcome.isna().to_numpy()
    n_unreachable = int(is_unreachable.sum())
    keep = ~no_outcome & (~is_unreachable if unreachable == "exclude" else True)
    if n_unreachable and unreachable == "exclude":
        logger.info("inspection_outcome: excluded %d unreachable inspections (no-contact outcomes %s)", n_unreachable, list(no_contact))
    if no_outcome.any():
        logger.info("inspection_outcome: excluded %d inspections without an outcome", int(no_outcome.sum()))
    insp = insp[keep]
    positive = list(adverse) + (list(no_contact) if unreachable == "problem" else [])
    y = insp["outcome"].astype(object).isin(positive)
    if len(insp) and not y.any():
        logger.warning("inspection_outcome: none of %d %s records has an adverse outcome %s", len(insp), kind, list(adverse))
    if weight == "inverse_draw_probability" and "draw_probability" in insp:
        # Typed by the data contract (a value that is not a number is refused on load).
        p = insp["draw_probability"].to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.flatnonzero((p <= 0) | (p > 1))
        if len(bad):
            raise ConfigError(
                f"records row {int(insp.index[bad[0]]) + 1}: draw_probability {p[bad[0]]!r} is not in (0, 1]; "
                "fix the draw log"
            )
        w = np.where(np.isnan(p), 1.0, 1.0 / np.where(np.isnan(p), 1.0, p))
    else:
        w = np.ones(len(insp))
    cutoffs = pd.DataFrame(
        {
            "credit_code": insp["credit_code"].astype(object).to_numpy(),
            "as_of": insp["start"].to_numpy(dtype="datetime64[ns]"),
        }
    )
    return Labels(
        cutoffs=cutoffs,
        y=y.to_numpy(dtype=np.int8),
        sample_weight=w.astype(np.float64),
        meta={
            "target": "inspection_outcome",
            "kind": kind,
            "adverse_outcomes": list(adverse),
            "no_contact_outcomes": list(no_contact),
            "domains": None if domains is None else list(domains),
            "record_ids": insp["record_id"].astype(object).to_numpy(),
            "n_unreachable": n_unreachable,
            "unreachable": unreachable,
            "n_without_outcome": int(no_outcome.sum()),
        },
    )


def event_within(
    dataset: CreditDataset,
    cutoffs: pd.DataFrame,
    kinds: list[str] | tuple[str, ...],
    horizon_days: int,
    *,
    domains: list[str] | tuple[str, ...] | None = None,
    severities: list[str] | tuple[str, ...] | None = None,
    data_end: str | pd.Timestamp | None = None,
    allow_censored: bool = False,
    sample_weight: np.ndarray | None = None,
) -> Labels:
    """Label 1 when a record of ``kinds`` starts in ``[as_of, as_of + horizon_days)``.

    Parameters
    ----------
    dataset : CreditDataset
    cutoffs : DataFrame
        ``credit_code`` and ``as_of``.
    kinds : sequence of str
    horizon_days : int
    domains, severities : sequence of str, optional
        Further filters on the records.
    data_end : date, optional
        Last date the data is complete for (default: the latest ``published_on`` in the records).
    allow_censored : bool
        If False (default), raise :class:`LeakageError` when ``as_of + horizon`` passes
        ``data_end`` for any cutoff: such a label would read "no event" only because the
        future is not in the data yet.
    sample_weight : array, optional
        Default: ones.

    Raises
    ------
    LeakageError
        Censored cutoffs, naming the first row and the latest usable as-of date.
    """
    _check_kinds(dataset, kinds, "event_within")
    if horizon_days <= 0:
        raise ConfigError(f"event_within: horizon_days must be positive; got {horizon_days}")
    rec = dataset.records
    mask = rec["kind"].isin(list(kinds)).to_numpy(dtype=bool).copy()
    if domains is not None:
        mask &= rec["domain"].isin(list(domains)).to_numpy(dtype=bool)
    if severities is not None:
        mask &= rec["severity"].isin(list(severities)).to_numpy(dtype=bool)
    sel = rec[mask]
    as_of = pd.to_datetime(cutoffs["as_of"])
    if as_of.isna().any():
        row = int(np.flatnonzero(as_of.isna().to_numpy())[0]) + 1
        raise ConfigError(f"cutoffs row {row}: as_of is missing; give every cutoff a date")
    last = pd.Timestamp(data_end) if data_end is not None else rec["published_on"].max()
    horizon_end = as_of + pd.Timedelta(days=horizon_days)
    censored = (horizon_end > last + pd.Timedelta(days=1)).to_numpy() if not pd.isna(last) else np.ones(len(as_of), bool)
    if censored.any() and not allow_censored:
        row = int(np.flatnonzero(censored)[0]) + 1
        raise LeakageError(
            f"cutoffs row {row}: as_of {as_of.iloc[row - 1].date()} + {horizon_days} days passes the end of the data "
            f"({None if pd.isna(last) else last.date()}); {int(censored.sum()):,} cutoffs are censored — use as-of "
            f"dates up to {None if pd.isna(last) else (last + pd.Timedelta(days=1 - horizon_days)).date()} "
            "or pass allow_censored=True"
        )
    codes = pd.Index(dataset.enterprises["credit_code"].astype(object))
    subj = codes.get_indexer(cutoffs["credit_code"].astype(object))
    if (subj < 0).any():
        row = int(np.flatnonzero(subj < 0)[0]) + 1
        raise ConfigError(
            f"cutoffs row {row}: subject {cutoffs['credit_code'].iloc[row - 1]!r} is not in enterprises; drop the row"
        )
    # event counts at t iff start in [t, t + h): as intervals, t in (start − h, start]
    rs = codes.get_indexer(sel["credit_code"].astype(object)).astype(np.int64)
    st = day_numbers(sel["start"])
    q = Queries.build(subj.astype(np.int64), day_numbers(as_of))
    y = interval_count(rs, st - horizon_days, st, q) > 0
    w = np.ones(len(cutoffs)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    out = pd.DataFrame(
        {"credit_code": cutoffs["credit_code"].astype(object).to_numpy(), "as_of": as_of.to_numpy(dtype="datetime64[ns]")}
    )
    return Labels(
        cutoffs=out,
        y=y.astype(np.int8),
        sample_weight=w,
        meta={
            "target": "event_within",
            "kinds": list(kinds),
            "horizon_days": horizon_days,
            "domains": None if domains is None else list(domains),
            "severities": None if severities is None else list(severities),
            "data_end": last,
            "n_censored": int(censored.sum()),
        },
    )
