"""Checking credit repair applications (信用修复申请) against the rules.

An application names a subject, one of its records, the date it is decided on and the
evidence shown (``penalty_paid``, ``corrected``, ``commitment_signed``). The answer is

- ``approved`` — every rule holds; the record stops counting from ``applied_on`` (written to
  the repair log as its end, :mod:`credit_risk.repair.log`);
- ``rejected`` — with every unmet rule named (minimum period, each missing evidence, a repeat);
- ``not_repairable`` — the kind or severity has no repair rule, the record has already ended
  or expired, or it was already repaired.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.data.publication import effective_end
from credit_risk.exceptions import DataContractError, Problem
from credit_risk.repair.rules import EVIDENCE, RepairRules

__all__ = ["DECISIONS", "decide_repairs"]

#: The answers an application can get.
DECISIONS = ("approved", "rejected", "not_repairable")

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def _flag(value, source: str, line: int, column: str, problems: list[Problem]) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append(Problem(source, line, column, value, "is not a yes/no flag", "write true or false"))
    return False


def decide_repairs(dataset, applications: pd.DataFrame, rules: RepairRules, *,
                   log: pd.DataFrame | None = None, source: str = "applications") -> pd.DataFrame:
    """Decide every application; return one row per application with the unmet rules named.

    Parameters
    ----------
    dataset : CreditDataset
        The records applied for (with any earlier repairs already applied or given as ``log``).
    applications : DataFrame
        ``application_id, credit_code, record_id, applied_on`` and the evidence flags
        ``penalty_paid, corrected, commitment_signed`` (missing = not shown).
    rules : RepairRules
    log : DataFrame, optional
        The repair log so far: a record repaired there cannot be repaired again.
    source : str
        Name of the applications file, used in error messages.

    Returns
    -------
    DataFrame
        ``application_id, credit_code, record_id, kind, severity, applied_on, decision, unmet,
        legal_basis`` (``unmet``: the unmet rules joined by ``"; "``).

    Raises
    ------
    DataContractError
        Listing every application that names an unknown record, another subject's record, a
        missing date or a bad flag.
    """
    rules.check_catalog(dataset.catalog)
    need = [c for c in ("application_id", "credit_code", "record_id", "applied_on") if c not in applications.columns]
    if need:
        raise DataContractError(
            f"{source} lacks column(s) {need}; an application holds application_id, credit_code, record_id, "
            f"applied_on and the evidence flags {list(EVIDENCE)}"
        )
    rec = dataset.records
    index = pd.Index(rec["record_id"].astype(str))
    ends = effective_end(rec, dataset.catalog).to_numpy(dtype="datetime64[ns]")
    repaired = set() if log is None or len(log) == 0 else set(log["record_id"].astype(str))
    apps = applications.reset_index(drop=True)
    problems: list[Problem] = []
    rows = []
    for i, app in apps.iterrows():
        line = int(i) + 1
        rid = str(app["record_id"])
        pos = index.get_indexer([rid])[0]
        day = pd.to_datetime(app["applied_on"], errors="coerce")
        flags = {e: _flag(app[e], source, line, e, problems) if e in apps.columns else False for e in EVIDENCE}
        if pos < 0:
            problems.append(Problem(source, line, "record_id", rid, "is not a record of the dataset",
                                    "name the record_id of the record to repair"))
            continue
        r = rec.iloc[pos]
        if str(r["credit_code"]) != str(app["credit_code"]):
            problems.append(Problem(source, line, "credit_code", app["credit_code"],
                                    f"is not the subject of record {rid} ({r['credit_code']})",
                                    "correct the subject or the record"))
            continue
        if pd.isna(day):
            problems.append(Problem(source, line, "applied_on", app["applied_on"], "is missing or not a date",
                                    "give the decision date as YYYY-MM-DD"))
            continue
        kind, severity = str(r["kind"]), None if pd.isna(r["severity"]) else str(r["severity"])
        start = pd.Timestamp(r["start"])
        known = pd.Timestamp(r["published_on"]) if pd.notna(r["published_on"]) else start
        rule = rules.kinds.get(kind)
        unmet: list[str] = []
        decision = "rejected"
        end = ends[pos]
        if rule is None:
            decision, unmet = "not_repairable", [f"kind {kind!r} has no repair rule (not repairable by the regulator)"]
        elif severity not in rule.min_days:
            decision, unmet = "not_repairable", [f"severity {severity!r} of kind {kind!r} is not repairable"]
        elif rid in repaired:
            decision, unmet = "not_repairable", [f"record {rid} is already repaired (repair log)"]
        elif not np.isnat(end) and pd.Timestamp(end) < day:
            decision, unmet = "not_repairable", [f"record {rid} already ended or expired on {pd.Timestamp(end).date()}"]
        elif known >= day:
            decision, unmet = "not_repairable", [f"record {rid} is not published before {day.date()}"]
        else:
            need_days = rule.min_days[severity]
            elapsed = (day - start).days
            if elapsed < need_days:
                unmet.append(
                    f"minimum period: a {severity} {kind} may be repaired {need_days} days after its start "
                    f"{start.date()} (from {(start + pd.Timedelta(days=need_days)).date()}), {elapsed} days elapsed"
                )
            for e in rule.evidence:
                if not flags[e]:
                    unmet.append(f"obligation not shown: {e}")
            if rule.no_repeat_days > 0:
                since = day - pd.Timedelta(days=rule.no_repeat_days)
                same = rec.loc[(rec["credit_code"].astype(str) == str(r["credit_code"]))
                               & (rec["kind"].astype(object) == kind)
                               & (rec["record_id"].astype(str) != rid)]
                s = pd.to_datetime(same["start"])
                repeat = same.loc[(s > start) & (s >= since) & (s < day)]
                if len(repeat):
                    first = repeat.sort_values("start").iloc[0]
                    unmet.append(
                        f"no repeat within {rule.no_repeat_days} days: record {first['record_id']} of "
                        f"{pd.Timestamp(first['start']).date()}"
                    )
            decision = "rejected" if unmet else "approved"
        rows.append({
            "application_id": str(app["application_id"]), "credit_code": str(r["credit_code"]), "record_id": rid,
            "kind": kind, "severity": severity, "applied_on": day.normalize(), "decision": decision,
            "unmet": "; ".join(unmet), "legal_basis": rule.legal_basis if rule is not None else "",
        })
        if decision == "approved":
            repaired.add(rid)
    if problems:
        raise DataContractError(problems)
    columns = ["application_id", "credit_code", "record_id", "kind", "severity", "applied_on", "decision", "unmet",
               "legal_basis"]
    out = pd.DataFrame(rows, columns=columns)
    out["applied_on"] = pd.to_datetime(out["applied_on"]).astype("datetime64[ns]")
    return out
