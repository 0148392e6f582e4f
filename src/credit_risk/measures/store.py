"""Reading and writing the task table (``tasks.parquet``), atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from credit_risk.atomic import write_parquet
from credit_risk.exceptions import DataContractError
from credit_risk.measures.tasks import _typed

__all__ = ["read_tasks", "write_tasks"]


def read_tasks(path: str | Path) -> pd.DataFrame | None:
    """The task table at ``path`` (Parquet), or None when the file does not exist yet."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises its own types for damaged files
        raise DataContractError(f"task table {path} cannot be read ({type(exc).__name__}); restore it or start a new file") from None
    try:
        return _typed(frame)
    except DataContractError as exc:
        raise DataContractError(f"{path}: {exc}") from None


def write_tasks(tasks: pd.DataFrame, path: str | Path) -> None:
    """Write the task table atomically (a crash leaves the previous file intact)."""
    write_parquet(_typed(tasks), path)
