"""Atomic file output: a file is either fully written or not there at all.

Writers write to a temporary file in the destination folder and ``os.replace`` it
into place once complete, so a crash never leaves a half-written output. The temporary
file is hidden (``.NAME.PID.XXXX.tmp``); one left behind by a process that was killed
(``kill -9`` skips every clean-up) is removed by the next write of the same file.

A write that fails because the disk is full, the file system is read-only or permission is
denied raises :class:`~credit_risk.exceptions.OutputError` naming the path and the fix,
not a raw :class:`OSError`. :func:`check_writable` lets a command refuse an unusable output
location *before* doing the work.

CSV written here is safe to open in a spreadsheet: :func:`escape_formulas` prefixes ``'`` to
text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from credit_risk.exceptions import OutputError

__all__ = [
    "atomic_path",
    "check_writable",
    "escape_formulas",
    "output_error",
    "process_alive",
    "sha256_file",
    "write_csv",
    "write_parquet",
    "write_text",
]

logger = logging.getLogger(__name__)

#: errno values that mean "this location cannot take the output", with the fix to offer.
_WRITE_FAULTS = {
    errno.ENOSPC: "free space on that file system or write elsewhere (--out)",
    errno.EDQUOT: "free space in your quota or write elsewhere (--out)",
    errno.EFBIG: "the file exceeds the file system's size limit; write elsewhere (--out)",
    errno.EROFS: "the file system is read-only; write to a writable folder (--out)",
    errno.EACCES: "you lack permission to write there; choose a folder you can write to (--out) or fix its permissions",
    errno.EPERM: "you lack permission to write there; choose a folder you can write to (--out) or fix its permissions",
}
_ERRNO_IN_TEXT = re.compile(r"\[Errno (\d+)\]")


def _errno_of(exc: BaseException) -> int | None:
    """The errno of an OSError, also when a library (pyarrow) puts it only in the message."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc.errno
    found = _ERRNO_IN_TEXT.search(str(exc))
    return int(found.group(1)) if found else None


def output_error(exc: BaseException, path: str | Path) -> OutputError | None:
    """An :class:`OutputError` for a write fault (disk full, read-only, permission), else None."""
    code = _errno_of(exc)
    if code not in _WRITE_FAULTS:
        return None
    reason = os.strerror(code)
    return OutputError(f"cannot write {path}: {reason} ({errno.errorcode.get(code, code)}); {_WRITE_FAULTS[code]}")


@contextlib.contextmanager
def _write_faults_as_output_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        clean = output_error(exc, path)
        if clean is None:
            raise
        raise clean from exc


def _remove_stale_temporaries(path: Path) -> None:
    """Delete ``.NAME.PID.*.tmp`` files beside ``path`` left by processes that no longer run."""
    prefix = f".{path.name}."
    try:
        candidates = [p for p in path.parent.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")]
    except OSError:
        return
    for stale in candidates:
        pid_text = stale.name[len(prefix):].split(".", 1)[0]
        if not pid_text.isdigit() or process_alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            stale.unlink()
            logger.info("removed %s, left by a killed writer (pid %s)", stale, pid_text)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (ours, or someone else's we may not signal)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    Raises
    ------
    OutputError
        The folder cannot be created or written (disk full, read-only, permission denied),
        raised from the block too when its write fails that way.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    with _write_faults_as_output_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    tmp_path = Path(tmp)
    try:
        with _write_faults_as_output_errors(path):
            # mkstemp creates 0600 files; outputs get the usual permissions (0666 less the umask).
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_path, 0o666 & ~umask)
            yield tmp_path
            # Flush the bytes to disk before the rename makes them visible, and the rename itself
            # after, so that a power loss cannot leave a complete-looking but empty file.
            with open(tmp_path, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp_path, path)
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def check_writable(path: str | Path) -> None:
    """Refuse, before any work, an output location that cannot take a file.

    Creates the parent folder if needed and writes then removes a probe file in it.

    Raises
    ------
    OutputError
        ``path`` is an existing folder, or its folder cannot be written (read-only, no
        permission, disk full).
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"output {path} is an existing folder; give a file path (e.g. {path / 'out.parquet'})")
    with _write_faults_as_output_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
        try:
            os.write(fd, b"probe")
        finally:
            os.close(fd)
            os.unlink(probe)


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a DataFrame to Parquet atomically, without the index, deterministically."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to text cells that a spreadsheet would evaluate as a formula.

    Only text cells are touched (numbers such as ``-3.5`` in a numeric column stay numbers).

    Examples
    --------
    >>> escape_formulas(pd.DataFrame({"name": ['=HYPERLINK("x")', "Acme"], "n": [-1, 2]}))
                   name  n
    0  '=HYPERLINK("x") -1
    1              Acme  2
    """
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if not (pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype)):
            continue
        cells = values.to_numpy(dtype=object, na_value=None)  # all-missing columns included
        risky = np.fromiter(
            (isinstance(v, str) and v.startswith(FORMULA_PREFIXES) for v in cells), dtype=bool, count=len(cells)
        )
        if risky.any():
            cells = cells.copy()
            cells[risky] = ["'" + v for v in cells[risky]]
            out[col] = pd.Series(cells, index=out.index, dtype=values.dtype)
    return out


#: Stands in for a carriage return while pandas writes the CSV: its comma makes the csv module
#: quote the cell (it quotes a lone CR only when CR is part of the line terminator).
_CR_TOKEN = "\x00\x01,"


def write_csv(frame: pd.DataFrame, path: str | Path, *, float_format: str = "%.10g") -> None:
    """Write a DataFrame as UTF-8 CSV atomically, formula cells escaped (:func:`escape_formulas`).

    Lines end in ``\\n``; a cell holding a line break (``\\n`` or ``\\r``) is quoted, so that no
    reader splits its row.
    """
    safe = escape_formulas(frame)
    texts = [c for c in safe.columns if pd.api.types.is_object_dtype(safe[c].dtype) or pd.api.types.is_string_dtype(safe[c].dtype)]
    has_cr = [c for c in texts if safe[c].map(lambda v: isinstance(v, str) and "\r" in v, na_action="ignore").fillna(False).astype(bool).any()]
    for c in has_cr:
        safe[c] = safe[c].map(lambda v: v.replace("\r", _CR_TOKEN) if isinstance(v, str) else v, na_action="ignore")
    text = safe.to_csv(index=False, lineterminator="\n", float_format=float_format)
    if has_cr:
        text = text.replace(_CR_TOKEN, "\r")
    write_text(path, text)


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
