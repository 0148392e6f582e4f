"""Subject attributes 主体属性: ``enterprises`` columns the spec declares as features.

Each :class:`~credit_risk.features.spec.AttributeSpec` turns one column into one feature:

- ``numeric``: the number (a value that is not a number is a data error);
- ``categorical``: the text, levels held by fewer than ``min_level_count`` subjects grouped
  into ``(other)``, missing stays missing;
- ``flag``: 1/0, true/false, yes/no, y/n, t/f, 是/否 (any case) → 1.0/0.0;
- ``date``: age in years at the as-of date, ``(t − date) / 365.25``, missing when the date is
  not before ``t`` (a date on or after the as-of date says nothing known at ``t``).
- ``group_size``: how many subjects share the value (text compared case- and
  space-insensitively), counting only subjects known strictly before ``t`` (established, or
  with a record that counts, before ``t``) and the subject itself; missing when the value is.
  On ``name`` it is the size of a chain or of a group's branches (连锁/分支机构) as of ``t``,
  not as of the snapshot (a chain that grew later does not leak into earlier dates).

The table holds one value per subject, the value *now*: a column that changes over time or
is only filled in after an event (``closed_on``, a deregistration reason, a later rating)
would leak the future into every past as-of date. ``closed_on`` and the columns the dataset
lists as ``as_of_unsafe`` are refused (:meth:`FeatureSpec.check_dataset`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.exceptions import DataContractError, Problem
from credit_risk.features.context import grouped_levels
from credit_risk.features.engine import INF, day_numbers
from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.prepared import Prepared
from credit_risk.features.spec import AttributeSpec

__all__ = ["FLAG_VALUES", "attribute_values", "build_attributes", "group_sizes"]

#: Text read as a flag (lower-cased, stripped).
FLAG_VALUES: dict[str, float] = {
    "1": 1.0, "true": 1.0, "yes": 1.0, "y": 1.0, "t": 1.0, "是": 1.0,
    "0": 0.0, "false": 0.0, "no": 0.0, "n": 0.0, "f": 0.0, "否": 0.0,
}


def _bad_values(column: str, values: pd.Series, bad: np.ndarray, what: str, fix: str) -> DataContractError:
    rows = np.flatnonzero(bad)[:20]
    return DataContractError(
        [Problem("enterprises", int(r) + 1, column, values.iloc[r], f"is not {what}", fix) for r in rows]
    )


def attribute_values(enterprises: pd.DataFrame, attr: AttributeSpec, min_level_count: int):
    """Per-subject values of one attribute: (float array or (object array, categories), date flag).

    Raises
    ------
    DataContractError
        Values that cannot be read as the declared type (enterprises row, column, value).
    """
    col = enterprises[attr.column]
    present = col.notna().to_numpy(dtype=bool).copy()
    if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        text = col.astype("string").str.strip()
        present &= (text != "").fillna(False).to_numpy(dtype=bool)
    if attr.type == "numeric":
        if pd.api.types.is_bool_dtype(col.dtype):
            return col.astype("float64").to_numpy(), None
        num = pd.to_numeric(col.where(present), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = present & np.isnan(num)
        if bad.any():
            raise _bad_values(attr.column, col, bad, "a number",
                              "fix the value or declare the attribute as categorical")
        return num, None
    if attr.type == "flag":
        if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
            num = col.astype("float64").to_numpy()
            bad = present & ~np.isin(num, (0.0, 1.0))
            flag = num
        else:
            key = col.astype("string").str.strip().str.lower()
            flag = key.map(FLAG_VALUES).astype("float64").to_numpy(na_value=np.nan)
            bad = present & np.isnan(flag)
        if bad.any():
            raise _bad_values(attr.column, col, bad, "a flag",
                              f"use one of {sorted(FLAG_VALUES)} or declare the attribute as categorical")
        return np.where(present, flag, np.nan), None
    if attr.type == "date":
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            dates = pd.to_datetime(col)
        else:
            dates = pd.to_datetime(col.where(present), errors="coerce", format="ISO8601")
        bad = present & dates.isna().to_numpy()
        if bad.any():
            raise _bad_values(attr.column, col, bad, "an ISO date (YYYY-MM-DD)",
                              "write the dates as YYYY-MM-DD or declare the attribute as categorical")
        return day_numbers(dates), "date"
    text = col.astype("string").str.strip().where(present)
    return grouped_levels(text, attr.min_level_count or min_level_count), None


def known_from(p: Prepared) -> np.ndarray:
    """Day from which each subject is known: its establishment or its first record that counts (INF: never)."""
    if "known_from" in p.cache:
        return p.cache["known_from"]
    ent = p.dataset.enterprises
    known = np.full(p.n_subjects, INF, dtype=np.int64)
    if "established_on" in ent:
        known = np.minimum(known, day_numbers(ent["established_on"]))
    cols = p.columns
    if len(cols.subj):
        start = day_numbers(pd.Series(cols.start_ns.view("datetime64[ns]")))
        published = day_numbers(pd.Series(cols.published_ns.view("datetime64[ns]")), missing=-1)
        ok = cols.subj >= 0
        # a record is known from its publication (from its start when unpublished), as in the engine
        np.minimum.at(known, cols.subj[ok], np.maximum(published, start)[ok])
    p.cache["known_from"] = known
    return known


def group_sizes(values: pd.Series, known: np.ndarray, cutoff_subj: np.ndarray, cutoff_day: np.ndarray) -> np.ndarray:
    """Subjects sharing each cutoff subject's value among those known before its as-of day, itself included.

    Parameters
    ----------
    values : Series
        One value per subject (text compared stripped and case-folded; missing → NaN result).
    known : array of int
        Day from which each subject is known (``INF``: never).
    cutoff_subj, cutoff_day : arrays of int
        Subject index and as-of day of each row.

    Examples
    --------
    >>> v = pd.Series(["Cafe A", "cafe a ", "B", None])
    >>> group_sizes(v, np.array([10, 20, 5, 5]), np.array([0, 0, 2, 3]), np.array([15, 25, 9, 9])).tolist()
    [1.0, 2.0, 1.0, nan]
    """
    key = values.astype("string").str.strip().str.casefold()
    codes, _ = pd.factorize(key.where(key != ""), use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    days = np.unique(np.concatenate([known[known < INF], cutoff_day]))
    span = np.int64(len(days) + 1)  # rank len(days) = never known, above every as-of day
    rank = np.where(known < INF, np.searchsorted(days, known), len(days)).astype(np.int64)
    has = codes >= 0
    sorted_keys = np.sort(codes[has] * span + rank[has])
    g = codes[cutoff_subj]
    t = np.searchsorted(days, cutoff_day).astype(np.int64)
    before = np.searchsorted(sorted_keys, g * span + t, side="left") - np.searchsorted(sorted_keys, g * span, side="left")
    self_known = known[cutoff_subj] < cutoff_day
    out = (before - self_known + 1).astype(np.float64)
    out[g < 0] = np.nan
    return out


def build_attributes(p: Prepared, attributes, min_level_count: int) -> list[tuple[FeatureInfo, object]]:
    """One feature per attribute, rows in cutoff order."""
    out = []
    ent = p.dataset.enterprises
    for attr in attributes:
        if attr.type == "group_size":
            out.append((attr.info(), group_sizes(ent[attr.column], known_from(p), p.cutoff_subj, p.cutoff_day)))
            continue
        values, kind = attribute_values(ent, attr, min_level_count)
        info = attr.info()
        if attr.type == "categorical":
            cats, categories = values
            codes = pd.Index(categories).get_indexer(pd.Index(cats, dtype=object))
            out.append((info, pd.Categorical.from_codes(codes[p.cutoff_subj], categories=categories)))
        elif kind == "date":
            day = values[p.cutoff_subj]
            t = p.cutoff_day
            out.append((info, np.where(day < t, (t - day) / 365.25, np.nan)))
        else:
            out.append((info, np.asarray(values, dtype=np.float64)[p.cutoff_subj]))
    return out
