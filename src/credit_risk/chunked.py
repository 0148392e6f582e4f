"""Chunked, resumable, atomic Parquet output for batch jobs over millions of subjects.

:func:`write_chunked` applies a function to consecutive row chunks and writes each chunk's
result as its own Parquet part (atomically) in ``OUT.parts/``. Only when every part exists is
the final file assembled — streamed into a temporary file and moved into place — and the parts
folder removed. A run that is killed leaves no partial output file; re-running with the same
inputs (same ``fingerprint``) reuses the finished parts and produces the same bytes as one
clean run. Parts from a run with different inputs are discarded.

The parts folder is marked as ours by its ``manifest.json`` (``"format":
"credit_risk.chunked/1"``). A folder named ``OUT.parts`` that holds anything else is not
touched: the run is refused with :class:`~credit_risk.exceptions.OutputError`, so an unrelated
folder is never deleted. Only our own files (the manifest, ``part-*.parquet`` and hidden
temporaries) are ever removed from it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from credit_risk.atomic import atomic_path, check_writable, output_error, write_parquet, write_text
from credit_risk.exceptions import OutputError

__all__ = ["write_chunked"]

logger = logging.getLogger(__name__)

#: Marks a parts folder as written by :func:`write_chunked`.
PARTS_FORMAT = "credit_risk.chunked/1"
_MANIFEST = "manifest.json"
_PART = re.compile(r"part-\d{6}\.parquet")
#: Keys of a manifest written before PARTS_FORMAT existed (still recognised as ours).
_LEGACY_KEYS = {"fingerprint", "chunk_size", "n_rows"}


def _read_manifest(parts: Path) -> dict | None:
    try:
        value = json.loads((parts / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _ours(name: str) -> bool:
    return name == _MANIFEST or bool(_PART.fullmatch(name)) or (name.startswith(".") and name.endswith(".tmp"))


def _claim(parts: Path, out: Path) -> dict | None:
    """The manifest of an existing parts folder we wrote; refuse a folder that is not ours.

    An empty folder (a run killed between creating it and writing its manifest) is ours.
    """
    if not parts.exists():
        return None
    if not parts.is_dir():
        raise OutputError(
            f"{parts} exists and is not a folder; {out} needs that name for its resumable parts — "
            "move it away or choose another --out"
        )
    previous = _read_manifest(parts)
    names = [p.name for p in parts.iterdir()]
    marked = previous is not None and (previous.get("format") == PARTS_FORMAT or set(previous) == _LEGACY_KEYS)
    if not names:
        return None
    if not marked or not all(_ours(n) for n in names):
        strangers = sorted(n for n in names if not _ours(n))[:5]
        raise OutputError(
            f"{parts} exists but was not written by credit_risk (no {PARTS_FORMAT} manifest"
            f"{', or it holds other files: ' + ', '.join(strangers) if strangers else ''}); "
            f"it is left untouched — move it away or choose another --out"
        )
    return previous


def _discard(parts: Path) -> None:
    """Remove our files from ``parts`` (never anything else), then the folder if it is empty."""
    for p in parts.iterdir():
        if _ours(p.name):
            p.unlink()
    try:
        parts.rmdir()
    except OSError:
        logger.warning("kept %s: it holds files credit_risk did not write", parts)


def write_chunked(
    n_rows: int,
    compute: Callable[[int, int], pd.DataFrame],
    out: str | Path,
    *,
    chunk_size: int,
    fingerprint: str,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write ``compute(start, stop)`` for consecutive chunks into one Parquet file.

    Parameters
    ----------
    n_rows : int
        Total number of input rows.
    compute : callable
        ``compute(start, stop)`` returns the output rows for input rows ``start:stop``;
        every chunk must return the same columns and dtypes.
    out : path
        The final Parquet file.
    chunk_size : int
        Rows per chunk (bounds memory).
    fingerprint : str
        Identifies the inputs (data, model, as-of date, options); parts written under another
        fingerprint are not reused.
    progress : callable, optional
        ``progress(done_chunks, total_chunks)``.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be ≥ 1; got {chunk_size}")
    out = Path(out)
    check_writable(out)  # before any work: a full disk or a read-only folder fails now
    parts = out.with_name(out.name + ".parts")
    n_chunks = max(1, -(-n_rows // chunk_size))
    manifest = {"format": PARTS_FORMAT, "fingerprint": fingerprint, "chunk_size": chunk_size, "n_rows": n_rows}
    manifest_path = parts / _MANIFEST
    previous = _claim(parts, out)
    if parts.exists() and previous != manifest:
        logger.info("discarding parts of an earlier run with other inputs in %s", parts)
        _discard(parts)
    try:
        parts.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        clean = output_error(exc, parts)
        if clean is None:
            raise
        raise clean from exc
    write_text(manifest_path, json.dumps(manifest, sort_keys=True))
    reused = 0
    for i in range(n_chunks):
        part = parts / f"part-{i:06d}.parquet"
        if part.exists():
            reused += 1
        else:
            start, stop = i * chunk_size, min(n_rows, (i + 1) * chunk_size)
            write_parquet(compute(start, stop), part)
        if progress is not None:
            progress(i + 1, n_chunks)
    if reused:
        logger.info("resumed: reused %d of %d finished chunks", reused, n_chunks)
    paths = [parts / f"part-{i:06d}.parquet" for i in range(n_chunks)]
    # A column that is empty in one chunk is typed null there and text elsewhere: unify the
    # chunks' schemas (null promotes to the other chunks' type) before writing one file.
    schema = pa.unify_schemas([pq.read_schema(p) for p in paths], promote_options="permissive")
    with atomic_path(out) as tmp:
        writer = None
        try:
            for path in paths:
                table = pq.read_table(path)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, schema, compression="zstd")
                if table.schema != schema:
                    table = table.select(schema.names).cast(schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
        if writer is None:  # pragma: no cover - n_chunks ≥ 1 always writes
            pq.write_table(pa.table({}), tmp)
    _discard(parts)
    return out
