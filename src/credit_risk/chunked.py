"""Chunked, resumable, atomic Parquet output for batch jobs over millions of subjects.

:func:`write_chunked` applies a function to consecutive row chunks and writes each chunk's
result as its own Parquet part (atomically) in ``OUT.parts/``. Only when every part exists is
the final file assembled — streamed into a temporary file and moved into place — and the parts
folder removed. A run that is killed leaves no partial output file; re-running with the same
inputs (same ``fingerprint``) reuses the finished parts and produces the same bytes as one
clean run. Parts from a run with different inputs are discarded.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from credit_risk.atomic import atomic_path, write_parquet, write_text

__all__ = ["write_chunked"]

logger = logging.getLogger(__name__)


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
    parts = out.with_name(out.name + ".parts")
    n_chunks = max(1, -(-n_rows // chunk_size))
    manifest = {"fingerprint": fingerprint, "chunk_size": chunk_size, "n_rows": n_rows}
    manifest_path = parts / "manifest.json"
    if parts.exists():
        try:
            previous = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if previous != manifest:
            logger.info("discarding parts of an earlier run with other inputs in %s", parts)
            shutil.rmtree(parts)
    parts.mkdir(parents=True, exist_ok=True)
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
    with atomic_path(out) as tmp:
        writer = None
        try:
            for i in range(n_chunks):
                table = pq.read_table(parts / f"part-{i:06d}.parquet")
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                elif table.schema != writer.schema:
                    table = table.cast(writer.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
        if writer is None:  # pragma: no cover - n_chunks ≥ 1 always writes
            pq.write_table(pa.table({}), tmp)
    shutil.rmtree(parts)
    return out
