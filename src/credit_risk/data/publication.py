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

from credit_risk.data.catalog import Catalog, codes_of

__all__ = ["counts_at", "effective_end", "publication_days"]


def publication_days(records: pd.DataFrame, catalog: Catalog) -> np.ndarray:
    """``publication_days[kind][severity]`` per record as float days (NaN = no expiry).

    The severity is read on the record's kind scale (its ``severity_scale`` when declared).
    """
    kinds = list(catalog.kinds)
    severities = list(catalog.severity_values)
    lookup = np.full((len(kinds) + 1, len(severities) + 1), np.nan)  # last row/column: unknown
    for kind, spec in catalog.kinds.items():
        for sev, days in spec.publication_days.items():
            if days is not None:
                lookup[kinds.index(kind), severities.index(sev)] = float(days)
    k = codes_of(records["kind"], kinds)
    v = codes_of(records["severity"], severities)
    return lookup[np.where(k < 0, len(kinds), k), np.where(v < 0, len(severities), v)]


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
    days = publication_days(records, catalog)
    start = pd.to_datetime(records["start"]).to_numpy(dtype="datetime64[ns]")
    nat = np.datetime64("NaT", "ns")
    expiry = np.where(np.isnan(days), nat, start + np.nan_to_num(days).astype("timedelta64[D]"))
    if "end" in records.columns:
        end = pd.to_datetime(records["end"]).to_numpy(dtype="datetime64[ns]")
        # fmin ignores NaT (an open end or no expiry), keeping the other bound.
        expiry = np.where(np.isnat(end), expiry, np.where(np.isnat(expiry) | (end < expiry), end, expiry))
    return pd.Series(expiry.astype("datetime64[ns]"), index=records.index)


def counts_at(records: pd.DataFrame, catalog: Catalog, as_of: pd.Timestamp) -> np.ndarray:
    """Mask of records that count as of ``as_of`` (known before it, started, not yet ended)."""
    t = pd.Timestamp(as_of)
    start = pd.to_datetime(records["start"])
    known = pd.to_datetime(records["published_on"]).fillna(start) if "published_on" in records.columns else start
    end = effective_end(records, catalog)
    return ((known < t) & (start < t) & (end.isna() | (end >= t))).to_numpy(dtype=bool)
