"""Validation and normalisation of the data-contract tables.

Every check is vectorised and collects *all* problems of *every* table (capped per check,
with a count of the rest) before anything is raised, so ``credit-risk validate DIR`` reports
them in one run: a missing required column is reported and the table's other columns are
still checked. Nothing is dropped or coerced silently: a value that cannot be read as its
declared type is a problem, not a missing value. The only defaults applied are the
contract's own: ``published_on`` defaults to ``start`` and ``severity`` to the kind's
``default_severity``.

Speed (issue 17): the pass over millions of records costs about what reading them costs. Text
stays in Arrow (pandas' ``str`` dtype; an ``object`` column of text is converted once) and is
checked with Arrow kernels; columns already of their type (Parquet floats, whole years, dates,
text categoricals) are checked without building a presence mask; coded columns (kind, domain,
severity, outcome, source, region, industry, relation) are checked once per distinct value and
mapped back through their int8 codes; a key is unique when it is sorted (proved with Arrow
bitmaps) or when its dictionary has one entry per row; subjects sorted by a code of one byte
length (GB 32100 exports) are looked up by binary search over their bytes, one run of equal
codes at a time, else by one Arrow hash join. On a 2-core virtual machine most of the cost was
page faults on fresh memory, so the kernels run slice by slice where they need temporaries,
and columns, tables and lookups are checked side by side in threads. Row numbers, values and
first-seen rows of a problem are computed on the failure path only.

One rule for numbers and dates:

- **impossible** values are errors: ``inf``, ``1e400`` and ``NaN`` written as numbers; dates
  pandas cannot hold (outside 1678–2261), a time of day or a timezone offset; event dates
  before 1900 or after 2100; an event record published before it happened; an annual-report
  ``year`` outside 1900–2100 or filed before that year ended; negative capital, assets,
  liabilities or employee counts; a ``draw_probability`` outside (0, 1];
- **implausible but possible** values are accepted with one logged WARNING per check giving
  the count and example rows: ``established_on`` more than a year after the latest record
  (a register extract may be newer than the records), records dated before their subject
  was established, an interval record published before it started, an annual report for a
  year before the subject was established, negative revenue or tax paid, a ``value`` on a
  kind whose catalogue entry says ``value: none``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credit_risk.data import credit_code
from credit_risk.data.catalog import Catalog
from credit_risk.data.dates import DateSpec, parse_dates, roll_to_precision
from credit_risk.data.schema import ENTITY_TYPES, RELATION_TYPES, TABLES, Column, TableSchema
from credit_risk.exceptions import ConfigError, Problem

__all__ = [
    "ID_SCHEMES",
    "INDUSTRY_SCHEMES",
    "MAX_ROWS_PER_CHECK",
    "REGION_SCHEMES",
    "normalize_tables",
]

logger = logging.getLogger(__name__)

ID_SCHEMES = ("gb32100", "any")
REGION_SCHEMES = ("gb2260", "any")
INDUSTRY_SCHEMES = ("gb4754", "any")
#: Problems listed one by one for each check; the rest are counted in one summary line.
MAX_ROWS_PER_CHECK = 50
#: Example rows quoted in a plausibility warning.
WARN_EXAMPLES = 5

# ASCII digits only: `\d` would accept full-width and Arabic-Indic digits.
_REGION = re.compile(r"[0-9]{6}")
_INDUSTRY = re.compile(r"[A-T](?:[0-9]{2}(?:[0-9]{1,2})?)?")
_NAN_TEXT = r"[+-]?(?:nan|inf|infinity)"
_DAY_NS = 86_400 * 10**9
#: Rows per slice of the kernels that run slice by slice: their temporaries stay small and are
#: reused (a fresh column-sized temporary costs more in page faults than the arithmetic on it).
_CHUNK = 1 << 18

#: Event dates outside this window are impossible for a record of the past.
EARLIEST_EVENT = pd.Timestamp("1900-01-01")
LATEST_EVENT = pd.Timestamp("2100-12-31")
#: Date columns that are events (checked against the window); ends and closures may lie ahead.
_EVENT_DATES = {
    "enterprises": ("established_on",),
    "records": ("start", "published_on", "period_start", "period_end"),
    "annual_reports": ("filed_on",),
    "relations": ("start",),
}
_NON_NEGATIVE = {
    "enterprises": ("registered_capital",),
    "annual_reports": ("assets", "liabilities", "employees", "insured_employees"),
}
_NEGATIVE_IS_ODD = {"annual_reports": ("revenue", "tax_paid")}


def _plain(value):
    """A value as a user wrote it: Python scalars, never ``np.int64(3)`` or ``Timestamp(...)``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        try:
            midnight = value == value.normalize() and value.tz is None
        except (ValueError, OverflowError):  # within a day of the limits pandas can hold
            midnight = False
        return str(value.date()) if midnight else str(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


class _Collector:
    """Problems and warnings of one part of the checks, in the order they were found.

    Parts checked side by side in threads each have their own collector (sharing the raw tables
    and the codes cache); they are merged in the contract's order, and the warnings are logged
    in that order once everything is checked.
    """

    def __init__(self, files: Mapping[str, str]):
        self.files = files
        self.raw: dict[str, pd.DataFrame] = {}
        self.problems: list[Problem] = []
        self.warnings: list[tuple] = []
        self._coded: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}

    def part(self) -> _Collector:
        """A collector for one part checked on its own (same files, raw tables and codes cache)."""
        own = _Collector(self.files)
        own.raw, own._coded = self.raw, self._coded
        return own

    def merge(self, part: _Collector) -> None:
        self.problems.extend(part.problems)
        self.warnings.extend(part.warnings)

    def log_warnings(self) -> None:
        for args in self.warnings:
            logger.warning(*args)
        self.warnings.clear()

    def file(self, table: str) -> str:
        return self.files.get(table, table)

    def coded(self, df: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, distinct values)`` of a typed coded column, computed once per table and column."""
        key = (id(df), column)
        if key not in self._coded:
            self._coded[key] = _codes(df[column])
        return self._coded[key]

    def rows(self, table: str, df: pd.DataFrame, mask, column: str | None, message: str, fix: str, values=None):
        """Record one problem per offending row (capped), given a boolean mask over ``df``."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        positions = np.flatnonzero(mask)
        source = self.raw.get(table, df)  # report values as they arrived, not as typed
        raw_col = source[column] if column is not None and column in source.columns else None
        for pos in positions[:MAX_ROWS_PER_CHECK]:
            if values is not None:
                value = values(pos)
            else:
                value = None if raw_col is None else _plain(raw_col.iloc[pos])
            self.problems.append(Problem(self.file(table), int(pos) + 1, column, value, message, fix))
        rest = len(positions) - MAX_ROWS_PER_CHECK
        if rest > 0:
            self.problems.append(
                Problem(self.file(table), None, column, None, f"{rest:,} more rows with the same problem", fix)
            )

    def table(self, table: str, column: str | None, message: str, fix: str, value=None):
        self.problems.append(Problem(self.file(table), None, column, _plain(value), message, fix))

    def warn(self, table: str, mask, column: str, what: str) -> None:
        """One WARNING (logged by :meth:`log_warnings`) for implausible-but-possible values: count and example rows."""
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            positions = np.flatnonzero(mask)
            examples = ", ".join(f"{p + 1:,}" for p in positions[:WARN_EXAMPLES])
            self.warnings.append((
                "%s, column '%s': %s row(s) %s (accepted as possible; check them), e.g. row(s) %s",
                self.file(table), column, f"{len(positions):,}", what, examples,
            ))


# -- vectorised kernels -------------------------------------------------------------------------
def _arrow_text(series: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow string array behind a ``str`` column (no copy); None for any other column."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return series.array.__arrow_array__()
    if isinstance(dtype, pd.ArrowDtype) and (
        pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
    ):
        return series.array.__arrow_array__()
    return None


def _all_text(series: pd.Series) -> bool:
    """True when every non-missing value is a ``str`` (checked in C, not row by row)."""
    if isinstance(series.dtype, pd.StringDtype):
        return True
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")


def _to_numpy_bool(values, fill: bool) -> np.ndarray:
    return pc.fill_null(values, fill).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _present(series: pd.Series) -> np.ndarray:
    """Non-missing and, for text, non-blank (empty or whitespace only: Arrow's Unicode White_Space)."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fM":  # numpy floats and dates: one pass, one array
        values = series.to_numpy()
        if dtype.kind == "M":
            return values.view(np.int64) != np.iinfo(np.int64).min  # NaT
        present = np.isnan(values)
        return np.logical_not(present, out=present)
    arrow = _arrow_text(series)
    if arrow is not None:
        blank = pc.or_kleene(pc.equal(arrow, ""), pc.utf8_is_space(arrow))  # bitmaps only, no lengths
        return ~_to_numpy_bool(blank, True)
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = pd.Series(np.asarray(series.cat.categories, dtype=object))
        return _per_value(series.cat.codes.to_numpy(), _present(categories), False)
    if _all_text(series):
        return _present(series.astype("str"))
    present = series.notna().to_numpy()
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        blank = series.astype("string").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        present = present & ~blank
    return present


def _codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, distinct values)`` of a column: -1 codes a missing value.

    A categorical gives its own codes; Arrow text is dictionary-encoded in C++; anything else
    goes through ``pd.factorize``. Checks then run once per distinct value.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):  # int8 codes index as well as intp ones, at 1/8 the memory
        return series.cat.codes.to_numpy(), np.asarray(series.cat.categories, dtype=object)
    arrow = _arrow_text(series)
    if arrow is not None:
        encoded = pc.dictionary_encode(arrow.combine_chunks() if arrow.num_chunks != 1 else arrow.chunk(0))
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        return codes, encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.intp), np.asarray(uniques, dtype=object)


def _per_value(codes: np.ndarray, per_unique, missing) -> np.ndarray:
    """Spread one result per distinct value over the rows (``missing`` where the code is -1).

    Slice by slice: numpy widens small codes to intp to index, one slice at a time.
    """
    per_unique = np.asarray(per_unique)
    if per_unique.size == 0:
        per_unique = per_unique.astype(np.asarray(missing).dtype)
    if per_unique.dtype == bool and per_unique.all() and not missing:  # e.g. every value is allowed
        return codes >= 0
    table = np.append(per_unique, np.asarray([missing], dtype=per_unique.dtype))
    if len(codes) <= _CHUNK:
        return table[codes]
    out = np.empty(len(codes), dtype=table.dtype)
    for rows in _slices(len(codes)):
        np.take(table, codes[rows], out=out[rows], mode="wrap")  # -1 wraps to the last entry
    return out


def _per_pair(first: np.ndarray, second: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``table[first, second]`` row by row (codes -1 take the last row or column), slice by slice."""
    out = np.empty(len(first), dtype=table.dtype)
    for rows in _slices(len(first)):
        out[rows] = table[first[rows], second[rows]]
    return out


def _isin(codes: np.ndarray, uniques: np.ndarray, allowed) -> np.ndarray:
    """Rows whose value is in ``allowed`` (False where missing)."""
    allowed = set(allowed)
    return _per_value(codes, np.fromiter((u in allowed for u in uniques), bool, len(uniques)), False)


def _slices(n: int):
    """Consecutive slices of ``_CHUNK`` rows covering ``range(n)``."""
    for start in range(0, n, _CHUNK):
        yield slice(start, min(start + _CHUNK, n))


def _rowwise(n: int, kernel) -> np.ndarray:
    """One boolean per row, ``kernel(rows)`` computed slice by slice (no column-sized temporaries)."""
    out = np.empty(n, dtype=bool)
    for rows in _slices(n):
        out[rows] = kernel(rows)
    return out


def _fixed_width(array: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """The strings of ``array`` as a numpy ``S{width}`` array when every one is present and of one byte length.

    Fixed-width bytes compare as unsigned bytes, like Arrow's and Python's ``bytes`` order.
    """
    if array.null_count or len(array) == 0:
        return None
    lengths = pc.min_max(pc.binary_length(array))
    width = lengths["min"].as_py()
    if width != lengths["max"].as_py() or not width:
        return None
    return _as_fixed(array, width)


def _as_fixed(array: pa.Array | pa.ChunkedArray, width: int) -> np.ndarray:
    """Present strings of exactly ``width`` bytes as a numpy ``S{width}`` array (the caller checked)."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    parts = []
    for chunk in chunks:
        fixed = chunk.cast(pa.binary(width))
        if len(fixed):
            data = np.frombuffer(fixed.buffers()[1], dtype=f"S{width}")
            parts.append(data[fixed.offset:fixed.offset + len(fixed)])
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.empty(0, dtype=f"S{width}")


def _sorted_keys(value_set: pa.Array) -> np.ndarray | None:
    """``value_set`` as fixed-width bytes when its values are of one length and strictly increasing, else None."""
    keys = _fixed_width(value_set)
    if keys is None or (len(keys) > 1 and not bool(np.all(keys[:-1] < keys[1:]))):
        return None
    return keys


def _index_sorted(probe: pa.Array | pa.ChunkedArray, keys: np.ndarray) -> np.ndarray:
    """Position of each string of ``probe`` in the sorted fixed-width ``keys`` (-1 when absent or missing)."""
    width = keys.dtype.itemsize
    fits = _to_numpy_bool(pc.equal(pc.binary_length(probe), width), False)
    out = np.full(len(probe), -1, dtype=np.int32)
    if not fits.any():
        return out
    values = _as_fixed(probe if fits.all() else probe.filter(pa.array(fits)), width)
    where = np.searchsorted(keys, values).astype(np.int32)
    where[where == len(keys)] = 0
    out[fits] = np.where(keys[where] == values, where, np.int32(-1))
    return out


def _index_in(columns: Mapping[str, pd.Series], value_set: pa.Array,
              keys: np.ndarray | None | bool = True) -> dict[str, np.ndarray]:
    """Position (int32) of each row's text in ``value_set`` (-1 when missing or absent), for several columns.

    Records and annual reports usually come grouped by subject: each run of equal codes is looked
    up once (a run of one row costs one extra comparison). When the subjects are sorted and of one
    byte length (exports sorted by a fixed-width code, such as GB 32100 codes) and a column's runs
    are sorted too, or few, they are found by binary search over the bytes; the other columns by
    one Arrow hash join (building the hash of a million subjects costs more than probing it, and
    binary search in random order costs more than both). ``keys``: the subjects'
    :func:`_sorted_keys` when already known (None: not sorted), True: work them out.
    """
    if keys is True:
        keys = _sorted_keys(value_set)
    found: dict[str, np.ndarray] = {}
    hashed, spans = [], {}
    for name, series in columns.items():
        arrow = _arrow_text(series)
        if arrow is None:
            arrow = pa.chunked_array([pa.array(series.to_numpy(dtype=object, na_value=None), type=pa.large_string())])
        whole = arrow  # chunked as read: Arrow's kernels run chunk by chunk, nothing is concatenated
        n = len(whole)
        starts = None
        if n > 2:
            first = np.ones(n, dtype=bool)
            first[1:] = ~_to_numpy_bool(pc.equal(whole.slice(1), whole.slice(0, n - 1)), False)  # null equals nothing
            runs = int(np.count_nonzero(first))
            if runs < n // 2:
                whole = whole.filter(pa.array(first))
                starts = np.flatnonzero(first)
        spans[name] = (starts, n)
        m = len(whole)
        if keys is not None and (m <= len(keys) // 8 or m < 2 or not whole.null_count and pc.all(
                pc.less(whole.slice(0, m - 1), whole.slice(1))).as_py()):
            found[name] = _index_sorted(whole, keys)
        else:
            whole = whole.cast(pa.large_string())
            hashed.append((name, whole.combine_chunks() if isinstance(whole, pa.ChunkedArray) else whole))
    if hashed:
        positions = pc.index_in(pa.concat_arrays([h for _, h in hashed]), value_set=value_set.cast(pa.large_string()))
        positions = pc.fill_null(positions, -1).to_numpy(zero_copy_only=False).astype(np.int32)
        offset = 0
        for name, probe in hashed:
            found[name] = positions[offset:offset + len(probe)]
            offset += len(probe)
    out = {}
    for name, (starts, n) in spans.items():
        out[name] = found[name] if starts is None else np.repeat(found[name], np.diff(np.append(starts, n)))
    return out


def _arrow_numbers(raw: pd.Series, present: np.ndarray) -> np.ndarray | None:
    """float64 of an Arrow text column when Arrow's parser reads every present value, else None.

    Arrow reads what ``pd.to_numeric`` reads (``1e400`` is inf, ``nan`` is NaN; both are then
    reported) and refuses the rest (padding, thousands separators, ``1_000``), which then go
    through ``pd.to_numeric`` as before.
    """
    arrow = _arrow_text(raw)
    if arrow is None:
        return None
    whole = arrow.combine_chunks() if arrow.num_chunks != 1 else arrow.chunk(0)
    for attempt in (whole, None):  # missing values are nulls already; blanks need masking first
        if attempt is None:
            if present.all():
                return None
            attempt = pc.if_else(pa.array(present), whole, pa.scalar(None, whole.type))
        try:
            return pc.cast(attempt, pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return None


def _strictly_sorted(df: pd.DataFrame, key: list[str]) -> bool:
    """True when no key is missing and the rows are in strictly increasing key order (so no key repeats).

    Exports are usually sorted by their key: then uniqueness costs one comparison per row and
    column, no hashing, in Arrow bitmaps (an eighth of a byte per row). Text compares bytewise
    (any strict order proves uniqueness).
    """
    n = len(df)
    if n < 2:
        return n == 0 or not any(df[k].isna().any() for k in key)
    pairs = []  # (before < after, before == after) per key column, as Arrow booleans
    for k in key:
        series = df[k]
        arrow = _arrow_text(series)
        if arrow is None:
            if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_dtype(series)) \
                    or pd.api.types.is_bool_dtype(series) or series.isna().any():
                return False
            arrow = pa.array(series)  # numbers and dates without missing values (numpy ones: no copy)
        elif arrow.null_count:
            return False
        before, after = arrow.slice(0, n - 1), arrow.slice(1)  # chunk by chunk, nothing concatenated
        pairs.append((pc.less(before, after), pc.equal(before, after) if k != key[-1] else None))
    less = pairs[-1][0]
    for lt, eq in reversed(pairs[:-1]):  # lexicographic: a column decides unless the earlier ones tie
        less = pc.or_(lt, pc.and_(eq, less))
    return bool(pc.all(less).as_py())


def _duplicated(df: pd.DataFrame, key: list[str]) -> np.ndarray:
    """``df.duplicated(key, keep="first")`` over integer codes (missing values equal each other)."""
    n = len(df)
    if _strictly_sorted(df, key):
        return np.zeros(n, dtype=bool)
    combined = np.zeros(n, dtype=np.int64)
    groups = 1
    for k in key:
        arrow = _arrow_text(df[k])
        if arrow is None:
            codes, uniques = pd.factorize(df[k], use_na_sentinel=True)
            distinct = len(uniques)
        else:  # Arrow's hash, and only the count of distinct values (never a Python string per value)
            encoded = pc.dictionary_encode(arrow.combine_chunks() if arrow.num_chunks != 1 else arrow.chunk(0))
            codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
            distinct = len(encoded.dictionary)
        width = distinct + 1
        if groups * width >= 2**62:
            combined, uniq = pd.factorize(combined)
            groups = len(uniq)
        combined = combined * width + (np.asarray(codes, dtype=np.int64) + 1)
        groups *= width
    if len(key) == 1 and distinct == n:
        return np.zeros(n, dtype=bool)
    return pd.Series(combined).duplicated(keep="first").to_numpy()


def _threads(tables: Mapping[str, pd.DataFrame]) -> int:
    """Threads for checking columns side by side: one for small data (no overhead), else one per core."""
    rows = sum(len(t) for t in tables.values())
    return 1 if rows < 200_000 else max(1, min(4, os.cpu_count() or 1))


def _near_match(name: str, columns) -> str | None:
    """A header that is ``name`` up to case, spaces and punctuation (`` credit_code``, ``Credit_Code``)."""
    squash = re.sub(r"[\s_\-.]+", "", name).lower()
    for c in columns:
        if isinstance(c, str) and c != name and re.sub(r"[\s_\-.]+", "", c).lower() == squash:
            return c
    return None


def _type_dates(
    table: str, c: Column, raw: pd.Series, present: np.ndarray, spec: DateSpec | None, col: _Collector,
    out: pd.DataFrame,
) -> pd.Series:
    where = f"{table}.{c.name}"

    def nat() -> pd.Series:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")

    if pd.api.types.is_datetime64_any_dtype(raw):
        if getattr(raw.dt, "tz", None) is not None:
            col.rows(table, out, present, c.name, "is timezone-aware",
                     "store local calendar dates without a zone, e.g. "
                     "df[c].dt.tz_convert('Asia/Shanghai').dt.tz_localize(None).dt.normalize()")
            return nat()
        naive = raw  # datetime64[ns] (Parquet) is typed by _type_native; other units here
        lo, hi = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
        out_of_range = present & ((naive < lo) | (naive > hi)).fillna(False).to_numpy(dtype=bool)
        col.rows(table, out, out_of_range, c.name, f"date outside {lo.date()}…{hi.date()}",
                 "correct the date, or leave it empty if it means 'never'")
        inside = naive.where(~out_of_range).astype("datetime64[ns]")
        timed = present & ~out_of_range & (inside != inside.dt.normalize()).fillna(False).to_numpy(dtype=bool)
        col.rows(table, out, timed, c.name, "has a time of day",
                 "store dates without a time (e.g. df[c].dt.normalize()); a record is dated to the day")
        return roll_to_precision(inside.where(~timed), spec)
    if _all_text(raw) or (raw.dtype == object and not present.any()):
        parsed, issues = parse_dates(raw, present, spec, where)
        for issue in issues:
            col.rows(table, out, issue.mask, c.name, issue.message, issue.fix)
        return parsed
    # Anything else (numbers, date objects of a Parquet date32 column, mixed objects).
    try:
        parsed = pd.to_datetime(raw.where(present), errors="coerce")
        if not pd.api.types.is_datetime64_any_dtype(parsed) or getattr(parsed.dt, "tz", None) is not None:
            raise TypeError
        parsed = parsed.astype("datetime64[ns]")
    except (TypeError, ValueError, OverflowError):
        parsed = nat()
    numeric = pd.api.types.is_numeric_dtype(raw)
    bad = present & (parsed.isna().to_numpy() | numeric)
    col.rows(table, out, bad, c.name, "not a date", "store dates as a date column or as text YYYY-MM-DD")
    return roll_to_precision(parsed.where(~bad), spec)


def _type_numbers(table: str, c: Column, raw: pd.Series, present: np.ndarray, col: _Collector, out) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        parsed = pd.Series(np.nan, index=raw.index)
        bad, nonfinite = present, np.zeros(len(raw), dtype=bool)
    elif pd.api.types.is_numeric_dtype(raw):  # Parquet numbers: missing is NaN/NA, only ±inf is wrong
        values = raw.to_numpy(dtype="float64", na_value=np.nan)
        nonfinite = present & np.isinf(values)
        bad = present & np.isnan(values)  # e.g. a NaN inside a nullable Float64 column
        parsed = raw if raw.dtype == "float64" else pd.Series(values, index=raw.index, copy=False)
    else:
        values = _arrow_numbers(raw, present)
        if values is not None:
            parsed = pd.Series(values, index=raw.index, copy=False)
        else:
            parsed = pd.to_numeric(raw.where(present) if not present.all() else raw, errors="coerce").astype("float64")
            values = parsed.to_numpy(dtype="float64", na_value=np.nan)
        unread = present & np.isnan(values)
        nan_text = np.zeros(len(raw), dtype=bool)
        if unread.any():  # only the values that did not read as numbers are matched against nan/inf
            nan_text[unread] = (raw[unread].astype("string").str.strip()
                                .str.fullmatch(_NAN_TEXT, case=False).fillna(False).to_numpy(dtype=bool))
        nonfinite = present & (np.isinf(values) | (np.isnan(values) & nan_text))
        bad = present & np.isnan(values) & ~nonfinite
    col.rows(table, out, nonfinite, c.name, "not a finite number",
             "write a finite number (inf, 1e400 and NaN are not values); leave the cell empty when unknown")
    if nonfinite.any():
        parsed = parsed.where(~nonfinite)
    if c.type == "float":
        col.rows(table, out, bad, c.name, "not a number", "write plain decimal numbers")
        return parsed.astype("float64")
    frac = present & ~bad & ~nonfinite & (np.nan_to_num(parsed.to_numpy(dtype="float64", na_value=np.nan)) % 1 != 0)
    col.rows(table, out, bad | frac, c.name, "not an integer", "write whole numbers")
    return parsed.astype("Int64") if not (bad | frac | nonfinite).any() else parsed


def _type_text(table: str, c: Column, raw: pd.Series, present: np.ndarray, col: _Collector, out) -> pd.Series:
    """An id, str or category column: Arrow ``str`` text (a categorical stays one), blank = missing.

    A value that is not text (a number, a boolean) is a problem, never converted silently.
    """
    if _arrow_text(raw) is not None:
        return raw if present.all() else raw.where(present)
    if isinstance(raw.dtype, pd.CategoricalDtype):
        categories = raw.cat.categories
        codes = raw.cat.codes.to_numpy()
        is_text = _per_value(codes, np.fromiter((isinstance(v, str) for v in categories), bool, len(categories)), True)
    else:
        is_text = raw.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)  # mixed objects only
    bad = present & ~is_text
    col.rows(table, out, bad, c.name, "not text", f"write '{c.name}' as text (quote codes so leading zeros survive)")
    keep = present & is_text
    if isinstance(raw.dtype, pd.CategoricalDtype) and c.type == "category":
        return raw if keep.all() else pd.Series(
            pd.Categorical.from_codes(np.where(keep, codes, -1), dtype=raw.dtype), index=raw.index)
    return raw.astype(object).where(keep, None).astype("str")


def _missing_columns(schema: TableSchema, df: pd.DataFrame, col: _Collector) -> set[str]:
    """Report each missing required column (with a near-miss header when there is one)."""
    missing = {c.name for c in schema.columns if c.required and c.name not in df.columns}
    for c in schema.columns:
        if c.name not in missing:
            continue
        near = _near_match(c.name, df.columns)
        hint = f"did you mean {near!r}? rename that header to '{c.name}'" if near else (
            f"add a '{c.name}' column ({c.description or c.type})"
        )
        col.table(schema.name, c.name, "required column is missing", hint)
    return missing


_NAT = np.iinfo(np.int64).min  # NaT as int64


def _odd_ticks(ticks: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Nanosecond time stamps (not NaT) outside ``[lo, hi]`` or not at midnight.

    ``t // day * day != t`` rather than ``t % day``: numpy divides by a constant with a multiply
    (libdivide), several times faster than its remainder. Only NaT and stamps before ``lo``
    overflow the product, and both are decided by the other terms.
    """
    return (((ticks // _DAY_NS) * _DAY_NS != ticks) | (ticks > hi) | (ticks < lo)) & (ticks != _NAT)


def _type_native(table: str, c: Column, raw: pd.Series, col: _Collector, spec: DateSpec | None) -> pd.Series | None:
    """A column already of its type (as Parquet gives it), typed without a presence mask; None otherwise.

    The same problems in the same order as the general path (a required column's missing values
    first, then the column's own checks), with fewer column-sized temporaries.
    """
    dtype, missing_fix = raw.dtype, f"every row needs a '{c.name}'"
    if c.type == "float" and dtype == np.float64:  # NaN is missing; only ±inf is wrong
        values = raw.to_numpy()
        if not c.nullable:
            col.rows(table, None, np.isnan(values), c.name, "value is missing", missing_fix)
        nonfinite = np.isinf(values)
        col.rows(table, None, nonfinite, c.name, "not a finite number",
                 "write a finite number (inf, 1e400 and NaN are not values); leave the cell empty when unknown")
        return raw.where(~nonfinite) if nonfinite.any() else raw
    if c.type == "int" and isinstance(dtype, np.dtype) and dtype.kind == "i":
        # Whole numbers, none missing: typed int64, as a checked Int64 column without missing
        # values ends up (normalize_tables), without the detour through float64.
        return raw.astype("int64")
    if c.type == "date" and dtype == "datetime64[ns]":  # integer arithmetic, slice by slice, no copies
        ticks = raw.to_numpy().view(np.int64)
        if not c.nullable:
            col.rows(table, None, ticks == _NAT, c.name, "value is missing", missing_fix)
        lo, hi = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
        if not _rowwise(len(ticks), lambda r: _odd_ticks(ticks[r], lo.value, hi.value)).any():  # the usual case
            return roll_to_precision(raw, spec)
        out_of_range = _rowwise(len(ticks), lambda r: (ticks[r] > hi.value) | ((ticks[r] < lo.value) & (ticks[r] != _NAT)))
        col.rows(table, None, out_of_range, c.name, f"date outside {lo.date()}…{hi.date()}",
                 "correct the date, or leave it empty if it means 'never'")
        timed = ~out_of_range & _rowwise(len(ticks), lambda r: ((ticks[r] // _DAY_NS) * _DAY_NS != ticks[r]) & (ticks[r] != _NAT))
        col.rows(table, None, timed, c.name, "has a time of day",
                 "store dates without a time (e.g. df[c].dt.normalize()); a record is dated to the day")
        bad = out_of_range | timed
        return roll_to_precision(raw.where(~bad) if bad.any() else raw, spec)
    if c.type in ("id", "str") and (arrow := _arrow_text(raw)) is not None and not arrow.null_count:
        blank = pc.or_kleene(pc.equal(arrow, ""), pc.utf8_is_space(arrow))
        if not pc.any(blank).as_py():  # every value present: nothing to report, nothing to blank out
            return raw
    if c.type == "category" and isinstance(dtype, pd.CategoricalDtype):
        categories = pd.Series(np.asarray(dtype.categories, dtype=object))
        if all(isinstance(v, str) for v in categories) and _present(categories).all():  # text, none blank
            if not c.nullable:
                col.rows(table, None, raw.cat.codes.to_numpy() < 0, c.name, "value is missing", missing_fix)
            return raw
    return None


def _type_column(schema: TableSchema, c: Column, raw: pd.Series, col: _Collector,
                 dates: Mapping[str, DateSpec]) -> pd.Series:
    """Check and type one column that is present (every problem of it goes to ``col``)."""
    if raw.dtype == object and _all_text(raw):
        raw = raw.astype("str")  # text in Arrow once: every later check runs in C++
    native = _type_native(schema.name, c, raw, col, dates.get(f"{schema.name}.{c.name}"))
    if native is not None:
        return native
    present = _present(raw)
    if not c.nullable:
        col.rows(schema.name, None, ~present, c.name, "value is missing", f"every row needs a '{c.name}'")
    if c.type == "date":
        # NaT wherever no value is present (every path of _type_dates keeps a missing value missing).
        return _type_dates(schema.name, c, raw, present, dates.get(f"{schema.name}.{c.name}"), col, None)
    if c.type in ("float", "int"):
        return _type_numbers(schema.name, c, raw, present, col, None)
    return _type_text(schema.name, c, raw, present, col, None)  # id, str, category


def _assemble(schema: TableSchema, df: pd.DataFrame, typed: Mapping[str, pd.Series]) -> pd.DataFrame:
    """The typed table: contract columns in the schema's order (a missing one all-missing), then extras."""
    out = df.reset_index(drop=True)  # copy-on-write: the caller's frame is never changed
    for c in schema.columns:
        if c.name in typed:
            out[c.name] = typed[c.name]
        else:
            empty_dtype = {"date": "datetime64[ns]", "float": "float64", "int": "float64"}.get(c.type, object)
            out[c.name] = pd.Series(None, index=out.index, dtype=empty_dtype)
    extra = [c for c in out.columns if c not in schema.names]
    return out[[*schema.names, *extra]]


def _check_unique(schema: TableSchema, df: pd.DataFrame, col: _Collector) -> None:
    """Duplicate keys: the key's value and the row where it was first seen."""
    key = list(schema.key)
    dup = _duplicated(df, key)
    if not dup.any():
        return
    group = df.groupby(key, sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(df))).groupby(group).transform("min").to_numpy()
    raw = col.raw.get(schema.name, df)
    shown = np.flatnonzero(dup)[:MAX_ROWS_PER_CHECK]
    firsts = {int(p): int(first[p]) + 1 for p in shown}

    def key_value(pos):
        values = [_plain(raw[k].iloc[pos]) if k in raw.columns else None for k in key]
        return values[0] if len(key) == 1 else ", ".join(map(str, values))

    for pos in shown:  # ≤ MAX_ROWS_PER_CHECK messages, each naming its own first row
        col.rows(schema.name, df, np.arange(len(df)) == pos, key[0] if len(key) == 1 else None,
                 f"duplicate key ({', '.join(key)}) already on row {firsts[int(pos)]:,}",
                 "keep one row per key", values=key_value)
    rest = int(dup.sum()) - len(shown)
    if rest > 0:
        col.table(schema.name, None, f"{rest:,} more rows with a duplicate key ({', '.join(key)})", "keep one row per key")


def _check_values(table: str, df: pd.DataFrame, column: str, allowed, col: _Collector, what: str) -> None:
    codes, uniques = col.coded(df, column)
    bad = (codes >= 0) & ~_isin(codes, uniques, allowed)
    if bad.any():
        col.rows(
            table, df, bad, column, f"unknown {what}",
            f"use one of {sorted(allowed)[:20]}" + (" …" if len(allowed) > 20 else "")
            + (" or declare it in the catalogue" if what in ("kind", "domain") else ""),
        )


def _check_pattern(table, df, column, pattern: re.Pattern, col, message, fix) -> None:
    codes, uniques = col.coded(df, column)  # each distinct value matched once
    ok = pd.Series(uniques, dtype=object).astype("string").str.fullmatch(pattern.pattern).fillna(False)
    col.rows(table, df, (codes >= 0) & ~_per_value(codes, ok.to_numpy(dtype=bool), True), column, message, fix)


def _check_severity(rec: pd.DataFrame, catalog: Catalog, col: _Collector) -> None:
    """Each given severity must be on its kind's scale (the catalogue's unless the kind has its own)."""
    kind_codes, kinds_seen = col.coded(rec, "kind")
    sev_codes, sevs_seen = col.coded(rec, "severity")
    # Whether each (kind, severity) pair that occurs is wrong, then spread over the rows by codes:
    # a known kind's severity must be on its scale, any other on the catalogue's; last row and
    # column: a missing kind (the catalogue's scale) and a missing severity (never wrong).
    known = np.fromiter((k in catalog.kinds for k in kinds_seen), bool, len(kinds_seen))
    off_catalogue = np.fromiter((v not in catalog.severities for v in sevs_seen), bool, len(sevs_seen))
    wrong = np.zeros((len(kinds_seen) + 1, len(sevs_seen) + 1), dtype=bool)
    wrong[:, :-1] = off_catalogue
    if known.any() and len(sevs_seen):
        kinds = np.asarray(kinds_seen, dtype=object)[known]
        ranks = catalog.severity_ranks(np.repeat(kinds, len(sevs_seen)), np.tile(sevs_seen, len(kinds)))
        wrong[np.flatnonzero(known), :-1] = np.isnan(np.asarray(ranks, dtype=float)).reshape(len(kinds), len(sevs_seen))
    bad = _per_pair(kind_codes, sev_codes, wrong)
    if not bad.any():
        return
    scale_of = np.where(_isin(kind_codes, kinds_seen, catalog.kinds), kind_codes, -1)  # -1: the catalogue's scale
    for code in pd.unique(scale_of[bad]):  # one message group per scale (≤ number of kinds), first seen first
        kind = None if code < 0 else kinds_seen[code]
        scale = catalog.severities if kind is None else catalog.scale(kind)
        own = kind is not None and catalog.kinds[kind].severity_scale is not None
        col.rows(
            "records", rec, bad & (scale_of == code), "severity", "unknown severity",
            f"use one of {list(scale)}" + (f" (the severity scale of kind '{kind}')" if own else ""),
        )


def _dates(series: pd.Series) -> np.ndarray:
    """A typed date column as ``datetime64[ns]`` (no copy): NaT compares False in numpy, as missing should."""
    return series.to_numpy(dtype="datetime64[ns]")


def _floats(series: pd.Series) -> np.ndarray:
    """A typed number column as float64 (no copy for float64): NaN compares False, as missing should."""
    return series.to_numpy(dtype="float64", na_value=np.nan)


def _check_order(table: str, df: pd.DataFrame, first: str, second: str, col: _Collector) -> None:
    bad = _dates(df[second]) < _dates(df[first])
    col.rows(table, df, bad, second, f"'{second}' is before '{first}'", f"'{second}' must be on or after '{first}'")


def _check_known(table: str, df: pd.DataFrame, column: str, subject: np.ndarray, col: _Collector) -> None:
    """Codes that are not subjects of enterprises (``subject``: each row's subject, -1 for none)."""
    bad = df[column].notna().to_numpy() & (subject < 0)
    col.rows(
        table, df, bad, column, "refers to a subject that is not in enterprises",
        "add the subject to enterprises or correct the code",
    )


def _check_event_window(name: str, df: pd.DataFrame, col: _Collector) -> None:
    earliest, latest = EARLIEST_EVENT.to_datetime64(), LATEST_EVENT.to_datetime64()
    for c in _EVENT_DATES.get(name, ()):
        d = _dates(df[c])
        if not _rowwise(len(d), lambda r, d=d: (d[r] < earliest) | (d[r] > latest)).any():  # the usual case
            continue
        col.rows(name, df, d < EARLIEST_EVENT.to_datetime64(), c,
                 f"is before {EARLIEST_EVENT.year}, impossible for this data", "correct the date or leave it empty")
        col.rows(name, df, d > LATEST_EVENT.to_datetime64(), c,
                 f"is after {LATEST_EVENT.year}, impossible for a record of the past",
                 "correct the date or leave it empty")


def _check_signs(name: str, df: pd.DataFrame, col: _Collector) -> None:
    for c in _NON_NEGATIVE.get(name, ()):
        col.rows(name, df, _floats(df[c]) < 0, c, "is negative",
                 f"'{c}' cannot be below 0; correct the value or leave it empty")
    for c in _NEGATIVE_IS_ODD.get(name, ()):
        col.warn(name, _floats(df[c]) < 0, c, "are negative")


def _check_enterprises(ent, col, *, id_scheme, region_scheme, industry_scheme, missing) -> None:
    if id_scheme == "gb32100" and "credit_code" not in missing:
        codes = ent["credit_code"]
        bad = codes.notna().to_numpy() & credit_code.invalid_mask(codes.fillna(""))
        if bad.any():
            positions = np.flatnonzero(bad)[:MAX_ROWS_PER_CHECK]
            expected = credit_code.expected_check(codes.iloc[positions].fillna(""))
            for pos, exp in zip(positions, expected, strict=True):  # ≤ MAX_ROWS_PER_CHECK rows
                hint = (
                    f"the check character should be '{exp}'"
                    if exp
                    else "a code is 18 characters of 0-9 and A-Y without I, O, S, V, Z"
                )
                col.problems.append(
                    Problem(
                        col.file("enterprises"), int(pos) + 1, "credit_code", _plain(codes.iloc[pos]),
                        "fails the GB 32100 check",
                        f"{hint}; or load with id_scheme: any if the data uses another id scheme",
                    )
                )
            rest = int(bad.sum()) - len(positions)
            if rest > 0:
                col.table("enterprises", "credit_code", f"{rest:,} more codes fail the GB 32100 check",
                          "correct the codes or load with id_scheme: any")
    _check_values("enterprises", ent, "entity_type", ENTITY_TYPES, col, "entity type")
    if region_scheme == "gb2260":
        _check_pattern("enterprises", ent, "region", _REGION, col, "not a GB/T 2260 six-digit region code",
                       "write the region as six ASCII digits, e.g. 330106, or declare region_scheme: any in dataset.yaml")
    if industry_scheme == "gb4754":
        _check_pattern("enterprises", ent, "industry", _INDUSTRY, col, "not a GB/T 4754 industry code",
                       "write a section letter A–T, optionally followed by 2–4 digits, e.g. C13, "
                       "or declare industry_scheme: any in dataset.yaml")
    _check_order("enterprises", ent, "established_on", "closed_on", col)


def _check_records(rec, catalog: Catalog, col: _Collector) -> None:
    _check_values("records", rec, "kind", catalog.kinds.keys(), col, "kind")
    _check_values("records", rec, "domain", catalog.domains, col, "domain")
    _check_severity(rec, catalog, col)
    _check_order("records", rec, "start", "end", col)
    _check_order("records", rec, "period_start", "period_end", col)
    kind_codes, kinds_seen = col.coded(rec, "kind")
    outcome_codes, outcomes_seen = col.coded(rec, "outcome")
    # Allowed outcomes per (kind, outcome) pair that occurs; a missing outcome is allowed (the
    # column is nullable: the result is unknown), and so is any outcome of a kind declaring none.
    allowed = np.ones((len(kinds_seen) + 1, len(outcomes_seen) + 1), dtype=bool)
    for i, kind in enumerate(kinds_seen):
        spec = catalog.kinds.get(kind) if isinstance(kind, str) else None
        if spec is not None and spec.outcomes:
            allowed[i, :-1] = [o in spec.outcomes for o in outcomes_seen]
    wrong = ~_per_pair(kind_codes, outcome_codes, allowed)
    if wrong.any():
        for kind, spec in catalog.kinds.items():  # one message group per kind, in catalogue order
            if not spec.outcomes or kind not in set(kinds_seen):
                continue
            bad = wrong & (kind_codes == list(kinds_seen).index(kind))
            col.rows("records", rec, bad, "outcome", f"not an outcome of kind '{kind}'",
                     f"use one of {list(spec.outcomes)}")
    p = _floats(rec["draw_probability"])  # NaN (missing) compares False: only present values outside (0, 1]
    col.rows("records", rec, (p <= 0) | (p > 1), "draw_probability",
             "is not a probability in (0, 1]", "write the inclusion probability of the random draw, e.g. 0.25")
    interval = _per_value(kind_codes, [bool(k in catalog.kinds and catalog.kinds[k].interval) for k in kinds_seen], False)
    early = _dates(rec["published_on"]) < _dates(rec["start"])
    col.rows("records", rec, early & ~interval, "published_on",
             "is before 'start': an event cannot be published before it happened",
             "correct the dates (published_on on or after start)")
    col.warn("records", early & interval, "published_on", "of interval kinds were published before they started")
    no_value = _per_value(kind_codes, [bool(k in catalog.kinds and catalog.kinds[k].value == "none")
                                       for k in kinds_seen], False)
    col.warn("records", no_value & rec["value"].notna().to_numpy(), "value",
             "carry a value on a kind whose catalogue entry says value: none")


def normalize_tables(
    tables: Mapping[str, pd.DataFrame],
    catalog: Catalog,
    *,
    id_scheme: str = "gb32100",
    region_scheme: str = "gb2260",
    industry_scheme: str = "gb4754",
    dates: Mapping[str, DateSpec] | None = None,
    files: Mapping[str, str] | None = None,
    unreadable: frozenset[str] | set[str] = frozenset(),
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Validate and type the tables of a dataset.

    Parameters
    ----------
    tables : mapping of table name to DataFrame
        ``enterprises`` and ``records`` are required; ``annual_reports`` and ``relations`` optional.
    catalog : Catalog
        The record-kind vocabulary.
    id_scheme : {"gb32100", "any"}
        ``gb32100`` checks every subject's check character; ``any`` accepts other id schemes.
    region_scheme : {"gb2260", "any"}
        ``gb2260`` checks six ASCII digits; ``any`` accepts free-form regions (never re-coded).
    industry_scheme : {"gb4754", "any"}
        ``gb4754`` checks a section letter and 2–4 digits; ``any`` accepts free-form industries.
    dates : mapping of ``table.column`` to DateSpec, optional
        Declared date formats and precisions (undeclared columns: ISO ``YYYY-MM-DD`` only).
    files : mapping, optional
        File name per table, used in messages (default: the table name).
    unreadable : set of str
        Tables whose file exists but could not be read (already reported; not "missing").

    Returns
    -------
    tables, problems
        Typed tables (dates ``datetime64[ns]``, categorical codes as pandas categoricals
        with the catalogue's categories) and the list of problems (empty when valid).

    Raises
    ------
    ConfigError
        An unknown scheme or a ``dates`` key that is not a date column of the contract.
    """
    for value, allowed, what in (
        (id_scheme, ID_SCHEMES, "id_scheme"),
        (region_scheme, REGION_SCHEMES, "region_scheme"),
        (industry_scheme, INDUSTRY_SCHEMES, "industry_scheme"),
    ):
        if value not in allowed:
            raise ConfigError(f"{what} must be one of {list(allowed)}; got {value!r}")
    dates = dict(dates or {})
    check_date_keys(dates)
    col = _Collector(files or {})
    out: dict[str, pd.DataFrame] = {}
    missing: dict[str, set[str]] = {}
    for name in ("enterprises", "records"):
        if name not in tables and name not in unreadable:
            col.table(name, None, "required table is missing", f"add {name}.csv or {name}.parquet")
    for name in sorted(set(tables) - set(TABLES)):
        col.table(name, None, "unknown table", f"use one of {sorted(TABLES)}")

    present_tables = [name for name in TABLES if name in tables]
    for name in present_tables:
        col.raw[name] = tables[name].reset_index(drop=True)

    def one_column(task: tuple[str, Column]) -> _Collector:
        name, c = task
        own = col.part()
        typed[name][c.name] = _type_column(TABLES[name], c, col.raw[name][c.name], own, dates)
        return own

    def table_checks(name: str) -> _Collector:
        own = col.part()
        if not set(TABLES[name].key) & missing[name]:
            _check_unique(TABLES[name], out[name], own)
        _check_event_window(name, out[name], own)
        _check_signs(name, out[name], own)
        return own

    def enterprise_checks() -> _Collector:
        own = col.part()
        _check_enterprises(out["enterprises"], own, id_scheme=id_scheme, region_scheme=region_scheme,
                           industry_scheme=industry_scheme, missing=missing["enterprises"])
        return own

    def record_checks() -> _Collector:
        own = col.part()
        _check_records(out["records"], catalog, own)
        return own

    # Arrow and numpy kernels release the GIL: columns, then tables, are checked side by side in
    # threads, each into its own collector; problems (and warnings) are listed in the contract's
    # table and column order, exactly as if checked one after another.
    listed: dict[str, _Collector] = {}
    for name in present_tables:
        listed[name] = col.part()
        missing[name] = _missing_columns(TABLES[name], tables[name], listed[name])
    tasks = [(name, c) for name in present_tables for c in TABLES[name].columns if c.name in tables[name].columns]
    typed: dict[str, dict[str, pd.Series]] = {name: {} for name in present_tables}
    threads = _threads(tables)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for (name, _), found in zip(tasks, pool.map(one_column, tasks), strict=True):
            listed[name].merge(found)
        for name in present_tables:
            out[name] = _assemble(TABLES[name], tables[name], typed[name])

        ent, rec = out.get("enterprises"), out.get("records")
        known = established = None
        if ent is not None and "credit_code" not in missing["enterprises"]:
            known, established = _subjects(ent)
        # Every code that must name a subject, looked up in one pass.
        lookups = {
            f"{name}.{c}": out[name][c]
            for name, columns in (("records", ("credit_code",)), ("annual_reports", ("credit_code",)),
                                  ("relations", ("credit_code", "related_code")))
            for c in columns if known is not None and name in out and c not in missing[name]
        }
        own_parts = [enterprise_checks] if ent is not None else []
        own_parts += [record_checks] if rec is not None else []
        if threads > 1:
            # The lookups (the longest parts) start first, one per table when the subjects are
            # sorted (binary search), else one hash join for all; the table checks run beside
            # them in the pool and the enterprise and record checks in this thread.
            keys = _sorted_keys(known) if lookups else None
            groups = [{k: c for k, c in lookups.items() if k.startswith(f"{t}.")} for t in
                      ("records", "annual_reports", "relations")] if keys is not None else [lookups]
            pending = [pool.submit(_index_in, group, known, keys) for group in groups if group]
            tables_checked = [pool.submit(table_checks, name) for name in present_tables]
            checked = [part() for part in own_parts]
            tables_checked = [future.result() for future in tables_checked]
            subjects = {k: found for future in pending for k, found in future.result().items()}
        else:
            tables_checked = [table_checks(name) for name in present_tables]
            checked = [part() for part in own_parts]
            subjects = _index_in(lookups, known) if lookups else {}
    for name, found in zip(present_tables, tables_checked, strict=True):
        col.merge(listed[name])
        col.merge(found)
    for found in checked:  # enterprises, then records
        col.merge(found)

    if rec is not None:
        subject = subjects.get("records.credit_code")
        if subject is not None:
            _check_known("records", rec, "credit_code", subject, col)
        if rec["published_on"].isna().any():
            rec["published_on"] = rec["published_on"].fillna(rec["start"])
        if ent is not None and known is not None:
            _check_against_records(ent, rec, established, subject, col)

    ar = out.get("annual_reports")
    if ar is not None:
        subject = subjects.get("annual_reports.credit_code")
        if subject is not None:
            _check_known("annual_reports", ar, "credit_code", subject, col)
        _check_annual_reports(ar, established, subject, col)
        if ar["year"].dtype == "Int64" and not ar["year"].isna().any():
            ar["year"] = ar["year"].astype("int64")

    rel = out.get("relations")
    if rel is not None:
        _check_values("relations", rel, "relation", RELATION_TYPES, col, "relation")
        _check_order("relations", rel, "start", "end", col)
        self_link = (rel["credit_code"] == rel["related_code"]).fillna(False).to_numpy(dtype=bool)
        col.rows("relations", rel, self_link, "related_code", "links a subject to itself", "remove the row")
        for c in ("credit_code", "related_code"):
            if f"relations.{c}" in subjects:
                _check_known("relations", rel, c, subjects[f"relations.{c}"], col)

    if not col.problems and not unreadable:
        _to_categoricals(out, catalog, col)
    col.log_warnings()
    return out, col.problems


def check_date_keys(dates: Mapping[str, DateSpec]) -> None:
    """Every ``dates:`` key must be ``table.column`` of a date column of the contract."""
    valid = [f"{t}.{c.name}" for t, s in TABLES.items() for c in s.columns if c.type == "date"]
    bad = [k for k in dates if k not in valid]
    if bad:
        raise ConfigError(f"dates: {bad} are not date columns of the contract; use some of {valid}")


def _subjects(ent: pd.DataFrame) -> tuple[pa.Array, np.ndarray]:
    """The distinct enterprise codes (first-seen order) and each one's ``established_on``."""
    codes = ent["credit_code"]
    arrow = _arrow_text(codes)
    if arrow is None:
        arrow = pa.chunked_array([pa.array(codes.to_numpy(dtype=object, na_value=None), type=pa.large_string())])
    whole = arrow.combine_chunks() if arrow.num_chunks != 1 else arrow.chunk(0)
    n = len(whole)
    if not whole.null_count and (n < 2 or pc.all(pc.less(whole.slice(0, n - 1), whole.slice(1))).as_py()):
        # Sorted exports: strictly increasing codes are distinct, the subjects are the rows.
        return whole, ent["established_on"].to_numpy(dtype="datetime64[ns]")
    present = codes.notna().to_numpy()
    known = pc.unique(pc.drop_null(whole))
    if len(known) == int(present.sum()):  # no code repeats: the subjects are the rows
        first = np.flatnonzero(present)
    else:  # a repeated code (itself a problem): its first row counts
        first = np.flatnonzero(present & ~codes.duplicated(keep="first").to_numpy())
    return known, ent["established_on"].to_numpy(dtype="datetime64[ns]")[first]


def _before_established(dates: np.ndarray, established: np.ndarray, subject: np.ndarray | None) -> np.ndarray:
    """Rows dated before their subject's ``established_on`` (False where a date is missing or the subject unknown)."""
    if subject is None:  # the table has no credit_code column (reported)
        return np.zeros(len(dates), dtype=bool)
    of_subject = np.append(established, np.datetime64("NaT", "ns"))  # subject -1: unknown, NaT
    return _rowwise(len(dates), lambda r: dates[r] < of_subject[subject[r]])  # NaT compares False


def _check_against_records(ent: pd.DataFrame, rec: pd.DataFrame, established: np.ndarray,
                           subject: np.ndarray | None, col: _Collector) -> None:
    """``established_on`` against the records: odd when long after the latest record or after a record.

    Both are warnings: a register extract may be newer than the records, and records may be
    misattributed. Dates after 2100 are errors (:func:`_check_event_window`).
    """
    published = rec["published_on"]
    latest = published.max()
    if pd.notna(latest) and latest > LATEST_EVENT:
        latest = published.where(published <= LATEST_EVENT).max()
    if pd.notna(latest):
        limit = latest + pd.DateOffset(years=1)
        col.warn("enterprises", _dates(ent["established_on"]) > limit.to_datetime64(),
                 "established_on", f"are more than a year after the latest record ({latest.date()})")
    before = _before_established(_dates(rec["start"]), established, subject)
    col.warn("records", before, "start", "are dated before their subject's established_on")


#: 1 January of each possible report year + 1 (1901 … 2101): a report on year Y is filed from then.
_YEAR_ENDED = (np.arange(EARLIEST_EVENT.year + 1, LATEST_EVENT.year + 2) - 1970).astype("datetime64[Y]").astype(
    "datetime64[ns]"
)


def _check_annual_reports(ar: pd.DataFrame, established: np.ndarray | None, subject: np.ndarray | None,
                          col: _Collector) -> None:
    raw_year = ar["year"]
    if isinstance(raw_year.dtype, np.dtype) and raw_year.dtype.kind == "i":  # whole years, none missing (Parquet)
        year = raw_year.to_numpy(dtype=np.int64)
        impossible = (year < EARLIEST_EVENT.year) | (year > LATEST_EVENT.year)
        possible = ~impossible
    else:
        values = pd.to_numeric(raw_year, errors="coerce").astype("float64").to_numpy(dtype="float64", na_value=np.nan)
        impossible = (values < EARLIEST_EVENT.year) | (values > LATEST_EVENT.year)  # NaN compares False
        possible = ~impossible & ~np.isnan(values)
        # A fraction (reported as not an integer) compares with whole years as its floor does.
        year = np.floor(np.where(possible, values, 0.0)).astype(np.int64)
    col.rows("annual_reports", ar, impossible, "year",
             f"is outside {EARLIEST_EVENT.year}–{LATEST_EVENT.year}", "write the reporting year, e.g. 2023")
    filed = _dates(ar["filed_on"])
    last = len(_YEAR_ENDED) - 1
    early = possible & _rowwise(  # filed before 1 January of year + 1; NaT compares False
        len(year), lambda r: filed[r] < _YEAR_ENDED[np.clip(year[r] - EARLIEST_EVENT.year, 0, last)])
    col.rows("annual_reports", ar, early, "filed_on", "is before the report year ended",
             "a report on year Y is filed in Y+1 or later; correct year or filed_on")
    if established is not None and subject is not None:
        never = np.iinfo(np.int64).min  # no year is before it: a missing date or an unknown subject
        founded = established.astype("datetime64[Y]").astype(np.int64) + 1970
        founded[np.isnat(established)] = never
        founded = np.append(founded, never)
        late = possible & _rowwise(len(year), lambda r: year[r] < founded[subject[r]])
        col.warn("annual_reports", late, "year", "report on a year before their subject's established_on")


def _as_categorical(codes: np.ndarray, uniques: np.ndarray, categories, *, ordered: bool = False) -> pd.Categorical:
    """Codes over ``uniques`` re-expressed over ``categories`` (a value outside them becomes missing)."""
    position = pd.Index(list(categories), dtype=object).get_indexer(pd.Index(uniques, dtype=object))
    dtype = pd.CategoricalDtype(pd.Index(list(categories)), ordered=ordered)
    small = np.int8 if len(categories) < 127 else np.int16 if len(categories) < 32_767 else np.int32
    if np.array_equal(position, np.arange(len(uniques))) and codes.dtype == small:  # same order: same codes
        return pd.Categorical.from_codes(codes.copy(), dtype=dtype)  # a copy: never a view of the caller's frame
    return pd.Categorical.from_codes(_per_value(codes, position.astype(small), -1), dtype=dtype)


def _seen(codes: np.ndarray, uniques: np.ndarray) -> list:
    """The distinct values that occur in the rows (a categorical may carry unused categories)."""
    used = np.zeros(len(uniques) + 1, dtype=bool)
    for rows in _slices(len(codes)):
        used[codes[rows]] = True
    return list(uniques[used[:-1]])


def _to_categoricals(out: dict[str, pd.DataFrame], catalog: Catalog, col: _Collector) -> None:
    """Store coded columns as categoricals with the catalogue's categories (valid tables only)."""
    ent = out["enterprises"]
    for c in ("entity_type", "industry", "region"):  # the values that occur, sorted
        codes, uniques = col.coded(ent, c)
        ent[c] = _as_categorical(codes, uniques, sorted(_seen(codes, uniques)))
    rec = out["records"]
    kind_codes, kinds_seen = col.coded(rec, "kind")
    rec["kind"] = _as_categorical(kind_codes, kinds_seen, list(catalog.kinds))
    rec["domain"] = _as_categorical(*col.coded(rec, "domain"), list(catalog.domains))
    # The catalogue's severities first (their codes are unchanged), then kind-scale values; the
    # order between different scales means nothing: rank with Catalog.severity_ranks. A missing
    # severity is the kind's default_severity (the contract's default).
    values = list(catalog.severity_values)
    severity = _as_categorical(*col.coded(rec, "severity"), values, ordered=True)
    codes = severity.codes
    if (codes < 0).any():
        default = [values.index(d) if (d := catalog.kinds[k].default_severity if k in catalog.kinds else None) in values
                   else -1 for k in kinds_seen]
        codes = np.where(codes >= 0, codes, _per_value(kind_codes, np.asarray(default, dtype=codes.dtype), -1))
        severity = pd.Categorical.from_codes(codes, dtype=severity.dtype)
    rec["severity"] = severity
    declared = {o for spec in catalog.kinds.values() for o in spec.outcomes}
    codes, uniques = col.coded(rec, "outcome")
    rec["outcome"] = _as_categorical(codes, uniques, sorted(declared | set(_seen(codes, uniques))))
    codes, uniques = col.coded(rec, "source")
    rec["source"] = _as_categorical(codes, uniques, sorted(_seen(codes, uniques)))
    if "relations" in out:
        rel = out["relations"]
        rel["relation"] = _as_categorical(*col.coded(rel, "relation"), list(RELATION_TYPES))
