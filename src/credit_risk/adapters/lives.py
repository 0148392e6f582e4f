"""Read the LIVES restaurant-inspection format into the data contract.

LIVES (Local Inspector Value-Entry Specification) is the open format in which many city
health departments publish restaurant inspections: ``businesses.csv``, ``inspections.csv``
(or ``inspections_plus.csv``) and ``violations.csv`` (or ``violations_plus.csv``). Both
variants found on the San Francisco portal are read: column names in any case (``Score`` /
``score``, ``ViolationTypeID``), dates as ``YYYYMMDD`` (or ISO ``YYYY-MM-DD``), violations
with or without ``risk_category``, files in UTF-8 or Windows-1252.

The mapping onto the contract:

* **enterprises** — one row per ``business_id`` (``credit_code``), ``name``, ``region`` = the
  5-digit postal code (``region_scheme: any``); every other column of ``businesses.csv``
  (address, city, state, the raw ``postal_code``, ``latitude``, ``longitude``, phone, owner
  columns, ...) is kept as an extra column. Nothing is invented: a business without a usable
  postal code has no region, coordinates of 0 or out of range are missing, and the contract's
  China-specific columns (entity type, industry, capital, establishment date) stay missing.
* **records, inspections** — one record per inspection; the LIVES ``type`` decides the kind
  (:data:`LIVES_TYPES`: routine visits are the packaged kind ``inspection``, follow-ups,
  complaint, ownership and construction visits kinds of their own; an unknown type becomes ``other_inspection`` with a logged count, the
  raw type is kept in ``lives_type``); ``value`` = the score; ``outcome`` = the most severe
  risk category among the violations recorded for the business on that day
  (``high_risk_violation`` / ``moderate_risk_violation`` / ``low_risk_violation``,
  ``no_violation`` when none, ``violation_unrated`` when a violation without a risk category
  could be the most severe one). When several inspections share a business and a day, the
  day's violations are attributed to one of them (routine first, then complaint, new
  ownership, reinspection, new construction, other) and the others' outcome is missing — the
  data cannot say which visit found what; the count is logged. Without a violations file every
  outcome is missing, never ``no_violation``.
* **records, violations** — one record per violation: kind ``violation`` with severity
  ``low < moderate < high`` (the catalogue's ``severity_scale``), or ``violation_unrated``
  when the risk category is missing or unknown (a severity is never guessed; pass
  ``risk_by_description`` — e.g. :func:`risk_table` of a snapshot that has the categories — to
  rate them from their description). The violation type and description are kept as
  ``violation_type_id`` and ``description``; a "[ date violation corrected: m/d/yyyy ]" suffix
  is moved to ``corrected_on`` (a later date: not known on the inspection day).

Point in time: an inspection's score and violations are known on the inspection day, so
``start = published_on = the inspection date`` for inspections and violations alike; features
as of a date only see records published strictly before it, so a visit's own result is never a
feature of that visit.

Messy rows are never dropped silently: exact duplicate rows are dropped, rows without a
business id or with an unreadable date cannot be placed and are dropped, conflicting
duplicate businesses keep their first row — each with a logged count and examples, collected
in :class:`LivesReport`. Everything else is kept.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from credit_risk.config import packaged
from credit_risk.data.catalog import Catalog, load_catalog
from credit_risk.data.dataset import CreditDataset, DatasetManifest, write_dataset
from credit_risk.exceptions import DataContractError, Problem

__all__ = [
    "LIVES_TYPES",
    "LivesReport",
    "LivesTables",
    "lives_catalog_path",
    "load_lives",
    "read_lives",
    "risk_table",
    "write_lives_dataset",
]

logger = logging.getLogger(__name__)

#: LIVES inspection ``type`` (compared in lower case) → record kind of the LIVES catalogue. Routine
#: inspections are the packaged kind ``inspection`` (the proactive visit), so the default
#: training target and the scheduler read them without further configuration.
LIVES_TYPES: dict[str, str] = {
    "routine - unscheduled": "inspection",
    "routine - scheduled": "inspection",
    "routine": "inspection",
    "reinspection/followup": "reinspection",
    "complaint reinspection/followup": "reinspection",
    "new ownership - followup": "reinspection",
    "complaint": "complaint_inspection",
    "foodborne illness investigation": "complaint_inspection",
    "new ownership": "new_ownership_inspection",
    "new construction": "new_construction_inspection",
    "non-inspection site visit": "other_inspection",
    "structural inspection": "other_inspection",
    "special event": "other_inspection",
    "administrative or document review": "other_inspection",
    "community health assessment": "other_inspection",
}
#: Which inspection of a business's day the day's violations are attributed to (first wins).
ATTRIBUTION_ORDER: tuple[str, ...] = (
    "inspection", "complaint_inspection", "new_ownership_inspection", "reinspection",
    "new_construction_inspection", "other_inspection",
)
#: LIVES ``risk_category`` (lower case) → severity on the ``violation`` kind's scale.
RISK_CATEGORIES: dict[str, str] = {"high risk": "high", "moderate risk": "moderate", "low risk": "low"}
OUTCOME_OF_SEVERITY: dict[str, str] = {
    "high": "high_risk_violation", "moderate": "moderate_risk_violation", "low": "low_risk_violation",
}
DOMAIN = "food"
_FILES = {
    "businesses": ("businesses.csv",),
    "inspections": ("inspections.csv", "inspections_plus.csv"),
    "violations": ("violations.csv", "violations_plus.csv"),
}
_REQUIRED = {"businesses": ("business_id",), "inspections": ("business_id", "date"),
             "violations": ("business_id", "date")}
_CORRECTED = re.compile(r"\s*\[\s*date violation corrected:\s*(\d{1,2}/\d{1,2}/\d{4})\s*\]\s*$", re.IGNORECASE)
_EXAMPLES = 5


def lives_catalog_path() -> Path:
    """Path of the packaged LIVES catalogue (``configs/adapters/lives_catalog.yaml``)."""
    return packaged("adapters/lives_catalog.yaml")


@dataclass
class LivesReport:
    """What the adapter found and did: files read, and a count for every row it had to handle.

    Attributes
    ----------
    folder : str
    files : dict
        Table → file name read.
    encodings : dict
        File name → encoding it was read with.
    counts : dict
        Named counts (``inspections_exact_duplicates``, ``violations_without_inspection``, ...);
        only non-zero counts are listed.
    examples : dict
        Count name → a few offending values, for the log and the user.
    """

    folder: str
    files: dict[str, str] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list] = field(default_factory=dict)

    def note(self, name: str, count: int, message: str, examples=(), *, level: int = logging.INFO) -> None:
        """Record and log one handled case (nothing is logged for a zero count)."""
        count = int(count)
        if count <= 0:
            return
        self.counts[name] = self.counts.get(name, 0) + count
        shown = [str(e) for e in list(examples)[:_EXAMPLES]]
        if shown:
            self.examples[name] = shown
        logger.log(level, "LIVES %s: %s %s%s", self.folder, f"{count:,}", message,
                   f" (e.g. {', '.join(shown)})" if shown else "")


@dataclass(frozen=True, eq=False)
class LivesTables:
    """The contract's raw tables built from a LIVES folder, before validation."""

    enterprises: pd.DataFrame
    records: pd.DataFrame
    catalog: Catalog
    manifest: DatasetManifest
    report: LivesReport

    def to_dataset(self) -> CreditDataset:
        """Validate the tables into a :class:`~credit_risk.data.CreditDataset` (every problem at once)."""
        return CreditDataset.from_frames(
            self.enterprises, self.records, catalog=self.catalog, manifest=self.manifest,
            files={"enterprises": self.report.files["businesses"], "records": self.report.files["inspections"]},
        )


# ------------------------------------------------------------------------------------- reading
def _read_csv(path: Path, report: LivesReport) -> pd.DataFrame:
    """Read a CSV as text; UTF-8 (with or without BOM), else Windows-1252 (logged)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataContractError([Problem(path.name, None, None, None, f"cannot be read as CSV ({exc})",
                                             "export the table as comma-separated values with a header row")]) from None
        report.encodings[path.name] = "utf-8" if encoding == "utf-8-sig" else encoding
        if encoding != "utf-8-sig":
            logger.info("LIVES %s: %s is not UTF-8; read as %s", report.folder, path.name, encoding)
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        for column in frame.columns:
            frame[column] = frame[column].str.strip().replace("", None)
        return frame
    raise DataContractError([Problem(path.name, None, None, None, "is neither UTF-8 nor Windows-1252 text",
                                     "save the file as UTF-8")])


def _find_tables(root: Path, report: LivesReport) -> dict[str, pd.DataFrame]:
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    for table, names in _FILES.items():
        found = [root / n for n in names if (root / n).is_file()]
        if len(found) > 1:
            problems.append(Problem(found[1].name, None, None, None, f"a second {table} table next to {found[0].name}",
                                    "keep one of them in the folder"))
            continue
        if not found:
            if table != "violations":
                problems.append(Problem(f"{root}/{names[0]}", None, None, None, "required LIVES table is missing",
                                        f"add {' or '.join(names)}"))
            continue
        frame = _read_csv(found[0], report)
        missing = [c for c in _REQUIRED[table] if c not in frame.columns]
        for column in missing:
            problems.append(Problem(found[0].name, None, column, None, "required column is missing",
                                    f"add a '{column}' column (columns found: {list(frame.columns)})"))
        if not missing:
            tables[table] = frame
            report.files[table] = found[0].name
    if problems:
        raise DataContractError(problems)
    others = sorted(p.name for p in root.iterdir() if p.is_file() and p.suffix == ".csv"
                    and p.name not in report.files.values())
    if others:
        logger.info("LIVES %s: files not read (not a LIVES table): %s", report.folder, ", ".join(others))
    return tables


def _dates(values: pd.Series) -> pd.Series:
    """``YYYYMMDD`` or ISO ``YYYY-MM-DD`` text → datetime64 (NaT where neither)."""
    text = values.astype("string")
    compact = pd.to_datetime(text.where(text.str.fullmatch(r"\d{8}")), format="%Y%m%d", errors="coerce")
    iso = pd.to_datetime(text.where(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")), format="%Y-%m-%d", errors="coerce")
    return compact.fillna(iso).astype("datetime64[ns]")


def _placeable(frame: pd.DataFrame, file: str, report: LivesReport, key: str) -> pd.DataFrame:
    """Drop (with a logged count) rows without a business id or a readable date; type the date."""
    no_id = frame["business_id"].isna()
    report.note(f"{key}_without_business_id", no_id.sum(), f"rows of {file} have no business_id and were dropped",
                (np.flatnonzero(no_id.to_numpy()) + 2)[:_EXAMPLES], level=logging.WARNING)
    frame = frame[~no_id]
    date = _dates(frame["date"])
    bad = date.isna().to_numpy()
    report.note(f"{key}_bad_date", bad.sum(),
                f"rows of {file} have a missing or unreadable date (not YYYYMMDD) and were dropped",
                frame["date"][bad].head(_EXAMPLES).tolist(), level=logging.WARNING)
    return frame[~bad].assign(date=date[~bad])


def _drop_exact_duplicates(frame: pd.DataFrame, file: str, report: LivesReport, key: str) -> pd.DataFrame:
    dup = frame.duplicated(keep="first")
    report.note(f"{key}_exact_duplicates", dup.sum(), f"exact duplicate rows of {file} dropped (first kept)",
                frame.loc[dup, ["business_id", "date"]].astype(str).agg(" ".join, axis=1).head(_EXAMPLES)
                if "date" in frame else frame.loc[dup, "business_id"].head(_EXAMPLES))
    return frame[~dup]


def _enterprises(businesses: pd.DataFrame, referenced: pd.Index, report: LivesReport) -> pd.DataFrame:
    file = report.files["businesses"]
    b = businesses[businesses["business_id"].notna()]
    report.note("businesses_without_business_id", len(businesses) - len(b),
                f"rows of {file} have no business_id and were dropped", level=logging.WARNING)
    b = _drop_exact_duplicates(b, file, report, "businesses")
    conflict = b["business_id"].duplicated(keep="first")
    report.note("businesses_conflicting_duplicates", conflict.sum(),
                f"rows of {file} repeat a business_id with other values; the first row is kept",
                b.loc[conflict, "business_id"], level=logging.WARNING)
    b = b[~conflict].reset_index(drop=True)

    out = pd.DataFrame({"credit_code": b["business_id"].astype(object)})
    out["name"] = b["name"].astype(object) if "name" in b else None
    # region: the 5-digit postal code; ZIP+4 is cut to its ZIP; anything else is unknown
    raw = b["postal_code"] if "postal_code" in b else pd.Series(None, index=b.index, dtype=object)
    text = raw.astype("string")
    digits = text.str.replace(r"[\s-]", "", regex=True)
    zip5 = digits.where(digits.str.fullmatch(r"\d{5}") | digits.str.fullmatch(r"\d{9}")).str[:5]
    zip5 = zip5.where(zip5 != "00000")
    zip4 = digits.str.fullmatch(r"\d{9}").fillna(False).to_numpy(dtype=bool)
    report.note("postal_codes_zip4_cut", zip4.sum(),
                "postal codes in ZIP+4 form cut to their 5-digit ZIP for the region", text[zip4])
    unusable = text.notna() & zip5.isna()
    report.note("postal_codes_unusable", unusable.sum(),
                "postal codes are not a 5-digit ZIP; those businesses have no region", text[unusable].unique())
    out["region"] = zip5.astype(object).where(zip5.notna(), None)
    for column in b.columns:
        if column in ("business_id", "name"):
            continue
        out[column] = b[column].astype(object)
    if {"latitude", "longitude"} <= set(b.columns):
        lat = pd.to_numeric(b["latitude"], errors="coerce")
        lon = pd.to_numeric(b["longitude"], errors="coerce")
        given = b["latitude"].notna() | b["longitude"].notna()
        ok = lat.between(-90, 90) & lon.between(-180, 180) & ~((lat == 0) & (lon == 0))
        report.note("coordinates_unusable", (given & ~ok).sum(),
                    "businesses have coordinates that are unreadable, 0 or out of range; set to missing",
                    b.loc[given & ~ok, "business_id"])
        out["latitude"] = lat.where(ok)
        out["longitude"] = lon.where(ok)

    missing = referenced.difference(pd.Index(out["credit_code"]))
    report.note("businesses_added", len(missing),
                "business ids appear in inspections or violations but not in businesses; added with only their id",
                missing[:_EXAMPLES], level=logging.WARNING)
    if len(missing):
        out = pd.concat([out, pd.DataFrame({"credit_code": list(missing)})], ignore_index=True)
    return out


def _inspections(ins: pd.DataFrame, type_kinds: Mapping[str, str], report: LivesReport) -> pd.DataFrame:
    file = report.files["inspections"]
    ins = _placeable(ins, file, report, "inspections")
    ins = _drop_exact_duplicates(ins, file, report, "inspections")
    lives_type = ins["type"] if "type" in ins else pd.Series(None, index=ins.index, dtype=object)
    kind = lives_type.str.lower().map(dict(type_kinds))
    unknown = kind.isna()
    report.note("inspections_unknown_type", unknown.sum(),
                "inspections have a missing or unknown type; kind other_inspection, raw type kept in lives_type",
                lives_type[unknown].fillna("(missing)").unique(), level=logging.WARNING)
    score_text = ins["score"] if "score" in ins else pd.Series(None, index=ins.index, dtype=object)
    score = pd.to_numeric(score_text, errors="coerce")
    bad_score = score_text.notna() & score.isna()
    report.note("inspections_bad_score", bad_score.sum(), "scores are not numbers; set to missing",
                score_text[bad_score].unique(), level=logging.WARNING)
    out = pd.DataFrame({
        "credit_code": ins["business_id"].to_numpy(dtype=object),
        "kind": kind.fillna("other_inspection").to_numpy(dtype=object),
        "start": ins["date"].to_numpy(),
        "value": score.to_numpy(dtype=float),
        "lives_type": lives_type.to_numpy(dtype=object),
    })
    same = out.duplicated(["credit_code", "start", "kind"], keep=False)
    report.note("inspections_same_day_same_kind", same.sum(),
                "inspections share business, day and kind with another (kept, ids numbered)",
                out.loc[same, "credit_code"].unique())
    return out


def _violations(vio: pd.DataFrame, risk_by_description: Mapping[str, str] | None, report: LivesReport) -> pd.DataFrame:
    file = report.files["violations"]
    vio = _placeable(vio, file, report, "violations")
    vio = _drop_exact_duplicates(vio, file, report, "violations")
    description = vio["description"] if "description" in vio else pd.Series(None, index=vio.index, dtype=object)
    corrected_text = description.str.extract(_CORRECTED, expand=False)
    corrected = pd.to_datetime(corrected_text, format="%m/%d/%Y", errors="coerce")
    description = description.str.replace(_CORRECTED, "", regex=True)
    report.note("violations_corrected_suffix", corrected_text.notna().sum(),
                "violation descriptions carry a 'date violation corrected' suffix; moved to corrected_on")
    risk = vio["risk_category"] if "risk_category" in vio else pd.Series(None, index=vio.index, dtype=object)
    severity = risk.str.lower().map(RISK_CATEGORIES)
    unknown_risk = risk.notna() & severity.isna()
    report.note("violations_unknown_risk_category", unknown_risk.sum(),
                "violations have a risk_category that is not High/Moderate/Low Risk; kind violation_unrated",
                risk[unknown_risk].unique(), level=logging.WARNING)
    if risk_by_description is not None:
        table = {str(k).strip(): RISK_CATEGORIES.get(str(v).strip().lower(), str(v).strip().lower())
                 for k, v in risk_by_description.items()}
        filled = severity.isna() & risk.isna()
        from_table = description.where(filled).map(table)
        report.note("violations_rated_from_description", from_table.notna().sum(),
                    "violations without a risk_category rated from their description (risk_by_description)")
        severity = severity.fillna(from_table)
        severity = severity.where(severity.isin(list(OUTCOME_OF_SEVERITY)))
    report.note("violations_unrated", severity.isna().sum(),
                "violations have no risk category; kind violation_unrated (no severity is guessed)")
    type_id = vio["violationtypeid"] if "violationtypeid" in vio else pd.Series(None, index=vio.index, dtype=object)
    return pd.DataFrame({
        "credit_code": vio["business_id"].to_numpy(dtype=object),
        "kind": np.where(severity.notna(), "violation", "violation_unrated").astype(object),
        "start": vio["date"].to_numpy(),
        "severity": severity.to_numpy(dtype=object),
        "violation_type_id": type_id.to_numpy(dtype=object),
        "description": description.to_numpy(dtype=object),
        "corrected_on": corrected.to_numpy(dtype="datetime64[ns]"),
    })


def _attribute_outcomes(insp: pd.DataFrame, viol: pd.DataFrame | None, report: LivesReport) -> pd.Series:
    """The outcome of each inspection from the violations of its business and day (see module doc)."""
    if viol is None:
        report.note("inspections_without_outcome", len(insp),
                    "inspections have no outcome: the folder has no violations table", level=logging.WARNING)
        return pd.Series(None, index=insp.index, dtype=object)
    rank = {"low": 1, "moderate": 2, "high": 3}
    day = viol.assign(rank=viol["severity"].map(rank).fillna(0), unrated=viol["severity"].isna())
    days = day.groupby(["credit_code", "start"]).agg(top=("rank", "max"), unrated=("unrated", "any"))
    priority = insp["kind"].map({k: i for i, k in enumerate(ATTRIBUTION_ORDER)})
    order = np.lexsort((np.arange(len(insp)), priority.to_numpy(), insp["start"].to_numpy(),
                        insp["credit_code"].to_numpy()))
    primary = np.zeros(len(insp), dtype=bool)
    first_of_day = ~insp.iloc[order].duplicated(["credit_code", "start"], keep="first").to_numpy()
    primary[order[first_of_day]] = True
    keys = pd.MultiIndex.from_frame(insp[["credit_code", "start"]])
    found = days.reindex(keys)
    has = found["top"].notna().to_numpy()
    top = found["top"].to_numpy()
    unrated = found["unrated"].fillna(False).to_numpy(dtype=bool)
    outcome = np.full(len(insp), "no_violation", dtype=object)
    rated = {3: "high_risk_violation", 2: "moderate_risk_violation", 1: "low_risk_violation"}
    for value, name in rated.items():
        outcome[has & (top == value)] = name
    outcome[has & unrated & (top < 3)] = "violation_unrated"
    secondary = has & ~primary
    outcome[secondary] = None
    report.note("inspections_outcome_shared_day", secondary.sum(),
                "inspections share their day with another inspection of the business that found violations; "
                "the violations are attributed to that one (routine first) and their outcome is missing")
    orphan = ~pd.MultiIndex.from_frame(viol[["credit_code", "start"]]).isin(keys)
    report.note("violations_without_inspection", orphan.sum(),
                "violations are dated on a day with no inspection of the business (kept as violation records)",
                (viol.loc[orphan, "credit_code"] + " " + viol.loc[orphan, "start"].dt.strftime("%Y-%m-%d")).unique())
    return pd.Series(outcome, index=insp.index, dtype=object)


def _record_ids(frame: pd.DataFrame, label: pd.Series) -> pd.Series:
    base = frame["credit_code"].astype(str) + "/" + frame["start"].dt.strftime("%Y%m%d") + "/" + label.astype(str)
    n = base.groupby(base).cumcount()
    return base.where(n == 0, base + "/" + (n + 1).astype(str))


def read_lives(
    folder: str | Path,
    *,
    catalog: Catalog | None = None,
    type_kinds: Mapping[str, str] | None = None,
    risk_by_description: Mapping[str, str] | None = None,
) -> LivesTables:
    """Read a LIVES folder into the contract's raw tables (not yet validated).

    Parameters
    ----------
    folder : path
        Folder with ``businesses.csv``, ``inspections[_plus].csv`` and (optionally)
        ``violations[_plus].csv``.
    catalog : Catalog, optional
        Default: the packaged LIVES catalogue (:func:`lives_catalog_path`).
    type_kinds : mapping, optional
        LIVES inspection type (lower case) → kind; default :data:`LIVES_TYPES`.
    risk_by_description : mapping, optional
        Violation description → risk category (``High Risk`` or ``high``, ...), used only
        for violations without a ``risk_category``.

    Raises
    ------
    DataContractError
        A required file or column is missing, or a file cannot be read.
    """
    root = Path(folder)
    if not root.is_dir():
        raise DataContractError(f"LIVES folder {root} does not exist; pass the folder holding businesses.csv")
    report = LivesReport(folder=str(root))
    catalog = catalog if catalog is not None else load_catalog(lives_catalog_path())
    type_kinds = {str(k).lower(): v for k, v in (type_kinds or LIVES_TYPES).items()}
    stray = sorted({k for k in type_kinds.values() if k not in catalog.kinds})
    if stray:
        raise DataContractError(f"type_kinds maps LIVES types to kinds {stray} that the catalogue does not declare; "
                                "declare them or map to one of the catalogue's kinds")
    tables = _find_tables(root, report)
    insp = _inspections(tables["inspections"], type_kinds, report)
    viol = _violations(tables["violations"], risk_by_description, report) if "violations" in tables else None
    insp["outcome"] = _attribute_outcomes(insp, viol, report)
    insp["record_id"] = _record_ids(insp, insp["kind"])
    parts = [insp]
    if viol is not None:
        viol["record_id"] = _record_ids(viol, pd.Series("violation", index=viol.index))
        parts.append(viol)
    records = pd.concat(parts, ignore_index=True)
    records["domain"] = DOMAIN
    records["published_on"] = records["start"]
    columns = ["record_id", "credit_code", "kind", "domain", "start", "published_on", "severity", "value",
               "outcome", "lives_type", "violation_type_id", "description", "corrected_on"]
    records = records.reindex(columns=columns)
    records = records.sort_values(["start", "credit_code", "record_id"], kind="stable").reset_index(drop=True)
    referenced = pd.Index(records["credit_code"].unique())
    enterprises = _enterprises(tables["businesses"], referenced, report)
    manifest = DatasetManifest(id_scheme="any", region_scheme="any", industry_scheme="any")
    logger.info("LIVES %s: %s businesses, %s inspections, %s violations", root, f"{len(enterprises):,}",
                f"{len(insp):,}", f"{0 if viol is None else len(viol):,}")
    return LivesTables(enterprises=enterprises, records=records, catalog=catalog, manifest=manifest, report=report)


def load_lives(folder: str | Path, **kwargs) -> CreditDataset:
    """Read a LIVES folder and validate it into a :class:`~credit_risk.data.CreditDataset`.

    Keyword arguments are those of :func:`read_lives`. The dataset uses ``id_scheme: any``
    (business ids are local ids), ``region_scheme: any`` (the postal code) and no industry.

    Examples
    --------
    >>> ds = load_lives("../shared/data/sf_restaurants/dannguyen_2014-2017")  # doctest: +SKIP
    >>> ds.catalog.adverse("inspection")  # doctest: +SKIP
    ('high_risk_violation',)
    """
    return read_lives(folder, **kwargs).to_dataset()


def write_lives_dataset(folder: str | Path, out: str | Path, **kwargs) -> list[Path]:
    """Convert a LIVES folder into a dataset folder (Parquet tables, ``dataset.yaml``, catalogue).

    The folder written loads with :func:`credit_risk.data.load_dataset`; returns the paths written.
    """
    return write_dataset(load_lives(folder, **kwargs), out)


def risk_table(folder: str | Path) -> dict[str, str]:
    """Violation description → risk category, from a LIVES folder whose violations carry one.

    Raises
    ------
    DataContractError
        The violations have no ``risk_category`` column, or a description has two categories.
    """
    root = Path(folder)
    report = LivesReport(folder=str(root))
    tables = _find_tables(root, report)
    vio = tables.get("violations")
    if vio is None or "risk_category" not in vio or "description" not in vio:
        raise DataContractError(f"{root}: the violations table has no risk_category and description columns; "
                                "use a snapshot that rates its violations")
    pairs = vio[["description", "risk_category"]].dropna()
    pairs = pairs.assign(description=pairs["description"].str.replace(_CORRECTED, "", regex=True)).drop_duplicates()
    clash = pairs["description"].duplicated(keep=False)
    if clash.any():
        first = pairs.loc[clash, "description"].iloc[0]
        raise DataContractError(f"{root}/{report.files['violations']}: description {first!r} has more than one "
                                "risk_category; the description does not decide the risk")
    return dict(zip(pairs["description"], pairs["risk_category"], strict=True))
