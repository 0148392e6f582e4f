"""When a record stops counting: its end, repair or the end of its publication period.

``../shared/DOMAIN.md`` §4: a record's effect ends at the earlier of its own ``end``
(removal, credit repair 信用修复) and ``start + publication_days[kind][severity]`` from the
catalogue. Every consumer (feature builders, the inspection scheduler) uses the same rule:
a record *counts* as of ``t`` iff it was published strictly before ``t``, started before
``t``, and its effective end is missing or on or after ``t``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.data.catalog import Catalog

__all__ = ["counts_at", "effective_end"]


def effective_end(records: pd.DataFrame, catalog: Catalog) -> pd.Series:
    """``min(end, start + publication_days[kind][severity])`` per record (NaT = still counting).

    Examples
    --------
    >>> import pandas as pd
    >>> from credit_risk.data import load_catalog
    >>> rec = pd.DataFrame({"kind": ["penalty", "penalty"], "severity": ["minor", "general"],
    ...                     "start": pd.to_datetime(["2024-01-01", "2024-01-01"]),
    ...                     "end": pd.to_datetime([None, "2024-06-01"])})
    >>> effective_end(rec, load_catalog()).dt.date.astype(str).tolist()
    ['2024-03-31', '2024-06-01']
    """
    table = catalog.publication_table()
    days = pd.Series(table["publication_days"].to_numpy(), index=pd.MultiIndex.from_frame(table[["kind", "severity"]]))
    key = pd.MultiIndex.from_arrays([records["kind"].astype(object), records["severity"].astype(object)])
    pub_days = days.reindex(key).to_numpy(dtype=float)
    start = pd.to_datetime(records["start"]).to_numpy(dtype="datetime64[ns]")
    expiry = np.where(
        np.isnan(pub_days),
        np.datetime64("NaT", "ns"),
        start + np.nan_to_num(pub_days).astype("timedelta64[D]").astype("timedelta64[ns]"),
    )
    end = (
        pd.to_datetime(records["end"]).to_numpy(dtype="datetime64[ns]")
        if "end" in records.columns
        else np.full(len(records), np.datetime64("NaT", "ns"))
    )
    both = pd.DataFrame({"end": end, "expiry": expiry})
    return pd.Series(both.min(axis=1, skipna=True).to_numpy(dtype="datetime64[ns]"), index=records.index)


def counts_at(records: pd.DataFrame, catalog: Catalog, as_of: pd.Timestamp) -> np.ndarray:
    """Mask of records that count as of ``as_of`` (known before it, started, not yet ended)."""
    t = pd.Timestamp(as_of)
    start = pd.to_datetime(records["start"])
    known = pd.to_datetime(records["published_on"]).fillna(start) if "published_on" in records.columns else start
    end = effective_end(records, catalog)
    return ((known < t) & (start < t) & (end.isna() | (end >= t))).to_numpy(dtype=bool)
