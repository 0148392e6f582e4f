"""The one rule engine: ``feature op value`` conditions on a feature table, and the logit scale.

Tier overrides (:class:`~credit_risk.models.tiers.RiskTiers`: "a subject on the serious
dishonest list is D") and scorecard vetoes (:class:`~credit_risk.models.scorecard.ExpertScorecard`:
"a judgment defaulter is graded E at best") are the same thing: a comparison of one numeric
feature with a constant, missing values never matching. Both read it from here.

Approved rule sets (the expert scorecard, the environmental credit evaluation and the Zhejiang
public credit evaluation, :mod:`credit_risk.evaluations`) are evaluated by the same three steps:
:func:`bin_points` (value ranges → points), :func:`band_index` (total points → grade) and
:func:`cap_by_vetoes` (one-vote vetoes: a rule that holds caps the grade, whatever the points).
"""

from __future__ import annotations

import operator

import numpy as np
import pandas as pd

from credit_risk.exceptions import ConfigError

__all__ = ["OPS", "band_index", "bin_points", "cap_by_vetoes", "check_op", "logit", "rule_hits", "sigmoid"]

#: The comparison operators a rule may use.
OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne}

_EPS = 1e-6


def check_op(op: str, what: str) -> None:
    """Refuse an unknown operator; ``what`` names the rule (``tier override 'x'``, ``scorecard veto 'y'``).

    Examples
    --------
    >>> check_op(">=", "tier override 'listed'")
    >>> check_op("=>", "tier override 'listed'")
    Traceback (most recent call last):
    ...
    credit_risk.exceptions.ConfigError: tier override 'listed': op '=>' is not one of ['>', '>=', '<', '<=', '==', '!=']
    """
    if op not in OPS:
        raise ConfigError(f"{what}: op {op!r} is not one of {list(OPS)}")


def rule_hits(features: pd.DataFrame, feature: str, op: str, value: float) -> np.ndarray:
    """Rows where ``features[feature] op value`` holds; a missing or non-numeric value never matches.

    Examples
    --------
    >>> frame = pd.DataFrame({"listed": [0, 1, None]})
    >>> rule_hits(frame, "listed", ">", 0).tolist()
    [False, True, False]
    """
    x = pd.to_numeric(features[feature], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return np.asarray(OPS[op](x, value)) & ~np.isnan(x)


def logit(p: np.ndarray, eps: float = _EPS) -> np.ndarray:
    """Log-odds of probabilities clipped to ``[eps, 1 - eps]``."""
    p = np.clip(np.asarray(p, dtype=float), eps, 1 - eps)
    return np.log(p / (1 - p))


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function (arguments clipped to ±500: no overflow)."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def bin_points(values, uppers, points, missing: float) -> np.ndarray:
    """Points of the first bin whose ``upper`` exceeds the value (``[lower, upper)`` bins).

    ``uppers`` are the increasing finite bounds of every bin but the last (which is open
    above); ``points`` has one more entry than ``uppers``; a missing or non-numeric value
    earns ``missing``.

    Examples
    --------
    >>> bin_points(pd.Series([0, 1, 5, None]), [1, 2], [30, 15, 0], missing=10).tolist()
    [30.0, 15.0, 0.0, 10.0]
    """
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    table = np.append(np.asarray(points, dtype=float), float(missing))
    idx = np.searchsorted(np.asarray(uppers, dtype=float), v, side="right")
    idx[np.isnan(v)] = len(table) - 1
    return table[idx]


def band_index(points, minimums) -> np.ndarray:
    """Index of the first band (best → worst, strictly decreasing ``minimums``) whose minimum is reached.

    Points below every minimum fall in the last (worst) band.

    Examples
    --------
    >>> band_index(np.array([95.0, 80.0, 10.0]), [90, 70, 0]).tolist()
    [0, 1, 2]
    """
    p = np.asarray(points, dtype=float)
    mins = np.asarray(minimums, dtype=float)
    reached = p[:, None] >= mins[None, :]
    return np.where(reached.any(axis=1), np.argmax(reached, axis=1), len(mins) - 1)


def cap_by_vetoes(features: pd.DataFrame, index: np.ndarray, vetoes) -> tuple[np.ndarray, np.ndarray]:
    """Apply one-vote vetoes: where a rule holds, the band index is at least the rule's ``rank``.

    ``vetoes`` is a sequence of ``(name, feature, op, value, rank)``; a higher ``rank`` is a
    worse band. Returns the capped indices and, per row, the name of the first veto that
    set its final band (``""`` where none worsened it).

    Examples
    --------
    >>> frame = pd.DataFrame({"serious": [1, 0, None]})
    >>> idx, why = cap_by_vetoes(frame, np.array([0, 0, 0]), [("serious_act", "serious", ">", 0, 3)])
    >>> idx.tolist(), why.tolist()
    ([3, 0, 0], ['serious_act', '', ''])
    """
    final = np.asarray(index).copy()
    why = np.full(len(final), "", dtype=object)
    for name, feature, op, value, rank in vetoes:
        worse = rule_hits(features, feature, op, value) & (final < rank)
        final = np.where(worse, rank, final)
        why[worse] = name
    return final, why
