"""The repair log: approved repairs as record ends, applied when a dataset is loaded with it.

Source records are never edited in place. :func:`apply_repairs` returns a new dataset whose
record ``end`` is ``min(end, repaired_on)`` for every repaired record, so every consumer of
``credit_risk.data.publication`` (features, tier overrides through the features, the
scheduler's mandatory inclusions, measure tasks) stops counting the record as of the day
after its repair, the first as-of date at which the repair is known.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from credit_risk.atomic import write_parquet
from credit_risk.exceptions import DataContractError, Problem

__all__ = ["LOG_COLUMNS", "append_to_log", "apply_repairs", "read_repair_log", "write_repair_log"]

#: Columns of the repair log.
LOG_COLUMNS = ("record_id", "credit_code", "repaired_on", "application_id", "legal_basis")


def _typed(log: pd.DataFrame, source: str = "repair log") -> pd.DataFrame:
    missing = [c for c in LOG_COLUMNS if c not in log.columns]
    if missing:
        raise DataContractError(f"{source} lacks column(s) {missing}; it must hold {list(LOG_COLUMNS)}")
    out = log.loc[:, list(LOG_COLUMNS)].copy()
    for c in ("record_id", "credit_code", "application_id", "legal_basis"):
        out[c] = out[c].astype(str)
    out["repaired_on"] = pd.to_datetime(out["repaired_on"], errors="coerce").astype("datetime64[ns]")
    return out.reset_index(drop=True)


def append_to_log(log: pd.DataFrame | None, decisions: pd.DataFrame) -> pd.DataFrame:
    """The log with the approved decisions added (a record already in the log is not added twice)."""
    approved = decisions.loc[decisions["decision"] == "approved"]
    new = pd.DataFrame({
        "record_id": approved["record_id"], "credit_code": approved["credit_code"],
        "repaired_on": approved["applied_on"], "application_id": approved["application_id"],
        "legal_basis": approved["legal_basis"],
    })
    if log is None or len(log) == 0:
        return _typed(new)
    old = _typed(log)
    return pd.concat([old, _typed(new.loc[~new["record_id"].astype(str).isin(old["record_id"])])], ignore_index=True)


def apply_repairs(dataset, log: pd.DataFrame | None, *, source: str = "repair log"):
    """A new dataset whose repaired records end on their repair date (the input is left untouched).

    Raises
    ------
    DataContractError
        Listing log rows naming an unknown record, another subject, or no date.

    Examples
    --------
    >>> import pandas as pd
    >>> from credit_risk.data import CreditDataset
    >>> from credit_risk.data.credit_code import complete
    >>> code = complete("91330106MA2H00001")
    >>> ds = CreditDataset.from_frames(pd.DataFrame({"credit_code": [code]}), pd.DataFrame({
    ...     "record_id": ["r1"], "credit_code": [code], "kind": ["serious_listing"], "domain": ["market"],
    ...     "start": ["2022-01-01"]}))
    >>> log = pd.DataFrame({"record_id": ["r1"], "credit_code": [code], "repaired_on": ["2023-03-01"],
    ...                     "application_id": ["a1"], "legal_basis": ["SAMR Order 44"]})
    >>> str(apply_repairs(ds, log).records["end"].iloc[0].date()), pd.isna(ds.records["end"].iloc[0])
    ('2023-03-01', True)
    """
    if log is None or len(log) == 0:
        return dataset
    log = _typed(log, source)
    rec = dataset.records
    pos = pd.Index(rec["record_id"].astype(str)).get_indexer(log["record_id"])
    problems = []
    for i in np.flatnonzero(pos < 0):
        problems.append(Problem(source, int(i) + 1, "record_id", log["record_id"].iloc[i],
                                "is not a record of the dataset", "use the log written for this dataset"))
    ok = pos >= 0
    codes = rec["credit_code"].astype(str).to_numpy()
    for i in np.flatnonzero(ok & (codes[np.where(ok, pos, 0)] != log["credit_code"].to_numpy())):
        problems.append(Problem(source, int(i) + 1, "credit_code", log["credit_code"].iloc[i],
                                f"is not the subject of record {log['record_id'].iloc[i]}", "correct the log"))
    for i in np.flatnonzero(log["repaired_on"].isna().to_numpy()):
        problems.append(Problem(source, int(i) + 1, "repaired_on", None, "is missing or not a date",
                                "give the repair date as YYYY-MM-DD"))
    if problems:
        raise DataContractError(problems)
    # the earliest repair of a record wins
    first = log.assign(_pos=pos).sort_values("repaired_on").drop_duplicates("_pos")
    end = rec["end"].to_numpy(dtype="datetime64[ns]", copy=True)
    day = first["repaired_on"].to_numpy(dtype="datetime64[ns]")
    at = first["_pos"].to_numpy()
    current = end[at]
    end[at] = np.where(np.isnat(current) | (day < current), day, current)
    records = rec.copy()
    records["end"] = pd.Series(end, index=rec.index).astype(rec["end"].dtype)
    return dataclasses.replace(dataset, records=records)


def read_repair_log(path: str | Path) -> pd.DataFrame | None:
    """The repair log at ``path`` (Parquet or CSV), or None when it does not exist yet."""
    path = Path(path)
    if not path.exists():
        return None
    frame = pd.read_csv(path, dtype=str) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
    return _typed(frame, str(path))


def write_repair_log(log: pd.DataFrame, path: str | Path) -> None:
    """Write the repair log atomically (Parquet)."""
    write_parquet(_typed(log), path)
