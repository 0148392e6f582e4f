"""Cutoffs: the ``(credit_code, as_of)`` rows that features are built and models scored for.

:func:`active_cutoffs` gives one row per subject operating on a date (the monthly run);
:func:`checked_cutoffs` reads a user's table of rows, each scored as of its own date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.data.dataset import CreditDataset
from credit_risk.exceptions import ConfigError

__all__ = ["active_cutoffs", "checked_cutoffs"]


def active_cutoffs(dataset: CreditDataset, as_of: pd.Timestamp) -> pd.DataFrame:
    """One cutoff per subject not established on or after ``as_of`` and not closed before it.

    A subject whose establishment date is unknown (optional outside GB/T data) is operating.
    """
    ent = dataset.enterprises
    as_of = pd.Timestamp(as_of)
    active = ~(ent["established_on"] >= as_of) & ~(ent["closed_on"] < as_of)
    return pd.DataFrame(
        {"credit_code": ent.loc[active, "credit_code"].to_numpy(dtype=object), "as_of": as_of}
    ).astype({"as_of": "datetime64[ns]"})


def checked_cutoffs(dataset: CreditDataset, cutoffs: pd.DataFrame) -> pd.DataFrame:
    """``credit_code``, ``as_of`` (datetime64[ns], day precision) per row; unknown subjects refused."""
    if not isinstance(cutoffs, pd.DataFrame) or not {"credit_code", "as_of"} <= set(map(str, cutoffs.columns)):
        got = list(cutoffs.columns)[:10] if isinstance(cutoffs, pd.DataFrame) else type(cutoffs).__name__
        raise ConfigError(f"cutoffs need columns credit_code and as_of (one row per subject and date); got {got}")
    if len(cutoffs) == 0:
        raise ConfigError("cutoffs hold no rows; give one row per credit_code and as_of date to score")
    out = cutoffs[["credit_code", "as_of"]].reset_index(drop=True).copy()
    raw = out["as_of"]
    as_of = pd.to_datetime(raw, errors="coerce")
    bad = as_of.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ConfigError(f"cutoffs row {row + 1}, column 'as_of': {raw.iloc[row]!r} is not a date; write YYYY-MM-DD")
    if getattr(as_of.dt, "tz", None) is not None:
        raise ConfigError("cutoffs column 'as_of': dates carry a time zone; write plain dates (YYYY-MM-DD)")
    out["as_of"] = as_of.dt.normalize().astype("datetime64[ns]")
    out["credit_code"] = out["credit_code"].astype(object)
    unknown = ~out["credit_code"].isin(pd.Index(dataset.enterprises["credit_code"].astype(object))).to_numpy()
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0])
        raise ConfigError(
            f"cutoffs row {row + 1}, column 'credit_code': subject {out['credit_code'].iloc[row]!r} is not in the "
            f"dataset's enterprises ({int(unknown.sum()):,} row(s) affected); drop those rows"
        )
    return out
