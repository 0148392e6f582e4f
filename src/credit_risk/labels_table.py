"""Your own labels: a table of ``credit_code, as_of, label`` (optional ``weight``, ``group``, ``split``).

Besides the built-in targets of :mod:`credit_risk.labels`, a regulator can train on any
outcome it has recorded itself — "exited within a year", "found in an illegal-fundraising
case" — as a labels table:

``credit_code``
    The subject (must be in the dataset's ``enterprises``).
``as_of``
    The date the features are computed as of (records published strictly before it count).
``label``
    1 = the outcome happened, 0 = it did not (``true``/``false`` and ``yes``/``no`` also read).
``weight`` (optional)
    Sample weight (> 0), e.g. an inverse selection probability; evaluation is weighted by it.
``group`` (optional)
    Rows of one group are never split between training and evaluation (default: the subject).
``split`` (optional)
    ``train``, ``validation`` or ``test`` per row: the split to use instead of a computed one.

:func:`load_labels_table` reads it from CSV or Parquet; :func:`check_labels_table` checks a
DataFrame (from Python) the same way. Errors name the file, the row and the column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from credit_risk.exceptions import ConfigError

__all__ = ["LABEL_TABLE_COLUMNS", "SPLIT_VALUES", "check_labels_table", "load_labels_table"]

#: Required columns, then optional ones.
LABEL_TABLE_COLUMNS: tuple[str, ...] = ("credit_code", "as_of", "label", "weight", "group", "split")
SPLIT_VALUES: tuple[str, ...] = ("train", "validation", "test")
_REQUIRED = LABEL_TABLE_COLUMNS[:3]
_TRUE = {"1", "1.0", "true", "yes", "y", "t"}
_FALSE = {"0", "0.0", "false", "no", "n", "f"}
_MAX_BYTES = 2 * 1024**3


def _row_error(where: str, mask: np.ndarray, column: str, values: pd.Series, problem: str, fix: str) -> ConfigError:
    row = int(np.flatnonzero(mask)[0])
    value = values.iloc[row]
    value = value.item() if isinstance(value, np.generic) else value
    shown = repr(value if not isinstance(value, str) else value[:40])
    return ConfigError(
        f"{where}, row {row + 1}, column {column!r}: {problem} (got {shown}; {int(mask.sum()):,} row(s) affected); {fix}"
    )


def check_labels_table(frame: pd.DataFrame, *, where: str = "labels table") -> pd.DataFrame:
    """A checked, typed copy of a labels table (see the module docstring).

    Returns
    -------
    DataFrame
        ``credit_code`` (object), ``as_of`` (datetime64[ns]), ``label`` (int8) and the optional
        columns given: ``weight`` (float64), ``group`` (object), ``split`` (object), in that
        order, RangeIndex.

    Raises
    ------
    ConfigError
        A required column is missing, an unknown column is present, or a value is missing or
        invalid (naming the first such row, 1-based, and the column); or (credit_code, as_of)
        repeats.

    Examples
    --------
    >>> t = check_labels_table(pd.DataFrame({"credit_code": ["a", "b"], "as_of": ["2024-01-01"] * 2,
    ...                                      "label": ["yes", 0]}))
    >>> t["label"].tolist(), str(t["as_of"].dtype)
    ([1, 0], 'datetime64[ns]')
    """
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"{where}: expected a DataFrame with columns {list(_REQUIRED)}; got {type(frame).__name__}")
    columns = [str(c) for c in frame.columns]
    stripped = {c.strip().lower(): c for c in columns}
    missing = [c for c in _REQUIRED if c not in columns]
    if missing:
        hints = [f"{stripped[c]!r} → {c!r}" for c in missing if c in stripped]
        hint = f" (rename {', '.join(hints)})" if hints else ""
        raise ConfigError(
            f"{where}: required column(s) {missing} missing; got {columns[:10]}{hint}; a labels table needs "
            f"{list(_REQUIRED)} and may have {list(LABEL_TABLE_COLUMNS[3:])}"
        )
    unknown = [c for c in columns if c not in LABEL_TABLE_COLUMNS]
    if unknown:
        raise ConfigError(
            f"{where}: unknown column(s) {unknown[:10]}; allowed: {list(LABEL_TABLE_COLUMNS)} — drop the others"
        )
    if frame.columns.duplicated().any():
        raise ConfigError(f"{where}: column names repeat ({columns}); give each column once")
    f = frame.reset_index(drop=True)
    out = pd.DataFrame(index=f.index)

    code = f["credit_code"].astype(object)
    bad = code.isna().to_numpy() | (code.astype(str).str.strip() == "").to_numpy()
    if bad.any():
        raise _row_error(where, bad, "credit_code", code, "subject is missing", "give every row its credit_code")
    out["credit_code"] = code.astype(str).str.strip().astype(object)

    raw = f["as_of"]
    as_of = pd.to_datetime(raw, errors="coerce", format="mixed") if raw.dtype == object else pd.to_datetime(raw, errors="coerce")
    if getattr(as_of.dt, "tz", None) is not None:
        raise _row_error(where, np.ones(len(f), bool), "as_of", raw, "dates carry a time zone",
                         "write plain dates (YYYY-MM-DD)")
    bad = as_of.isna().to_numpy()
    if bad.any():
        raise _row_error(where, bad, "as_of", raw, "not a date", "write dates as YYYY-MM-DD")
    out["as_of"] = as_of.dt.normalize().astype("datetime64[ns]")

    lab = f["label"]
    if pd.api.types.is_bool_dtype(lab.dtype):
        values = lab.astype(float)
    else:
        text = lab.astype(object).map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip().lower())
        values = text.map(lambda t: 1.0 if t in _TRUE else 0.0 if t in _FALSE else np.nan)
    bad = values.isna().to_numpy()
    if bad.any():
        raise _row_error(where, bad, "label", lab, "not a 0/1 label", "write 1 (the outcome happened) or 0")
    out["label"] = values.astype(np.int8)

    if "weight" in f:
        w = pd.to_numeric(f["weight"], errors="coerce").astype(float)
        bad = ~np.isfinite(w.to_numpy()) | (w.to_numpy() <= 0)
        if bad.any():
            raise _row_error(where, bad, "weight", f["weight"], "weight must be a finite number > 0",
                             "give a positive weight or drop the column")
        out["weight"] = w.to_numpy(dtype=np.float64)
    if "group" in f:
        g = f["group"].astype(object)
        bad = g.isna().to_numpy()
        if bad.any():
            raise _row_error(where, bad, "group", g, "group is missing", "give every row a group or drop the column")
        out["group"] = g.astype(str).astype(object)
    if "split" in f:
        s = f["split"].astype(object).map(lambda v: v.strip().lower() if isinstance(v, str) else v)
        bad = ~s.isin(SPLIT_VALUES).to_numpy()
        if bad.any():
            raise _row_error(where, bad, "split", f["split"], f"split must be one of {list(SPLIT_VALUES)}",
                             "fix the value or drop the column to let training split")
        out["split"] = s.astype(object)

    dup = out.duplicated(["credit_code", "as_of"]).to_numpy()
    if dup.any():
        raise _row_error(where, dup, "credit_code", out["credit_code"], "(credit_code, as_of) repeats an earlier row",
                         "give each subject one label per as-of date")
    if out["label"].nunique() < 2:
        raise ConfigError(
            f"{where}: every one of the {len(out):,} labels is {int(out['label'].iloc[0]) if len(out) else 'absent'}; "
            "a model needs both outcomes (1 and 0)"
        )
    return out


def load_labels_table(path: str | Path) -> pd.DataFrame:
    """Read and check a labels table from a CSV (UTF-8) or Parquet file.

    Raises
    ------
    ConfigError
        The file is missing, not a regular file, too large, of another format, unreadable, or
        its content fails :func:`check_labels_table` (the message names the file, row and column).
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"labels file {path} does not exist; give a CSV or Parquet file")
    if not path.is_file():
        raise ConfigError(f"labels file {path} is not a regular file; give a CSV or Parquet file")
    if path.stat().st_size > _MAX_BYTES:
        raise ConfigError(f"labels file {path} is larger than 2 GiB; split it or use Parquet row groups")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            raise ConfigError(f"labels file {path}: unknown format {suffix!r}; use .csv or .parquet")
    except ConfigError:
        raise
    except (UnicodeDecodeError, ValueError, OSError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ConfigError(f"labels file {path} cannot be read as {suffix[1:]}: {first}; check the file") from None
    return check_labels_table(frame, where=f"labels file {path}")
