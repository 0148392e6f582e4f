"""The dataset: a validated bundle of the contract's tables, and its reader and writer.

A dataset is a folder holding ``enterprises`` and ``records`` (and optionally
``annual_reports`` and ``relations``) as ``.csv`` or ``.parquet`` files, plus an
optional ``dataset.yaml`` manifest (every key optional)::

    id_scheme: any             # gb32100 (default): check GB 32100 codes; any: other ids
    region_scheme: any         # gb2260 (default): six-digit codes; any: free-form, never re-coded
    industry_scheme: any       # gb4754 (default): section letter + digits; any: free-form
    encoding: gbk              # of the CSV files: utf-8 (default; a BOM is fine), utf-8-sig, gbk, gb18030
    catalog: catalog.yaml      # a catalogue in this folder (it may say `extends: packaged`)
    as_of_unsafe: [status]     # enterprise columns that may leak the future (closed_on always does)
    dates:                     # date columns not written as ISO YYYY-MM-DD
      records.start: {precision: month, formats: [YYYY-MM, YYYY年MM月]}
      enterprises.established_on: {formats: [YYYY/MM/DD]}

Other files in the folder (and a ``truth/`` sub-folder of synthetic data) are ignored with one
logged line.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from credit_risk.atomic import write_parquet, write_text
from credit_risk.config import contained_path, from_mapping, load_yaml, show
from credit_risk.data.catalog import Catalog, load_catalog
from credit_risk.data.dates import DateSpec
from credit_risk.data.schema import TABLES
from credit_risk.data.validation import check_date_keys, normalize_tables
from credit_risk.exceptions import ConfigError, DataContractError, Problem

__all__ = ["CreditDataset", "DatasetManifest", "load_dataset", "write_dataset"]

logger = logging.getLogger(__name__)

Encoding = Literal["utf-8", "utf-8-sig", "gbk", "gb18030"]
#: Bytes read to tell which encoding an undecodable CSV file looks like.
SNIFF_BYTES = 1 << 20
#: Enterprise columns that always describe the future of an as-of date.
ALWAYS_UNSAFE: tuple[str, ...] = ("closed_on",)


@dataclass(frozen=True)
class DatasetManifest:
    """The optional ``dataset.yaml`` of a dataset folder (see the module docstring).

    Attributes
    ----------
    id_scheme : {"gb32100", "any"}
    catalog : str or None
        A catalogue file inside the dataset folder; None = the packaged catalogue.
    region_scheme : {"gb2260", "any"}
    industry_scheme : {"gb4754", "any"}
    encoding : {"utf-8", "utf-8-sig", "gbk", "gb18030"}
        Of the CSV files.
    dates : dict of ``table.column`` to DateSpec
        Declared formats and precisions of date columns.
    as_of_unsafe : tuple of str
        Enterprise columns that may leak the future (never features); ``closed_on`` always is.
    """

    id_scheme: Literal["gb32100", "any"] = "gb32100"
    catalog: str | None = None
    region_scheme: Literal["gb2260", "any"] = "gb2260"
    industry_scheme: Literal["gb4754", "any"] = "gb4754"
    encoding: Encoding = "utf-8"
    dates: dict[str, DateSpec] = field(default_factory=dict)
    as_of_unsafe: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, allowed in (
            ("id_scheme", ("gb32100", "any")),
            ("region_scheme", ("gb2260", "any")),
            ("industry_scheme", ("gb4754", "any")),
            ("encoding", ("utf-8", "utf-8-sig", "gbk", "gb18030")),
        ):
            if getattr(self, name) not in allowed:
                raise ConfigError(f"dataset.yaml: {name} must be one of {list(allowed)}; got {show(getattr(self, name))}")
        check_date_keys(self.dates)
        bad = [c for c in self.as_of_unsafe if not isinstance(c, str) or not c]
        if bad:
            raise ConfigError(f"dataset.yaml: as_of_unsafe must list enterprise column names; got {show(bad)}")

    @property
    def unsafe_columns(self) -> tuple[str, ...]:
        """``closed_on`` and every ``as_of_unsafe`` column: never features."""
        return tuple(dict.fromkeys((*ALWAYS_UNSAFE, *self.as_of_unsafe)))

    def to_mapping(self) -> dict[str, Any]:
        """The settings that differ from the defaults, as plain YAML-ready values."""
        out: dict[str, Any] = {}
        default = DatasetManifest()
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            if f.name == "dates":
                value = {k: spec.to_mapping() for k, spec in value.items()}
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


@dataclass(frozen=True, eq=False)
class CreditDataset:
    """Validated, typed tables of the data contract.

    Build one with :meth:`from_frames` (validates) or :func:`load_dataset`.

    Attributes
    ----------
    enterprises, records : DataFrame
        Required tables; ``records.published_on`` is filled from ``start`` where empty and
        ``records.severity`` from the kind's default severity. Every contract column is
        present (all missing when the source lacks it); extra enterprise columns are kept.
    annual_reports, relations : DataFrame or None
        Optional tables.
    catalog : Catalog
        The record-kind vocabulary the records were validated against.
    id_scheme : str
        ``gb32100`` or ``any`` (the same as ``manifest.id_scheme``).
    manifest : DatasetManifest
        The dataset's settings (schemes, encoding, date declarations, as-of-unsafe columns).
    """

    enterprises: pd.DataFrame
    records: pd.DataFrame
    catalog: Catalog
    annual_reports: pd.DataFrame | None = None
    relations: pd.DataFrame | None = None
    id_scheme: str = "gb32100"
    files: dict[str, str] = field(default_factory=dict, repr=False)
    manifest: DatasetManifest | None = None

    def __post_init__(self) -> None:
        if self.manifest is None:
            object.__setattr__(self, "manifest", DatasetManifest(id_scheme=self.id_scheme))
        elif self.manifest.id_scheme != self.id_scheme:
            if self.id_scheme != "gb32100":
                raise ConfigError(
                    f"id_scheme {self.id_scheme!r} contradicts the manifest's {self.manifest.id_scheme!r}; give one"
                )
            object.__setattr__(self, "id_scheme", self.manifest.id_scheme)

    @classmethod
    def from_frames(
        cls,
        enterprises: pd.DataFrame,
        records: pd.DataFrame,
        *,
        annual_reports: pd.DataFrame | None = None,
        relations: pd.DataFrame | None = None,
        catalog: Catalog | None = None,
        id_scheme: str | None = None,
        files: dict[str, str] | None = None,
        manifest: DatasetManifest | None = None,
    ) -> CreditDataset:
        """Validate raw tables and build a dataset; raise :class:`DataContractError` listing every problem.

        ``id_scheme`` overrides ``manifest.id_scheme`` (default manifest: every setting's default).
        """
        catalog = catalog if catalog is not None else load_catalog()
        manifest = manifest if manifest is not None else DatasetManifest()
        if id_scheme is not None and id_scheme != manifest.id_scheme:
            manifest = _with(manifest, id_scheme=id_scheme)
        raw = {"enterprises": enterprises, "records": records}
        if annual_reports is not None:
            raw["annual_reports"] = annual_reports
        if relations is not None:
            raw["relations"] = relations
        tables, problems = _normalize(raw, catalog, manifest, files or {})
        if problems:
            raise DataContractError(problems)
        return cls(
            enterprises=tables["enterprises"],
            records=tables["records"],
            annual_reports=tables.get("annual_reports"),
            relations=tables.get("relations"),
            catalog=catalog,
            id_scheme=manifest.id_scheme,
            files=dict(files or {}),
            manifest=manifest,
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


def _with(manifest: DatasetManifest, **changes) -> DatasetManifest:
    return dataclasses.replace(manifest, **changes)


def _normalize(raw, catalog, manifest: DatasetManifest, files, unreadable=frozenset()):
    tables, problems = normalize_tables(
        raw, catalog, id_scheme=manifest.id_scheme, region_scheme=manifest.region_scheme,
        industry_scheme=manifest.industry_scheme, dates=manifest.dates, files=files, unreadable=unreadable,
    )
    ent = raw.get("enterprises")
    if ent is not None:
        lacking = [c for c in manifest.as_of_unsafe if c not in ent.columns]
        for c in lacking:
            problems.append(Problem(
                "dataset.yaml", None, "as_of_unsafe", c, "names a column enterprises does not have",
                f"list only columns of enterprises ({', '.join(map(str, ent.columns[:12]))}…)",
            ))
    return tables, problems


# -- reading ----------------------------------------------------------------------------------
def _looks_like(path: Path, declared: str) -> str:
    """Which encoding an undecodable file looks like, from its first bytes."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16 (save the file as UTF-8)"
    for candidate, label in (("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030")):
        if candidate == declared or (declared == "utf-8" and candidate == "utf-8-sig"):
            continue
        try:
            codecs.getincrementaldecoder(candidate)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return label
    return "neither UTF-8 nor GBK/GB18030 (perhaps Latin-1; save the file as UTF-8)"


def _encoding_problem(path: Path, declared: str, exc: UnicodeDecodeError) -> Problem:
    guess = _looks_like(path, declared)
    byte = exc.object[exc.start: exc.start + 1].hex().upper() if exc.object else "?"
    what = "not UTF-8 text" if declared in ("utf-8", "utf-8-sig") else f"not {declared} text"
    if guess in ("GBK", "GB18030"):
        fix = f"declare `encoding: {guess.lower()}` in dataset.yaml, or save the file as UTF-8"
    elif guess == "UTF-8":
        fix = "declare `encoding: utf-8` in dataset.yaml (or remove the encoding line)"
    else:
        fix = "save the file as UTF-8"
    return Problem(path.name, None, None, None, f"is {what} (byte 0x{byte}); it looks like {guess.split(' (')[0]}", fix)


def _read_table(path: Path, encoding: str) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return _read_parquet(path)
    fast = _read_csv_arrow(path, encoding)
    if fast is not None:
        return fast
    # Everything as text: the validator types each column and reports what it cannot read.
    # UTF-8 is read as utf-8-sig: a byte-order mark is harmless.
    return pd.read_csv(
        path, dtype=str, keep_default_na=False, na_values=[""],
        encoding="utf-8-sig" if encoding == "utf-8" else encoding,
    )


def _read_pool() -> pa.MemoryPool:
    """The memory pool the tables (Parquet and CSV) are read into: jemalloc where Arrow has it.

    Arrow's default pool (mimalloc) returns freed pages to the system and asks for huge pages, so
    a read of a large table page-faults again and again; that fault time was most of the cost of
    reading a province on a 2-core virtual machine (jemalloc keeps freed pages, as polars does).
    """
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # an Arrow build without jemalloc
        return pa.default_memory_pool()


def _read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as ``pd.read_parquet`` reads it, each column in one piece.

    One piece per column (not one per batch): a column without missing values (dates, years,
    amounts) becomes a pandas column without a copy, and text columns need no concatenation
    later. One block per column: no consolidation copy of millions of dates and numbers.
    """
    pool = _read_pool()
    reader = pq.ParquetReader(memory_pool=pool)
    reader.open(str(path), arrow_extensions_enabled=True)
    try:
        table = reader.read_all(use_threads=True)
    finally:
        reader.close()
    attrs = (table.schema.metadata or {}).get(b"PANDAS_ATTRS")
    default_text = pd.Series(["a"]).dtype  # pandas' str dtype (pandas 3), as pd.read_parquet gives text
    frame = _to_pandas(table, pool, default_text if isinstance(default_text, pd.StringDtype) else None)
    if attrs is not None:
        frame.attrs = json.loads(attrs)
    return frame


def _to_pandas(table: pa.Table, pool: pa.MemoryPool, text: pd.StringDtype | None) -> pd.DataFrame:
    """A table read into ``pool`` as pandas: one block per column, text as ``text`` (None: object)."""
    if text is not None and text.storage == "pyarrow":  # it holds large_string: widen the offsets in the pool
        for i, field in enumerate(table.schema):
            if pa.types.is_string(field.type):
                column = pa.chunked_array([pc.cast(c, pa.large_string(), memory_pool=pool)
                                           for c in table.column(i).chunks], pa.large_string())
                table = table.set_column(i, field.with_type(pa.large_string()), column)
    mapper = {pa.string(): text, pa.large_string(): text}.get if text is not None else None
    # One block per column: no consolidation copy of millions of dates and numbers.
    return table.to_pandas(split_blocks=True, self_destruct=True, types_mapper=mapper, memory_pool=pool)


def _read_csv_arrow(path: Path, encoding: str) -> pd.DataFrame | None:
    """The CSV file read by Arrow's multi-threaded reader, every column as text; None when unsure.

    The result equals the pandas reader's (``dtype=str``, only an empty field is missing; the
    contract's coded columns -- kind, domain, severity, … -- arrive as categoricals of the same
    text, so each distinct value is checked once). Any
    file this reader would read differently or not at all -- ragged rows, a repeated, empty or
    multi-line header, bytes that are not of the declared encoding -- returns None, and the
    pandas reader reads it (or raises the error that is reported).
    """
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    pool = _read_pool()
    schema = TABLES.get(path.stem)
    codes = {c.name for c in schema.columns if c.type == "category"} if schema is not None else set()
    coded = pa.dictionary(pa.int32(), pa.string())
    try:
        with path.open(encoding=codec, newline="") as fh:
            names = next(csv.reader(fh))
    except (StopIteration, UnicodeDecodeError, csv.Error):
        return None
    if not names or len(set(names)) != len(names) or any(not n or "\n" in n or "\r" in n for n in names):
        return None
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: coded if n in codes else pa.string() for n in names}, strings_can_be_null=True,
                null_values=[""], quoted_strings_can_be_null=True,
            ),
            memory_pool=pool,
        )
    except (pa.ArrowException, UnicodeDecodeError, ValueError, LookupError):
        return None
    if table.column_names != names or any(
        not (pa.types.is_string(t) or (n in codes and t == coded)) for n, t in zip(names, table.schema.types, strict=True)
    ):
        return None
    return _to_pandas(table, pool, pd.StringDtype(na_value=float("nan")))


def _read_manifest(root: Path) -> DatasetManifest:
    path = root / "dataset.yaml"
    if not path.exists():
        return DatasetManifest()
    try:
        return from_mapping(DatasetManifest, load_yaml(path), where=str(path))
    except ConfigError as exc:
        if str(path) in str(exc):
            raise
        raise ConfigError(f"{path}: {exc}") from None


def _table_files(root: Path, manifest: DatasetManifest) -> tuple[dict[str, Path], list[Problem]]:
    """The file of each contract table; near-miss names are problems, other files one INFO line."""
    problems: list[Problem] = []
    found: dict[str, Path] = {}
    entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    used: set[str] = {"dataset.yaml", "truth"}
    if manifest.catalog:
        used.add(Path(manifest.catalog).parts[0])
    for name in TABLES:
        exact = [p for p in entries if p.is_file() and p.name in (f"{name}.csv", f"{name}.parquet")]
        used.update(p.name for p in exact)
        if len(exact) > 1:
            problems.append(Problem(name, None, None, None, "both a CSV and a Parquet file exist", "keep only one of them"))
        elif exact:
            found[name] = exact[0]
            continue
        near = [
            p for p in entries
            if p.is_file() and p.name not in used and p.stem.strip().lower().replace(" ", "_") == name
            and p.suffix.strip().lower() in (".csv", ".parquet")
        ]
        for p in near:
            used.add(p.name)
            ext = p.suffix.strip().lower()
            table_required = not TABLES[name].optional_table
            problems.append(Problem(
                p.name, None, None, None,
                f"looks like the {name} table but is not named {name}{ext}"
                + ("; the required table is missing" if table_required and not exact else ""),
                f"rename it to {name}{ext}",
            ))
            if table_required:
                found.setdefault(name, None)  # reported here, not again as missing
    ignored = [p.name + ("/" if p.is_dir() else "") for p in entries if p.name not in used]
    if ignored:
        logger.info("%s: ignored %d file(s) that are not tables of the contract: %s",
                    root, len(ignored), ", ".join(ignored[:20]) + (" …" if len(ignored) > 20 else ""))
    return found, problems


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
        Listing every problem found in every table, each with file, row, column, value and fix.
    ConfigError
        ``dataset.yaml`` or the catalogue it names is invalid.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataContractError(f"dataset folder {root} does not exist; pass a folder of CSV or Parquet tables")
    manifest = _read_manifest(root)
    if id_scheme is not None and id_scheme != manifest.id_scheme:
        if id_scheme not in ("gb32100", "any"):
            raise ConfigError(f"id_scheme must be one of ['gb32100', 'any']; got {show(id_scheme)}")
        manifest = _with(manifest, id_scheme=id_scheme)
    if catalog is None:
        catalog = (
            load_catalog(contained_path(root, manifest.catalog, f"{root / 'dataset.yaml'}: catalog"))
            if manifest.catalog else load_catalog()
        )
    found, problems = _table_files(root, manifest)
    raw: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    unreadable: set[str] = set()
    readable = {name: file for name, file in found.items() if file is not None}

    def read(file: Path) -> pd.DataFrame | Exception:
        try:
            return _read_table(file, manifest.encoding)
        except Exception as exc:  # reported below, in table order
            return exc

    # The files are read side by side (Arrow's readers release the GIL); results in table order.
    with ThreadPoolExecutor(max_workers=min(len(readable), 4) or 1) as pool:
        results = dict(zip(readable, pool.map(read, readable.values()), strict=True))
    for name, file in found.items():
        if file is None:
            unreadable.add(name)
            continue
        files[name] = file.name
        try:
            if isinstance(results[name], Exception):
                raise results[name]
            raw[name] = results[name]
        except UnicodeDecodeError as exc:
            problems.append(_encoding_problem(file, manifest.encoding, exc))
            unreadable.add(name)
        except Exception as exc:  # any reader failure is reported as a problem of that file
            problems.append(Problem(file.name, None, None, None, f"cannot be read ({show(str(exc))})",
                                    "check that it is a CSV or Parquet file"))
            unreadable.add(name)
    tables, more = _normalize(raw, catalog, manifest, files, frozenset(unreadable))
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
        id_scheme=manifest.id_scheme,
        files=files,
        manifest=manifest,
    )


# -- writing ----------------------------------------------------------------------------------
CATALOG_FILE = "catalog.yaml"


def write_dataset(dataset: CreditDataset, path: str | Path) -> list[Path]:
    """Write a dataset as Parquet tables plus its ``dataset.yaml`` (and catalogue); return the paths.

    ``load_dataset(path)`` reads back the same tables, catalogue and settings: the catalogue is
    written as ``catalog.yaml`` when it differs from the packaged one. The tables hold full
    dates already (month and year precisions were resolved on reading) and Parquet is never
    decoded as text, so the written manifest declares neither ``dates`` nor ``encoding``.
    """
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        frame = getattr(dataset, name)
        if frame is None:
            continue
        target = root / f"{name}.parquet"
        # Contract text columns are Arrow `str` in memory; written as before (Parquet `string`,
        # pandas type `unicode`) so that the same data gives the same bytes across versions.
        text = [c.name for c in TABLES[name].columns if c.type in ("id", "str")
                and isinstance(frame[c.name].dtype, pd.StringDtype)]
        write_parquet(frame.astype(dict.fromkeys(text, object)) if text else frame, target)
        written.append(target)
    manifest = _with(dataset.manifest, catalog=None, dates={}, encoding="utf-8")
    if dataset.catalog != load_catalog():
        target = root / CATALOG_FILE
        write_text(target, yaml.safe_dump(dataset.catalog.to_mapping(), allow_unicode=True, sort_keys=False))
        written.append(target)
        manifest = _with(manifest, catalog=CATALOG_FILE)
    settings = manifest.to_mapping()
    target = root / "dataset.yaml"
    if settings or target.exists():
        text = "# Written by credit_risk.data.write_dataset.\n"
        if settings:
            text += yaml.safe_dump(settings, allow_unicode=True, sort_keys=False)
        write_text(target, text)
        written.append(target)
    return written
