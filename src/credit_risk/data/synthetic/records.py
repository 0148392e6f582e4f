"""A columnar buffer of records, assembled into the ``records`` table at the end.

Generators append chunks of integer-coded arrays; :meth:`RecordBuffer.to_frame` sorts them
by (subject, start, kind, generation order) and decodes them once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from credit_risk.data.catalog import Catalog
from credit_risk.data.synthetic.population import NEVER

__all__ = ["RecordBuffer", "days_to_datetime"]


def days_to_datetime(days: np.ndarray) -> np.ndarray:
    """Day numbers → ``datetime64[ns]``, with :data:`NEVER` as NaT."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    out[days >= NEVER] = np.datetime64("NaT")
    return out


def _record_ids(n: int) -> np.ndarray:
    """``R000000001`` … as an object array, built from a byte matrix (fast for millions)."""
    width = max(9, len(str(n)))
    numbers = np.arange(1, n + 1, dtype=np.int64)
    chars = np.empty((n, width + 1), dtype=np.uint8)
    chars[:, 0] = ord("R")
    for j in range(width, 0, -1):
        chars[:, j] = ord("0") + numbers % 10
        numbers //= 10
    return chars.view(f"S{width + 1}").ravel().astype(f"U{width + 1}").astype(object)


@dataclass(eq=False)
class RecordBuffer:
    """Collects records as integer-coded chunks (vocabularies fixed at creation)."""

    catalog: Catalog
    sources: tuple[str, ...]
    chunks: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.kinds = tuple(self.catalog.kinds)
        self.domains = tuple(self.catalog.domains)
        self.severities = tuple(self.catalog.severities)
        self.outcomes = tuple(sorted({o for s in self.catalog.kinds.values() for o in s.outcomes}))

    def code(self, vocabulary: str, value: str) -> int:
        """Index of ``value`` in one of the vocabularies (kinds, domains, severities, outcomes, sources)."""
        return getattr(self, vocabulary).index(value)

    def add(
        self,
        kind: str,
        subject: np.ndarray,
        start: np.ndarray,
        *,
        domain: str | np.ndarray,
        source: str | np.ndarray,
        end: np.ndarray | None = None,
        published: np.ndarray | None = None,
        severity: str | np.ndarray | None = None,
        value: np.ndarray | None = None,
        outcome: str | np.ndarray | None = None,
        draw_probability: float | np.ndarray | None = None,
    ) -> None:
        """Append records of one kind; scalars are broadcast, codes are indices into the vocabularies."""
        n = len(subject)
        if n == 0:
            return

        def codes(vocab: str, v, dtype, default: int = -1) -> np.ndarray:
            if v is None:
                return np.full(n, default, dtype=dtype)
            if isinstance(v, str):
                return np.full(n, self.code(vocab, v), dtype=dtype)
            return np.broadcast_to(np.asarray(v, dtype=dtype), (n,)).copy()

        if severity is None:
            severity = self.catalog.kinds[kind].default_severity
        start = np.asarray(start, dtype=np.int64)
        self.chunks.append((
            np.asarray(subject, dtype=np.int64),
            np.full(n, self.code("kinds", kind), dtype=np.int8),
            codes("domains", domain, np.int8),
            start,
            np.full(n, NEVER, np.int64) if end is None else np.asarray(end, dtype=np.int64),
            start if published is None else np.asarray(published, dtype=np.int64),
            codes("severities", severity, np.int8),
            np.full(n, np.nan) if value is None else np.asarray(value, dtype=np.float64),
            codes("outcomes", outcome, np.int16),
            codes("sources", source, np.int8),
            np.broadcast_to(np.nan if draw_probability is None else draw_probability, (n,)).astype(np.float64),
        ))

    def __len__(self) -> int:
        return sum(len(c[0]) for c in self.chunks)

    def to_frame(self, credit_codes: np.ndarray) -> pd.DataFrame:
        """The ``records`` table, sorted by credit code, start, kind and generation order."""
        cols = [np.concatenate([c[j] for c in self.chunks]) if self.chunks else np.empty(0) for j in range(11)]
        subj, kind, domain, start, end, pub, sev, value, outcome, source, draw = cols
        order = np.lexsort((np.arange(len(subj)), kind, start, subj))
        self.chunks = []  # free the chunks
        n = len(order)
        ids = _record_ids(n)

        def cat(codes_, vocab):
            return pd.Categorical.from_codes(np.asarray(codes_)[order].astype(np.int64), categories=list(vocab))

        return pd.DataFrame({
            "record_id": ids,
            "credit_code": np.asarray(credit_codes, dtype=object)[subj[order]],
            "kind": cat(kind, self.kinds),
            "domain": cat(domain, self.domains),
            "start": days_to_datetime(start[order]),
            "end": days_to_datetime(end[order]),
            "published_on": days_to_datetime(pub[order]),
            "severity": cat(sev, self.severities),
            "value": value[order],
            "outcome": cat(outcome, self.outcomes),
            "source": cat(source, self.sources),
            "draw_probability": draw[order],
        })
