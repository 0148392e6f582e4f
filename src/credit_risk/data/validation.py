"""Validation and normalisation of the data-contract tables.

Every check is vectorised and collects *all* problems (capped per check, with a count
of the rest) before anything is raised, so ``credit-risk validate DIR`` reports every
kind of problem at once. Nothing is dropped or coerced silently: a value that cannot
be read as its declared type is a problem, not a missing value. The only defaults
applied are the contract's own: ``published_on`` defaults to ``start`` and
``severity`` to the kind's ``default_severity``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from credit_risk.data import credit_code
from credit_risk.data.catalog import Catalog
from credit_risk.data.schema import ENTITY_TYPES, RELATION_TYPES, TABLES, TableSchema
from credit_risk.exceptions import Problem

__all__ = ["ID_SCHEMES", "MAX_ROWS_PER_CHECK", "normalize_tables"]

logger = logging.getLogger(__name__)

ID_SCHEMES = ("gb32100", "any")
#: Problems listed one by one for each check; the rest are counted in one summary line.
MAX_ROWS_PER_CHECK = 50

_REGION = re.compile(r"^\d{6}$")
_INDUSTRY = re.compile(r"^[A-T](\d{2}(\d{1,2})?)?$")


class _Collector:
    def __init__(self, files: Mapping[str, str]):
        self.files = files
        self.raw: dict[str, pd.DataFrame] = {}
        self.problems: list[Problem] = []

    def rows(self, table: str, df: pd.DataFrame, mask, column: str | None, message: str, fix: str):
        """Record one problem per offending row (capped), given a boolean mask over ``df``."""
        mask = np.asarray(mask, dtype=bool)
        positions = np.flatnonzero(mask)
        if len(positions) == 0:
            return
        file = self.files.get(table, table)
        source = self.raw.get(table, df)  # report values as they arrived, not as typed
        raw_col = source[column] if column is not None and column in source.columns else None
        for pos in positions[:MAX_ROWS_PER_CHECK]:
            value = None if raw_col is None else raw_col.iloc[pos]
            self.problems.append(Problem(file, int(pos) + 1, column, value, message, fix))
        rest = len(positions) - MAX_ROWS_PER_CHECK
        if rest > 0:
            self.problems.append(
                Problem(file, None, column, None, f"{rest:,} more rows with the same problem", fix)
            )

    def table(self, table: str, column: str | None, message: str, fix: str, value=None):
        self.problems.append(Problem(self.files.get(table, table), None, column, value, message, fix))


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


def _to_date(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        out = series
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        return out.astype("datetime64[ns]")
    text = series.astype("string")
    return pd.to_datetime(text, errors="coerce", format="ISO8601").astype("datetime64[ns]")


def _normalize_table(
    schema: TableSchema, df: pd.DataFrame, col: _Collector, catalog: Catalog
) -> pd.DataFrame | None:
    """Check columns and types of one table; return the typed table or None if unusable."""
    missing = [c.name for c in schema.columns if c.required and c.name not in df.columns]
    for name in missing:
        col.table(
            schema.name,
            name,
            "required column is missing",
            f"add a '{name}' column ({schema.column(name).description or schema.column(name).type})",
        )
    if missing:
        return None
    out = df.reset_index(drop=True).copy()
    for c in schema.columns:
        if c.name not in out.columns:
            empty_dtype = {"date": "datetime64[ns]", "float": "float64", "int": "float64"}.get(c.type, object)
            out[c.name] = pd.Series(None, index=out.index, dtype=empty_dtype)
            continue
        raw = out[c.name]
        present = _present(raw)
        if not c.nullable:
            col.rows(
                schema.name, out, ~present, c.name, "value is missing",
                f"every row needs a '{c.name}'",
            )
        if c.type == "date":
            parsed = _to_date(raw)
            bad = present & parsed.isna().to_numpy()
            col.rows(schema.name, out, bad, c.name, "not a date", "write dates as YYYY-MM-DD")
            out[c.name] = parsed.where(present)
        elif c.type in ("float", "int"):
            if pd.api.types.is_bool_dtype(raw):
                parsed = pd.Series(np.nan, index=raw.index)
                bad = present
            else:
                parsed = pd.to_numeric(raw.where(present), errors="coerce")
                bad = present & parsed.isna().to_numpy()
            if c.type == "float":
                col.rows(schema.name, out, bad, c.name, "not a number", "write plain decimal numbers")
                out[c.name] = parsed.astype("float64")
            else:
                frac = present & ~bad & (parsed.fillna(0) % 1 != 0).to_numpy()
                col.rows(
                    schema.name, out, bad | frac, c.name, "not an integer", "write whole numbers"
                )
                out[c.name] = parsed.astype("Int64") if not (bad | frac).any() else parsed
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
    return out


def _check_unique(schema: TableSchema, df: pd.DataFrame, col: _Collector) -> None:
    key = list(schema.key)
    dup = df.duplicated(key, keep="first").to_numpy()
    col.rows(
        schema.name, df, dup, key[0] if len(key) == 1 else None,
        f"duplicate key ({', '.join(key)}) already seen on an earlier row",
        "keep one row per key",
    )


def _check_values(
    table: str, df: pd.DataFrame, column: str, allowed, col: _Collector, what: str
) -> None:
    series = df[column]
    bad = series.notna().to_numpy() & ~series.isin(list(allowed)).to_numpy()
    if bad.any():
        col.rows(
            table, df, bad, column, f"unknown {what}",
            f"use one of {sorted(allowed)[:20]}" + (" …" if len(allowed) > 20 else "")
            + (" or declare it in the catalogue" if what in ("kind", "domain") else ""),
        )


def _check_severity(rec: pd.DataFrame, catalog: Catalog, col: _Collector) -> None:
    """Each given severity must be on its kind's scale (the catalogue's unless the kind has its own)."""
    given = rec["severity"].notna().to_numpy()
    known_kind = rec["kind"].isin(list(catalog.kinds)).to_numpy()
    ranks = catalog.severity_ranks(rec["kind"].astype(object), rec["severity"].astype(object))
    global_ok = rec["severity"].isin(list(catalog.severities)).to_numpy()
    bad = given & np.where(known_kind, np.isnan(ranks), ~global_ok)
    if not bad.any():
        return
    kinds = rec["kind"].astype(object).where(known_kind, None)
    for kind in pd.unique(kinds[bad].fillna("\0")):  # one message per kind scale (≤ number of kinds)
        scale = catalog.severities if kind == "\0" else catalog.scale(kind)
        of_kind = bad & (kinds.fillna("\0") == kind).to_numpy()
        own = kind != "\0" and catalog.kinds[kind].severity_scale is not None
        col.rows(
            "records", rec, of_kind, "severity", "unknown severity",
            f"use one of {list(scale)}" + (f" (the severity scale of kind '{kind}')" if own else ""),
        )


def _check_order(table: str, df: pd.DataFrame, first: str, second: str, col: _Collector) -> None:
    bad = (df[second] < df[first]).fillna(False).to_numpy(dtype=bool)
    col.rows(table, df, bad, second, f"'{second}' is before '{first}'", f"'{second}' must be on or after '{first}'")


def _check_known(
    table: str, df: pd.DataFrame, column: str, known: pd.Index, col: _Collector
) -> None:
    bad = df[column].notna().to_numpy() & ~df[column].isin(known).to_numpy()
    col.rows(
        table, df, bad, column, "refers to a subject that is not in enterprises",
        "add the subject to enterprises or correct the code",
    )


def normalize_tables(
    tables: Mapping[str, pd.DataFrame],
    catalog: Catalog,
    *,
    id_scheme: str = "gb32100",
    files: Mapping[str, str] | None = None,
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
    files : mapping, optional
        File name per table, used in messages (default: the table name).

    Returns
    -------
    tables, problems
        Typed tables (dates ``datetime64[ns]``, categorical codes as pandas categoricals
        with the catalogue's categories) and the list of problems (empty when valid).
    """
    if id_scheme not in ID_SCHEMES:
        raise ValueError(f"id_scheme must be one of {ID_SCHEMES}; got {id_scheme!r}")
    col = _Collector(files or {})
    out: dict[str, pd.DataFrame] = {}
    for name in ("enterprises", "records"):
        if name not in tables:
            col.table(name, None, "required table is missing", f"add {name}.csv or {name}.parquet")
    unknown = sorted(set(tables) - set(TABLES))
    for name in unknown:
        col.table(name, None, "unknown table", f"use one of {sorted(TABLES)} or remove the file")

    for name, schema in TABLES.items():
        if name in tables:
            col.raw[name] = tables[name].reset_index(drop=True)
            typed = _normalize_table(schema, tables[name], col, catalog)
            if typed is not None:
                _check_unique(schema, typed, col)
                out[name] = typed

    ent = out.get("enterprises")
    if ent is not None:
        if id_scheme == "gb32100":
            codes = ent["credit_code"]
            bad = codes.notna().to_numpy() & credit_code.invalid_mask(codes.fillna(""))
            if bad.any():
                expected = credit_code.expected_check(codes[bad].fillna(""))
                positions = np.flatnonzero(bad)
                for pos, exp in list(zip(positions, expected, strict=True))[:MAX_ROWS_PER_CHECK]:
                    hint = (
                        f"the check character should be '{exp}'"
                        if exp
                        else "a code is 18 characters of 0-9 and A-Y without I, O, S, V, Z"
                    )
                    col.problems.append(
                        Problem(
                            col.files.get("enterprises", "enterprises"), int(pos) + 1, "credit_code",
                            codes.iloc[pos], "fails the GB 32100 check",
                            f"{hint}; or load with id_scheme: any if the data uses another id scheme",
                        )
                    )
                if len(positions) > MAX_ROWS_PER_CHECK:
                    col.table(
                        "enterprises", "credit_code",
                        f"{len(positions) - MAX_ROWS_PER_CHECK:,} more codes fail the GB 32100 check",
                        "correct the codes or load with id_scheme: any",
                    )
        _check_values("enterprises", ent, "entity_type", ENTITY_TYPES, col, "entity type")
        region_bad = ent["region"].notna().to_numpy() & ~ent["region"].astype("string").str.fullmatch(
            _REGION.pattern
        ).fillna(False).to_numpy(dtype=bool)
        col.rows("enterprises", ent, region_bad, "region", "not a GB/T 2260 six-digit region code",
                 "write the region as six digits, e.g. 330106")
        ind_bad = ent["industry"].notna().to_numpy() & ~ent["industry"].astype("string").str.fullmatch(
            _INDUSTRY.pattern
        ).fillna(False).to_numpy(dtype=bool)
        col.rows("enterprises", ent, ind_bad, "industry", "not a GB/T 4754 industry code",
                 "write a section letter A–T, optionally followed by 2–4 digits, e.g. C13")
        neg = (ent["registered_capital"] < 0).fillna(False).to_numpy(dtype=bool)
        col.rows("enterprises", ent, neg, "registered_capital", "is negative", "capital must be ≥ 0")
        _check_order("enterprises", ent, "established_on", "closed_on", col)
        known = pd.Index(ent["credit_code"].dropna().unique())
    else:
        known = None

    rec = out.get("records")
    if rec is not None:
        _check_values("records", rec, "kind", catalog.kinds.keys(), col, "kind")
        _check_values("records", rec, "domain", catalog.domains, col, "domain")
        _check_severity(rec, catalog, col)
        _check_order("records", rec, "start", "end", col)
        # Allowed outcomes per kind.
        for kind, spec in catalog.kinds.items():
            if not spec.outcomes:
                continue
            of_kind = rec["kind"].eq(kind).to_numpy(dtype=bool)
            if not of_kind.any():
                continue
            outcome = rec["outcome"]
            bad = of_kind & ~outcome.isin(spec.outcomes).to_numpy()
            col.rows("records", rec, bad, "outcome", f"not an outcome of kind '{kind}'",
                     f"use one of {list(spec.outcomes)}")
        if known is not None:
            _check_known("records", rec, "credit_code", known, col)
        rec["published_on"] = rec["published_on"].fillna(rec["start"])
        defaults = rec["kind"].map({k: s.default_severity for k, s in catalog.kinds.items()})
        rec["severity"] = rec["severity"].where(rec["severity"].notna(), defaults)

    ar = out.get("annual_reports")
    if ar is not None:
        if known is not None:
            _check_known("annual_reports", ar, "credit_code", known, col)
        if ar["year"].dtype == "Int64":
            ar["year"] = ar["year"].astype("int64")

    rel = out.get("relations")
    if rel is not None:
        _check_values("relations", rel, "relation", RELATION_TYPES, col, "relation")
        _check_order("relations", rel, "start", "end", col)
        self_link = (rel["credit_code"] == rel["related_code"]).fillna(False).to_numpy(dtype=bool)
        col.rows("relations", rel, self_link, "related_code", "links a subject to itself", "remove the row")
        if known is not None:
            _check_known("relations", rel, "credit_code", known, col)
            _check_known("relations", rel, "related_code", known, col)

    if not col.problems:
        _to_categoricals(out, catalog)
    return out, col.problems


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
