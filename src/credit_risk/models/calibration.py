"""Probability calibration of raw model scores (log-odds), chosen on held-out time.

A :class:`Calibrator` maps a raw score to a probability with isotonic regression or a
sigmoid (Platt) fit. Both maps are monotone non-decreasing, so the ranking of subjects, and
therefore the reasons computed in the raw log-odds space (:mod:`credit_risk.explain`), are
unchanged by calibration (isotonic regression may merge ties; it never reverses an order).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from credit_risk.exceptions import ConfigError
from credit_risk.models._rules import sigmoid

__all__ = ["CALIBRATION_METHODS", "Calibrator", "choose_calibrator", "weighted_log_loss"]

#: Methods accepted by :func:`choose_calibrator`; ``auto`` picks the best on held-out time.
CALIBRATION_METHODS: tuple[str, ...] = ("auto", "isotonic", "sigmoid", "none")

_EPS = 1e-6


def weighted_log_loss(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> float:
    """Weighted binary log loss with probabilities clipped to ``[1e-6, 1 - 1e-6]``."""
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    y = np.asarray(y, dtype=float)
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(np.average(loss, weights=w))


@dataclass
class Calibrator:
    """A fitted monotone map from raw scores (log-odds) to probabilities.

    Attributes
    ----------
    method : {"isotonic", "sigmoid", "none"}
    model : fitted IsotonicRegression / LogisticRegression, or None for ``none``.
    """

    method: str
    model: object | None = field(default=None, repr=False)

    @classmethod
    def fit(
        cls, raw: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None, method: str
    ) -> Calibrator:
        raw = np.asarray(raw, dtype=float)
        y = np.asarray(y, dtype=float)
        if method == "none":
            return cls("none")
        if method == "isotonic":
            iso = IsotonicRegression(out_of_bounds="clip", y_min=_EPS, y_max=1 - _EPS)
            iso.fit(raw, y, sample_weight=sample_weight)
            return cls("isotonic", iso)
        if method == "sigmoid":
            lr = LogisticRegression(C=1e4)
            lr.fit(raw.reshape(-1, 1), y.astype(int), sample_weight=sample_weight)
            return cls("sigmoid", lr)
        raise ConfigError(f"calibration method {method!r} is not one of {CALIBRATION_METHODS[1:]}")

    def predict(self, raw: np.ndarray) -> np.ndarray:
        """Probabilities for raw scores."""
        raw = np.asarray(raw, dtype=float)
        if self.method == "none":
            return sigmoid(raw)
        if self.method == "isotonic":
            return np.clip(self.model.predict(raw), _EPS, 1 - _EPS)
        return self.model.predict_proba(raw.reshape(-1, 1))[:, 1]


def choose_calibrator(
    raw: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray | None = None,
    *,
    method: str = "auto",
    order: np.ndarray | None = None,
    random_state: int | None = 0,
) -> tuple[Calibrator, dict[str, float]]:
    """Fit a calibrator on held-out scores; with ``method="auto"`` choose it on later time.

    With ``auto`` the held-out rows are split in two by ``order`` (e.g. the as-of date; a
    random split when ``order`` is None): every method is fitted on the earlier half and
    scored (weighted log loss) on the later half; the winner is refitted on all rows.

    Returns
    -------
    calibrator : Calibrator
    losses : dict
        Log loss on the later half per candidate method (empty unless ``auto``).
    """
    if method not in CALIBRATION_METHODS:
        raise ConfigError(
            f"calibration={method!r} is not one of {list(CALIBRATION_METHODS)}; choose one of them"
        )
    raw = np.asarray(raw, dtype=float)
    y = np.asarray(y)
    if method != "auto":
        return Calibrator.fit(raw, y, sample_weight, method), {}
    n = len(raw)
    if order is None:
        rng = np.random.default_rng(random_state)
        rank = rng.permutation(n)
    else:
        rank = np.argsort(np.argsort(np.asarray(order), kind="stable"), kind="stable")
    first = rank < n // 2
    second = ~first
    losses: dict[str, float] = {}
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if len(np.unique(y[first])) < 2 or len(np.unique(y[second])) < 2:
        return Calibrator.fit(raw, y, w, "sigmoid"), losses
    for m in ("isotonic", "sigmoid", "none"):
        cal = Calibrator.fit(raw[first], y[first], None if w is None else w[first], m)
        losses[m] = weighted_log_loss(y[second], cal.predict(raw[second]), None if w is None else w[second])
    best = min(losses, key=losses.__getitem__)
    return Calibrator.fit(raw, y, w, best), losses
