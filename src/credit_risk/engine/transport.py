"""pandas tables to and from Spark through Parquet, every dtype restored exactly.

Spark holds a narrower set of types than pandas, so a table travels *encoded*:

- datetimes as a number of days since 1970-01-01 in a double (``NaT`` = null; whole days stay
  exact even where Spark hands a column with nulls to pandas as float64), or, when a column
  holds times of day, as its integer nanoseconds written out as text;
- categoricals and strings as strings; numbers and booleans as they are (integers beyond
  2**53 are not supported: Spark may pass an integer column with nulls as float64).

A :data:`Template` (the column dtypes of the original) restores the table on the other side:
categories, their order and the datetime unit come back as they were. Tables are written to
Parquet with pyarrow: the driver never converts pandas through Spark's own conversion code.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from credit_risk.exceptions import ConfigError

__all__ = ["Template", "arrow_ready", "encode", "restore", "spark_schema", "template", "write_encoded"]

#: Column name → dtype of the original table (pandas dtype objects, categoricals included).
Template = dict[str, object]

_DAY_NS = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min


def template(frame: pd.DataFrame) -> Template:
    """The dtypes :func:`restore` gives back."""
    return {str(c): frame[c].dtype for c in frame.columns}


def _kind(dtype: object) -> str:
    if isinstance(dtype, pd.CategoricalDtype):
        return "string"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if getattr(dtype, "tz", None) is not None:
            raise ConfigError(f"engine 'spark' takes plain dates; got a column of {dtype} (with a time zone)")
        return "datetime"
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "long"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    return "string"


def _encode_dates(col: pd.Series) -> np.ndarray:
    ns = col.to_numpy(dtype="datetime64[ns]").view(np.int64)
    nat = col.isna().to_numpy()
    if (ns[~nat] % _DAY_NS == 0).all():
        days = (ns // _DAY_NS).astype(np.float64)
        days[nat] = np.nan
        return days
    return np.array([None if m else str(v) for v, m in zip(ns.tolist(), nat, strict=True)], dtype=object)


def encode(frame: pd.DataFrame) -> pd.DataFrame:
    """The table in Spark-friendly columns (see the module docstring); a new frame."""
    out = {}
    for c in frame.columns:
        col = frame[c]
        kind = _kind(col.dtype)
        if kind == "datetime":
            out[c] = _encode_dates(col)
        elif kind == "string":
            values = col.astype(object).to_numpy(dtype=object, na_value=None)
            out[c] = np.array([None if v is None or v is pd.NA else str(v) for v in values], dtype=object)
        elif kind == "boolean" and col.hasnans:
            out[c] = col.astype(object).to_numpy(dtype=object, na_value=None)
        else:
            out[c] = col.to_numpy()
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


_SPARK = {"string": "string", "boolean": "boolean", "long": "long", "double": "double"}
_ARROW = {"string": pa.string(), "boolean": pa.bool_(), "long": pa.int64(), "double": pa.float64()}


def _encoded_kind(original: object, encoded: np.ndarray | pd.Series) -> str:
    kind = _kind(original)
    if kind == "datetime":
        return "string" if np.asarray(encoded).dtype == object else "double"
    return kind


def spark_schema(frame: pd.DataFrame, extra: tuple[tuple[str, str], ...] = ()) -> str:
    """The DDL schema of ``encode(frame)`` (``extra``: leading ``(name, spark type)`` columns)."""
    enc = encode(frame)
    cols = [f"`{n}` {t}" for n, t in extra]
    cols += [f"`{c}` {_SPARK[_encoded_kind(frame[c].dtype, enc[c])]}" for c in frame.columns]
    return ", ".join(cols)


def restore(frame: pd.DataFrame, tpl: Template) -> pd.DataFrame:
    """An encoded table with the template's dtypes (columns in template order; others dropped)."""
    out = {}
    for c, dtype in tpl.items():
        col = frame[c]
        kind = _kind(dtype)
        if kind == "datetime":
            if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
                values = col.astype(object).to_numpy(dtype=object, na_value=None)
                ns = np.array([_NAT if v is None else int(v) for v in values], dtype=np.int64)
            else:
                days = col.to_numpy(dtype=np.float64, na_value=np.nan)
                nat = np.isnan(days)
                ns = np.rint(np.where(nat, 0.0, days)).astype(np.int64) * _DAY_NS
                ns[nat] = _NAT
            out[c] = pd.Series(ns.view("datetime64[ns]"), index=frame.index).astype(dtype)
        elif isinstance(dtype, pd.CategoricalDtype):
            values = col.astype(object).to_numpy(dtype=object, na_value=None)
            out[c] = pd.Series(pd.Categorical(values, dtype=dtype), index=frame.index)
        elif pd.api.types.is_object_dtype(dtype):
            out[c] = pd.Series(col.astype(object).to_numpy(dtype=object, na_value=None), index=frame.index,
                               dtype=object)
        else:
            out[c] = col.astype(dtype)
    return pd.DataFrame(out, index=frame.index)


def arrow_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text columns as ``object``: what a pandas UDF returns to Spark.

    pandas 3 stores text as Arrow-backed ``str``, which pyspark's conversion of a UDF's result
    does not take (``Cannot convert pyarrow.lib.ChunkedArray``).
    """
    text = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c].dtype) and frame[c].dtype != object]
    return frame.astype(dict.fromkeys(text, object)) if text else frame


def write_encoded(frame: pd.DataFrame, folder: str | Path, name: str) -> str:
    """Write ``encode(frame)`` as one Parquet file under ``folder``; its path (for ``spark.read.parquet``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{uuid.uuid4().hex[:12]}.parquet"
    enc = encode(frame)
    schema = pa.schema([(str(c), _ARROW[_encoded_kind(frame[c].dtype, enc[c])]) for c in frame.columns])
    pq.write_table(pa.Table.from_pandas(enc, schema=schema, preserve_index=False), path)
    return str(path)
