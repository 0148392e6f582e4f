"""Reading the contract's date columns: declared formats and precisions, never a silent guess.

Without a declaration a date column accepts only ISO ``YYYY-MM-DD`` (a midnight time such as
``2020-01-05T00:00:00`` is tolerated and dropped). Anything else -- ``2016-12``, ``2015/09/01``,
``2014``, ``2020-1-5``, ``20200201``, a real time of day, a timezone offset -- is a problem naming
the format it looks like and the ``dataset.yaml`` declaration that reads it::

    dates:
      records.start: {precision: month, formats: [YYYY-MM, YYYY年MM月]}
      enterprises.established_on: {formats: [YYYY/MM/DD]}

A value known only to the month is taken as the **last** day of that month, a year as
31 December: a record "of December 2016" is known from 2016-12-31, never a month early
(no look-ahead). Every parse is vectorised (regular expressions over the whole column and
numpy calendar arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credit_risk.exceptions import ConfigError

__all__ = ["FORMATS", "DateFormat", "DateIssue", "DateSpec", "parse_dates"]

Precision = Literal["day", "month", "year"]
_COARSENESS = {"day": 0, "month": 1, "year": 2}

#: Years pandas can hold as ``datetime64[ns]`` in full (1677-09-21 … 2262-04-11).
MIN_YEAR, MAX_YEAR = 1678, 2261


@dataclass(frozen=True)
class DateFormat:
    """One accepted way of writing a date: its name in ``dataset.yaml``, regex and precision."""

    name: str
    pattern: str
    precision: Precision


_Y = r"(?P<y>[0-9]{4})"
_M2, _D2 = r"(?P<m>[0-9]{2})", r"(?P<d>[0-9]{2})"
_M12, _D12 = r"(?P<m>[0-9]{1,2})", r"(?P<d>[0-9]{1,2})"

#: Every format a ``dates:`` declaration may name (ASCII digits only).
FORMATS: dict[str, DateFormat] = {
    f.name: f
    for f in (
        DateFormat("YYYY-MM-DD", rf"{_Y}-{_M2}-{_D2}", "day"),
        DateFormat("YYYY-M-D", rf"{_Y}-{_M12}-{_D12}", "day"),
        DateFormat("YYYY/MM/DD", rf"{_Y}/{_M2}/{_D2}", "day"),
        DateFormat("YYYY/M/D", rf"{_Y}/{_M12}/{_D12}", "day"),
        DateFormat("YYYYMMDD", rf"{_Y}{_M2}{_D2}", "day"),
        DateFormat("YYYY年MM月DD日", rf"{_Y}年{_M12}月{_D12}日", "day"),  # 1 or 2 digits, as usually written
        DateFormat("YYYY-MM", rf"{_Y}-{_M2}", "month"),
        DateFormat("YYYY/MM", rf"{_Y}/{_M2}", "month"),
        DateFormat("YYYYMM", rf"{_Y}{_M2}", "month"),
        DateFormat("YYYY年MM月", rf"{_Y}年{_M12}月", "month"),
        DateFormat("YYYY", _Y, "year"),
        DateFormat("YYYY年", rf"{_Y}年", "year"),
    )
}
#: A midnight time after a day: tolerated (``T00:00:00``, `` 00:00``, ``T00:00:00.000``).
_MIDNIGHT = r"(?:[T ]00:00(?::00(?:\.0+)?)?)?"
_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{1,2}:[0-9]{2}.*"
_ZONE = r".*(?:Z|[+-][0-9]{2}:?[0-9]{2})"
_DEFAULT_FORMATS: dict[str, tuple[str, ...]] = {
    "day": ("YYYY-MM-DD",),
    "month": ("YYYY-MM", "YYYY-MM-DD"),
    "year": ("YYYY", "YYYY-MM", "YYYY-MM-DD"),
}


@dataclass(frozen=True)
class DateSpec:
    """How one date column is written (a ``dates:`` entry of ``dataset.yaml``).

    Attributes
    ----------
    precision : {"day", "month", "year"} or None
        What the values are known to. ``month``: every value becomes the last day of its month,
        ``year``: 31 December, whatever the format; None: each value's own format decides.
    formats : tuple of str
        Names from :data:`FORMATS`; empty = the ISO forms of the precision
        (day: ``YYYY-MM-DD``; month: also ``YYYY-MM``; year: also ``YYYY``).
    """

    precision: Precision | None = None
    formats: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if f not in FORMATS]
        if unknown:
            raise ConfigError(f"date formats {unknown} are not supported; use some of {list(FORMATS)}")
        if self.precision is not None:
            coarse = [f for f in self.formats if _COARSENESS[FORMATS[f].precision] > _COARSENESS[self.precision]]
            if coarse:
                raise ConfigError(
                    f"date formats {coarse} give less than a {self.precision}; declare precision: "
                    f"{FORMATS[coarse[0]].precision} or drop them"
                )

    @property
    def effective_formats(self) -> tuple[str, ...]:
        return self.formats or _DEFAULT_FORMATS[self.precision or "day"]

    def to_mapping(self) -> dict:
        out: dict = {}
        if self.precision is not None:
            out["precision"] = self.precision
        if self.formats:
            out["formats"] = list(self.formats)
        return out


@dataclass(frozen=True)
class DateIssue:
    """Rows of one column with one kind of date problem (a mask over the column)."""

    mask: np.ndarray
    message: str
    fix: str


def _declare_hint(column: str, fmt: DateFormat) -> str:
    precision = "" if fmt.precision == "day" else f"precision: {fmt.precision}, "
    return f"declare it in dataset.yaml: dates: {{{column}: {{{precision}formats: [{fmt.name}]}}}}"


def _calendar(y: np.ndarray, m: np.ndarray, d: np.ndarray, precision: np.ndarray):
    """datetime64[D] per row (NaT where invalid) and a mask of impossible month/day values.

    The written month and day must exist whatever the precision; then a month precision gives
    the month's last day and a year precision 31 December.
    """
    n = len(y)
    ok = ~np.isnan(y)
    m = np.where(np.isnan(m), 12.0, m)  # a year alone: December (then its last day)
    bad = ok & ((m < 1) | (m > 12))
    ok &= ~bad
    months = np.zeros(n, dtype="int64")
    months[ok] = (y[ok].astype("int64") - 1970) * 12 + m[ok].astype("int64") - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    last = (months + 1).astype("datetime64[M]").astype("datetime64[D]") - np.timedelta64(1, "D")
    has_day = ok & ~np.isnan(d)
    length = (last - first).astype("int64") + 1
    bad_day = has_day & ((d < 1) | (d > length))
    bad |= bad_day
    day_value = first + (np.nan_to_num(d, nan=1.0).astype("int64") - 1).astype("timedelta64[D]")
    years = np.where(ok, np.nan_to_num(y), 1970).astype("int64") - 1970
    year_end = (years + 1).astype("datetime64[Y]").astype("datetime64[D]") - np.timedelta64(1, "D")
    value = np.where(has_day & (precision == _COARSENESS["day"]), day_value, last)
    value = np.where(precision == _COARSENESS["year"], year_end, value)
    out = np.where(ok & ~bad_day, value, np.datetime64("NaT"))
    return out.astype("datetime64[D]"), bad


def parse_dates(text: pd.Series, present: np.ndarray, spec: DateSpec | None, column: str):
    """Parse a text date column; return ``(dates datetime64[ns] Series, [DateIssue, ...])``.

    Parameters
    ----------
    text : Series of str
        The column as read (only ``present`` rows are looked at).
    present : bool array
        Rows holding a value.
    spec : DateSpec or None
        The column's declaration; None = ISO days only.
    column : str
        ``table.column``, used in the fix of each issue.
    """
    spec = spec if spec is not None else DateSpec()
    declared = _COARSENESS[spec.precision or "day"]
    # Arrow's regular expressions run over the whole column in C++ (no per-row Python).
    arrow = _arrow_text(text)
    arr = arrow if arrow is not None else pa.array(
        text.to_numpy(dtype=object, na_value=None), type=pa.string(), from_pandas=True
    )
    if "YYYY-MM-DD" in spec.effective_formats and spec.precision in (None, "day"):
        days = _iso_days(arr, np.asarray(present, dtype=bool))  # chunk by chunk, as read
        if days is not None:  # every value a valid ISO day in range: nothing to report
            return pd.Series(days, index=text.index), []
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.utf8_trim_whitespace(arr)
    n = len(arr)
    y, m, d = (np.full(n, np.nan) for _ in range(3))
    precision = np.zeros(n, dtype="int64")
    todo = np.asarray(present, dtype=bool).copy()
    for name in spec.effective_formats:
        if not todo.any():
            break
        fmt = FORMATS[name]
        parts = pc.extract_regex(arr, pattern=_anchored(fmt))
        hit = todo & parts.is_valid().to_numpy(zero_copy_only=False)
        for group, target in (("y", y), ("m", m), ("d", d)):
            if f"(?P<{group}>" in fmt.pattern:
                values = pc.cast(pc.struct_field(parts, group), pa.float64()).to_numpy(zero_copy_only=False)
                target[hit] = values[hit]
        precision[hit] = max(_COARSENESS[fmt.precision], declared)
        todo &= ~hit
    issues: list[DateIssue] = []
    if todo.any():
        def matches(pattern: str) -> np.ndarray:
            return todo & pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False)

        timed = matches(f"^{_TIME}$")
        zone = timed & matches(f"^{_ZONE}$")
        timed &= ~zone
        _issue(issues, n, np.flatnonzero(zone), "has a timezone offset",
               "write the local date as YYYY-MM-DD (the contract holds calendar dates, not instants)")
        _issue(issues, n, np.flatnonzero(timed), "has a time of day",
               "write the date alone as YYYY-MM-DD (a record is dated to the day)")
        left = todo & ~(zone | timed)
        for fmt in FORMATS.values():
            if not left.any():
                break
            if fmt.name in spec.effective_formats:
                continue
            hit = left & matches(_anchored(fmt))
            what = {"day": "a date", "month": "a month only", "year": "a year only"}[fmt.precision]
            _issue(issues, n, np.flatnonzero(hit), f"{what} written as {fmt.name}, a format not declared for this column",
                   _declare_hint(column, fmt) + ", or write YYYY-MM-DD")
            left &= ~hit
        _issue(issues, n, np.flatnonzero(left), "not a date",
               "write dates as YYYY-MM-DD or declare the column's format in dataset.yaml (dates:)")
    out_of_range = ~np.isnan(y) & ((y < MIN_YEAR) | (y > MAX_YEAR))
    _issue(issues, n, np.flatnonzero(out_of_range), f"year outside {MIN_YEAR}–{MAX_YEAR}",
           "correct the date, or leave it empty if it means 'never' (e.g. 9999-12-31)")
    y[out_of_range] = np.nan
    days, impossible = _calendar(y, m, d, precision)
    _issue(issues, n, np.flatnonzero(impossible), "not a date",
           "write dates as YYYY-MM-DD (that month or day does not exist)")
    return pd.Series(days.astype("datetime64[ns]"), index=text.index), issues


#: Rows converted at a time from Arrow days to numpy nanoseconds (small, reused temporaries).
_SLICE = 1 << 18


def _iso_days(arr: pa.Array | pa.ChunkedArray, present: np.ndarray) -> np.ndarray | None:
    """``datetime64[ns]`` of a column whose every present value is an ISO ``YYYY-MM-DD`` day, else None.

    One Arrow cast parses the whole column (strict: exactly ``YYYY-MM-DD`` of a real calendar
    day). When any value is written otherwise, or its year lies outside the range pandas holds,
    None sends the column through the format-by-format reading, which names each problem.
    """
    try:  # missing values are nulls already; a blank (spaces) fails the cast and takes the long way
        days = pc.cast(arr, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OverflowError):
        return None
    # The cast keeps nulls and parsed every other value; present values are among those, so
    # equal counts mean the parsed days are exactly the present values.
    if len(days) - days.null_count != int(np.count_nonzero(present)):
        return None
    bounds = pc.min_max(pc.cast(days, pa.int32()))  # days since 1970 (any year Arrow reads)
    lowest, highest = (int(np.datetime64(d, "D").astype(np.int64)) for d in (f"{MIN_YEAR}-01-01", f"{MAX_YEAR}-12-31"))
    if bounds["min"].is_valid and (bounds["min"].as_py() < lowest or bounds["max"].as_py() > highest):
        return None
    out = np.empty(len(days), dtype="datetime64[ns]")
    start = 0
    for chunk in days.chunks if isinstance(days, pa.ChunkedArray) else [days]:
        for offset in range(0, len(chunk), _SLICE):  # days to nanoseconds a slice at a time
            piece = chunk.slice(offset, _SLICE)
            out[start:start + len(piece)] = piece.to_numpy(zero_copy_only=False)
            start += len(piece)
    return out


def _arrow_text(text: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow strings behind a pandas ``str`` column, without a copy (None otherwise)."""
    dtype = text.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return text.array.__arrow_array__()
    return None


def roll_to_precision(dates: pd.Series, spec: DateSpec | None) -> pd.Series:
    """Native dates (e.g. Parquet) declared to a month or year: the last day of it."""
    if spec is None or spec.precision in (None, "day"):
        return dates
    values = dates.to_numpy(dtype="datetime64[D]")
    unit = "M" if spec.precision == "month" else "Y"
    last = (values.astype(f"datetime64[{unit}]") + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    return pd.Series(np.where(np.isnat(values), values, last).astype("datetime64[ns]"), index=dates.index)


def _anchored(fmt: DateFormat) -> str:
    return f"^{fmt.pattern}{_MIDNIGHT if fmt.precision == 'day' else ''}$"


def _issue(issues: list[DateIssue], n: int, rows: np.ndarray, message: str, fix: str) -> None:
    if len(rows):
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        issues.append(DateIssue(mask, message, fix))
