"""Risk tiers A (low) … D (high) (SAMR 2022 credit-risk classes, DOMAIN.md §2).

:class:`RiskTiers` learns cut-offs on validation scores by one of three methods, then
assigns tiers with overrides and optional hysteresis:

1. **cut-offs** — ``probability``: fixed cut-offs on the calibrated probability;
   ``shares``: cut-offs that put target shares of the validation subjects in each tier;
   ``event_rate``: cut-offs where the observed event rate (an isotonic fit of the validation
   labels on the score) crosses each tier's expected event-rate bound.
2. **hysteresis** (optional) — a subject keeps last month's tier unless its score crosses the
   boundary by more than ``hysteresis`` in log-odds, so subjects near a boundary do not flip
   every month.
3. **overrides** — rules on features that force a tier of at least X (serious dishonest list
   or judgment defaulter → D; a configurable observation period for new subjects). Overrides
   always win over hysteresis.

Defaults live in ``configs/tiers.yaml`` and are loaded with :func:`load_tier_config`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression

from credit_risk._fitted import require_fitted
from credit_risk.config import from_mapping, load_yaml, packaged
from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.models._rules import check_op, logit, rule_hits, sigmoid

__all__ = [
    "ObservationPeriod",
    "OverrideRule",
    "RiskTiers",
    "TierConfig",
    "default_tier_config_path",
    "load_tier_config",
    "share_cutoffs",
]

logger = logging.getLogger(__name__)

_EPS = 1e-9


@dataclass(frozen=True)
class OverrideRule:
    """Force a tier of at least ``at_least`` where ``feature op value`` holds (missing: no).

    An override raises the supervision a subject is under, so it must cite its
    ``legal_basis`` (the regulation or notice that requires it); fitting refuses one without.
    """

    name: str
    feature: str
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: float
    at_least: str
    reason: str = ""
    reason_zh: str = ""
    legal_basis: str = ""


@dataclass(frozen=True)
class ObservationPeriod:
    """New subjects (``feature`` < ``below``, e.g. age in years) get a tier of at least ``at_least``."""

    feature: str
    below: float
    at_least: str
    reason: str = "new subject in its observation period"
    reason_zh: str = "新设主体观察期"


@dataclass(frozen=True)
class TierConfig:
    """The ``configs/tiers.yaml`` file; see :class:`RiskTiers` for the meaning of each key."""

    method: Literal["probability", "shares", "event_rate"] = "shares"
    labels: tuple[str, ...] = ("A", "B", "C", "D")
    shares: tuple[float, ...] = (0.40, 0.40, 0.15, 0.05)
    cutoffs: tuple[float, ...] = (0.02, 0.05, 0.15)
    event_rates: tuple[float, ...] = (0.02, 0.05, 0.15)
    hysteresis: float = 0.0
    overrides: tuple[OverrideRule, ...] = ()
    observation: ObservationPeriod | None = None


def default_tier_config_path() -> Path:
    """Path of the packaged ``configs/tiers.yaml``."""
    return packaged("tiers.yaml")


def load_tier_config(path: str | Path | None = None) -> TierConfig:
    """Load a tier config (default: the packaged one), rejecting unknown keys."""
    path = default_tier_config_path() if path is None else Path(path)
    return from_mapping(TierConfig, load_yaml(path), str(path))


def _cumulative_shares(s: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct scores ``u`` (ascending) and the (weighted) share of rows scoring ``<= u[j]``."""
    u, inverse = np.unique(s, return_inverse=True)
    weight = np.ones(len(s)) if w is None else np.asarray(w, dtype=float)
    mass = np.bincount(inverse, weights=weight, minlength=len(u))
    return u, np.cumsum(mass) / mass.sum()


def share_cutoffs(scores, shares: Sequence[float], sample_weight=None) -> np.ndarray:
    """Cut-offs between distinct scores whose cumulative shares come as close to ``shares`` as ties allow.

    A cut-off is always the midpoint of two adjacent distinct scores, so no score lies on
    it and tied scores share a tier. Boundaries are chosen one by one from the lowest: the
    one whose cumulative (weighted) share is nearest the target, among those that leave
    every remaining tier at least one distinct score. With fewer distinct scores than tiers
    the top tiers stay empty (cut-offs above the highest score).

    Examples
    --------
    >>> share_cutoffs(np.repeat([.1, .2, .3, .4], 25), (.4, .4, .15, .05)).round(2).tolist()
    [0.15, 0.25, 0.35]
    """
    s = np.asarray(scores, dtype=float).ravel()
    targets = np.cumsum(np.asarray(shares, dtype=float))[:-1]
    u, cum = _cumulative_shares(s, sample_weight)
    n_cut, n_bound = len(targets), len(u) - 1  # boundary j lies between u[j] and u[j + 1]
    cut = np.empty(n_cut)
    prev = -1
    for i, target in enumerate(targets):
        lo = prev + 1
        hi = min(n_bound - 1, max(lo, n_bound - (n_cut - i)))
        if lo > hi:  # too few distinct scores: this and the higher tiers stay empty
            top = u[-1] if len(u) else 0.0
            for r in range(i, n_cut):
                top = np.nextafter(top, np.inf)
                cut[r] = top
            break
        j = lo + int(np.argmin(np.abs(cum[lo : hi + 1] - target)))
        cut[i] = u[j] + (u[j + 1] - u[j]) / 2
        prev = j
    return cut


class RiskTiers(BaseEstimator):
    """Cut-offs, hysteresis and overrides that turn probabilities into tiers A–D.

    Parameters
    ----------
    method : {"probability", "shares", "event_rate"}
        How cut-offs are set (see the module docstring).
    labels : sequence of str
        Tier labels from lowest to highest risk.
    shares : sequence of float
        Target share of subjects per tier (``shares``), one per label, summing to 1.
    cutoffs : sequence of float
        Probability cut-offs (``probability``), one fewer than labels, strictly increasing.
    event_rates : sequence of float
        Upper bound of the expected event rate of every tier but the last (``event_rate``).
    hysteresis : float
        Margin in log-odds a score must cross a boundary by to leave last month's tier; 0: off.
    overrides : sequence of OverrideRule
    observation : ObservationPeriod or None

    Attributes
    ----------
    cutoffs_ : ndarray
        Learned probability cut-offs; a score equal to a cut-off goes to the higher tier.
        Learned cut-offs (``shares``, ``event_rate``) lie midway between two distinct fitted
        scores, so tied scores always share a tier.
    labels_ : ndarray of str
    realised_shares_ : ndarray
        (Weighted) share of the fitted scores in each tier: the ``shares`` as closely as ties
        in the scores allow.

    Examples
    --------
    >>> tiers = RiskTiers(method="probability", cutoffs=(0.02, 0.05, 0.15)).fit([0.1])
    >>> tiers.predict([0.01, 0.03, 0.10, 0.40]).tolist()
    ['A', 'B', 'C', 'D']
    """

    def __init__(
        self,
        *,
        method: str = "shares",
        labels: Sequence[str] = ("A", "B", "C", "D"),
        shares: Sequence[float] = (0.40, 0.40, 0.15, 0.05),
        cutoffs: Sequence[float] = (0.02, 0.05, 0.15),
        event_rates: Sequence[float] = (0.02, 0.05, 0.15),
        hysteresis: float = 0.0,
        overrides: Sequence[OverrideRule] = (),
        observation: ObservationPeriod | None = None,
    ):
        self.method = method
        self.labels = labels
        self.shares = shares
        self.cutoffs = cutoffs
        self.event_rates = event_rates
        self.hysteresis = hysteresis
        self.overrides = overrides
        self.observation = observation

    @classmethod
    def from_config(cls, config: TierConfig) -> RiskTiers:
        """An unfitted RiskTiers with the parameters of a :class:`TierConfig`."""
        return cls(**{k: v for k, v in asdict(config).items() if k not in ("overrides", "observation")},
                   overrides=config.overrides, observation=config.observation)

    # ------------------------------------------------------------------ validation
    def _validate(self) -> np.ndarray:
        labels = np.asarray(list(self.labels), dtype=object)
        k = len(labels)
        if k < 2 or len(set(labels)) != k:
            raise ConfigError(f"tiers.labels must be at least two distinct labels; got {list(self.labels)}")
        if self.method not in ("probability", "shares", "event_rate"):
            raise ConfigError(
                f"tiers.method {self.method!r} is not one of ['probability', 'shares', 'event_rate']"
            )
        if self.method == "shares":
            shares = np.asarray(self.shares, dtype=float)
            if shares.shape != (k,) or np.any(shares <= 0) or abs(shares.sum() - 1) > 1e-6:
                raise ConfigError(
                    f"tiers.shares must give one positive share per tier ({k}) summing to 1; "
                    f"got {list(self.shares)}"
                )
        for name in ("cutoffs", "event_rates"):
            if self.method == {"cutoffs": "probability", "event_rates": "event_rate"}[name]:
                v = np.asarray(getattr(self, name), dtype=float)
                if v.shape != (k - 1,) or np.any(np.diff(v) <= 0) or np.any((v <= 0) | (v >= 1)):
                    raise ConfigError(
                        f"tiers.{name} must be {k - 1} strictly increasing values in (0, 1); "
                        f"got {list(getattr(self, name))}"
                    )
        if not np.isfinite(self.hysteresis) or self.hysteresis < 0:
            raise ConfigError(f"tiers.hysteresis must be a margin >= 0 in log-odds; got {self.hysteresis!r}")
        rules = list(self.overrides) + ([self.observation] if self.observation is not None else [])
        for rule in rules:
            if rule.at_least not in set(labels):
                raise ConfigError(
                    f"tiers override {getattr(rule, 'name', 'observation')!r}: at_least "
                    f"{rule.at_least!r} is not one of the labels {list(labels)}"
                )
        for rule in self.overrides:
            if not str(rule.legal_basis).strip():
                raise ConfigError(
                    f"tiers override {rule.name!r} cites no legal_basis; every measure that raises a "
                    "subject's supervision must name the regulation requiring it (e.g. SAMR Order 44)"
                )
        return labels

    # ------------------------------------------------------------------ fit
    def fit(self, scores, y=None, sample_weight=None) -> RiskTiers:
        """Learn the cut-offs from validation probabilities (and labels for ``event_rate``)."""
        labels = self._validate()
        s = np.asarray(scores, dtype=float).ravel()
        if len(s) == 0 or not np.isfinite(s).all():
            raise ModelError("RiskTiers.fit needs a non-empty array of finite scores")
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if self.method == "probability":
            cut = np.asarray(self.cutoffs, dtype=float)
        elif self.method == "shares":
            cut = share_cutoffs(s, self.shares, w)
        else:
            if y is None:
                raise ModelError("RiskTiers(method='event_rate').fit needs the validation labels y")
            y = np.asarray(y, dtype=float)
            iso = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(s, y, sample_weight=w)
            grid = np.unique(s)
            rate = iso.predict(grid)
            cut = []
            for bound in np.asarray(self.event_rates, dtype=float):
                above = np.flatnonzero(rate > bound)
                # between the last distinct score at or below the bound and the next one
                j = above[0] if len(above) else len(grid)
                cut.append(np.nextafter(grid[0], -np.inf) if j == 0 else
                           np.nextafter(grid[-1], np.inf) if j == len(grid) else (grid[j - 1] + grid[j]) / 2)
            cut = np.asarray(cut)
            self.event_rate_curve_ = pd.DataFrame({"score": grid, "event_rate": rate})
        # ties in the scores may give equal cut-offs: keep them strictly increasing
        cut = np.maximum.accumulate(cut)
        for i in range(1, len(cut)):
            if cut[i] <= cut[i - 1]:
                cut[i] = np.nextafter(cut[i - 1], np.inf)
        self.cutoffs_ = cut
        self.labels_ = labels
        idx = self._index(s)
        weight = np.ones(len(s)) if w is None else w
        self.realised_shares_ = np.bincount(idx, weights=weight, minlength=len(labels)) / weight.sum()
        if np.any(self.realised_shares_ == 0):
            logger.warning("risk tiers: tier(s) %s hold no fitted score (%d distinct scores)",
                           [str(x) for x in labels[self.realised_shares_ == 0]], len(np.unique(s)))
        return self

    # ------------------------------------------------------------------ assignment
    def _index(self, scores: np.ndarray, shift: float = 0.0) -> np.ndarray:
        if shift == 0.0:
            return np.searchsorted(self.cutoffs_, scores, side="right")
        cut = sigmoid(logit(self.cutoffs_, eps=_EPS) + shift)
        return np.searchsorted(cut, scores, side="right")

    def predict(self, scores) -> np.ndarray:
        """Tiers from scores alone (no hysteresis, no overrides)."""
        require_fitted(self, "cutoffs_")
        s = np.asarray(scores, dtype=float).ravel()
        return self.labels_[self._index(s)]

    def assign(
        self,
        scores,
        *,
        features: pd.DataFrame | None = None,
        keys: pd.DataFrame | None = None,
        previous: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Tiers with hysteresis and overrides, and why each subject got its tier.

        Parameters
        ----------
        scores : array of shape (n,)
            Calibrated probabilities.
        features : DataFrame, optional
            Columns named by the override rules (row-aligned with ``scores``); required when
            rules are configured.
        keys : DataFrame, optional
            ``credit_code`` (and ``as_of``) per row; required with ``previous``.
        previous : DataFrame, optional
            Last month's ``credit_code`` and ``tier`` (for hysteresis).

        Returns
        -------
        DataFrame
            ``probability``, ``model_tier`` (cut-offs only), ``tier`` (final), ``kept_previous``
            (hysteresis held the subject in last month's tier), ``override`` and
            ``override_reason``/``override_reason_zh`` (the rule that raised the tier, or "") and
            ``override_legal_basis`` (the regulation it cites).
        """
        require_fitted(self, "cutoffs_")
        s = np.asarray(scores, dtype=float).ravel()
        n = len(s)
        model_idx = self._index(s)
        idx = model_idx.copy()
        kept = np.zeros(n, dtype=bool)
        if previous is not None and self.hysteresis > 0:
            if keys is None or "credit_code" not in keys:
                raise ModelError("RiskTiers.assign: hysteresis needs keys with a credit_code column")
            if not {"credit_code", "tier"} <= set(previous.columns):
                raise ModelError(
                    "RiskTiers.assign: previous tiers need columns credit_code and tier; "
                    f"got {list(previous.columns)}"
                )
            rank = {label: i for i, label in enumerate(self.labels_)}
            # Hold against last month's *model* tier: an override (e.g. a listing since removed)
            # must not linger through hysteresis once its condition is gone.
            held_col = "model_tier" if "model_tier" in previous.columns else "tier"
            prev_map = previous.drop_duplicates("credit_code", keep="last").set_index("credit_code")[held_col]
            prev = keys["credit_code"].map(prev_map).map(rank).to_numpy(dtype=float)
            has = ~np.isnan(prev)
            up = self._index(s, +self.hysteresis)  # harder to move up
            down = self._index(s, -self.hysteresis)  # harder to move down
            p = np.where(has, prev, 0).astype(int)
            held = np.where(up > p, up, np.where(down < p, down, p))
            idx = np.where(has, held, idx)
            kept = has & (idx != model_idx)
        override = np.full(n, "", dtype=object)
        reason = np.full(n, "", dtype=object)
        reason_zh = np.full(n, "", dtype=object)
        basis = np.full(n, "", dtype=object)
        rules = list(self.overrides)
        conditions = []
        if rules or self.observation is not None:
            if features is None:
                raise ModelError(
                    "RiskTiers.assign: override rules are configured "
                    f"({[r.name for r in rules]}) but no features were given; pass features="
                )
            if len(features) != n:
                raise ModelError(f"RiskTiers.assign: features has {len(features)} rows but there are {n} scores")
            for rule in rules:
                conditions.append((rule.name, rule, self._condition(features, rule.feature, rule.op, rule.value, rule.name)))
            if self.observation is not None:
                ob = self.observation
                conditions.append(("observation", ob, self._condition(features, ob.feature, "<", ob.below, "observation")))
        rank = {label: i for i, label in enumerate(self.labels_)}
        for name, rule, cond in conditions:
            floor = rank[rule.at_least]
            raise_it = cond & (idx < floor)
            idx = np.where(raise_it, floor, idx)
            override[raise_it] = name
            reason[raise_it] = rule.reason
            reason_zh[raise_it] = rule.reason_zh
            basis[raise_it] = getattr(rule, "legal_basis", "")
        out = pd.DataFrame(
            {
                "probability": s,
                "model_tier": self.labels_[model_idx],
                "tier": self.labels_[idx],
                "kept_previous": kept,
                "override": override,
                "override_reason": reason,
                "override_reason_zh": reason_zh,
                "override_legal_basis": basis,
            }
        )
        if keys is not None:
            out = pd.concat([keys.reset_index(drop=True), out], axis=1)
        return out

    @staticmethod
    def _condition(features: pd.DataFrame, feature: str, op: str, value: float, name: str) -> np.ndarray:
        if feature not in features.columns:
            raise ModelError(
                f"tier override {name!r} needs feature {feature!r}, which is not among the "
                f"{features.shape[1]} features given; add it to the feature spec or fix the rule "
                "in configs/tiers.yaml"
            )
        check_op(op, f"tier override {name!r}")
        return rule_hits(features, feature, op, value)
