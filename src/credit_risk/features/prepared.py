"""A dataset and its cutoffs encoded once as integer arrays for the builders.

:class:`Prepared` holds one int64 day number per record date (see
:mod:`credit_risk.features.engine`), the subject index of every record and cutoff, the
effective end of every record (catalogue publication periods applied) and helpers that
filter records and run the interval primitives on them. The records of each kind are
encoded when a builder first asks for that kind, grouped by subject (``RecordSet.rows`` maps
them back to ``dataset.records``); every selection stays grouped by subject, so window counts
and sums run as one merge with the sorted cutoffs.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
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

    def take(self, mask: np.ndarray | slice) -> RecordSet:
        """The records at ``mask`` (boolean mask, positions, or a slice: views, no copy)."""
        return RecordSet(*(getattr(self, f)[mask] for f in self.__dataclass_fields__ if f != "memo"))

    @staticmethod
    def merge(parts: list[RecordSet]) -> RecordSet:
        """The records of ``parts`` (each grouped by subject), grouped by subject (stable)."""
        if len(parts) == 1:
            return parts[0]
        names = [f for f in RecordSet.__dataclass_fields__ if f != "memo"]
        both = RecordSet(*(np.concatenate([getattr(p, f) for p in parts]) for f in names))
        return both.take(np.argsort(both.subj, kind="stable"))


@dataclass(frozen=True, eq=False)
class _Columns:
    """The record columns the builders use, in dataset order, as raw arrays (no per-record objects).

    Dates are int64 nanoseconds (``NaT`` = the int64 minimum); :meth:`encode` turns the rows of
    one selection into a :class:`RecordSet`.
    """

    subj: np.ndarray
    start_ns: np.ndarray
    published_ns: np.ndarray
    end_ns: np.ndarray | None
    kind: pd.Categorical
    severity: pd.Categorical
    value: np.ndarray
    outcome: np.ndarray

    def encode(self, rows: np.ndarray, catalog) -> RecordSet:
        """Day numbers, effective end (the data layer's publication rule) and ranks of ``rows``."""
        start = _days(self.start_ns[rows])
        published = _days(self.published_ns[rows], missing=-1)
        lo = np.maximum(published, start)  # published_on missing: known from its start
        kind, severity = self.kind.take(rows), self.severity.take(rows)
        days = publication_days(pd.DataFrame({"kind": kind, "severity": severity}, copy=False), catalog)
        end = np.full(len(rows), engine.INF, dtype=np.int64)
        has = ~np.isnan(days)
        end[has] = np.minimum(start[has] + days[has].astype(np.int64), engine.INF)
        if self.end_ns is not None:
            end = np.minimum(_days(self.end_ns[rows]), end)
        # rank within each record's kind scale (the kind's severity_scale, else the catalogue's)
        ranks = catalog.severity_ranks(kind, severity)
        return RecordSet(
            subj=self.subj[rows],
            start=start,
            lo=lo,
            end=end,
            value=self.value[rows],
            severity=np.where(np.isnan(ranks), -1, np.nan_to_num(ranks, nan=-1)).astype(np.int8),
            outcome=self.outcome[rows],
            rows=rows,
        )


_NS_PER_DAY = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min


def _nanoseconds(values) -> np.ndarray:
    """A date column as int64 nanoseconds since the epoch (no copy when already datetime64[ns])."""
    return np.asarray(pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")).view(np.int64)


def _days(ns: np.ndarray, *, missing: int = engine.INF) -> np.ndarray:
    """int64 nanoseconds → day numbers as :func:`~credit_risk.features.engine.day_numbers` (``NaT`` → ``missing``)."""
    days = np.floor_divide(ns, _NS_PER_DAY) + engine.OFFSET
    days[ns == _NAT] = missing
    return days


@dataclass(frozen=True, eq=False)
class Prepared:
    """Encoded dataset + cutoffs. Build with :func:`prepare`."""

    dataset: CreditDataset
    codes: pd.Index  # credit codes in enterprises order; subject index = position
    q: Queries
    cutoff_subj: np.ndarray  # original order
    cutoff_day: np.ndarray  # original order
    columns: _Columns  # the records, dataset order
    order: np.ndarray  # record rows sorted by (kind, subject)
    kind: np.ndarray  # int codes into kind_categories, by dataset row
    domain: np.ndarray  # by dataset row
    kind_categories: tuple[str, ...]
    domain_categories: tuple[str, ...]
    outcome_categories: tuple[str, ...]
    severities: tuple[str, ...]  # every severity name any kind may carry (catalogue order first)
    severity_name: np.ndarray  # int codes into severities, -1 missing, by dataset row
    kind_bounds: np.ndarray  # order[kind_bounds[c + 1]:kind_bounds[c + 2]]: the rows of kind code c (-1: missing)
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
        codes = (
            range(-1, len(self.kind_categories)) if kinds is None
            else sorted({self.kind_categories.index(k) for k in kinds if k in self.kind_categories})
        )
        rs = RecordSet.merge([self.kind_records(c) for c in codes] or [self.kind_records(None)])
        mask = np.ones(len(rs.subj), dtype=bool)
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

    def kind_records(self, code: int | None) -> RecordSet:
        """The records of kind code ``code`` (−1: missing kind; ``None``: none), encoded once."""
        if ("kind", code) not in self.cache:
            a, b = (0, 0) if code is None else (self.kind_bounds[code + 1], self.kind_bounds[code + 2])
            self.cache[("kind", code)] = self.columns.encode(self.order[a:b], self.dataset.catalog)
        return self.cache[("kind", code)]

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
    text = pa.array(values.astype("str"), type=pa.large_string())
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _lookup(codes: pd.Index, values, *, text_codes: pa.Array | None = None) -> np.ndarray:
    """Positions of ``values`` in the unique ``codes`` (−1 = missing), by one Arrow hash lookup.

    Values equal to ``codes`` element by element (the monthly run's cutoffs) are recognised
    without hashing.
    """
    return _lookup_all(codes, [values], text_codes=text_codes)[0]


def _lookup_all(codes: pd.Index, columns: list, *, text_codes: pa.Array | None = None) -> list[np.ndarray]:
    """:func:`_lookup` of several columns with one hash table of ``codes``."""
    keys = _text(codes) if text_codes is None else text_codes
    out: list = [None] * len(columns)
    pending = []  # (column, text to hash, run heads or None, length)
    for i, values in enumerate(columns):
        values = pd.Series(values) if not isinstance(values, pd.Series | pd.Index) else values
        if isinstance(values.dtype, pd.CategoricalDtype):
            cats = _lookup(codes, pd.Series(values.cat.categories), text_codes=keys)
            out[i] = np.append(cats, -1)[np.asarray(values.cat.codes)].astype(np.int64)
            continue
        text = _text(values)
        n = len(text)
        if n == len(keys) and n and pc.all(pc.equal(text, keys), skip_nulls=False).as_py():
            out[i] = np.arange(n, dtype=np.int64)
            continue
        heads = None
        if n > 1:
            # records come grouped by subject more often than not: hash each run of equal codes once
            change = pc.not_equal(text.slice(1), text.slice(0, n - 1)).fill_null(True)
            runs = np.flatnonzero(np.concatenate([[True], change.to_numpy(zero_copy_only=False)]))
            if len(runs) < 0.8 * n:
                heads, text = runs, text.take(pa.array(runs))
        pending.append((i, text, heads, n))
    if pending:
        found = pc.index_in(pa.chunked_array([t for _, t, _, _ in pending], type=pa.large_string()), value_set=keys)
        found = found.fill_null(-1).to_numpy().astype(np.int64)
        at = 0
        for i, text, heads, n in pending:
            part = found[at:at + len(text)]
            at += len(text)
            out[i] = part if heads is None else np.repeat(part, np.diff(np.append(heads, n)))
    return out


def _missing_cutoff_columns(cutoffs: pd.DataFrame) -> None:
    missing = [c for c in ("credit_code", "as_of") if c not in cutoffs.columns]
    if missing:
        raise DataContractError(
            [Problem("cutoffs", None, c, None, "required column is missing",
                     "pass a table with columns credit_code and as_of") for c in missing]
        )


def _cutoff_problems(cutoffs: pd.DataFrame, subj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(subject index, day number) of every cutoff; ``subj``: their subject lookup."""
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
    rec = dataset.records
    _missing_cutoff_columns(cutoffs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # hashing the credit codes (Arrow, without the GIL; one table) overlaps the rest
        lookups = pool.submit(_lookup_all, codes, [cutoffs["credit_code"], rec["credit_code"]], text_codes=text_codes)
        kind = pd.Categorical(rec["kind"])
        severity = rec["severity"].array if isinstance(rec["severity"].dtype, pd.CategoricalDtype) else pd.Categorical(rec["severity"])
        outcome = pd.Categorical(rec["outcome"]) if "outcome" in rec else pd.Categorical([None] * len(rec))
        domain = pd.Categorical(rec["domain"])
        start_ns = _nanoseconds(rec["start"])
        published_ns = _nanoseconds(rec["published_on"]) if "published_on" in rec else np.full(len(rec), _NAT)
        end_ns = _nanoseconds(rec["end"]) if "end" in rec else None
        value = rec["value"].to_numpy(dtype=np.float64, na_value=np.nan) if "value" in rec else np.full(len(rec), np.nan)
        found_cut, subj = lookups.result()
    cut_subj, cut_day = _cutoff_problems(cutoffs, found_cut)
    # rows sorted by (kind, subject), stable: dataset order within a subject
    order = np.arange(len(subj)) if not np.any(subj[1:] < subj[:-1]) else np.argsort(subj, kind="stable")
    order = order[np.argsort(kind.codes[order], kind="stable")]  # int8/int16 codes: a radix sort
    n_kind = np.bincount(kind.codes[kind.codes >= 0], minlength=len(kind.categories))
    severity_names = tuple(getattr(dataset.catalog, "severity_values", dataset.catalog.severities))
    return Prepared(
        dataset=dataset,
        codes=codes,
        q=Queries.build(cut_subj, cut_day),
        cutoff_subj=cut_subj,
        cutoff_day=cut_day,
        columns=_Columns(subj, start_ns, published_ns, end_ns, kind, severity, value, outcome.codes.astype(np.int64)),
        order=order,
        kind=kind.codes.astype(np.int64),
        # kind -1 (missing) first, then each kind: bounds[c + 1]:bounds[c + 2] for code c
        kind_bounds=np.concatenate([[0], np.cumsum([np.count_nonzero(kind.codes < 0), *n_kind])]),
        domain=domain.codes.astype(np.int64),
        kind_categories=tuple(map(str, kind.categories)),
        domain_categories=tuple(map(str, domain.categories)),
        outcome_categories=tuple(map(str, outcome.categories)),
        severities=severity_names,
        severity_name=codes_of(severity, severity_names).astype(np.int64),
    )
