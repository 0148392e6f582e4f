"""The dataset: a validated bundle of the contract's tables, and its reader and writer.

A dataset is a folder holding ``enterprises`` and ``records`` (and optionally
``annual_reports`` and ``relations``) as ``.csv`` or ``.parquet`` files, plus an
optional ``dataset.yaml`` manifest::

    id_scheme: any          # gb32100 (default) or any, for data keyed by other ids
    catalog: my_catalog.yaml  # a catalogue replacing the packaged one (relative path)

A ``truth/`` sub-folder (synthetic data only) is never read by :func:`load_dataset`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from credit_risk.atomic import write_parquet
from credit_risk.config import contained_path, from_mapping, load_yaml
from credit_risk.data.catalog import Catalog, load_catalog
from credit_risk.data.schema import TABLES
from credit_risk.data.validation import normalize_tables
from credit_risk.exceptions import DataContractError, Problem

__all__ = ["CreditDataset", "DatasetManifest", "load_dataset", "write_dataset"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetManifest:
    """The optional ``dataset.yaml`` of a dataset folder."""

    id_scheme: str = "gb32100"
    catalog: str | None = None


@dataclass(frozen=True, eq=False)
class CreditDataset:
    """Validated, typed tables of the data contract.

    Build one with :meth:`from_frames` (validates) or :func:`load_dataset`.

    Attributes
    ----------
    enterprises, records : DataFrame
        Required tables; ``records.published_on`` is filled from ``start`` where empty and
        ``records.severity`` from the kind's default severity.
    annual_reports, relations : DataFrame or None
        Optional tables.
    catalog : Catalog
        The record-kind vocabulary the records were validated against.
    id_scheme : str
        ``gb32100`` or ``any``.
    """

    enterprises: pd.DataFrame
    records: pd.DataFrame
    catalog: Catalog
    annual_reports: pd.DataFrame | None = None
    relations: pd.DataFrame | None = None
    id_scheme: str = "gb32100"
    files: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_frames(
        cls,
        enterprises: pd.DataFrame,
        records: pd.DataFrame,
        *,
        annual_reports: pd.DataFrame | None = None,
        relations: pd.DataFrame | None = None,
        catalog: Catalog | None = None,
        id_scheme: str = "gb32100",
        files: dict[str, str] | None = None,
    ) -> CreditDataset:
        """Validate raw tables and build a dataset; raise :class:`DataContractError` listing every problem."""
        catalog = catalog if catalog is not None else load_catalog()
        raw = {"enterprises": enterprises, "records": records}
        if annual_reports is not None:
            raw["annual_reports"] = annual_reports
        if relations is not None:
            raw["relations"] = relations
        tables, problems = normalize_tables(raw, catalog, id_scheme=id_scheme, files=files)
        if problems:
            raise DataContractError(problems)
        return cls(
            enterprises=tables["enterprises"],
            records=tables["records"],
            annual_reports=tables.get("annual_reports"),
            relations=tables.get("relations"),
            catalog=catalog,
            id_scheme=id_scheme,
            files=dict(files or {}),
        )

    @property
    def n_subjects(self) -> int:
        return len(self.enterprises)

    def fingerprint(self) -> str:
        """sha256 over the content of every table (order-sensitive) and the catalogue.

        The catalogue is part of the data's meaning: it decides how long each record counts.
        """
        digest = hashlib.sha256()
        digest.update(repr(self.catalog).encode())
        for name in TABLES:
            frame = getattr(self, name)
            if frame is None:
                continue
            digest.update(name.encode())
            digest.update(",".join(map(str, frame.columns)).encode())
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        return digest.hexdigest()

    def schema_fingerprint(self) -> str:
        """sha256 of the tables' columns and the whole catalogue (kinds, severities, domains, periods)."""
        digest = hashlib.sha256()
        for name in TABLES:
            frame = getattr(self, name)
            if frame is not None:
                digest.update(f"{name}:{','.join(map(str, frame.columns))};".encode())
        digest.update(repr(self.catalog).encode())  # kinds, severities, domains, publication periods
        return digest.hexdigest()


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    # Everything as text: the validator types each column and reports what it cannot read.
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")


def load_dataset(
    path: str | Path, *, catalog: Catalog | None = None, id_scheme: str | None = None
) -> CreditDataset:
    """Read and validate a dataset folder.

    Parameters
    ----------
    path : path
        Folder with ``enterprises.{csv,parquet}``, ``records.{csv,parquet}`` and optional tables.
    catalog : Catalog, optional
        Overrides the manifest's catalogue and the packaged default.
    id_scheme : {"gb32100", "any"}, optional
        Overrides the manifest.

    Raises
    ------
    DataContractError
        Listing every problem found, each with file, row, column, value and fix.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataContractError(f"dataset folder {root} does not exist; pass a folder of CSV or Parquet tables")
    manifest_path = root / "dataset.yaml"
    manifest = (
        from_mapping(DatasetManifest, load_yaml(manifest_path), where=str(manifest_path))
        if manifest_path.exists()
        else DatasetManifest()
    )
    if catalog is None:
        catalog = load_catalog(contained_path(root, manifest.catalog, f"{manifest_path}: catalog")) if manifest.catalog else load_catalog()
    raw: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    problems: list[Problem] = []
    for name in TABLES:
        found = [p for p in (root / f"{name}.parquet", root / f"{name}.csv") if p.exists()]
        if len(found) > 1:
            problems.append(
                Problem(name, None, None, None, "both a CSV and a Parquet file exist", "keep only one of them")
            )
            continue
        if found:
            try:
                raw[name] = _read_table(found[0])
            except Exception as exc:
                problems.append(Problem(found[0].name, None, None, None, f"cannot be read ({exc})", "check the file format"))
                continue
            files[name] = found[0].name
    known = {f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")} | {"dataset.yaml"}
    for p in sorted(root.iterdir()):
        if p.is_file() and p.suffix in (".csv", ".parquet") and p.name not in known:
            problems.append(Problem(p.name, None, None, None, "unknown table", f"use one of {sorted(TABLES)} or move the file"))
    tables, more = normalize_tables(raw, catalog, id_scheme=id_scheme or manifest.id_scheme, files=files)
    problems.extend(more)
    if problems:
        raise DataContractError(problems)
    logger.info(
        "loaded dataset %s: %s subjects, %s records", root, f"{len(tables['enterprises']):,}",
        f"{len(tables['records']):,}",
    )
    return CreditDataset(
        enterprises=tables["enterprises"],
        records=tables["records"],
        annual_reports=tables.get("annual_reports"),
        relations=tables.get("relations"),
        catalog=catalog,
        id_scheme=id_scheme or manifest.id_scheme,
        files=files,
    )


def write_dataset(dataset: CreditDataset, path: str | Path) -> list[Path]:
    """Write a dataset's tables as Parquet (each file atomically); return the paths written."""
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        frame = getattr(dataset, name)
        if frame is None:
            continue
        target = root / f"{name}.parquet"
        write_parquet(frame, target)
        written.append(target)
    if dataset.id_scheme != "gb32100":
        from credit_risk.atomic import write_text

        write_text(root / "dataset.yaml", f"id_scheme: {dataset.id_scheme}\n")
        written.append(root / "dataset.yaml")
    return written
