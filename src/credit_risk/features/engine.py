"""The interval / searchsorted core of the point-in-time builders.

Every record is mapped to the half-open day interval ``(lo, hi]`` of as-of dates ``t``
at which it counts: it counts at ``t`` iff ``lo < t <= hi``. For the record kinds of the
catalogue ``lo = max(published_on, start)`` (known strictly before ``t`` and started
before ``t``) and ``hi = min(effective_end, start + window)`` where
``effective_end = min(end, start + publication_days[kind][severity])`` (``NaT`` = open).
Records with ``lo >= hi`` never count and are dropped.

Days are integers (days since 1970-01-01 plus :data:`OFFSET`, so always ≥ 0). A subject
``s`` and a day ``d`` form the composite key ``s * 2**32 + d``; over keys sorted once,

    count(s, t) = #{lo_key < key(s, t)} − #{hi_key < key(s, t)}

(records of other subjects contribute equally to both terms), i.e. two
``np.searchsorted`` calls answer every cutoff of every subject at once, whatever the
number of distinct as-of dates. Sums use per-subject prefix sums, exponentially decayed
counts a per-subject reference date to keep ``exp`` in range, and "last" a prefix
maximum of a per-subject rank. Nothing loops over subjects or cutoffs in Python.

Counts and sums of records grouped by subject (:func:`interval_count_sum`, what the window
aggregates use) run in one compiled merge of the records and the sorted cutoffs instead
(numba, already installed with shap; compiled once and cached on disk): per subject either
a direct test of every (cutoff, record) pair when the subject has few of them, or the same
two sorted sweeps ``#{lo < t} − #{hi < t}`` restricted to the subject. No global sort per
window, no per-subject prefix pass in pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

__all__ = [
    "DIRECT_MAX",
    "INF",
    "OFFSET",
    "Queries",
    "day_numbers",
    "count_before",
    "interval_count",
    "interval_count_sum",
    "interval_decayed",
    "interval_last",
    "interval_sum",
    "sum_before",
]

#: Added to days since the epoch so that every representable date is ≥ 0.
OFFSET = 1 << 17
#: "Never ends".
INF = (1 << 32) - 1
_SHIFT = np.int64(32)


def day_numbers(values, *, missing: int = INF) -> np.ndarray:
    """Dates (datetime64 Series / array) → int64 day numbers ≥ 0; ``NaT`` → ``missing``."""
    arr = np.asarray(pd.to_datetime(values).to_numpy(dtype="datetime64[ns]"))
    days = arr.astype("datetime64[D]").astype(np.int64) + OFFSET
    nat = np.isnat(arr)
    if nat.any():
        days[nat] = missing
    return days


def _keys(subj: np.ndarray, day: np.ndarray) -> np.ndarray:
    return (subj.astype(np.int64) << _SHIFT) | day.astype(np.int64)


@dataclass(frozen=True, eq=False)
class Queries:
    """Cutoffs encoded as (subject index, day), sorted once by composite key.

    ``subj``, ``day`` and ``key`` are in sorted order; ``order[i]`` is the original row of
    sorted position ``i``. Primitives return results in the original cutoff order.
    """

    subj: np.ndarray
    day: np.ndarray
    key: np.ndarray
    order: np.ndarray

    @classmethod
    def build(cls, subj: np.ndarray, day: np.ndarray) -> Queries:
        key = _keys(subj, day)
        order = np.argsort(key, kind="stable")
        return cls(subj=subj[order].astype(np.int64), day=day[order].astype(np.int64), key=key[order], order=order)

    def __len__(self) -> int:
        return len(self.key)

    def unsort(self, values: np.ndarray) -> np.ndarray:
        out = np.empty_like(values)
        out[self.order] = values
        return out


def _segment_cumsum(values: np.ndarray, subj_sorted: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each subject (exact per subject, no cross-subject cancellation)."""
    if len(values) == 0:
        return values.astype(np.float64)
    return pd.Series(values, dtype="float64").groupby(subj_sorted, sort=False).cumsum().to_numpy()


def _prefix_at(keys_sorted: np.ndarray, subj_sorted: np.ndarray, prefix: np.ndarray, q: Queries) -> np.ndarray:
    """Per-subject prefix value over the records with key < query key (0 when none)."""
    p = np.searchsorted(keys_sorted, q.key, side="left")
    prev = np.maximum(p - 1, 0)
    ok = (p > 0) & (subj_sorted[prev] == q.subj) if len(keys_sorted) else np.zeros(len(q), bool)
    out = np.zeros(len(q), dtype=np.float64)
    if len(keys_sorted):
        out[ok] = prefix[prev[ok]]
    return out


def _valid(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return lo < hi


def count_before(subj: np.ndarray, bound: np.ndarray, q: Queries) -> np.ndarray:
    """Per query (sorted order): number of keys ``(subj, bound)`` below the query key."""
    return np.searchsorted(np.sort(_keys(subj, bound)), q.key, side="left")


def interval_count(
    subj: np.ndarray, lo: np.ndarray, hi: np.ndarray, q: Queries, *, lo_before: np.ndarray | None = None
) -> np.ndarray:
    """Number of records with ``lo < t <= hi`` per query (original order, int64).

    Records with ``hi <= lo`` never count: ``hi`` is raised to ``lo`` (an empty interval), so
    the ``lo`` side does not depend on ``hi`` and ``lo_before`` (from :func:`count_before`)
    can be shared by every window of the same records.
    """
    if lo_before is None:
        lo_before = count_before(subj, lo, q)
    res = lo_before - count_before(subj, np.maximum(hi, lo), q)
    return q.unsort(res.astype(np.int64))


def sum_before(subj: np.ndarray, bound: np.ndarray, weights: np.ndarray, q: Queries) -> np.ndarray:
    """Per query (sorted order): Σ weights of the subject's records with ``bound`` below ``t``."""
    k = _keys(subj, bound)
    o = np.argsort(k, kind="stable")
    return _prefix_at(k[o], subj[o], _segment_cumsum(weights[o], subj[o]), q)


def interval_sum(
    subj: np.ndarray, lo: np.ndarray, hi: np.ndarray, weights: np.ndarray, q: Queries, *,
    lo_before: np.ndarray | None = None,
) -> np.ndarray:
    """Sum of ``weights`` over records with ``lo < t <= hi`` (NaN weights count as 0).

    As in :func:`interval_count`, ``hi`` is raised to ``lo`` so that ``lo_before`` (from
    :func:`sum_before` on the same weights) can be shared by every window.
    """
    w = np.nan_to_num(weights.astype(np.float64))
    if lo_before is None:
        lo_before = sum_before(subj, lo, w, q)
    return q.unsort(lo_before - sum_before(subj, np.maximum(hi, lo), w, q))


def interval_decayed(
    subj: np.ndarray, lo: np.ndarray, hi: np.ndarray, start: np.ndarray, tau: float, q: Queries,
    n_subjects: int,
) -> np.ndarray:
    """Σ exp(−(t − start)/tau) over records with ``lo < t <= hi``.

    Uses exp((start − ref_s)/tau) with ``ref_s`` the subject's latest start, so every term
    is ≤ 1 and prefix sums restart per subject (no cross-subject cancellation).
    """
    keep = _valid(lo, hi)
    s, st = subj[keep], start[keep]
    ref = np.zeros(n_subjects, dtype=np.int64)
    if len(s):
        np.maximum.at(ref, s, st)
    w = np.exp((st - ref[s]) / tau)
    total = np.zeros(len(q))
    for bound, sign in ((lo[keep], 1.0), (hi[keep], -1.0)):
        k = _keys(s, bound)
        o = np.argsort(k, kind="stable")
        total += sign * _prefix_at(k[o], s[o], _segment_cumsum(w[o], s[o]), q)
    # exact while |t − ref_s| < ~700·tau days (58 years at the minimum tau of 30 days)
    with np.errstate(over="ignore", invalid="ignore"):
        scale = np.exp((ref[q.subj] - q.day) / tau)
        out = np.where(total > 0, total * scale, 0.0)
    return q.unsort(np.maximum(out, 0.0))


def interval_last(
    subj: np.ndarray, lo: np.ndarray, hi: np.ndarray, start: np.ndarray, q: Queries,
    tie: np.ndarray | None = None,
) -> np.ndarray:
    """Index of the most recent record known before ``t`` if it still counts, else −1.

    Among the subject's records with ``lo < t`` (and ``lo < hi``), the most recent is the one
    with the greatest ``(start, hi, tie)``; it is returned only if ``t <= hi``. ``tie`` breaks
    same-day ties (default: the row position; callers pass the rank of ``record_id`` so the
    result does not depend on the order of the input rows). Records grouped by subject
    (``subj`` ascending) go through the compiled merge; otherwise a prefix maximum of a global
    rank (subject-major) over records sorted by ``lo``.
    """
    if len(subj) and len(q) and not np.any(subj[1:] < subj[:-1]):
        return _interval_last_grouped(subj, lo, hi, start, q, tie)
    return _interval_last_sorted(subj, lo, hi, start, q, tie)


def _interval_last_sorted(subj, lo, hi, start, q: Queries, tie=None) -> np.ndarray:
    """:func:`interval_last` by sorting (any record order)."""
    idx = np.flatnonzero(_valid(lo, hi))
    out = np.full(len(q), -1, dtype=np.int64)
    if len(idx) == 0:
        return out
    s, st, h, lw = subj[idx], start[idx], hi[idx], lo[idx]
    tb = idx if tie is None else tie[idx]
    by_rank = np.lexsort((tb, h, st, s))  # positions in idx, ascending (subject, start, hi, tie)
    rank = np.empty_like(by_rank)
    rank[by_rank] = np.arange(len(by_rank))
    k = _keys(s, lw)
    o = np.argsort(k, kind="stable")
    best = np.maximum.accumulate(rank[o])
    p = np.searchsorted(k[o], q.key, side="left")
    prev = np.maximum(p - 1, 0)
    cand = by_rank[best[prev]]
    ok = (p > 0) & (s[cand] == q.subj) & (h[cand] >= q.day)
    out[ok] = idx[cand[ok]]
    return q.unsort(out)


#: A subject with at most this many (cutoff, record) pairs is tested pair by pair; above it,
#: its records are sorted and swept once (same result; bounded cost for a subject with
#: thousands of records and cutoffs).
DIRECT_MAX = 512


def _count_sum_kernel(rec_subj, lo, end, start, value, q_subj, q_day, q_order, windows, direct_max, counts, sums):
    """Per sorted query, per window: records of its subject with ``lo < t <= min(end, start + w)``.

    ``rec_subj`` ascending (records grouped by subject), ``q_subj``/``q_day`` ascending by
    (subject, day), ``q_order`` their original rows. Adds to ``counts[row, j]`` and
    ``sums[row, j]`` (zeros on entry) for window ``j``; NaN values count 0.
    """
    n_rec = len(rec_subj)
    n_q = len(q_subj)
    n_w = len(windows)
    a = 0
    i = 0
    while i < n_q:
        s = q_subj[i]
        i1 = i
        while i1 < n_q and q_subj[i1] == s:
            i1 += 1
        while a < n_rec and rec_subj[a] < s:
            a += 1
        b = a
        while b < n_rec and rec_subj[b] == s:
            b += 1
        if b > a:
            if (b - a) * (i1 - i) <= direct_max:
                for k in range(i, i1):
                    t = q_day[k]
                    row = q_order[k]
                    for r in range(a, b):
                        if lo[r] < t and t <= end[r]:
                            age = t - start[r]
                            v = value[r]
                            if v != v:
                                v = 0.0
                            for j in range(n_w):
                                if age <= windows[j]:
                                    counts[row, j] += 1
                                    sums[row, j] += v
            else:
                lo_s = lo[a:b]
                v_s = np.where(np.isnan(value[a:b]), 0.0, value[a:b])
                o_lo = np.argsort(lo_s, kind="mergesort")
                for j in range(n_w):
                    hi = np.maximum(np.minimum(end[a:b], start[a:b] + windows[j]), lo_s)
                    o_hi = np.argsort(hi, kind="mergesort")
                    p_lo = 0
                    p_hi = 0
                    c = 0
                    acc = 0.0
                    for k in range(i, i1):
                        t = q_day[k]
                        while p_lo < b - a and lo_s[o_lo[p_lo]] < t:
                            c += 1
                            acc += v_s[o_lo[p_lo]]
                            p_lo += 1
                        while p_hi < b - a and hi[o_hi[p_hi]] < t:
                            c -= 1
                            acc -= v_s[o_hi[p_hi]]
                            p_hi += 1
                        counts[q_order[k], j] = c
                        sums[q_order[k], j] = acc if c > 0 else 0.0
        a = b
        i = i1


@cache
def _compiled(name: str):
    """The numba-compiled kernel ``name`` (compiled on first use, cached on disk)."""
    import numba

    return numba.njit(cache=True, nogil=True)(globals()[name])


def interval_count_sum(
    subj: np.ndarray, lo: np.ndarray, end: np.ndarray, start: np.ndarray, value: np.ndarray | None,
    windows, q: Queries, *, direct_max: int = DIRECT_MAX,
) -> tuple[np.ndarray, np.ndarray]:
    """Count and Σ value of the records with ``lo < t <= min(end, start + w)``, per window ``w``.

    ``subj`` must be ascending (records grouped by subject); ``None`` in ``windows`` = no
    window (``hi = end``); NaN or missing values count 0. Returns ``(counts, sums)`` of shape
    ``(len(q), len(windows))`` in the original cutoff order (int64, float64). Equal to
    :func:`interval_count` / :func:`interval_sum` with ``hi = min(end, start + w)``.
    """
    w = np.array([INF if x is None else int(x) for x in windows], dtype=np.int64)
    counts = np.zeros((len(q), len(w)), dtype=np.int64)
    sums = np.zeros((len(q), len(w)), dtype=np.float64)
    if len(subj) and len(q):
        if np.any(subj[1:] < subj[:-1]):
            raise ValueError("interval_count_sum: records must be grouped by subject (ascending subj); sort them first")
        v = np.full(len(subj), np.nan) if value is None else np.asarray(value, dtype=np.float64)
        _compiled("_count_sum_kernel")(
            np.asarray(subj, np.int64), np.asarray(lo, np.int64), np.asarray(end, np.int64),
            np.asarray(start, np.int64), v, q.subj, q.day, q.order, w, int(direct_max), counts, sums,
        )
    return counts, sums


def _last_kernel(rec_subj, lo, hi, start, tie, q_subj, q_day, q_order, direct_max, out):
    """Per sorted query: the record of its subject known before ``t`` with the greatest (start, hi, tie), if ``t <= hi``."""
    n_rec = len(rec_subj)
    n_q = len(q_subj)
    a = 0
    i = 0
    while i < n_q:
        s = q_subj[i]
        i1 = i
        while i1 < n_q and q_subj[i1] == s:
            i1 += 1
        while a < n_rec and rec_subj[a] < s:
            a += 1
        b = a
        while b < n_rec and rec_subj[b] == s:
            b += 1
        if b > a:
            direct = (b - a) * (i1 - i) <= direct_max
            o = np.arange(b - a) if direct else np.argsort(lo[a:b], kind="mergesort")
            p = 0
            best = -1
            for k in range(i, i1):
                t = q_day[k]
                if direct:
                    best = -1
                    p = 0
                while p < b - a and (direct or lo[a + o[p]] < t):
                    r = a + o[p]
                    p += 1
                    if lo[r] < t and lo[r] < hi[r] and (
                        best < 0 or start[r] > start[best] or (start[r] == start[best] and (
                            hi[r] > hi[best] or (hi[r] == hi[best] and tie[r] > tie[best])))
                    ):
                        best = r
                if best >= 0 and hi[best] >= t:
                    out[q_order[k]] = best
        a = b
        i = i1


def _interval_last_grouped(subj, lo, hi, start, q: Queries, tie=None, direct_max: int = DIRECT_MAX) -> np.ndarray:
    """:func:`interval_last` for records grouped by subject, by the compiled merge."""
    out = np.full(len(q), -1, dtype=np.int64)
    tie = np.arange(len(subj), dtype=np.int64) if tie is None else np.asarray(tie, np.int64)
    _compiled("_last_kernel")(
        np.asarray(subj, np.int64), np.asarray(lo, np.int64), np.asarray(hi, np.int64), np.asarray(start, np.int64),
        tie, q.subj, q.day, q.order, int(direct_max), out,
    )
    return out
