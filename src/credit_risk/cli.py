"""The ``credit-risk`` command line: the only module that parses arguments, configures logging and prints.

Every argument is parsed and checked before any work starts (dates, counts, input files,
output locations, the tracking URI, the configs), so a bad argument costs a second, not a
training run. Exit codes:

====  ==========================================================================
0     success (``validate``: the dataset is valid)
1     invalid data: the dataset (or a labels table) breaks its data contract
2     usage error: a bad argument or config file, a table given by a flag (``--inspectors``,
      ``--scores``, ``--previous``, ``--cutoffs``, ``--reasons-codes``) that does not fit what
      the command needs, a model that does not fit the data
3     the run failed: an internal error (a bug — rerun with ``--debug`` and report it)
      or the system refused (disk full, output not writable)
====  ==========================================================================

Every error is one line on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import re
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from credit_risk import __version__
from credit_risk.config import find_config, load_yaml, packaged, parse_date, show
from credit_risk.exceptions import (
    ConfigError,
    CreditRiskError,
    DataContractError,
    OutputError,
    Problem,
)

__all__ = ["EXIT_DATA", "EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "build_parser", "main", "run_training"]

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

#: Longest error line printed (a message is never allowed to flood the terminal).
MAX_MESSAGE_CHARS = 1000
#: Tracking-URI schemes MLflow understands (``+driver`` suffixes allowed: ``postgresql+psycopg2``).
TRACKING_SCHEMES = ("file", "sqlite", "postgresql", "mysql", "mssql", "http", "https", "databricks",
                    "databricks-uc", "uc")
#: Every run of a domain model records these metrics (see ``credit_risk.pipeline.train.model_runs``).
DOMAIN_RUN_METRICS = ("test_auc", "test_auc_generic", "beats_generic", "events_test", "subjects_test")
#: Besides ``test_<binary metric>``, the generic run records these, and names starting with the
#: prefixes (their suffixes depend on the data: tiers, targeting metrics).
GENERIC_RUN_METRICS = ("oracle_gap_auc", "tiers_increasing", "test_auc_unconstrained", "constraints_auc_cost")
GENERIC_RUN_PREFIXES = ("targeting_", "tier_", "generic_", "scorecard_")
#: Output formats by file extension (no extension: Parquet).
OUTPUT_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
#: MLflow's HTTP settings at the edge (only where the user has not set them): a tracking server
#: that does not answer costs seconds, not MLflow's default of minutes of retries.
MLFLOW_HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
#: Seconds the one reachability check of an http(s) tracking server waits before any work.
TRACKING_CHECK_SECONDS = 5.0
CONFIG_NAMES = ("catalog.yaml", "features.yaml", "tiers.yaml", "train.yaml", "model.yaml", "scorecard.yaml",
                "inspection_policy.yaml", "synthetic.yaml", "domains")


class UsageError(ConfigError):
    """A command-line argument is invalid (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of printing the usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}; see {self.prog} --help")


# --------------------------------------------------------------------------- argument types


def _type(check: Callable[[str], Any]) -> Callable[[str], Any]:
    """Turn a checker raising ConfigError into an argparse type (so argparse names the argument)."""

    def convert(value: str) -> Any:
        try:
            return check(value)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = check.__name__
    return convert


def _int_at_least(low: int, high: int | None = None) -> Callable[[str], int]:
    def integer(value: str) -> int:
        text = value.strip().replace("_", "")
        if not (text.isascii() and text.lstrip("-").isdigit()):
            raise argparse.ArgumentTypeError(f"expected a whole number, got {show(value)}")
        number = int(text)
        if number < low or (high is not None and number > high):
            bounds = f"≥ {low:,}" if high is None else f"between {low:,} and {high:,}"
            raise argparse.ArgumentTypeError(f"must be {bounds}; got {number:,}")
        return number

    integer.__name__ = "integer"
    return integer


#: Day-month-year or month-day-year with slashes or dots: ambiguous, so refused rather than guessed.
_LOCAL_DATE = re.compile(r"\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\s*")


def _date(value: str) -> str:
    """A plain ISO YYYY-MM-DD date (returned in ISO form); ``02/01/2026`` is refused, never guessed."""
    if _LOCAL_DATE.fullmatch(value):
        raise ConfigError(f"{show(value)} is ambiguous (2 January or 1 February?): dates are ISO YYYY-MM-DD only, "
                          "e.g. 2026-02-01")
    return parse_date(value, "").isoformat()


def _folder(value: str) -> Path:
    """An existing folder."""
    path = Path(value)
    if not path.exists():
        raise ConfigError(f"folder {show(value)} does not exist; check the path")
    if not path.is_dir():
        raise ConfigError(f"{show(value)} is not a folder; pass a folder")
    return path


def _file(value: str) -> Path:
    """An existing regular file."""
    path = Path(value)
    if not path.exists():
        raise ConfigError(f"file {show(value)} does not exist; check the path")
    if path.is_dir():
        raise ConfigError(f"{show(value)} is a folder; pass a file")
    if not path.is_file():
        raise ConfigError(f"{show(value)} is not a regular file (a device or pipe); pass a file")
    return path


def _parquet(value: str) -> Path:
    """An existing Parquet file (checked by its magic bytes, not its name)."""
    path = _file(value)
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 4))
            tail = fh.read(4)
    except OSError as exc:
        raise ConfigError(f"{show(value)} cannot be read ({exc.strerror})") from None
    if size < 12 or head != b"PAR1" or tail != b"PAR1":
        raise ConfigError(f"{show(value)} is not a Parquet file; pass the Parquet output of credit-risk score")
    return path


def _table_file(value: str) -> Path:
    """An existing CSV or Parquet file."""
    path = _file(value)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise ConfigError(f"{show(value)} is neither .csv nor .parquet; pass a CSV or Parquet table")
    if path.suffix.lower() == ".parquet":
        _parquet(value)
    return path


# --------------------------------------------------------------------------- checks before work


def _check_output(value: str | Path, flag: str, *, kind: str) -> Path:
    """Refuse an output that cannot be written, before any work.

    ``kind`` is ``"file"`` (must not be an existing folder) or ``"folder"`` (must not be an
    existing file). The nearest existing folder on the way must accept a new file.
    """
    import tempfile

    path = Path(value)
    if kind == "file" and path.is_dir():
        raise UsageError(f"{flag} {show(str(value))} is an existing folder; pass a file name such as scores.parquet")
    if kind == "folder" and path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {show(str(value))} is an existing file; pass a folder")
    if kind == "file" and path.exists() and not path.is_file():
        raise UsageError(f"{flag} {show(str(value))} is not a regular file; pass a file name")
    probe_dir = path if kind == "folder" and path.is_dir() else path.parent
    while not probe_dir.exists():
        probe_dir = probe_dir.parent
    if not probe_dir.is_dir():
        raise UsageError(f"{flag} {show(str(value))}: {probe_dir} is a file, so nothing can be written below it")
    try:
        fd, probe = tempfile.mkstemp(prefix=".credit-risk-probe-", dir=probe_dir)
    except OSError as exc:
        raise UsageError(
            f"{flag} {show(str(value))}: cannot write in {probe_dir} ({exc.strerror}); pass a writable location"
        ) from None
    os.close(fd)
    os.unlink(probe)
    return path


def _output_format(path: Path, given: str | None, flag: str = "--out") -> str:
    """``parquet`` or ``csv``: ``--format`` when given, else by the extension (none: Parquet)."""
    suffix = path.suffix.lower()
    by_suffix = OUTPUT_FORMATS.get(suffix) if suffix else "parquet"
    if given is None:
        if by_suffix is None:
            raise UsageError(f"{flag} {show(str(path))}: unknown extension {show(suffix)}; name the file .parquet "
                             "or .csv, or pass --format parquet|csv")
        return by_suffix
    if suffix and by_suffix is not None and by_suffix != given:
        raise UsageError(f"{flag} {show(str(path))} ends in {suffix} but --format is {given}; make them agree")
    return given


def _parquet_output(value: str | Path, flag: str) -> Path:
    """A Parquet file this command reads back and updates: a ``.csv`` (or other) name is refused."""
    path = Path(value)
    if _output_format(path, None, flag) != "parquet":
        raise UsageError(f"{flag} {show(str(value))}: this file is Parquet (the next run reads and updates it); "
                         "name it .parquet")
    return path


def _tracking_uri(arg: str | None) -> str:
    """--tracking-uri, else MLFLOW_TRACKING_URI, else the embedded store under the working directory.

    An http(s) server is asked once, within :data:`TRACKING_CHECK_SECONDS`, before any work.
    """
    from urllib.parse import urlparse

    source = "--tracking-uri" if arg else "MLFLOW_TRACKING_URI"
    uri = arg or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        # imports MLflow: only when needed
        from credit_risk.store.tracking import local_tracking_uri

        return local_tracking_uri(Path.cwd())
    scheme = urlparse(uri).scheme.lower()
    if len(scheme) > 1 and scheme.split("+")[0] not in TRACKING_SCHEMES:
        raise UsageError(
            f"{source} {show(uri)}: unknown scheme '{show(scheme, 30)[1:-1]}'; use sqlite:///path/mlflow.db, "
            "http(s)://host:port or another MLflow store"
        )
    if scheme in ("http", "https"):
        from credit_risk.store.tracking import check_tracking_server

        check_tracking_server(uri, timeout=TRACKING_CHECK_SECONDS)
    return uri


def _configs_dir(args: argparse.Namespace) -> Path | None:
    return getattr(args, "configs", None)


def _user_config(args: argparse.Namespace, name: str) -> Path | None:
    """``--configs DIR/name`` when given and present, else None (the command's own default)."""
    folder = _configs_dir(args)
    if folder is None:
        return None
    path = find_config(name, folder)
    return None if path == packaged(name) else path


def _catalog(args: argparse.Namespace):
    from credit_risk.data import load_catalog

    path = _user_config(args, "catalog.yaml")
    return None if path is None else load_catalog(path)


def _load_dataset(args: argparse.Namespace, path: str | Path, *, catalog=None, **kwargs):
    from credit_risk.data import load_dataset

    return load_dataset(path, catalog=catalog if catalog is not None else _catalog(args), **kwargs)


def _read_table(path: Path, flag: str) -> Any:
    """A CSV (all text) or Parquet table; unreadable → UsageError naming the flag."""
    import pandas as pd

    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{flag} {path}: cannot be read as a table ({show(str(exc), 120)}); check the file") from None
    except Exception as exc:  # pyarrow raises its own types for damaged files
        raise UsageError(f"{flag} {path}: cannot be read ({type(exc).__name__}: {show(str(exc), 120)})") from None


def _refuse_table(flag: str, problems: Sequence[Problem], bad_rows: int | None = None) -> None:
    """A table given by ``flag`` does not fit the command: a usage error (exit 2), one line.

    The line names the flag, the file, the row and column, the value that arrived and the fix
    (the first problem), and how many rows more are wrong. Such a table is an argument of the
    command (a roster, scores, cut-offs), not the dataset: the dataset's contract errors keep
    exit code 1 (``credit-risk validate`` lists them).
    """
    more = (len(problems) if bad_rows is None else bad_rows) - 1
    tail = f" ({more:,} more row(s) like it)" if more > 0 else ""
    raise UsageError(f"{flag} {problems[0]}{tail}")


def _need_columns(frame: Any, path: Path, columns: Sequence[str], fix: str, flag: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        has = show([str(c) for c in frame.columns][:12], 200)
        what = f"column '{missing[0]}' is missing" if len(missing) == 1 else f"columns {missing} are missing"
        _refuse_table(flag, [Problem(path.name, None, None, None, f"{what} (its columns: {has})", fix)])


def _no_duplicates(frame: Any, path: Path, keys: Sequence[str], what: str, flag: str) -> None:
    dup = frame.duplicated(list(keys), keep=False)
    if dup.any():
        rows = [int(i) + 1 for i in dup.to_numpy().nonzero()[0][:2]]
        key = tuple(str(v) for v in frame.iloc[rows[0] - 1][list(keys)])
        n = int(frame.duplicated(list(keys)).sum())
        _refuse_table(flag, [Problem(
            path.name, rows[1], ", ".join(keys), key[0] if len(key) == 1 else key,
            f"{what} appears more than once (rows {rows[0]:,} and {rows[1]:,}; {n:,} repeats in all)",
            "keep one row per " + " and ".join(keys),
        )])


def _read_scores(path: Path, flag: str) -> Any:
    frame = _read_table(path, flag)
    _need_columns(frame, path, ["credit_code", "tier"], "pass the output of credit-risk score", flag)
    _no_duplicates(frame, path, ["credit_code"], "subject", flag)
    return frame


def _read_roster(path: Path) -> Any:
    """The inspector roster with an integer ``capacity``; a roster that does not fit is a usage error."""
    import pandas as pd

    roster = _read_table(path, "--inspectors")
    _need_columns(roster, path, ["inspector_id", "department", "home_region", "capacity"],
                  "the roster needs one row per inspector with inspector_id, department, home_region and "
                  "capacity (visits in the period, e.g. 80); credit-risk roster writes an example", "--inspectors")
    raw = roster["capacity"]
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = numbers.isna() | (numbers < 0) | (numbers.round() != numbers)
    if bad.any():
        rows = bad.to_numpy().nonzero()[0]
        _refuse_table("--inspectors", [
            Problem(path.name, int(rows[0]) + 1, "capacity", raw.iloc[rows[0]], "is not a whole number of visits ≥ 0",
                    "write the number of visits, e.g. 10")
        ], bad_rows=len(rows))
    from credit_risk.scheduler.assignment import check_roster

    try:  # the scheduler's own checks (one row per inspector, no empty id, department or region)
        check_roster(roster)
    except DataContractError as exc:
        raise UsageError(f"--inspectors {path.name}: {exc}") from None
    return roster.assign(capacity=numbers.astype("int64"))


def _read_cutoffs(path: Path) -> Any:
    """``credit_code, as_of`` rows; every as-of a plain date (a bad row is a usage error naming it)."""
    import pandas as pd

    frame = _read_table(path, "--cutoffs")
    _need_columns(frame, path, ["credit_code", "as_of"], "give one row per credit_code and as_of date", "--cutoffs")
    problems = []
    dates = []
    for i, value in enumerate(frame["as_of"].tolist()):
        if isinstance(value, pd.Timestamp):
            value = value.date() if value == value.normalize() and value.tz is None else value.isoformat()
        try:
            dates.append(parse_date(value, "as_of"))
        except ConfigError as exc:
            dates.append(None)
            if len(problems) < 20:
                problems.append(Problem(path.name, i + 1, "as_of", show(value),
                                        str(exc).removeprefix("as_of: "), "use YYYY-MM-DD"))
    if problems:
        _refuse_table("--cutoffs", problems, bad_rows=sum(d is None for d in dates))
    frame = frame.assign(as_of=pd.to_datetime(pd.Series(dates, index=frame.index)).astype("datetime64[ns]"))
    _no_duplicates(frame, path, ["credit_code", "as_of"], "subject and as-of date", "--cutoffs")
    return frame


# --------------------------------------------------------------------------- commands


def _cmd_validate(args: argparse.Namespace) -> int:
    try:
        dataset = _load_dataset(args, args.path, id_scheme=args.id_scheme)
    except DataContractError as exc:
        problems = exc.problems
        if problems:
            print(f"{args.path}: {len(problems):,} problem(s)")
            for p in problems:
                print(f"  {p}")
        else:
            print(f"{args.path}: {exc}")
        return EXIT_DATA
    n_rec = len(dataset.records)
    print(f"{args.path}: valid — {dataset.n_subjects:,} subjects, {n_rec:,} records")
    return EXIT_OK


def _cmd_sample(args: argparse.Namespace) -> int:
    _check_output(args.out, "--out", kind="folder")
    from tqdm import tqdm

    from credit_risk.data.synthetic import generate_province, load_synthetic_config, write_province

    config_path = args.config or _user_config(args, "synthetic.yaml")
    config = load_synthetic_config(config_path) if config_path else None
    with tqdm(total=None, desc="simulating months", unit="month", disable=True if args.quiet else None) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        province = generate_province(
            n_subjects=args.subjects, seed=args.seed, config=config, progress=progress
        )
    written = write_province(province, args.out, write_truth=not args.no_truth)
    ds = province.dataset
    print(
        f"wrote {ds.n_subjects:,} subjects and {len(ds.records):,} records (seed {args.seed}) to {args.out}"
    )
    for path in written:
        print(f"  {path}")
    return EXIT_OK


def _code_version() -> str:
    import subprocess

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return f"{__version__}+{commit}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def load_train_settings(config_path: str | Path | None, configs_dir: str | Path | None = None):
    """The training config: ``config_path``, else ``train.yaml`` found in ``configs_dir`` or packaged.

    When the packaged ``train.yaml`` is used with a ``configs_dir``, each file it names
    (features, tiers, scorecard, model, domains) is taken from ``configs_dir`` when there and
    from the package otherwise. Returns ``(TrainConfig, text)``.
    """
    from credit_risk.pipeline.train import load_train_config

    path = Path(config_path) if config_path is not None else find_config("train.yaml", configs_dir)
    config, text = load_train_config(path)
    if configs_dir is not None and config_path is None and path.resolve() == packaged("train.yaml"):
        base = Path(configs_dir).resolve()
        keys = ("features", "domains_dir", "tiers", "scorecard", "model")
        chosen = {k: getattr(config, k) if getattr(config, k) and (base / getattr(config, k)).exists() else None
                  for k in keys}
        config = replace(config, base_dir=str(base), **chosen)
    return config, text


def _check_train_config(config: Any, where: str) -> None:
    """Everything in the training config that can be checked before data is loaded or models fit."""
    from credit_risk.evaluation import binary_metrics
    from credit_risk.features.spec import load_feature_spec
    from credit_risk.models.domain import load_domain_configs
    from credit_risk.models.generic import load_model_params
    from credit_risk.models.scorecard import load_scorecard_config
    from credit_risk.models.tiers import load_tier_config

    for key in ("label.start", "label.end", "split.valid_start", "split.test_start"):
        section, name = key.split(".")
        value = getattr(getattr(config, section), name)
        if value is not None:
            parse_date(value, f"{where}: {key}")
    for i, value in enumerate(getattr(config.label, "as_of", ()) or ()):
        parse_date(value, f"{where}: label.as_of[{i}]")
    load_feature_spec(config.path(config.features))
    domains = load_domain_configs(config.path(config.domains_dir, directory=True))
    unknown = [d for d in config.domains if d not in domains]
    if unknown:
        raise ConfigError(f"{where}: domains {unknown} have no config; available: {sorted(domains)}")
    load_tier_config(config.path(config.tiers))
    load_scorecard_config(config.path(config.scorecard))
    load_model_params(config.path(config.model))
    metric = config.tracking.metric
    metrics = {f"test_{k}" for k in binary_metrics([0, 1], [0.25, 0.75])} | set(GENERIC_RUN_METRICS)
    prefixes: tuple[str, ...] = GENERIC_RUN_PREFIXES
    if config.domains:  # the champion rule applies to every model, so the metric must be in every run
        metrics &= set(DOMAIN_RUN_METRICS)
        prefixes = ()
    if metric not in metrics and not metric.startswith(prefixes):
        also = f" or a metric starting with {list(prefixes)}" if prefixes else " (the generic and domain runs share only these)"
        raise ConfigError(
            f"{where}: tracking.metric {show(metric)} is not recorded by every model; use one of {sorted(metrics)}{also}"
        )


def run_training(
    data: str, config_path: str | None, out: str, tracking_uri: str, truth: str | None,
    *, configs_dir: str | Path | None = None, labels: str | Path | None = None, report: bool = False,
) -> list:
    """Train, save bundles and record the tracked runs (clock and git version read here, at the edge).

    ``labels`` is a labels file (``credit_code, as_of, label`` …) used instead of the config's
    target; it is read and checked before the dataset is loaded. With ``report``, the run's HTML
    report is written beside its bundles (``<run folder>/report.html``).
    """
    from credit_risk.data import load_catalog, load_dataset
    from credit_risk.labels_table import load_labels_table
    from credit_risk.pipeline.train import train_and_track

    config, text = load_train_settings(config_path, configs_dir)
    _check_train_config(config, str(config_path or find_config("train.yaml", configs_dir)))
    table = load_labels_table(labels) if labels is not None else None
    catalog_path = find_config("catalog.yaml", configs_dir) if configs_dir is not None else None
    catalog = load_catalog(catalog_path) if catalog_path is not None and catalog_path != packaged("catalog.yaml") else None
    dataset = load_dataset(data, catalog=catalog)
    result, registrations = train_and_track(
        dataset, config, config_text=text, out_dir=out, tracking_uri=tracking_uri,
        created_at=_now(), code_version=_code_version(),
        truth_path=Path(truth) if truth else Path(data) / "truth" / "latent.parquet", labels=table,
        data_source=Path(data).resolve(),
    )
    if report and getattr(result, "bundles", None):  # a run that saved no bundle has no report
        from credit_risk.report.runs import training_report

        run_dir = Path(next(iter(result.bundles.values()))).parent.parent
        page = training_report(result, dataset, run_dir / "report.html", created_at=_now(),
                               registrations=registrations)
        print(f"report: {page}")
    return registrations


class _ProgressLines(logging.Handler):
    """The library's INFO messages as progress lines on stdout (``… 12 s  features: …``)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.started = time.perf_counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.INFO and record.name.startswith("credit_risk"):
            print(f"… {time.perf_counter() - self.started:4.0f} s  {record.getMessage()}", flush=True)


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[None]:
    """Show each step the library logs while a long command runs (root handlers keep their level)."""
    library = logging.getLogger("credit_risk")
    if not enabled or library.getEffectiveLevel() <= logging.INFO:  # -v already shows them
        yield
        return
    handler, level = _ProgressLines(), library.level
    library.addHandler(handler)
    library.setLevel(logging.INFO)
    try:
        yield
    finally:
        library.removeHandler(handler)
        library.setLevel(level)


def _cmd_train(args: argparse.Namespace) -> int:
    load_yaml(args.config or find_config("train.yaml", _configs_dir(args)))  # fail fast, before heavy imports
    uri = _tracking_uri(args.tracking_uri)
    _check_output(args.out, "--out", kind="folder")
    with _progress(not args.quiet):
        results = run_training(str(args.data), args.config, args.out, uri, args.truth,
                               configs_dir=_configs_dir(args), labels=args.labels, report=True)
    print(f"tracking store: {uri}")
    for r in results:
        print(f"  {r.registered_name} v{r.version}: {r.metric}={r.value:.4f} — {r.decision} (run {r.run_id})")
        if getattr(r, "bundle_sha256", ""):
            print(f"    bundle_sha256 {r.bundle_sha256}")
    print(f"bundles: {args.out}")
    return EXIT_OK


def _cmd_score(args: argparse.Namespace) -> int:
    import tempfile

    import pandas as pd
    from tqdm import tqdm

    from credit_risk import scoring

    uri = _tracking_uri(args.tracking_uri) if args.model.startswith("models:/") else None
    _check_output(args.out, "--out", kind="file")
    fmt = _output_format(Path(args.out), args.format)
    # CSV: score into a hidden Parquet beside it (resumable, read by the run record), then convert.
    target = Path(args.out)
    scored = target if fmt == "parquet" else target.with_name(f".{target.name}.parquet")
    previous = _read_scores(args.previous, "--previous") if args.previous else None
    cutoffs = _read_cutoffs(args.cutoffs) if args.cutoffs else None
    asked = _read_table(args.reasons_codes, "--reasons-codes") if args.reasons_codes else None
    if asked is not None:
        _need_columns(asked, args.reasons_codes, ["credit_code"], "give one credit_code per subject to explain",
                      "--reasons-codes")
    reasons_for = scoring.ReasonsFor.parse(args.reasons_for or scoring.MONTHLY_REASONS_FOR,
                                           codes=() if asked is None else asked["credit_code"].dropna().astype(str))
    score_cutoffs = getattr(scoring, "score_cutoffs", None)
    if cutoffs is not None and score_cutoffs is None:
        raise UsageError("--cutoffs needs credit_risk.pipeline.score.score_cutoffs, which this version lacks; use --as-of")
    with tempfile.TemporaryDirectory() as cache:
        bundle, name, version, sha = scoring.resolve_model(args.model, uri or "", Path(cache), sha256=args.sha256)
    dataset = _load_dataset(args, args.data)
    history = None if args.no_record else Path(args.history or target.parent / "runs")
    if history is not None:
        from credit_risk.monitoring import find_run, load_monitoring_config

        run_config = load_monitoring_config(configs_dir=_configs_dir(args))
    with tqdm(desc="scoring chunks", unit="chunk", disable=True if args.quiet else None) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        common = dict(out=scored, model_name=name, model_version=version, chunk_size=args.chunk_size,
                      k=args.reasons, previous=previous, progress=progress, threads=args.threads,
                      model_sha256=sha, reasons_for=reasons_for, run_history=history,
                      run_config=run_config if history is not None else None, engine=args.engine)
        if cutoffs is not None:
            out = score_cutoffs(bundle, dataset, cutoffs, **common)
        else:
            out = scoring.score_dataset(bundle, dataset, as_of=args.as_of, **common)
    scores = pd.read_parquet(out, columns=["tier"])
    if fmt == "csv":
        from credit_risk.atomic import write_csv

        write_csv(pd.read_parquet(out), target)
    shares = scores["tier"].value_counts(normalize=True).sort_index()
    when = f"as of {args.as_of}" if cutoffs is None else f"at {cutoffs['as_of'].nunique():,} as-of dates"
    print(f"scored {len(scores):,} rows {when} with {name} {version} → {target}")
    print("  tiers: " + ", ".join(f"{t} {100 * v:.1f} %" for t, v in shares.items()))
    if history is not None:  # written by the scoring call (run_history=)
        print(f"  run record → {find_run(history, out)} (compare runs with credit-risk monitor / warn)")
    if isinstance(getattr(bundle, "model", None), scoring.TrainedModels):
        from credit_risk.report.runs import scoring_report

        page = scoring_report(bundle, pd.read_parquet(out), dataset, target.with_name(f"{target.stem}.report.html"),
                              created_at=_now(), model_name=name, model_version=str(version), model_sha256=sha)
        print(f"  report → {page}")
    if fmt == "csv":
        Path(out).unlink(missing_ok=True)
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    uri = _tracking_uri(args.tracking_uri)
    _check_output(args.out, "--out", kind="folder")
    from credit_risk.pipeline.demo import run_demo

    config_path = _user_config(args, "train.yaml")
    folder = _configs_dir(args)
    if folder is not None:  # the demo takes only a training config; never ignore a file silently
        usable = {"train.yaml"} | ({"features.yaml", "tiers.yaml", "model.yaml", "scorecard.yaml", "domains"}
                                   if config_path is not None else set())
        ignored = sorted(n for n in CONFIG_NAMES if n not in usable and (Path(folder) / n).exists())
        if ignored:
            raise UsageError(f"--configs {folder}: demo reads only train.yaml (and the files it names), not "
                             f"{ignored}; run validate, train, score and plan with --configs instead")
    if config_path is not None:
        config, _ = load_train_settings(config_path)
        _check_train_config(config, str(config_path))
    print(f"credit_risk demo on {args.data} → {args.out}")
    result = run_demo(
        args.data, args.out, tracking_uri=uri, created_at=_now(), code_version=_code_version(),
        seed=args.seed, config_path=config_path, progress=(lambda msg: None) if args.quiet else (lambda msg: print(f"… {msg}", flush=True)),
    )
    for r in result.registrations:
        print(f"  {r.registered_name} v{r.version}: {r.decision}")
    print("outputs:")
    print(f"  report           {result.report}")
    if getattr(result, "html_report", None) is not None:
        print(f"  HTML report      {result.html_report} (self-contained: map, tiers, curves, model card)")
    print(f"  scores           {result.scores}")
    print(f"  inspection plan  {result.plan_dir}")
    print(f"  monitoring       {result.out_dir / 'monitoring'} (two months compared; run records in runs/)")
    print(f"  early warning    {result.out_dir / 'warnings'} (per-region lists in by_region/)")
    for name, path in result.bundles.items():
        print(f"  bundle {name:<12}{path}")
    store = uri.removeprefix("sqlite:///")
    print(f"  MLflow runs      {uri}")
    if uri.startswith("sqlite:///"):
        print(f"                   view them with: mlflow ui --backend-store-uri {uri} "
              f"--default-artifact-root {Path(store).parent / 'artifacts'}")
    for key, value in result.figures.items():
        print(f"  {key:<28}{value:,.4g}")
    return EXIT_OK


def _cmd_plan(args: argparse.Namespace) -> int:
    import pandas as pd

    if args.end <= args.start:
        raise UsageError(f"--end {args.end} is not after --start {args.start}; the period is [start, end)")
    _check_output(args.out, "--out", kind="folder")
    from credit_risk.scheduler import (
        load_policy,
        plan_inspections,
        subjects_from_dataset,
        write_plan,
    )

    policy = load_policy(args.policy or _user_config(args, "inspection_policy.yaml"))
    scores = _read_scores(args.scores, "--scores")
    inspectors = _read_roster(args.inspectors)
    known = sorted(policy.departments)
    unknown = (~inspectors["department"].astype(str).isin(known)).to_numpy().nonzero()[0]
    if len(unknown):
        _refuse_table("--inspectors", [
            Problem(args.inspectors.name, int(unknown[0]) + 1, "department", inspectors["department"].iloc[unknown[0]],
                    f"is not a department of the inspection policy {known}",
                    "correct the name or add the department to the policy")
        ], bad_rows=len(unknown))
    conflicts = _read_table(args.conflicts, "--conflicts") if args.conflicts else None
    tiers = scores[["credit_code", "tier", *(["probability"] if "probability" in scores else [])]]
    subjects = subjects_from_dataset(
        _load_dataset(args, args.data), tiers.rename(columns={"probability": "risk"}), as_of=pd.Timestamp(args.start),
        complaint_days=policy.mandatory.complaint_days,
    )
    if args.engine == "spark":  # the same plan for the seed, the draw of subjects on Spark
        from credit_risk.engine.draw import plan_inspections_spark as plan_inspections
    plan = plan_inspections(subjects, inspectors, policy, period_start=args.start, period_end=args.end,
                            seed=args.seed, conflicts=conflicts)
    hashes = write_plan(plan, args.out)
    from credit_risk.report.runs import plan_report

    page = plan_report(plan, scores, Path(args.out) / "report.html", created_at=_now())
    print(f"plan {args.start} – {args.end}, seed {args.seed}: {len(plan.visits):,} visits → {args.out} (report {page})")
    for key, value in plan.stats.items():
        print(f"  {key:<32}{value:,.6g}")
    for name, digest in sorted(hashes.items()):
        print(f"  {name:<22}sha256 {digest}")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    import tempfile

    from credit_risk.report.runs import files_report

    if not any((args.model, args.scores, args.plan, args.monitor, args.warnings)):
        raise UsageError("report needs at least one of --model, --scores, --plan, --monitor, --warnings")
    if Path(args.out).suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--out {args.out}: the report is HTML; name the file report.html")
    _check_output(args.out, "--out", kind="file")
    bundle, name, version, sha = None, "", "", ""
    if args.model:
        from credit_risk import scoring

        uri = _tracking_uri(args.tracking_uri) if args.model.startswith("models:/") else ""
        with tempfile.TemporaryDirectory() as cache:
            bundle, name, version, sha = scoring.resolve_model(args.model, uri, Path(cache), sha256=args.sha256)
    dataset = _load_dataset(args, args.data) if args.data else None
    page = files_report(args.out, created_at=_now(), bundle=bundle, model_name=name, model_version=str(version),
                        model_sha256=sha, dataset=dataset, scores=args.scores, plan=args.plan, monitor=args.monitor,
                        warnings=args.warnings, title=args.title)
    print(f"report → {page} ({Path(page).stat().st_size / 1e6:.1f} MB, self-contained: open it in any browser)")
    return EXIT_OK


def _cmd_roster(args: argparse.Namespace) -> int:
    import pandas as pd

    from credit_risk.data.synthetic.roster import synthetic_roster

    out = _check_output(args.out, "--out", kind="file")
    fmt = _output_format(out, None)
    from credit_risk.scheduler import load_policy, subjects_from_dataset

    policy = load_policy(args.policy or _user_config(args, "inspection_policy.yaml"))
    scores = _read_scores(args.scores, "--scores")
    subjects = subjects_from_dataset(_load_dataset(args, args.data), scores[["credit_code", "tier"]],
                                     as_of=pd.Timestamp(args.start), complaint_days=policy.mandatory.complaint_days)
    roster = synthetic_roster(subjects, policy, seed=args.seed, capacity=args.capacity)
    if fmt == "csv":
        from credit_risk.atomic import write_csv

        write_csv(roster, out)
    else:
        from credit_risk.atomic import write_parquet

        write_parquet(roster, out)
    per = roster.groupby("department")["inspector_id"].count()
    print(f"wrote a synthetic roster of {len(roster):,} inspectors (seed {args.seed}, {args.capacity} visits each) "
          f"to {out}: " + ", ".join(f"{d} {n:,}" for d, n in per.items()))
    print("  an example sized to the policy, for trying credit-risk plan on synthetic data; real plans load the "
          "inspector register (执法人员名录库)")
    return EXIT_OK


def _monitoring_config(args: argparse.Namespace):
    from credit_risk.monitoring import load_monitoring_config

    return load_monitoring_config(args.config, configs_dir=_configs_dir(args))


def _cmd_monitor(args: argparse.Namespace) -> int:
    from credit_risk.monitoring import load_run
    from credit_risk.monitoring.checks import monitor

    if args.out is not None:
        _check_output(args.out, "--out", kind="folder")
    config = _monitoring_config(args)
    reference, current = load_run(args.reference), load_run(args.current)
    dataset = _load_dataset(args, args.data) if args.data else None
    report = monitor(reference, current, dataset=dataset, config=config)
    print(report.text())
    if len(report.movers):
        print(f"  {len(report.movers):,} subject(s) moved two tiers or more (movers.csv)")
    if args.out is not None:
        written = report.write(args.out)
        from credit_risk.report.runs import monitoring_report

        page = monitoring_report(report.checks, (report.reference, report.current), Path(args.out) / "report.html",
                                 created_at=_now(), snapshot=current.snapshot)
        print(f"wrote {len(written)} file(s) and the report {page} to {args.out}")
    return EXIT_OK


def _cmd_warn(args: argparse.Namespace) -> int:
    from credit_risk.monitoring import load_run
    from credit_risk.monitoring.warning import by_region, early_warning, write_warnings

    if args.out is not None:
        _check_output(args.out, "--out", kind="folder")
    config = _monitoring_config(args)
    warnings = early_warning(load_run(args.reference), load_run(args.current), config=config)
    regions = by_region(warnings) if len(warnings) else {}
    print(f"early warning {args.reference.name} → {args.current.name}: {len(warnings):,} subject(s) flagged "
          f"in {len(regions):,} region(s)")
    for row in warnings.head(args.top).itertuples(index=False):
        why = row.reason_1_text_zh if args.chinese else row.reason_1_text
        print(f"  {row.rank:>4}. {row.credit_code}  {row.region}  {row.tier_reference}→{row.tier_current}  "
              f"p {row.p_reference:.3f}→{row.p_current:.3f}  {row.department}  {why}")
    if args.out is not None:
        written = write_warnings(warnings, args.out)
        print(f"wrote warnings.csv and {len(written) - 1} per-region list(s) (网格重点走访名单) to {args.out}")
    return EXIT_OK


def _cmd_feedback(args: argparse.Namespace) -> int:
    from credit_risk.monitoring.feedback import ingest_feedback

    results = _read_table(args.results, "--results")
    result = ingest_feedback(args.plan, results, args.data, catalog=_catalog(args), source_name=args.results.name)
    print(f"feedback from {args.plan}: {result.added:,} inspection record(s) added to {result.records_file}, "
          f"{result.already_present:,} already present")
    return EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    out = _check_output(args.out, "--out", kind="folder")
    from credit_risk.starter import STARTER_FILES, write_starter_configs

    clashes = [name for name in STARTER_FILES if (out / name).exists()]
    if clashes and not args.force:
        raise UsageError(f"--out {out} already holds {clashes}; pass an empty folder, or --force to overwrite them")
    dataset = _load_dataset(args, args.data)
    written = write_starter_configs(dataset, out, overwrite=args.force)
    print(f"wrote {len(written)} starter config(s) for {args.data} to {out} (review the lines marked for review):")
    for path in written:
        print(f"  {path}")
    print(f"next: credit-risk validate {args.data} --configs {out} && credit-risk train --data {args.data} "
          f"--configs {out}")
    return EXIT_OK


def _cmd_measures(args: argparse.Namespace) -> int:
    import pandas as pd

    from credit_risk.measures import (
        execution_rate,
        ingest_feedback,
        load_measures,
        read_tasks,
        update_tasks,
        write_tasks,
    )
    from credit_risk.repair import apply_repairs, read_repair_log

    _check_output(args.tasks, "--tasks", kind="file")
    _parquet_output(args.tasks, "--tasks")
    measures = load_measures(args.measures or _user_config(args, "measures.yaml"))
    dataset = _load_dataset(args, args.data)
    if args.repairs is not None:
        dataset = apply_repairs(dataset, read_repair_log(args.repairs), source=str(args.repairs))
    tiers = None
    if args.scores is not None:
        scores = _read_scores(args.scores, "--scores")
        tiers = scores[["credit_code", "tier"]]
    existing = read_tasks(args.tasks)
    before = 0 if existing is None else len(existing)
    lifted_before = 0 if existing is None else int((existing["status"] == "lifted").sum())
    if args.since is not None and args.since > args.as_of:
        raise UsageError(f"--since {args.since} is after --as-of {args.as_of}; give a start on or before the as-of date")
    tasks = update_tasks(existing, dataset, measures, pd.Timestamp(args.as_of), tiers=tiers, since=args.since)
    if args.feedback is not None:
        tasks = ingest_feedback(tasks, _read_table(args.feedback, "--feedback"), source=args.feedback.name)
    write_tasks(tasks, args.tasks)
    print(f"tasks as of {args.as_of}: {len(tasks) - before:,} new, "
          f"{int((tasks['status'] == 'lifted').sum()) - lifted_before:,} lifted, {len(tasks):,} in {args.tasks}")
    for status, n in tasks["status"].value_counts().sort_index().items():
        print(f"  {status:<16}{n:>10,}")
    for by in args.rates_by:
        rates = execution_rate(tasks, pd.Timestamp(args.as_of), by=(by,))
        print(f"execution rate (restrictions executed on time / due) by {by}:")
        for row in rates.itertuples(index=False):
            rate = "   n/a" if pd.isna(row.rate) else f"{row.rate:6.1%}"
            print(f"  {str(getattr(row, by)):<28}{row.on_time:>8,} / {row.due:<8,}{rate}")
    return EXIT_OK


def _cmd_repair(args: argparse.Namespace) -> int:
    from credit_risk.repair import (
        append_to_log,
        apply_repairs,
        decide_repairs,
        load_repair_rules,
        read_repair_log,
        write_repair_log,
    )

    _check_output(args.log, "--log", kind="file")
    _parquet_output(args.log, "--log")
    if args.out is not None:
        _check_output(args.out, "--out", kind="file")
        out_format = _output_format(Path(args.out), None)
    rules = load_repair_rules(args.rules or _user_config(args, "repair.yaml"))
    dataset = _load_dataset(args, args.data)
    log = read_repair_log(args.log)
    decisions = decide_repairs(apply_repairs(dataset, log, source=str(args.log)),
                               _read_table(args.applications, "--applications"), rules, log=log,
                               source=args.applications.name)
    new_log = append_to_log(log, decisions)
    write_repair_log(new_log, args.log)
    if args.out is not None and out_format == "csv":
        from credit_risk.atomic import escape_formulas, write_text

        write_text(args.out, escape_formulas(decisions).to_csv(index=False))
    elif args.out is not None:
        from credit_risk.atomic import write_parquet

        write_parquet(decisions, args.out)
    counts = decisions["decision"].value_counts()
    print(f"{len(decisions):,} application(s): " + ", ".join(f"{counts.get(d, 0):,} {d}" for d in
                                                           ("approved", "rejected", "not_repairable"))
          + f"; repair log {args.log} holds {len(new_log):,} repair(s)")
    for row in decisions.loc[decisions["decision"] != "approved"].itertuples(index=False):
        print(f"  {row.application_id} ({row.record_id}): {row.decision}: {row.unmet}")
    return EXIT_OK


# --------------------------------------------------------------------------- parser


class _Types:
    """The argument types, by what they accept."""

    date = staticmethod(_type(_date))
    folder = staticmethod(_type(_folder))
    file = staticmethod(_type(_file))
    parquet = staticmethod(_type(_parquet))
    table = staticmethod(_type(_table_file))
    seed = staticmethod(_int_at_least(0, 2**32 - 1))
    positive = staticmethod(_int_at_least(1))
    nonneg = staticmethod(_int_at_least(0))
    subjects = staticmethod(_int_at_least(10, 3_000_000))


def build_parser() -> argparse.ArgumentParser:
    t = _Types
    common = _Parser(add_help=False)
    common.add_argument("--configs", type=t.folder, default=None, metavar="DIR",
                        help="config folder (e.g. from credit-risk init); files missing there are the packaged ones")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="print the traceback of an error")
    parser = _Parser(
        prog="credit-risk",
        description="Enterprise credit-risk tiers and risk-based random-inspection plans. "
        "Exit codes: 0 ok, 1 invalid data, 2 usage error, 3 run failed (internal error or system).",
    )
    parser.add_argument("--version", action="version", version=f"credit-risk {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("--debug", action="store_true", default=False, help="print the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", parents=[common], help="check a dataset folder against the data contract")
    p.add_argument("path", type=t.folder, help="dataset folder (CSV or Parquet tables)")
    p.add_argument("--id-scheme", choices=["gb32100", "any"], default=None,
                   help="override the manifest's id scheme")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("sample", parents=[common],
                       help="generate a synthetic Zhejiang-like province with its ground truth")
    p.add_argument("--subjects", type=t.subjects, default=5000, help="number of subjects (10 to 3,000,000)")
    p.add_argument("--seed", type=t.seed, required=True, help="random seed (the output is deterministic for it)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--config", type=t.file, default=None,
                   help="synthetic-province config (default: synthetic.yaml in --configs, else packaged)")
    p.add_argument("--no-truth", action="store_true", help="do not write the ground truth (truth/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("init", parents=[common], help="write a starter config folder for a dataset")
    p.add_argument("--data", type=t.folder, required=True, help="dataset folder")
    p.add_argument("--out", required=True, help="config folder to write (new or empty)")
    p.add_argument("--force", action="store_true", help="overwrite files already in --out")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("train", parents=[common], help="train the generic and domain models, tracked in MLflow")
    p.add_argument("--data", type=t.folder, required=True, help="dataset folder")
    p.add_argument("--config", type=t.file, default=None,
                   help="training config (default: train.yaml in --configs, else packaged)")
    p.add_argument("--out", default="models", help="folder for the model bundles (default models/)")
    p.add_argument("--tracking-uri", default=None,
                   help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlruns/mlflow.db)")
    p.add_argument("--labels", type=t.table, default=None,
                   help="your own labels, CSV/Parquet: credit_code, as_of, label [, weight, group, split]")
    p.add_argument("--truth", type=t.parquet, default=None,
                   help="synthetic ground truth for the oracle AUC (default DATA/truth/latent.parquet if present)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("score", parents=[common],
                       help="score, tier and explain every active subject as of a date (or each row of --cutoffs)")
    p.add_argument("--model", required=True,
                   help="registry URI (models:/credit_risk_generic@champion) or a bundle path")
    p.add_argument("--sha256", default=None,
                   help="sha256 of the bundle file, required with a bundle path (printed by train): "
                        "nothing is unpickled before the file matches it")
    p.add_argument("--data", type=t.folder, required=True, help="dataset folder")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--as-of", type=t.date, help="as-of date YYYY-MM-DD (records before it count)")
    when.add_argument("--cutoffs", type=t.table, default=None,
                      help="CSV/Parquet of credit_code, as_of: score each row as of its own date")
    p.add_argument("--out", required=True,
                   help="output file, written atomically: .parquet (also without extension) or .csv")
    p.add_argument("--format", choices=["parquet", "csv"], default=None,
                   help="output format (default: by the extension of --out, Parquet without one)")
    p.add_argument("--previous", type=t.parquet, default=None, help="last month's scores, for tier hysteresis")
    p.add_argument("--chunk-size", type=t.positive, default=200_000, help="subjects per chunk (bounds memory)")
    p.add_argument("--reasons", type=t.nonneg, default=5, help="top reasons per subject (0: none)")
    p.add_argument("--reasons-for", default=None,
                   help="who gets reasons and a portrait: tiers such as C,D (default: C,D), 'all' or 'none'; "
                        "everyone gets a probability and a tier")
    p.add_argument("--reasons-codes", type=t.table, default=None,
                   help="CSV/Parquet with a credit_code column: these subjects get reasons whatever their tier "
                        "(subjects who ask, the early-warning list warnings.csv)")
    p.add_argument("--threads", type=t.positive, default=None,
                   help="LightGBM prediction threads (default: every core; results do not depend on it)")
    p.add_argument("--engine", choices=["pandas", "spark"], default="pandas",
                   help="pandas (default, one machine) or spark (the active or a local Spark session; "
                        "pip install 'credit-risk[spark]' and Java 17): the same scores")
    p.add_argument("--tracking-uri", default=None, help="MLflow tracking URI for registry models")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--history", default=None,
                   help="run-history folder for the run record (default: runs/ beside --out)")
    p.add_argument("--no-record", action="store_true", help="do not write the run record")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("demo", parents=[common], help="the whole job on a dataset: train, score, tier, plan, report")
    p.add_argument("--data", type=t.folder, default="data/sample", help="dataset folder (default data/sample)")
    p.add_argument("--out", default="outputs/demo", help="output folder (default outputs/demo)")
    p.add_argument("--seed", type=t.seed, default=2026, help="seed of the inspection draw (published)")
    p.add_argument("--tracking-uri", default=None,
                   help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlruns/mlflow.db)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("plan", parents=[common],
                       help="draw a risk-based random-inspection plan (双随机、一公开) from scores")
    p.add_argument("--scores", type=t.parquet, required=True,
                   help="scores Parquet from credit-risk score (credit_code, tier)")
    p.add_argument("--data", type=t.folder, required=True, help="dataset folder (regions, listings, last inspections)")
    p.add_argument("--inspectors", type=t.table, required=True,
                   help="inspector roster CSV/Parquet: inspector_id, department, home_region, capacity")
    p.add_argument("--conflicts", type=t.table, default=None, help="recusal table CSV: inspector_id, credit_code")
    p.add_argument("--start", type=t.date, required=True, help="period start YYYY-MM-DD")
    p.add_argument("--end", type=t.date, required=True, help="period end YYYY-MM-DD (exclusive)")
    p.add_argument("--seed", type=t.seed, required=True, help="the draw's seed (published in the plan)")
    p.add_argument("--policy", type=t.file, default=None,
                   help="policy YAML (default: inspection_policy.yaml in --configs, else packaged)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--engine", choices=["pandas", "spark"], default="pandas",
                   help="pandas (default) or spark: the draw of subjects on Spark, the same plan for the seed")
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser("roster", parents=[common],
                       help="write an example inspector roster sized to the policy (for plan on synthetic data)")
    p.add_argument("--scores", type=t.parquet, required=True, help="scores Parquet from credit-risk score")
    p.add_argument("--data", type=t.folder, required=True, help="dataset folder (regions, licences)")
    p.add_argument("--start", type=t.date, required=True, help="period start YYYY-MM-DD (as for plan)")
    p.add_argument("--seed", type=t.seed, default=0, help="seed of the inspectors' home counties (default 0)")
    p.add_argument("--capacity", type=t.positive, default=80, help="visits per inspector and period (default 80)")
    p.add_argument("--policy", type=t.file, default=None,
                   help="policy YAML (default: inspection_policy.yaml in --configs, else packaged)")
    p.add_argument("--out", required=True, help="roster file: .csv or .parquet (inspector_id, department, "
                                                "home_region, capacity)")
    p.set_defaults(func=_cmd_roster)

    p = sub.add_parser("measures", parents=[common],
                       help="turn listings and grades into measure tasks (失信联合惩戒), ingest feedback, execution rates")
    p.add_argument("--data", type=t.folder, required=True, help="dataset folder")
    p.add_argument("--as-of", type=t.date, required=True, help="as-of date YYYY-MM-DD (listings known before it)")
    p.add_argument("--tasks", required=True,
                   help="task table Parquet, created or updated in place (a second run as of the same date adds nothing)")
    p.add_argument("--since", type=t.date, default=None,
                   help="only listings pushed on or after this date become tasks (when the system went live)")
    p.add_argument("--feedback", type=t.table, default=None,
                   help="departments' feedback CSV/Parquet: task_id, status (done|not_applicable|overdue), "
                        "reported_on, reason")
    p.add_argument("--repairs", type=t.file, default=None, help="repair log from credit-risk repair (applied first)")
    p.add_argument("--scores", type=t.parquet, default=None, help="scores Parquet (credit_code, tier) for tier measures")
    p.add_argument("--measures", type=t.file, default=None,
                   help="measures YAML (default: measures.yaml in --configs, else packaged)")
    p.add_argument("--rates-by", nargs="*", default=["department"], choices=["department", "region", "measure"],
                   help="print execution rates by these (default: department)")
    p.set_defaults(func=_cmd_measures)

    p = sub.add_parser("repair", parents=[common],
                       help="decide credit repair applications (信用修复) and append approvals to the repair log")
    p.add_argument("--data", type=t.folder, required=True, help="dataset folder")
    p.add_argument("--applications", type=t.table, required=True,
                   help="applications CSV/Parquet: application_id, credit_code, record_id, applied_on, "
                        "penalty_paid, corrected, commitment_signed")
    p.add_argument("--log", required=True, help="repair log Parquet, created or extended (source records never edited)")
    p.add_argument("--rules", type=t.file, default=None,
                   help="repair rules YAML (default: repair.yaml in --configs, else packaged)")
    p.add_argument("--out", default=None, help="decisions file, .csv or .parquet (every unmet rule named)")
    p.set_defaults(func=_cmd_repair)

    p = sub.add_parser("monitor", parents=[common],
                       help="compare two scoring runs: PSI/CSI, segments, tier migration, outcomes, verdicts")
    p.add_argument("--reference", type=t.folder, required=True, help="reference run folder (runs/<run id>)")
    p.add_argument("--current", type=t.folder, required=True, help="current run folder (runs/<run id>)")
    p.add_argument("--data", type=t.folder, default=None,
                   help="dataset folder: outcome metrics from the inspections after each run")
    p.add_argument("--config", type=t.file, default=None,
                   help="monitoring config (default: monitoring.yaml in --configs, else packaged)")
    p.add_argument("--out", default=None, help="folder for the tables (checks, stability, bins, migration, …)")
    p.set_defaults(func=_cmd_monitor)

    p = sub.add_parser("warn", parents=[common],
                       help="early warning: subjects whose risk jumped since the last run, with the reasons")
    p.add_argument("--reference", type=t.folder, required=True, help="last run folder (runs/<run id>)")
    p.add_argument("--current", type=t.folder, required=True, help="this run folder (runs/<run id>)")
    p.add_argument("--config", type=t.file, default=None,
                   help="monitoring config (default: monitoring.yaml in --configs, else packaged)")
    p.add_argument("--out", default=None, help="folder for warnings.csv and by_region/<region>.csv")
    p.add_argument("--top", type=t.nonneg, default=10, help="subjects printed (default 10)")
    p.add_argument("--chinese", action="store_true", help="print the reasons in Chinese")
    p.set_defaults(func=_cmd_warn)

    p = sub.add_parser("report", parents=[common],
                       help="one self-contained HTML report (map, tiers, curves, model card) from earlier outputs")
    p.add_argument("--model", default=None,
                   help="model bundle (path to model.joblib, or models:/name@alias): training figures, model card")
    p.add_argument("--sha256", default=None, help="expected sha256 of the bundle file")
    p.add_argument("--tracking-uri", default=None, help="MLflow tracking URI for registry models")
    p.add_argument("--data", type=t.folder, default=None, help="dataset folder: regions, industries, sizes")
    p.add_argument("--scores", type=t.file, default=None, help="scores file written by credit-risk score")
    p.add_argument("--plan", type=t.folder, default=None, help="plan folder written by credit-risk plan")
    p.add_argument("--monitor", type=t.folder, default=None, help="folder written by credit-risk monitor --out")
    p.add_argument("--warnings", default=None, help="warnings.csv (or its folder) written by credit-risk warn")
    p.add_argument("--title", default="credit_risk — report", help="the report's title")
    p.add_argument("--out", required=True, help="the HTML file to write (atomically)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("feedback", parents=[common],
                       help="append a plan's inspection results to the dataset's records (信息回流)")
    p.add_argument("--plan", type=t.folder, required=True, help="plan folder written by credit-risk plan")
    p.add_argument("--results", type=t.table, required=True,
                   help="CSV/Parquet: credit_code, inspected_on, outcome [, department, domain, severity]")
    p.add_argument("--data", type=t.folder, required=True, help="dataset folder whose records receive them")
    p.set_defaults(func=_cmd_feedback)
    return parser


# --------------------------------------------------------------------------- entry point


def _one_line(text: str) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 1] + "…"


def _describe(exc: BaseException) -> tuple[int, str]:
    """Exit code and the one line printed for an error."""
    if isinstance(exc, DataContractError):
        problems = exc.problems
        if len(problems) > 1:
            more = len(problems) - 1
            return EXIT_DATA, f"{problems[0]} (and {more:,} more problem(s); credit-risk validate lists them all)"
        return EXIT_DATA, str(problems[0]) if problems else str(exc)
    if isinstance(exc, OutputError):  # found during the work: the system refused (disk full, read-only)
        return EXIT_INTERNAL, str(exc)
    if isinstance(exc, CreditRiskError):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return EXIT_INTERNAL, (f"cannot read or write{where}: {exc.strerror or exc}; free space or pick another "
                               "location, then rerun (a resumable score run continues where it stopped)")
    if isinstance(exc, MemoryError):
        return EXIT_INTERNAL, "out of memory; lower --chunk-size or use a larger machine"
    text = str(exc) if len(str(exc)) <= 300 else str(exc)[:299] + "…"
    return EXIT_INTERNAL, (f"internal error ({type(exc).__name__}: {text}); this is a bug — "
                           "rerun with --debug and report the traceback")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (never raises, except for --help and --version)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0) if isinstance(exc.code, int | None) else EXIT_USAGE
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # a logger set lower (progress lines) does not reach them
        if type(handler) is logging.StreamHandler and handler.level == logging.NOTSET:
            handler.setLevel(level)
    # MLflow installs its own INFO handler ("Creating initial MLflow database tables..."): keep it at our level.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", logging.getLevelName(level))
    for key, value in MLFLOW_HTTP_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if not args.verbose:  # urllib3 reports each retry of an unreachable tracking server as a warning
        logging.getLogger("urllib3").setLevel(logging.ERROR)
        # Third-party warnings (deprecations inside MLflow, pandas, LightGBM) are not the user's to act on;
        # -v shows them. The library's own warnings still show.
        warnings.filterwarnings("ignore", module=r"(?!credit_risk(\.|$))")
    if not args.verbose:
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    if "mlflow" in sys.modules:
        logging.getLogger("mlflow").setLevel(level)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        code, message = _describe(exc)
        if debug:
            traceback.print_exc(file=sys.stderr)
        print(f"error: {_one_line(message)}", file=sys.stderr)
        return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
