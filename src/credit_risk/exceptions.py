"""Exceptions raised by :mod:`credit_risk`.

Every error the library raises derives from :class:`CreditRiskError`, so callers
can catch one base class::

    CreditRiskError
    ├── ConfigError          a YAML config or a parameter is invalid
    ├── DataContractError    input tables break the data contract
    │                         (carries every problem found, not only the first)
    ├── LeakageError         a computation would use information from the future
    ├── ModelError           unfitted use, feature mismatch, tampered bundle
    ├── OutputError          an output cannot be written (disk full, read-only, no permission)
    ├── PlanError            an inspection plan cannot be drawn as configured
    └── TrackingError        the MLflow tracking server does not answer (or refuses the request)

Messages follow one shape: what is wrong, where (file, row, column), the value
that arrived, and how to fix it.
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ConfigError",
    "CreditRiskError",
    "DataContractError",
    "LeakageError",
    "ModelError",
    "OutputError",
    "PlanError",
    "Problem",
    "TrackingError",
    "show",
]

#: Characters of a value shown in an error message.
SHOWN_CHARS = 80


class _BoundedRepr(reprlib.Repr):
    """``repr`` that stops early: few items, shallow levels, short strings; numpy scalars as plain."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = self.maxfrozenset = 6
        self.maxstring = SHOWN_CHARS
        self.maxother = SHOWN_CHARS
        self.maxlong = 40

    def repr1(self, x: Any, level: int) -> str:
        item = getattr(x, "item", None)
        if type(x).__module__ == "numpy" and callable(item) and getattr(x, "ndim", None) == 0:
            x = item()  # np.int64(3) → 3, np.str_('a') → 'a'
        return super().repr1(x, level)


_REPR = _BoundedRepr()


def show(value: Any, limit: int = SHOWN_CHARS) -> str:
    """A bounded ``repr`` of ``value`` for error messages (at most ``limit`` characters).

    The cost is bounded too: nested containers are cut after a few items and levels before
    anything is formatted, so an alias-expanded value never materialises as text. Numpy
    scalars print as plain numbers.

    Examples
    --------
    >>> import numpy as np
    >>> show(np.int64(3))
    '3'
    >>> show("x" * 500)[:12], len(show("x" * 500)) <= 80
    ("'xxxxxxxxxxx", True)
    """
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CreditRiskError(Exception):
    """Base class of every error raised by credit_risk."""


class ConfigError(CreditRiskError, ValueError):
    """A configuration file or parameter is invalid."""


@dataclass(frozen=True)
class Problem:
    """One violation of the data contract.

    Attributes
    ----------
    table : str
        The table (file) concerned, e.g. ``"records.csv"``.
    row : int or None
        1-based data row in the file (header excluded), or None for a whole-table problem.
    column : str or None
        The column concerned.
    value : object
        The offending value, as read.
    message : str
        What is wrong.
    fix : str
        How to fix it.
    """

    table: str
    row: int | None
    column: str | None
    value: object
    message: str
    fix: str

    def __str__(self) -> str:
        where = self.table
        if self.row is not None:
            where += f" row {self.row:,}"
        if self.column is not None:
            where += f", column '{self.column}'"
        value = "" if self.value is None else f" (got {show(self.value)})"
        return f"{where}: {self.message}{value}; fix: {self.fix}"


class DataContractError(CreditRiskError, ValueError):
    """Input data breaks the data contract.

    ``problems`` lists every problem found, so one run reports them all.
    """

    def __init__(self, problems: Sequence[Problem] | str):
        if isinstance(problems, str):
            self.problems: tuple[Problem, ...] = ()
            super().__init__(problems)
            return
        self.problems = tuple(problems)
        shown = [str(p) for p in self.problems[:20]]
        more = len(self.problems) - len(shown)
        text = "\n".join(shown) + (f"\n… and {more:,} more problems" if more > 0 else "")
        head = f"{len(self.problems):,} data contract problem(s):\n" if len(self.problems) > 1 else ""
        super().__init__(head + text)


class LeakageError(CreditRiskError, ValueError):
    """A computation would use information not known at its as-of date."""


class ModelError(CreditRiskError, ValueError):
    """A model is used unfitted, on mismatching features, or its bundle is damaged."""


class OutputError(CreditRiskError, OSError):
    """An output file or folder cannot be written (disk full, read-only, no permission)."""


class PlanError(CreditRiskError, ValueError):
    """An inspection plan cannot be drawn as configured (capacity, rosters, policy)."""


class TrackingError(CreditRiskError, RuntimeError):
    """The MLflow tracking server does not answer in time, or refuses the request."""
