"""The one rule engine: ``feature op value`` conditions on a feature table, and the logit scale.

Tier overrides (:class:`~credit_risk.models.tiers.RiskTiers`: "a subject on the serious
dishonest list is D") and scorecard vetoes (:class:`~credit_risk.models.scorecard.ExpertScorecard`:
"a judgment defaulter is graded E at best") are the same thing: a comparison of one numeric
feature with a constant, missing values never matching. Both read it from here.
"""

from __future__ import annotations

import operator

import numpy as np
import pandas as pd

from credit_risk.exceptions import ConfigError

__all__ = ["OPS", "check_op", "logit", "rule_hits", "sigmoid"]

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
