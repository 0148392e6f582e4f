"""A dataset and its cutoffs encoded once as integer arrays for the builders.

:class:`Prepared` holds one int64 day number per record date (see
:mod:`credit_risk.features.engine`), the subject index of every record and cutoff, the
effective end of every record (catalogue publication periods applied) and helpers that
filter records and run the interval primitives on them. The records are held grouped by
subject (``RecordSet.rows`` maps them back to ``dataset.records``), which every filtered
subset keeps, so window counts and sums run as one merge with the sorted cutoffs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credit_risk.data.catalog import codes_of
from credit_risk.data.dataset import CreditDataset
from credit_risk.data.publication import publication_days
from credit_risk.exceptions import DataContractError, Problem
from credit_risk.features import engine
from credit_risk.features.engine import Queries, day_numbers

__all__ = ["Prepared", "RecordSet", "prepare"]


@dataclass(frozen=True, eq=False)
class RecordSet:
    """A filtered subset of the records, as arrays (``lo``: first as-of date it may count after).

    Records are grouped by subject (``subj`` ascending); ``rows`` are their positions in
    ``dataset.records``.
    """

    subj: np.ndarray
    start: np.ndarray
    lo: np.ndarray
    end: np.ndarray  # effective end day (INF = open)
    value: np.ndarray
    severity: np.ndarray  # int8 rank on the record's kind scale, -1 unknown
    outcome: np.ndarray  # category codes into Prepared.outcome_categories, -1 missing
    rows: np.ndarray  # positions in dataset.records
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def hi(self, window: int | None) -> np.ndarray:
        if window is None:
            return self.end
        return np.minimum(self.end, self.start + int(window))

    def take(self, mask: np.ndarray) -> RecordSet:
        return RecordSet(*(getattr(self, f)[mask] for f in self.__dataclass_fields__ if f != "memo"))


@dataclass(frozen=True, eq=False)
class Prepared:
    """Encoded dataset + cutoffs. Build with :func:`prepare`."""

    dataset: CreditDataset
    codes: pd.Index  # credit codes in enterprises order; subject index = position
    q: Queries
    cutoff_subj: np.ndarray  # original order
    cutoff_day: np.ndarray  # original order
    records: RecordSet
    kind: np.ndarray  # int codes into kind_categories, by dataset row
    domain: np.ndarray  # by dataset row
    kind_categories: tuple[str, ...]
    domain_categories: tuple[str, ...]
    outcome_categories: tuple[str, ...]
    severities: tuple[str, ...]  # every severity name any kind may carry (catalogue order first)
    severity_name: np.ndarray  # int codes into severities, -1 missing, by dataset row
    kind_order: np.ndarray  # positions in ``records`` sorted by kind (stable: subject order kept)
    kind_bounds: np.ndarray  # kind_order[kind_bounds[k]:kind_bounds[k + 1]] are the records of kind k
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_subjects(self) -> int:
        return len(self.codes)

    def subject_index(self, values) -> np.ndarray:
        """Subject index of each credit code (−1 when not in enterprises)."""
        return _lookup(self.codes, values, text_codes=self.text_codes)

    @cached_property
    def text_codes(self) -> pa.Array:
        """The credit codes as an Arrow text array (the lookup's value set)."""
        return _text(self.codes)

    @cached_property
    def report_subj(self) -> np.ndarray:
        ar = self.dataset.annual_reports
        return self.subject_index(ar["credit_code"]) if ar is not None else np.zeros(0, np.int64)

    def select(
        self,
        kinds=None,
        domains=None,
        severities=None,
        outcomes=None,
        min_severity: str | None = None,
    ) -> RecordSet:
        """Records matching every given criterion (``None`` = any)."""
        key = (
            None if kinds is None else tuple(kinds),
            None if domains is None else tuple(domains),
            None if severities is None else tuple(severities),
            None if outcomes is None else tuple(outcomes),
            min_severity,
        )
        if ("select", key) in self.cache:
            return self.cache[("select", key)]
        if kinds is None:
            pos = np.arange(len(self.kind))
        else:
            codes = sorted({self.kind_categories.index(k) for k in kinds if k in self.kind_categories})
            pos = np.sort(np.concatenate(
                [self.kind_order[self.kind_bounds[c]:self.kind_bounds[c + 1]] for c in codes] or [np.zeros(0, np.int64)]
            ))
        rs = self.records.take(pos)
        mask = np.ones(len(pos), dtype=bool)
        if domains is not None:
            wanted = [self.domain_categories.index(d) for d in domains if d in self.domain_categories]
            mask &= np.isin(self.domain[rs.rows], wanted)
        if severities is not None:
            wanted = [self.severities.index(s) for s in severities if s in self.severities]
            mask &= np.isin(self.severity_name[rs.rows], wanted)
        if min_severity is not None:
            # rank of min_severity on each record's own kind scale (NaN: not on that scale)
            kinds = np.asarray(self.kind_categories, dtype=object)[self.kind[rs.rows]]
            floor = self.dataset.catalog.severity_ranks(kinds, np.full(len(kinds), min_severity, dtype=object))
            with np.errstate(invalid="ignore"):
                mask &= np.nan_to_num(floor, nan=np.inf) <= rs.severity
        if outcomes is not None:
            mask &= np.isin(
                rs.outcome,
                [self.outcome_categories.index(o) for o in outcomes if o in self.outcome_categories],
            )
        if not mask.all():
            rs = rs.take(mask)
        self.cache[("select", key)] = rs
        return rs

    # -- primitives on a record set -------------------------------------------------------------
    def prefetch(self, rs: RecordSet, windows) -> None:
        """Count and sum ``rs`` at every window of ``windows`` in one pass (memoised on ``rs``)."""
        todo = list(dict.fromkeys(w for w in windows if ("window", w) not in rs.memo))
        if not todo:
            return
        counts, sums = engine.interval_count_sum(rs.subj, rs.lo, rs.end, rs.start, rs.value, todo, self.q)
        for j, w in enumerate(todo):
            rs.memo[("window", w)] = (counts[:, j], sums[:, j])

    def count(self, rs: RecordSet, window: int | None = None) -> np.ndarray:
        """Records counting at each cutoff (int64; within ``window`` days of their start when given)."""
        self.prefetch(rs, [window])
        return rs.memo[("window", window)][0]

    def total(self, rs: RecordSet, window: int | None = None) -> np.ndarray:
        """Σ value (missing = 0) of the records counting at each cutoff."""
        self.prefetch(rs, [window])
        return rs.memo[("window", window)][1]

    def decayed(self, rs: RecordSet, window: int | None, tau: float) -> np.ndarray:
        return engine.interval_decayed(rs.subj, rs.lo, rs.hi(window), rs.start, tau, self.q, self.n_subjects)

    def last(self, rs: RecordSet) -> np.ndarray:
        """Position in ``rs`` of the most recent known record if it still counts, else −1."""
        return engine.interval_last(rs.subj, rs.lo, rs.end, rs.start, self.q, tie=self.record_id_rank[rs.rows])

    @cached_property
    def record_id_rank(self) -> np.ndarray:
        """Rank of each record's ``record_id`` as text (ties by row), by dataset row."""
        ids = self.dataset.records["record_id"]
        text = pa.array(ids.astype("str"), type=pa.large_string())
        return pc.rank(text, sort_keys="ascending", tiebreaker="first").to_numpy(zero_copy_only=False).astype(np.int64)

    def days_since(self, rs: RecordSet, pos: np.ndarray) -> np.ndarray:
        out = np.full(len(pos), np.nan)
        ok = pos >= 0
        out[ok] = self.cutoff_day[ok] - rs.start[pos[ok]]
        return out

    def outcome_of(self, rs: RecordSet, pos: np.ndarray, categories) -> pd.Categorical:
        """Outcome of record ``pos`` (−1 = none) as a categorical with fixed ``categories``.

        Outcomes outside ``categories`` become missing.
        """
        categories = list(categories)
        remap = pd.Index(categories).get_indexer(list(self.outcome_categories))
        remap = np.append(remap, -1)  # position -1 (no outcome) → missing
        codes = np.full(len(pos), -1, dtype=np.int64)
        ok = pos >= 0
        codes[ok] = remap[rs.outcome[pos[ok]]]
        return pd.Categorical.from_codes(codes, categories=categories)


def _text(values) -> pa.Array:
    """``values`` as an Arrow text array (missing = null); no copy for Arrow-backed strings."""
    values = pd.Series(values) if not isinstance(values, pd.Series | pd.Index) else values
    return pa.array(values.astype("str"), type=pa.large_string())


def _lookup(codes: pd.Index, values, *, text_codes: pa.Array | None = None) -> np.ndarray:
    """Positions of ``values`` in the unique ``codes`` (−1 = missing), by one Arrow hash lookup.

    Values equal to ``codes`` element by element (the monthly run's cutoffs) are recognised
    without hashing.
    """
    values = pd.Series(values) if not isinstance(values, pd.Series | pd.Index) else values
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = _lookup(codes, pd.Series(values.cat.categories), text_codes=text_codes)
        return np.append(cats, -1)[np.asarray(values.cat.codes)].astype(np.int64)
    keys = _text(codes) if text_codes is None else text_codes
    text = _text(values)
    if len(text) == len(keys) and len(text) and pc.all(pc.equal(text, keys), skip_nulls=False).as_py():
        return np.arange(len(text), dtype=np.int64)
    found = pc.index_in(text, value_set=keys)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _cutoff_problems(cutoffs: pd.DataFrame, codes: pd.Index, text_codes: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    missing = [c for c in ("credit_code", "as_of") if c not in cutoffs.columns]
    if missing:
        raise DataContractError(
            [Problem("cutoffs", None, c, None, "required column is missing",
                     "pass a table with columns credit_code and as_of") for c in missing]
        )
    subj = _lookup(codes, cutoffs["credit_code"], text_codes=text_codes)
    try:
        as_of = pd.to_datetime(cutoffs["as_of"])
    except (ValueError, TypeError) as exc:
        raise DataContractError(
            [Problem("cutoffs", None, "as_of", None, f"cannot be read as dates ({exc})", "use ISO dates")]
        ) from None
    problems = []
    for pos in np.flatnonzero(subj < 0)[:20]:
        problems.append(
            Problem("cutoffs", int(pos) + 1, "credit_code", cutoffs["credit_code"].iloc[pos],
                    "subject is not in the dataset's enterprises table",
                    "drop the row or add the subject to enterprises")
        )
    for pos in np.flatnonzero(as_of.isna().to_numpy())[:20]:
        problems.append(
            Problem("cutoffs", int(pos) + 1, "as_of", None, "as-of date is missing",
                    "give every cutoff an as-of date or drop the row")
        )
    if problems:
        raise DataContractError(problems)
    return subj.astype(np.int64), day_numbers(as_of)


def _effective_end_days(rec: pd.DataFrame, catalog, start: np.ndarray) -> np.ndarray:
    """:func:`credit_risk.data.publication.effective_end` as day numbers (``INF`` = open).

    The same rule (``min(end, start + publication_days[kind][severity])``, the data layer's
    catalogue lookup) on integer days, without building datetime columns.
    """
    days = publication_days(rec, catalog)
    expiry = np.full(len(rec), engine.INF, dtype=np.int64)
    has = ~np.isnan(days)
    expiry[has] = np.minimum(start[has] + days[has].astype(np.int64), engine.INF)
    if "end" not in rec.columns:
        return expiry
    return np.minimum(day_numbers(rec["end"]), expiry)


def prepare(dataset: CreditDataset, cutoffs: pd.DataFrame) -> Prepared:
    """Encode ``dataset`` and ``cutoffs`` (columns ``credit_code``, ``as_of``).

    Raises
    ------
    DataContractError
        A cutoff names a subject missing from ``enterprises`` or lacks its as-of date
        (table ``cutoffs``, 1-based row).
    """
    ent = dataset.enterprises
    codes = pd.Index(ent["credit_code"])
    text_codes = _text(codes)
    cut_subj, cut_day = _cutoff_problems(cutoffs, codes, text_codes)
    rec = dataset.records
    subj = _lookup(codes, rec["credit_code"], text_codes=text_codes)
    # records grouped by subject (stable: dataset order within a subject)
    order = np.arange(len(subj)) if not np.any(subj[1:] < subj[:-1]) else np.argsort(subj, kind="stable")
    start = day_numbers(rec["start"])
    pub = day_numbers(rec["published_on"].fillna(rec["start"]))
    kind = pd.Categorical(rec["kind"])
    catalog = dataset.catalog
    severity_names = tuple(getattr(catalog, "severity_values", catalog.severities))
    sev_name = codes_of(rec["severity"], severity_names).astype(np.int64)
    # rank within each record's kind scale (the kind's severity_scale, else the catalogue's)
    ranks = catalog.severity_ranks(rec["kind"], rec["severity"])
    sev_codes = np.where(np.isnan(ranks), -1, np.nan_to_num(ranks, nan=-1)).astype(np.int64)
    eff_end = _effective_end_days(rec, catalog, start)
    outcome = pd.Categorical(rec["outcome"]) if "outcome" in rec else pd.Categorical([None] * len(rec))
    domain = pd.Categorical(rec["domain"])
    value = rec["value"].to_numpy(dtype=np.float64, na_value=np.nan) if "value" in rec else np.full(len(rec), np.nan)
    records = RecordSet(
        subj=subj[order],
        start=start[order],
        lo=np.maximum(pub, start)[order],
        end=eff_end[order],
        value=value[order],
        severity=sev_codes.astype(np.int8)[order],
        outcome=outcome.codes.astype(np.int64)[order],
        rows=order,
    )
    kind_pos = kind.codes[order]  # int8/int16: a radix sort
    return Prepared(
        dataset=dataset,
        codes=codes,
        q=Queries.build(cut_subj, cut_day),
        cutoff_subj=cut_subj,
        cutoff_day=cut_day,
        records=records,
        kind=kind.codes.astype(np.int64),
        kind_order=np.argsort(kind_pos, kind="stable"),
        kind_bounds=np.count_nonzero(kind_pos < 0) + np.concatenate(
            [[0], np.cumsum(np.bincount(kind_pos[kind_pos >= 0], minlength=len(kind.categories)))]
        ),
        domain=domain.codes.astype(np.int64),
        kind_categories=tuple(map(str, kind.categories)),
        domain_categories=tuple(map(str, domain.categories)),
        outcome_categories=tuple(map(str, outcome.categories)),
        severities=severity_names,
        severity_name=sev_name,
    )
