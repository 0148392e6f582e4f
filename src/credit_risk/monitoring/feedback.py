"""Feedback (信息回流): a plan's inspection results back into the credit data, with their draw probabilities.

:func:`feedback_records` turns the results of a published plan into ``records`` rows of the
inspection kind, each carrying the **draw probability** of its subject from the plan's
``frame.parquet`` (checked against the sha256 in the plan's ``manifest.json``), so that the
next model can weight the outcomes by ``1 / draw_probability`` instead of learning the
plan's own selection (selective labels, ``DOMAIN.md`` §7). :func:`ingest_feedback` validates
them and appends them to the dataset's records table atomically; the record ids are a
digest of the plan, the subject, the department and the date, so ingesting the same results
twice adds nothing.

The results table (CSV or Parquet) has one row per (visit, department):

``credit_code``   a subject drawn in the plan
``inspected_on``  the visit's date, inside the plan's period
``outcome``       one of the inspection kind's outcomes in the catalogue (``pass``, ``problem``,
                  ``unreachable``)
``department``    optional: a department of the subject's joint visit (the record's ``source``)
``domain``        optional: default the first domain that department inspects at the visit
``severity``      optional: on the kind's scale (default the kind's default severity)
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from credit_risk.atomic import sha256_file, write_parquet, write_text
from credit_risk.data import CreditDataset, load_dataset
from credit_risk.exceptions import ConfigError, DataContractError, Problem

__all__ = ["FeedbackResult", "feedback_records", "ingest_feedback", "read_plan"]

logger = logging.getLogger(__name__)

REQUIRED = ("credit_code", "inspected_on", "outcome")
OPTIONAL = ("department", "domain", "severity", "visit_id")


@dataclass(frozen=True)
class FeedbackResult:
    """What :func:`ingest_feedback` did: rows added, rows already there, the records file written."""

    added: int
    already_present: int
    records_file: Path
    records: pd.DataFrame


def read_plan(plan_dir: str | Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """``(manifest, frame, visits)`` of a published plan, the files checked against the manifest's sha256.

    Raises
    ------
    ConfigError
        The folder holds no plan, or a file differs from its published sha256.
    """
    folder = Path(plan_dir)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise ConfigError(f"{folder} holds no manifest.json; pass the folder written by credit-risk plan")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{manifest_path} cannot be read as JSON ({exc}); pass the plan's own manifest") from None
    files = manifest.get("files", {}) if isinstance(manifest, dict) else {}
    for name in ("frame.parquet", "plan.parquet"):
        path = folder / name
        want = files.get(name, {}).get("sha256")
        if not path.is_file() or want is None:
            raise ConfigError(f"plan {folder}: {name} or its sha256 in manifest.json is missing; publish the plan again")
        if sha256_file(path) != want:
            raise ConfigError(
                f"plan {folder}: {name} differs from the sha256 published in manifest.json (altered after "
                "publication); use the published plan"
            )
    return manifest, pd.read_parquet(folder / "frame.parquet"), pd.read_parquet(folder / "plan.parquet")


def _record_id(plan_sha: str, code: str, department: str, day: str) -> str:
    digest = hashlib.sha256("\0".join((plan_sha, code, department, day)).encode()).hexdigest()
    return f"feedback-{digest[:20]}"


def feedback_records(plan_dir: str | Path, results: pd.DataFrame, *, dataset: CreditDataset,
                     kind: str = "inspection", source_name: str = "results") -> pd.DataFrame:
    """Records rows (data contract) for the results of a plan; every bad row is named.

    Raises
    ------
    DataContractError
        A column is missing, a subject was not drawn in the plan, an outcome is not one of
        the kind's outcomes, a date is not a date or lies outside the plan's period, a
        department is not part of the subject's visit, or a (subject, department, date)
        repeats.
    ConfigError
        ``kind`` is not in the catalogue, or the plan folder is not a published plan.
    """
    manifest, frame, visits = read_plan(plan_dir)
    catalog = dataset.catalog
    if kind not in catalog.kinds:
        raise ConfigError(f"kind {kind!r} is not in the catalogue; use one of {sorted(catalog.kinds)[:10]}")
    spec = catalog.kinds[kind]
    missing = [c for c in REQUIRED if c not in results.columns]
    if missing:
        raise DataContractError([Problem(source_name, None, None, None, f"columns {missing} are missing",
                                         "give credit_code, inspected_on and outcome (and optionally department, "
                                         "domain, severity)")])
    res = results.reset_index(drop=True)
    start, end = pd.Timestamp(manifest["period_start"]), pd.Timestamp(manifest["period_end"])
    drawn = frame[frame["drawn"].astype(bool)].assign(credit_code=lambda f: f["credit_code"].astype(str))
    prob = drawn.set_index("credit_code")["inclusion_probability"]
    visit = visits.assign(credit_code=visits["credit_code"].astype(str)).drop_duplicates("credit_code").set_index("credit_code")
    outcomes = tuple(spec.outcomes or ())
    problems: list[Problem] = []
    rows = []
    seen: dict[tuple[str, str, str], int] = {}
    for i, r in res.iterrows():
        line = int(i) + 1
        code = str(r["credit_code"]).strip()
        if code not in prob.index:
            problems.append(Problem(source_name, line, "credit_code", code, "was not drawn in this plan",
                                    "give results only for the plan's visits"))
            continue
        day = pd.to_datetime(r["inspected_on"], errors="coerce")
        if pd.isna(day):
            problems.append(Problem(source_name, line, "inspected_on", r["inspected_on"], "is not a date",
                                    "use YYYY-MM-DD"))
            continue
        day = pd.Timestamp(day).normalize()
        if not start <= day < end:
            problems.append(Problem(source_name, line, "inspected_on", day.date().isoformat(),
                                    f"lies outside the plan's period [{start.date()}, {end.date()})",
                                    "give the date of the plan's visit"))
            continue
        outcome = str(r["outcome"]).strip()
        if outcomes and outcome not in outcomes:
            problems.append(Problem(source_name, line, "outcome", outcome,
                                    f"is not an outcome of kind {kind!r}", f"use one of {list(outcomes)}"))
            continue
        items = str(visit.loc[code, "items"]) if code in visit.index and "items" in visit.columns else ""
        departments = str(visit.loc[code, "departments"]).split(";") if code in visit.index else []
        dept = r.get("department") if "department" in res.columns else None
        dept = None if dept is None or (isinstance(dept, float) and np.isnan(dept)) or str(dept).strip() == "" \
            else str(dept).strip()
        if dept is not None and departments and dept not in departments:
            problems.append(Problem(source_name, line, "department", dept,
                                    f"is not a department of this subject's visit {departments}",
                                    "give one of the visit's departments"))
            continue
        dept = dept or (departments[0] if departments else "")
        domain = r.get("domain") if "domain" in res.columns else None
        if domain is None or (isinstance(domain, float) and np.isnan(domain)) or str(domain).strip() == "":
            domains = [it.split(":")[1] for it in items.split(";") if it.count(":") >= 2 and it.split(":")[0] == dept]
            domain = domains[0] if domains else "market"
        key = (code, dept, day.date().isoformat())
        if key in seen:
            problems.append(Problem(source_name, line, "credit_code", code,
                                    f"repeats row {seen[key]} (same subject, department {dept!r} and date)",
                                    "give one result per visit and department"))
            continue
        seen[key] = line
        severity = r.get("severity") if "severity" in res.columns else None
        severity = None if severity is None or (isinstance(severity, float) and np.isnan(severity)) \
            or str(severity).strip() == "" else str(severity).strip()
        rows.append({
            "record_id": _record_id(manifest.get("plan_sha256", ""), code, dept, key[2]),
            "credit_code": code, "kind": kind, "domain": str(domain), "start": day, "published_on": day,
            "severity": severity, "outcome": outcome, "source": dept or None,
            "draw_probability": float(prob.loc[code]),
        })
        if len(problems) >= 50:
            break
    if problems:
        raise DataContractError(problems)
    out = pd.DataFrame(rows, columns=["record_id", "credit_code", "kind", "domain", "start", "published_on",
                                      "severity", "outcome", "source", "draw_probability"])
    # the contract's own validation (kinds, domains, severities, known subjects)
    CreditDataset.from_frames(dataset.enterprises, out.astype({"start": "datetime64[ns]",
                                                               "published_on": "datetime64[ns]"}),
                              catalog=catalog, manifest=dataset.manifest)
    return out


def ingest_feedback(plan_dir: str | Path, results: pd.DataFrame, data_dir: str | Path, *,
                    catalog=None, kind: str = "inspection", source_name: str = "results") -> FeedbackResult:
    """Append a plan's results to the dataset's records table atomically; idempotent.

    Rows whose record id is already in the table are left out (``already_present``); a row
    with the same id but another outcome is refused, since a result is corrected in the
    records table, not by ingesting it again.
    """
    root = Path(data_dir)
    dataset = load_dataset(root, catalog=catalog)
    new = feedback_records(plan_dir, results, dataset=dataset, kind=kind, source_name=source_name)
    files = sorted(root.glob("records.*"))
    target = next((f for f in files if f.suffix.lower() in (".parquet", ".csv")), None)
    if target is None:
        raise ConfigError(f"{root} holds no records.parquet or records.csv; pass the dataset folder")
    if target.suffix.lower() == ".parquet":
        existing = pd.read_parquet(target)
    else:
        existing = pd.read_csv(target, dtype=str, keep_default_na=False, na_values=[""],
                               encoding=dataset.manifest.encoding if dataset.manifest else "utf-8")
    have = existing.assign(record_id=existing["record_id"].astype(str)).drop_duplicates("record_id")
    have = have.set_index("record_id")
    present = new["record_id"].isin(have.index)
    if present.any() and "outcome" in have.columns:
        old = have.loc[new.loc[present, "record_id"], "outcome"].astype(str).to_numpy()
        clash = np.flatnonzero(old != new.loc[present, "outcome"].astype(str).to_numpy())
        if len(clash):
            row = new[present].iloc[clash[0]]
            raise DataContractError([Problem(
                source_name, None, "outcome", row["outcome"],
                f"differs from the outcome {old[clash[0]]!r} already ingested for {row['credit_code']} on "
                f"{row['start'].date()} (record {row['record_id']})",
                "correct the records table itself; feedback never overwrites a result")])
    add = new[~present]
    if len(add):
        if target.suffix.lower() == ".parquet":
            add = add.copy()
            for col in existing.columns:
                if col not in add.columns:
                    add[col] = pd.Series(np.nan if pd.api.types.is_numeric_dtype(existing[col].dtype) else None,
                                         index=add.index).astype(existing[col].dtype)
                elif isinstance(existing[col].dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(
                        existing[col].dtype):
                    add[col] = add[col].astype(object)
                elif pd.api.types.is_datetime64_any_dtype(existing[col].dtype):
                    add[col] = pd.to_datetime(add[col]).astype(existing[col].dtype)
            cols = list(existing.columns) + [c for c in add.columns if c not in existing.columns]
            base = existing.astype({c: object for c in existing.columns
                                    if isinstance(existing[c].dtype, pd.CategoricalDtype)
                                    or pd.api.types.is_string_dtype(existing[c].dtype)})
            combined = pd.concat([base.reindex(columns=cols), add.reindex(columns=cols)], ignore_index=True)
            write_parquet(combined, target)
        else:
            text = add.assign(start=add["start"].dt.strftime("%Y-%m-%d"),
                              published_on=add["published_on"].dt.strftime("%Y-%m-%d"))
            cols = list(existing.columns) + [c for c in text.columns if c not in existing.columns]
            combined = pd.concat([existing.reindex(columns=cols), text.reindex(columns=cols)], ignore_index=True)
            write_text(target, combined.to_csv(index=False, lineterminator="\n"))
    logger.info("feedback: %d record(s) added to %s, %d already present", len(add), target, int(present.sum()))
    return FeedbackResult(int(len(add)), int(present.sum()), target, new)
