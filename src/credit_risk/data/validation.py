"""Validation and normalisation of the data-contract tables.

Every check is vectorised and collects *all* problems of *every* table (capped per check,
with a count of the rest) before anything is raised, so ``credit-risk validate DIR`` reports
them in one run: a missing required column is reported and the table's other columns are
still checked. Nothing is dropped or coerced silently: a value that cannot be read as its
declared type is a problem, not a missing value. The only defaults applied are the
contract's own: ``published_on`` defaults to ``start`` and ``severity`` to the kind's
``default_severity``.

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
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

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
        return str(value.date()) if value == value.normalize() and value.tz is None else str(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


class _Collector:
    def __init__(self, files: Mapping[str, str]):
        self.files = files
        self.raw: dict[str, pd.DataFrame] = {}
        self.problems: list[Problem] = []

    def file(self, table: str) -> str:
        return self.files.get(table, table)

    def rows(self, table: str, df: pd.DataFrame, mask, column: str | None, message: str, fix: str, values=None):
        """Record one problem per offending row (capped), given a boolean mask over ``df``."""
        mask = np.asarray(mask, dtype=bool)
        positions = np.flatnonzero(mask)
        if len(positions) == 0:
            return
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
        """Log one WARNING for implausible-but-possible values: count and example rows."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if len(positions):
            examples = ", ".join(f"{p + 1:,}" for p in positions[:WARN_EXAMPLES])
            logger.warning(
                "%s, column '%s': %s row(s) %s (accepted as possible; check them), e.g. row(s) %s",
                self.file(table), column, f"{len(positions):,}", what, examples,
            )


def _all_text(series: pd.Series) -> bool:
    """True when every non-missing value is a ``str`` (checked in C, not row by row)."""
    if isinstance(series.dtype, pd.StringDtype):
        return True
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")


def _present(series: pd.Series) -> np.ndarray:
    """Non-missing and, for text, non-blank."""
    present = series.notna().to_numpy().copy()
    if _all_text(series):
        blank = series[present].str.strip().eq("").to_numpy(dtype=bool)
        present[np.flatnonzero(present)[blank]] = False
    elif series.dtype == object or pd.api.types.is_string_dtype(series):
        blank = series.astype("string").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        present &= ~blank
    return present


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
    nat = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(raw):
        if getattr(raw.dt, "tz", None) is not None:
            col.rows(table, out, present, c.name, "is timezone-aware",
                     "store local calendar dates without a zone, e.g. "
                     "df[c].dt.tz_convert('Asia/Shanghai').dt.tz_localize(None).dt.normalize()")
            return nat
        naive = raw
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
        parsed = nat
    numeric = pd.api.types.is_numeric_dtype(raw)
    bad = present & (parsed.isna().to_numpy() | numeric)
    col.rows(table, out, bad, c.name, "not a date", "store dates as a date column or as text YYYY-MM-DD")
    return roll_to_precision(parsed.where(~bad), spec)


def _type_numbers(table: str, c: Column, raw: pd.Series, present: np.ndarray, col: _Collector, out) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        parsed = pd.Series(np.nan, index=raw.index)
        bad, nonfinite = present, np.zeros(len(raw), dtype=bool)
    else:
        parsed = pd.to_numeric(raw.where(present), errors="coerce").astype("float64")
        values = parsed.to_numpy(dtype="float64", na_value=np.nan)
        nan_text = (
            raw.astype("string").str.strip().str.fullmatch(_NAN_TEXT, case=False).fillna(False).to_numpy(dtype=bool)
            if not pd.api.types.is_numeric_dtype(raw) else np.zeros(len(raw), dtype=bool)
        )
        nonfinite = present & (np.isinf(values) | (np.isnan(values) & nan_text))
        bad = present & np.isnan(values) & ~nonfinite
    col.rows(table, out, nonfinite, c.name, "not a finite number",
             "write a finite number (inf, 1e400 and NaN are not values); leave the cell empty when unknown")
    parsed = parsed.where(~nonfinite)
    if c.type == "float":
        col.rows(table, out, bad, c.name, "not a number", "write plain decimal numbers")
        return parsed.astype("float64")
    frac = present & ~bad & ~nonfinite & (parsed.fillna(0) % 1 != 0).to_numpy()
    col.rows(table, out, bad | frac, c.name, "not an integer", "write whole numbers")
    return parsed.astype("Int64") if not (bad | frac | nonfinite).any() else parsed


def _normalize_table(
    schema: TableSchema, df: pd.DataFrame, col: _Collector, dates: Mapping[str, DateSpec]
) -> tuple[pd.DataFrame, set[str]]:
    """Check columns and types of one table; return the typed table and its missing required columns.

    A missing required column is reported and added as all-missing, so every other column
    is still checked in the same run.
    """
    missing = {c.name for c in schema.columns if c.required and c.name not in df.columns}
    for c in schema.columns:
        if c.name not in missing:
            continue
        near = _near_match(c.name, df.columns)
        hint = f"did you mean {near!r}? rename that header to '{c.name}'" if near else (
            f"add a '{c.name}' column ({c.description or c.type})"
        )
        col.table(schema.name, c.name, "required column is missing", hint)
    out = df.reset_index(drop=True).copy()
    for c in schema.columns:
        if c.name not in out.columns:
            empty_dtype = {"date": "datetime64[ns]", "float": "float64", "int": "float64"}.get(c.type, object)
            out[c.name] = pd.Series(None, index=out.index, dtype=empty_dtype)
            continue
        raw = out[c.name]
        present = _present(raw)
        if not c.nullable:
            col.rows(schema.name, out, ~present, c.name, "value is missing", f"every row needs a '{c.name}'")
        if c.type == "date":
            out[c.name] = _type_dates(schema.name, c, raw, present, dates.get(f"{schema.name}.{c.name}"), col, out)
            out[c.name] = out[c.name].where(present)
        elif c.type in ("float", "int"):
            out[c.name] = _type_numbers(schema.name, c, raw, present, col, out)
        else:  # id, str, category
            if _all_text(raw):
                is_text = np.ones(len(raw), dtype=bool)
            else:
                is_text = raw.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
            bad = present & ~is_text
            col.rows(
                schema.name, out, bad, c.name, "not text",
                f"write '{c.name}' as text (quote codes so leading zeros survive)",
            )
            keep = present & is_text
            text = raw.astype(object)
            out[c.name] = text if keep.all() else text.where(keep, None)
    # Contract columns in the schema's order, then extra columns as they arrived.
    extra = [c for c in out.columns if c not in schema.names]
    return out[[*schema.names, *extra]], missing


def _check_unique(schema: TableSchema, df: pd.DataFrame, col: _Collector) -> None:
    """Duplicate keys: the key's value and the row where it was first seen."""
    key = list(schema.key)
    dup = df.duplicated(key, keep="first").to_numpy()
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
    series = df[column]
    bad = series.notna().to_numpy() & ~series.isin(list(allowed)).to_numpy()
    if bad.any():
        col.rows(
            table, df, bad, column, f"unknown {what}",
            f"use one of {sorted(allowed)[:20]}" + (" …" if len(allowed) > 20 else "")
            + (" or declare it in the catalogue" if what in ("kind", "domain") else ""),
        )


def _check_pattern(table, df, column, pattern: re.Pattern, col, message, fix) -> None:
    series = df[column]
    ok = series.astype("string").str.fullmatch(pattern.pattern).fillna(False).to_numpy(dtype=bool)
    col.rows(table, df, series.notna().to_numpy() & ~ok, column, message, fix)


def _check_severity(rec: pd.DataFrame, catalog: Catalog, col: _Collector) -> None:
    """Each given severity must be on its kind's scale (the catalogue's unless the kind has its own)."""
    given = rec["severity"].notna().to_numpy()
    known_kind = rec["kind"].isin(list(catalog.kinds)).to_numpy()
    ranks = catalog.severity_ranks(rec["kind"].astype(object), rec["severity"].astype(object))
    global_ok = rec["severity"].isin(list(catalog.severities)).to_numpy()
    bad = given & np.where(known_kind, np.isnan(ranks), ~global_ok)
    if not bad.any():
        return
    kinds = rec["kind"].astype(object).where(known_kind, None).fillna("\0")
    for kind in pd.unique(kinds[bad]):  # one message per kind scale (≤ number of kinds)
        scale = catalog.severities if kind == "\0" else catalog.scale(kind)
        own = kind != "\0" and catalog.kinds[kind].severity_scale is not None
        col.rows(
            "records", rec, bad & (kinds == kind).to_numpy(), "severity", "unknown severity",
            f"use one of {list(scale)}" + (f" (the severity scale of kind '{kind}')" if own else ""),
        )


def _check_order(table: str, df: pd.DataFrame, first: str, second: str, col: _Collector) -> None:
    bad = (df[second] < df[first]).fillna(False).to_numpy(dtype=bool)
    col.rows(table, df, bad, second, f"'{second}' is before '{first}'", f"'{second}' must be on or after '{first}'")


def _check_known(table: str, df: pd.DataFrame, column: str, known: pd.Index, col: _Collector) -> None:
    bad = df[column].notna().to_numpy() & ~df[column].isin(known).to_numpy()
    col.rows(
        table, df, bad, column, "refers to a subject that is not in enterprises",
        "add the subject to enterprises or correct the code",
    )


def _check_event_window(name: str, df: pd.DataFrame, col: _Collector) -> None:
    for c in _EVENT_DATES.get(name, ()):
        d = df[c]
        col.rows(name, df, (d < EARLIEST_EVENT).fillna(False).to_numpy(dtype=bool), c,
                 f"is before {EARLIEST_EVENT.year}, impossible for this data", "correct the date or leave it empty")
        col.rows(name, df, (d > LATEST_EVENT).fillna(False).to_numpy(dtype=bool), c,
                 f"is after {LATEST_EVENT.year}, impossible for a record of the past",
                 "correct the date or leave it empty")


def _check_signs(name: str, df: pd.DataFrame, col: _Collector) -> None:
    for c in _NON_NEGATIVE.get(name, ()):
        col.rows(name, df, (df[c] < 0).fillna(False).to_numpy(dtype=bool), c, "is negative",
                 f"'{c}' cannot be below 0; correct the value or leave it empty")
    for c in _NEGATIVE_IS_ODD.get(name, ()):
        col.warn(name, (df[c] < 0).fillna(False).to_numpy(dtype=bool), c, "are negative")


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
    for kind, spec in catalog.kinds.items():  # allowed outcomes per kind (a loop over kinds)
        if not spec.outcomes:
            continue
        of_kind = rec["kind"].eq(kind).to_numpy(dtype=bool)
        if of_kind.any():
            # a missing outcome is allowed (the column is nullable: the result is unknown)
            bad = of_kind & rec["outcome"].notna().to_numpy() & ~rec["outcome"].isin(spec.outcomes).to_numpy()
            col.rows("records", rec, bad, "outcome", f"not an outcome of kind '{kind}'",
                     f"use one of {list(spec.outcomes)}")
    p = rec["draw_probability"]
    col.rows("records", rec, (p.notna() & ~((p > 0) & (p <= 1))).to_numpy(dtype=bool), "draw_probability",
             "is not a probability in (0, 1]", "write the inclusion probability of the random draw, e.g. 0.25")
    interval = rec["kind"].map({k: s.interval for k, s in catalog.kinds.items()}).fillna(False).to_numpy(dtype=bool)
    early = (rec["published_on"] < rec["start"]).fillna(False).to_numpy(dtype=bool)
    col.rows("records", rec, early & ~interval, "published_on",
             "is before 'start': an event cannot be published before it happened",
             "correct the dates (published_on on or after start)")
    col.warn("records", early & interval, "published_on", "of interval kinds were published before they started")
    no_value = rec["kind"].map({k: s.value == "none" for k, s in catalog.kinds.items()}).fillna(False)
    col.warn("records", no_value.to_numpy(dtype=bool) & rec["value"].notna().to_numpy(), "value",
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

    for name, schema in TABLES.items():
        if name in tables:
            col.raw[name] = tables[name].reset_index(drop=True)
            typed, missing[name] = _normalize_table(schema, tables[name], col, dates)
            if not set(schema.key) & missing[name]:
                _check_unique(schema, typed, col)
            _check_event_window(name, typed, col)
            _check_signs(name, typed, col)
            out[name] = typed

    ent = out.get("enterprises")
    known = None
    if ent is not None:
        _check_enterprises(ent, col, id_scheme=id_scheme, region_scheme=region_scheme,
                           industry_scheme=industry_scheme, missing=missing["enterprises"])
        if "credit_code" not in missing["enterprises"]:
            known = pd.Index(ent["credit_code"].dropna().unique())

    rec = out.get("records")
    if rec is not None:
        _check_records(rec, catalog, col)
        if known is not None and "credit_code" not in missing["records"]:
            _check_known("records", rec, "credit_code", known, col)
        rec["published_on"] = rec["published_on"].fillna(rec["start"])
        defaults = rec["kind"].map({k: s.default_severity for k, s in catalog.kinds.items()})
        rec["severity"] = rec["severity"].where(rec["severity"].notna(), defaults)

    if ent is not None and rec is not None and known is not None:
        _check_against_records(ent, rec, col)

    ar = out.get("annual_reports")
    if ar is not None:
        if known is not None and "credit_code" not in missing["annual_reports"]:
            _check_known("annual_reports", ar, "credit_code", known, col)
        _check_annual_reports(ar, ent if known is not None else None, col)
        if ar["year"].dtype == "Int64" and not ar["year"].isna().any():
            ar["year"] = ar["year"].astype("int64")

    rel = out.get("relations")
    if rel is not None:
        _check_values("relations", rel, "relation", RELATION_TYPES, col, "relation")
        _check_order("relations", rel, "start", "end", col)
        self_link = (rel["credit_code"] == rel["related_code"]).fillna(False).to_numpy(dtype=bool)
        col.rows("relations", rel, self_link, "related_code", "links a subject to itself", "remove the row")
        if known is not None:
            for c in ("credit_code", "related_code"):
                if c not in missing["relations"]:
                    _check_known("relations", rel, c, known, col)

    if not col.problems and not unreadable:
        _to_categoricals(out, catalog)
    return out, col.problems


def check_date_keys(dates: Mapping[str, DateSpec]) -> None:
    """Every ``dates:`` key must be ``table.column`` of a date column of the contract."""
    valid = [f"{t}.{c.name}" for t, s in TABLES.items() for c in s.columns if c.type == "date"]
    bad = [k for k in dates if k not in valid]
    if bad:
        raise ConfigError(f"dates: {bad} are not date columns of the contract; use some of {valid}")


def _check_against_records(ent: pd.DataFrame, rec: pd.DataFrame, col: _Collector) -> None:
    """``established_on`` against the records: odd when long after the latest record or after a record.

    Both are warnings: a register extract may be newer than the records, and records may be
    misattributed. Dates after 2100 are errors (:func:`_check_event_window`).
    """
    latest = rec["published_on"].where(rec["published_on"] <= LATEST_EVENT).max()
    if pd.notna(latest):
        limit = latest + pd.DateOffset(years=1)
        col.warn("enterprises", (ent["established_on"] > limit).fillna(False).to_numpy(dtype=bool),
                 "established_on", f"are more than a year after the latest record ({latest.date()})")
    established = ent.drop_duplicates("credit_code").set_index("credit_code")["established_on"]
    before = (rec["start"] < rec["credit_code"].map(established)).fillna(False).to_numpy(dtype=bool)
    col.warn("records", before, "start", "are dated before their subject's established_on")


def _check_annual_reports(ar: pd.DataFrame, ent: pd.DataFrame | None, col: _Collector) -> None:
    year = pd.to_numeric(ar["year"], errors="coerce").astype("float64")
    impossible = ((year < EARLIEST_EVENT.year) | (year > LATEST_EVENT.year)).fillna(False).to_numpy(dtype=bool)
    col.rows("annual_reports", ar, impossible, "year",
             f"is outside {EARLIEST_EVENT.year}–{LATEST_EVENT.year}", "write the reporting year, e.g. 2023")
    ok_year = year.where(~impossible)
    filed_year = ar["filed_on"].dt.year.astype("float64")
    early = (filed_year <= ok_year).fillna(False).to_numpy(dtype=bool)
    col.rows("annual_reports", ar, early, "filed_on", "is before the report year ended",
             "a report on year Y is filed in Y+1 or later; correct year or filed_on")
    if ent is not None:
        est_year = ar["credit_code"].map(ent.drop_duplicates("credit_code").set_index("credit_code")["established_on"])
        before = (ok_year < est_year.dt.year.astype("float64")).fillna(False).to_numpy(dtype=bool)
        col.warn("annual_reports", before, "year", "report on a year before their subject's established_on")


def _to_categoricals(out: dict[str, pd.DataFrame], catalog: Catalog) -> None:
    """Store coded columns as categoricals with the catalogue's categories (valid tables only)."""
    ent = out["enterprises"]
    for c in ("entity_type", "industry", "region"):
        ent[c] = ent[c].astype("category")
    rec = out["records"]
    rec["kind"] = pd.Categorical(rec["kind"], categories=list(catalog.kinds))
    rec["domain"] = pd.Categorical(rec["domain"], categories=list(catalog.domains))
    # The catalogue's severities first (their codes are unchanged), then kind-scale values; the
    # order between different scales means nothing: rank with Catalog.severity_ranks.
    rec["severity"] = pd.Categorical(rec["severity"], categories=list(catalog.severity_values), ordered=True)
    declared = {o for spec in catalog.kinds.values() for o in spec.outcomes}
    outcomes = sorted(declared | set(rec["outcome"].dropna().unique()))
    rec["outcome"] = pd.Categorical(rec["outcome"], categories=outcomes)
    rec["source"] = rec["source"].astype("category")
    if "relations" in out:
        rel = out["relations"]
        rel["relation"] = pd.Categorical(rel["relation"], categories=list(RELATION_TYPES))
