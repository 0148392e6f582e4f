"""Subject attributes 主体属性: ``enterprises`` columns the spec declares as features.

Each :class:`~credit_risk.features.spec.AttributeSpec` turns one column into one feature:

- ``numeric``: the number (a value that is not a number is a data error);
- ``categorical``: the text, levels held by fewer than ``min_level_count`` subjects grouped
  into ``(other)``, missing stays missing;
- ``flag``: 1/0, true/false, yes/no, y/n, t/f, 是/否 (any case) → 1.0/0.0;
- ``date``: age in years at the as-of date, ``(t − date) / 365.25``, missing when the date is
  not before ``t`` (a date on or after the as-of date says nothing known at ``t``).

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
from credit_risk.features.engine import day_numbers
from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.prepared import Prepared
from credit_risk.features.spec import AttributeSpec

__all__ = ["FLAG_VALUES", "attribute_values", "build_attributes"]

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


def build_attributes(p: Prepared, attributes, min_level_count: int) -> list[tuple[FeatureInfo, object]]:
    """One feature per attribute, rows in cutoff order."""
    out = []
    ent = p.dataset.enterprises
    for attr in attributes:
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
