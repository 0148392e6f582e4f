"""Targeting metrics: what ordering a period's inspections by risk score would have gained.

An inspection agency does not care about AUC as such; it cares how much *earlier* the
violations of a period are found when the visits follow the score. The metrics here take
the visits actually made in a period (their dates, outcomes and scores) and re-order them:
the visit dates stay as slots, the highest score takes the first slot, the next score the
second, and so on (ties keep their actual order). A visit that found an adverse outcome
then has a new date; the difference to its actual date is how many days earlier it would
have been found. The same re-ordering by a seeded random order is the baseline — it is not
0 on real data when adverse outcomes cluster early or late in the actual schedule.

Functions take plain arrays: ``y`` (1 = adverse outcome found), ``score`` (rising with
risk), ``dates`` (visit dates) and optional ``periods`` (a label per visit; visits are
re-ordered within their own period only). They are re-exported by
:mod:`credit_risk.evaluation`; :func:`targeting_metrics` gives every figure with a
bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from credit_risk.exceptions import ModelError

__all__ = [
    "capture_at",
    "days_earlier",
    "first_half_share",
    "reordered_dates",
    "targeting_metrics",
    "yield_at",
]

Order = Literal["score", "random", "actual"]


def _inputs(y, score, dates, periods) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float).ravel()
    s = np.asarray(score, dtype=float).ravel()
    d = pd.to_datetime(np.asarray(dates).ravel())
    if not (len(y) == len(s) == len(d)):
        raise ModelError(f"targeting: y, score and dates must have the same length; got {len(y)}, {len(s)}, {len(d)}")
    if len(y) and not np.isin(y, (0.0, 1.0)).all():
        raise ModelError("targeting: y must hold 0/1 outcomes (1 = adverse outcome found); got other values")
    if not np.isfinite(s).all():
        row = int(np.flatnonzero(~np.isfinite(s))[0]) + 1
        raise ModelError(f"targeting: score row {row} is not finite ({s[row - 1]}); drop visits without a score")
    if d.isna().any():
        row = int(np.flatnonzero(np.asarray(d.isna()))[0]) + 1
        raise ModelError(f"targeting: dates row {row} is missing; every visit needs its date")
    days = (d.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)).astype(float)
    if periods is None:
        p = np.zeros(len(y), dtype=np.int64)
    else:
        p = pd.factorize(pd.Series(np.asarray(periods).ravel()), sort=True)[0].astype(np.int64)
        if len(p) != len(y):
            raise ModelError(f"targeting: periods has {len(p)} entries for {len(y)} visits")
    return y, s, days, p


def _reorder(s: np.ndarray, days: np.ndarray, p: np.ndarray, order: Order, rng: np.random.Generator) -> np.ndarray:
    """New day number of every visit (see :func:`reordered_dates`)."""
    if order == "actual":
        return days
    n = len(days)
    if order == "score":
        key = -s
    elif order == "random":
        key = rng.permutation(n).astype(float)
    else:
        raise ModelError(f"targeting: order {order!r} is not one of ['score', 'random', 'actual']")
    position = np.arange(n)
    # visits by period, then by key (ties: actual date, then row): the i-th of its period takes
    # the i-th slot (dates in ascending order) of the same period
    by_key = np.lexsort((position, days, key, p))
    slots = np.lexsort((position, days, p))
    out = np.empty(n)
    out[by_key] = days[slots]
    return out


def reordered_dates(score, dates, *, periods=None, order: Order = "score", seed: int = 0) -> np.ndarray:
    """The date each visit would have had with the period's visits re-ordered.

    Parameters
    ----------
    score : array of float
    dates : array of dates
        The visits' actual dates: the slots of the re-ordered schedule.
    periods : array, optional
        Period label per visit; visits move only within their period.
    order : {"score", "random", "actual"}
        Highest score first; a random order (``seed``); or the actual dates unchanged.
    seed : int

    Returns
    -------
    ndarray of datetime64[D]

    Examples
    --------
    >>> reordered_dates([0.1, 0.9, 0.5], ["2024-01-01", "2024-02-01", "2024-03-01"]).astype(str).tolist()
    ['2024-03-01', '2024-01-01', '2024-02-01']
    """
    _, s, days, p = _inputs(np.zeros(len(np.asarray(score).ravel())), score, dates, periods)
    return _reorder(s, days, p, order, np.random.default_rng(seed)).astype(np.int64).astype("datetime64[D]")


def _days_earlier(y, s, days, p, order, rng) -> float:
    adverse = y == 1
    if not adverse.any():
        return float("nan")
    return float(np.mean(days[adverse] - _reorder(s, days, p, order, rng)[adverse]))


def _first_half(y, s, days, p, order, rng) -> float:
    adverse = y == 1
    if not adverse.any():
        return float("nan")
    first = np.full(int(p.max()) + 1, np.inf)
    last = np.full(int(p.max()) + 1, -np.inf)
    np.minimum.at(first, p, days)
    np.maximum.at(last, p, days)
    mid = first + (last - first) / 2
    new = _reorder(s, days, p, order, rng)
    return float(np.mean(new[adverse] <= mid[p[adverse]]))


def _top(s: np.ndarray, days: np.ndarray, k: float) -> np.ndarray:
    if not 0 < k <= 1:
        raise ModelError(f"targeting: k must be a share of visits in (0, 1]; got {k}")
    n_top = int(np.ceil(k * len(s)))
    order = np.lexsort((np.arange(len(s)), days, -s))
    mask = np.zeros(len(s), dtype=bool)
    mask[order[:n_top]] = True
    return mask


def _capture(y, s, days, k) -> float:
    return float(y[_top(s, days, k)].sum() / y.sum()) if y.sum() > 0 else float("nan")


def _yield(y, s, days, k) -> float:
    top = _top(s, days, k)
    return float(y[top].mean()) if top.any() else float("nan")


def days_earlier(y, score, dates, *, periods=None, order: Order = "score", seed: int = 0) -> float:
    """Mean days earlier that adverse outcomes are found when the visits are re-ordered.

    Positive: found earlier than they actually were. See the module docstring.

    Examples
    --------
    >>> days_earlier([0, 0, 1], [0.1, 0.2, 0.9], ["2024-01-01", "2024-01-11", "2024-01-31"])
    30.0
    """
    y, s, days, p = _inputs(y, score, dates, periods)
    return _days_earlier(y, s, days, p, order, np.random.default_rng(seed))


def first_half_share(y, score, dates, *, periods=None, order: Order = "score", seed: int = 0) -> float:
    """Share of the adverse outcomes found in the first half of their period (up to its midpoint).

    The period runs from its first to its last visit date; ``order="actual"`` gives the
    share under the schedule actually followed.
    """
    y, s, days, p = _inputs(y, score, dates, periods)
    return _first_half(y, s, days, p, order, np.random.default_rng(seed))


def capture_at(y, score, k: float, *, dates=None) -> float:
    """Share of all adverse outcomes found by the ``k`` share of visits with the highest scores.

    ``ceil(k × n)`` visits are taken; ties at the boundary are broken by date (earliest
    first) when ``dates`` are given, else by row.
    """
    y, s, days, _ = _inputs(y, score, np.zeros(len(np.asarray(y).ravel()), "datetime64[D]") if dates is None else dates, None)
    return _capture(y, s, days, k)


def yield_at(y, score, k: float, *, dates=None) -> float:
    """Adverse outcomes per visit among the ``k`` share of visits with the highest scores."""
    y, s, days, _ = _inputs(y, score, np.zeros(len(np.asarray(y).ravel()), "datetime64[D]") if dates is None else dates, None)
    return _yield(y, s, days, k)


def targeting_metrics(
    y,
    score,
    dates,
    *,
    periods=None,
    ks: Sequence[float] = (0.1, 0.2),
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Every targeting figure with a bootstrap interval (visits resampled with replacement).

    Rows (``metric``): ``days_earlier`` (score order), ``days_earlier_random`` (seeded random
    order, a fresh permutation per replicate), ``days_earlier_gain`` (score − random, paired:
    the same resample), ``first_half_share`` (score order), ``first_half_share_random``,
    ``first_half_share_actual``, and per ``k``: ``capture_at_<k%>``, ``yield_at_<k%>`` and
    ``yield_all`` (adverse outcomes per visit over all visits, the yield of any order).

    Returns
    -------
    DataFrame
        ``metric``, ``value`` (full sample), ``se``, ``ci_low``, ``ci_high`` (percentile
        interval), ``n_boot`` (replicates with a value), ``visits``, ``adverse``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = rng.random(300)
    >>> y = (rng.random(300) < s).astype(int)
    >>> d = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, 300), unit="D")
    >>> t = targeting_metrics(y, s, d, n_boot=50).set_index("metric")
    >>> bool(t.loc["days_earlier_gain", "ci_low"] > 0)
    True
    """
    y, s, days, p = _inputs(y, score, dates, periods)
    if n_boot < 20:
        raise ModelError(f"targeting_metrics: n_boot must be at least 20; got {n_boot}")
    if not 0 < confidence < 1:
        raise ModelError(f"targeting_metrics: confidence must be in (0, 1); got {confidence}")
    if len(y) == 0:
        raise ModelError("targeting_metrics: no visits given")
    for k in ks:
        _top(s[:1], days[:1], k)  # validates k

    def figures(idx: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
        yy, ss, dd, pp = y[idx], s[idx], days[idx], p[idx]
        score_days = _days_earlier(yy, ss, dd, pp, "score", rng)
        random_days = _days_earlier(yy, ss, dd, pp, "random", rng)
        out = {
            "days_earlier": score_days,
            "days_earlier_random": random_days,
            "days_earlier_gain": score_days - random_days,
            "first_half_share": _first_half(yy, ss, dd, pp, "score", rng),
            "first_half_share_random": _first_half(yy, ss, dd, pp, "random", rng),
            "first_half_share_actual": _first_half(yy, ss, dd, pp, "actual", rng),
            "yield_all": float(yy.mean()),
        }
        for k in ks:
            out[f"capture_at_{k:.0%}"] = _capture(yy, ss, dd, k)
            out[f"yield_at_{k:.0%}"] = _yield(yy, ss, dd, k)
        return out

    rng = np.random.default_rng(seed)
    point = figures(np.arange(len(y)), np.random.default_rng(seed))
    reps = pd.DataFrame([figures(np.sort(rng.integers(0, len(y), len(y))), rng) for _ in range(n_boot)])
    alpha = (1 - confidence) / 2
    rows = []
    for metric, value in point.items():
        r = reps[metric].to_numpy(dtype=float)
        r = r[np.isfinite(r)]
        lo, hi = np.quantile(r, [alpha, 1 - alpha]) if len(r) else (np.nan, np.nan)
        rows.append({
            "metric": metric, "value": value, "se": float(np.std(r, ddof=1)) if len(r) > 1 else np.nan,
            "ci_low": float(lo), "ci_high": float(hi), "n_boot": len(r),
            "visits": len(y), "adverse": int(y.sum()),
        })
    return pd.DataFrame(rows)
