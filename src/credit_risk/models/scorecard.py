"""The expert scorecard: public-credit-evaluation style points on a 1000-point scale.

Zhejiang's public credit evaluation (五类主体公共信用评价, DOMAIN.md §6) scores enterprises on a
1000-point scale with grades excellent / good / fair / poor; serious acts force the worst
grade (one-vote veto, 一票否决, as in environmental credit, §5). :class:`ExpertScorecard`
works in two modes:

``rules``
    Points come from an **approved rule set** written in the config (``configs/scorecard.yaml``):
    each indicator maps value ranges of one feature to points, with explicit points for a
    missing value. Usable on its own where a regulator must apply an approved rule set.
``learned``
    Points are learned the way credit scorecards are built: monotone optimal binning,
    weight of evidence and information value (:mod:`credit_risk.models.binning`), logistic
    regression on the WoE, points scaled by PDO (points to double the odds). Missing and
    special values keep their own bins and observed WoE.

In both modes **more points = better credit**; :meth:`ExpertScorecard.decision_function`
returns ``max_points - points`` (higher = riskier) to compare with the ML models by AUC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

from credit_risk._fitted import require_fitted
from credit_risk.config import from_mapping, load_yaml, packaged
from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.features.matrix import FeatureInfo, FeatureMatrix
from credit_risk.models._rules import band_index, bin_points, cap_by_vetoes, check_op
from credit_risk.models.binning import FeatureBinning, bin_feature

__all__ = [
    "Band",
    "ExpertScorecard",
    "Indicator",
    "IndicatorBin",
    "LearnedParams",
    "ScorecardConfig",
    "Veto",
    "default_scorecard_config_path",
    "load_scorecard_config",
]



@dataclass(frozen=True)
class IndicatorBin:
    """Values below ``upper`` (and not in an earlier bin) earn ``points``; ``upper: null`` = ∞."""

    upper: float | None
    points: float


@dataclass(frozen=True)
class Indicator:
    """One indicator of an approved rule set.

    ``missing`` is required: the rule set must say what a missing value earns.
    """

    name: str
    feature: str
    dimension: str
    bins: tuple[IndicatorBin, ...]
    missing: float
    description_zh: str = ""


@dataclass(frozen=True)
class Band:
    """Grade ``grade`` for scores of at least ``min_points``."""

    grade: str
    min_points: float


@dataclass(frozen=True)
class Veto:
    """One-vote veto: where ``feature op value`` holds the grade is at most ``grade``."""

    name: str
    feature: str
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: float
    grade: str
    reason_zh: str = ""


@dataclass(frozen=True)
class LearnedParams:
    """Parameters of the learned mode (binning, regression, PDO scaling)."""

    pdo: float = 60.0
    base_points: float = 700.0
    base_odds: float = 20.0
    n_prebins: int = 20
    max_bins: int = 6
    min_bin_share: float = 0.02
    min_iv: float = 0.02
    max_features: int = 15
    special_values: tuple[float, ...] = ()
    C: float = 1.0


@dataclass(frozen=True)
class ScorecardConfig:
    """The ``configs/scorecard.yaml`` file."""

    mode: Literal["rules", "learned"]
    max_points: float = 1000.0
    bands: tuple[Band, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    learned: LearnedParams = field(default_factory=LearnedParams)


def default_scorecard_config_path() -> Path:
    """Path of the packaged ``configs/scorecard.yaml``."""
    return packaged("scorecard.yaml")


def load_scorecard_config(path: str | Path | None = None) -> ScorecardConfig:
    """Load a scorecard config (default: the packaged example rule set)."""
    path = default_scorecard_config_path() if path is None else Path(path)
    return from_mapping(ScorecardConfig, load_yaml(path), str(path))


_DEFAULT_BANDS = (Band("excellent", 900.0), Band("good", 700.0), Band("fair", 550.0), Band("poor", 0.0))


class ExpertScorecard(BaseEstimator):
    """Points, grades and one-vote vetoes on a 1000-point scale (rules or learned).

    Parameters
    ----------
    mode : {"rules", "learned"}
    indicators : sequence of Indicator
        The approved rule set (``rules`` mode).
    bands : sequence of Band
        Grades from best to worst with their minimum points.
    vetoes : sequence of Veto
    max_points : float
        Top of the scale; points are clipped to ``[0, max_points]``.
    learned : LearnedParams
        Binning, regression and PDO scaling (``learned`` mode).
    feature_info : sequence of FeatureInfo, optional
        Declared directions guide the monotone binning (taken from a FeatureMatrix).

    Attributes
    ----------
    points_table_ : DataFrame
        One row per indicator bin: ``indicator``, ``feature``, ``bin``, ``points`` (and WoE,
        IV, event rate in learned mode).
    binnings_ : dict of FeatureBinning (learned)
    iv_ : Series (learned): information value of every feature considered.
    coef_, intercept_ : (learned) logistic regression on the WoE.
    features_ : list of str
        The features the scorecard reads (indicators and vetoes).

    Examples
    --------
    >>> from credit_risk.models.synthetic import toy_feature_matrix
    >>> fm, y, _ = toy_feature_matrix(3000, seed=0)
    >>> card = ExpertScorecard(mode="learned").fit(fm, y)
    >>> pts = card.points(fm)
    >>> bool(((pts >= 0) & (pts <= 1000)).all())
    True
    """

    def __init__(
        self,
        *,
        mode: str = "learned",
        indicators: Sequence[Indicator] = (),
        bands: Sequence[Band] = _DEFAULT_BANDS,
        vetoes: Sequence[Veto] = (),
        max_points: float = 1000.0,
        learned: LearnedParams = LearnedParams(),
        feature_info: Sequence[FeatureInfo] | None = None,
    ):
        self.mode = mode
        self.indicators = indicators
        self.bands = bands
        self.vetoes = vetoes
        self.max_points = max_points
        self.learned = learned
        self.feature_info = feature_info

    @classmethod
    def from_config(cls, config: ScorecardConfig, **overrides) -> ExpertScorecard:
        params = {
            "mode": config.mode,
            "indicators": config.indicators,
            "bands": config.bands or _DEFAULT_BANDS,
            "vetoes": config.vetoes,
            "max_points": config.max_points,
            "learned": config.learned,
        }
        params.update(overrides)
        return cls(**params)

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        if self.mode not in ("rules", "learned"):
            raise ConfigError(f"scorecard.mode {self.mode!r} is not one of ['rules', 'learned']")
        bands = list(self.bands)
        mins = [b.min_points for b in bands]
        if not bands or any(np.diff(mins) >= 0) or mins[-1] > 0:
            raise ConfigError(
                "scorecard.bands must list grades from best to worst with strictly decreasing "
                f"min_points ending at 0 or below; got {[(b.grade, b.min_points) for b in bands]}"
            )
        grades = {b.grade for b in bands}
        for v in self.vetoes:
            if v.grade not in grades:
                raise ConfigError(f"scorecard veto {v.name!r}: grade {v.grade!r} is not one of {sorted(grades)}")
            check_op(v.op, f"scorecard veto {v.name!r}")
        if self.mode == "rules":
            if not self.indicators:
                raise ConfigError("scorecard.mode is 'rules' but no indicators are configured; add indicators")
            top = 0.0
            for ind in self.indicators:
                uppers = [b.upper for b in ind.bins]
                if not ind.bins or uppers[-1] is not None or any(u is None for u in uppers[:-1]):
                    raise ConfigError(
                        f"scorecard indicator {ind.name!r}: bins must end with one 'upper: null' bin "
                        "(values above every bound) and only that one"
                    )
                if any(np.diff(np.asarray(uppers[:-1], dtype=float)) <= 0):
                    raise ConfigError(f"scorecard indicator {ind.name!r}: bin uppers must increase; got {uppers}")
                top += max([b.points for b in ind.bins] + [ind.missing])
            if top > self.max_points + 1e-9:
                raise ConfigError(
                    f"scorecard indicators can earn {top:g} points, more than max_points "
                    f"{self.max_points:g}; lower the points"
                )

    @staticmethod
    def _frame(X) -> tuple[pd.DataFrame, tuple[FeatureInfo, ...] | None]:
        if isinstance(X, FeatureMatrix):
            return X.X, X.info
        if isinstance(X, pd.DataFrame):
            return X, None
        raise ModelError(f"ExpertScorecard needs a FeatureMatrix or a DataFrame with named features; got {type(X).__name__}")

    def _require_columns(self, frame: pd.DataFrame, names: Sequence[str]) -> None:
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise ModelError(
                f"ExpertScorecard: features {missing} used by the scorecard are not in X; add them "
                "to the feature spec or fix configs/scorecard.yaml"
            )

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None, sample_weight=None) -> ExpertScorecard:
        """Rules: check the features exist. Learned: bin, WoE, regression, PDO points."""
        self._validate()
        frame, info = self._frame(X)
        info = info if info is not None else self.feature_info
        veto_features = [v.feature for v in self.vetoes]
        if self.mode == "rules":
            self._require_columns(frame, [i.feature for i in self.indicators] + veto_features)
            rows = []
            for ind in self.indicators:
                lower = -np.inf
                for k, b in enumerate(ind.bins):
                    upper = np.inf if b.upper is None else b.upper
                    rows.append((ind.name, ind.feature, ind.dimension, k, f"[{lower:g}, {upper:g})", b.points))
                    lower = upper
                rows.append((ind.name, ind.feature, ind.dimension, len(ind.bins), "missing", ind.missing))
            self.points_table_ = pd.DataFrame(rows, columns=["indicator", "feature", "dimension", "bin", "label", "points"])
            self.features_ = list(dict.fromkeys([i.feature for i in self.indicators] + veto_features))
            return self
        if y is None:
            raise ModelError("ExpertScorecard(mode='learned').fit needs labels y")
        self._require_columns(frame, veto_features)
        y = np.asarray(y, dtype=float)
        if len(y) != len(frame) or not np.isin(y, (0, 1)).all() or len(np.unique(y)) < 2:
            raise ModelError("ExpertScorecard.fit needs one 0/1 label per row with both classes present")
        p = self.learned
        directions = {i.name: (i.direction, i.categorical) for i in info} if info is not None else {}
        binnings: dict[str, FeatureBinning] = {}
        for col in frame.columns:
            direction, categorical = directions.get(
                col, (0, isinstance(frame[col].dtype, pd.CategoricalDtype) or frame[col].dtype == object)
            )
            binnings[col] = bin_feature(
                frame[col].to_numpy(), y, sample_weight, name=col, direction=direction,
                categorical=categorical, n_prebins=p.n_prebins, max_bins=p.max_bins,
                min_bin_share=p.min_bin_share, special_values=p.special_values,
            )
        self.iv_ = pd.Series({k: b.iv for k, b in binnings.items()}).sort_values(ascending=False)
        selected = [f for f in self.iv_.index if self.iv_[f] >= p.min_iv][: p.max_features]
        if not selected:
            raise ModelError(
                f"no feature reaches min_iv={p.min_iv}; the best IV is {self.iv_.iloc[0]:.4f} "
                f"({self.iv_.index[0]}); lower learned.min_iv"
            )
        # logistic regression on the WoE; features with a negative coefficient (against their
        # WoE) are dropped and the regression refitted, as is usual for scorecards
        while True:
            W = np.column_stack([binnings[f].woe(frame[f].to_numpy()) for f in selected])
            lr = LogisticRegression(C=p.C, max_iter=1000).fit(W, y, sample_weight=sample_weight)
            coef = lr.coef_.ravel()
            if (coef > 0).all() or len(selected) == 1:
                break
            selected = [f for f, c in zip(selected, coef, strict=True) if c > 0]
        self.binnings_ = {f: binnings[f] for f in selected}
        self.coef_ = coef
        self.intercept_ = float(lr.intercept_[0])
        factor = p.pdo / np.log(2.0)
        offset = p.base_points - factor * np.log(p.base_odds)
        # points = offset - factor * (intercept + sum coef * woe), spread over the indicators
        rows = []
        share = (offset - factor * self.intercept_) / len(selected)
        for f, c in zip(selected, coef, strict=True):
            t = binnings[f].table
            pts = share - factor * c * t["woe"].to_numpy()
            for _, r in t.assign(points=pts).iterrows():
                rows.append((f, f, "learned", int(r["bin"]), r["label"], float(r["points"]), r["woe"], r["event_rate"], r["n"], bool(r["seen"])))
        self.points_table_ = pd.DataFrame(
            rows, columns=["indicator", "feature", "dimension", "bin", "label", "points", "woe", "event_rate", "n", "seen"]
        )
        self.factor_, self.offset_ = factor, offset
        self.features_ = list(dict.fromkeys(selected + veto_features))
        return self

    # ------------------------------------------------------------------ scoring
    def points_breakdown(self, X) -> pd.DataFrame:
        """Points per indicator (columns) for every row of ``X``."""
        require_fitted(self, "points_table_")
        frame, _ = self._frame(X)
        self._require_columns(frame, self.points_table_["feature"].unique().tolist())
        out = {}
        for name, t in self.points_table_.groupby("indicator", sort=False):
            feature = t["feature"].iloc[0]
            pts = t["points"].to_numpy()
            if self.mode == "learned":
                idx = self.binnings_[feature].bin_index(frame[feature].to_numpy())
            else:
                ind = next(i for i in self.indicators if i.name == name)
                out[name] = bin_points(frame[feature], [b.upper for b in ind.bins[:-1]], pts[:-1], pts[-1])
                continue
            out[name] = pts[idx]
        return pd.DataFrame(out, index=frame.index)

    def points(self, X) -> np.ndarray:
        """Total points in ``[0, max_points]`` (more = better credit)."""
        return np.clip(self.points_breakdown(X).sum(axis=1).to_numpy(), 0.0, self.max_points)

    def decision_function(self, X) -> np.ndarray:
        """Risk score ``max_points - points`` (higher = riskier), for AUC comparisons."""
        return self.max_points - self.points(X)

    def predict_proba(self, X) -> np.ndarray:
        """Event probability implied by the points (learned mode only)."""
        require_fitted(self, "points_table_")
        if self.mode != "learned":
            raise ModelError(
                "a rules scorecard has points, not probabilities; use decision_function to rank "
                "or mode='learned' to learn calibrated points"
            )
        raw = np.clip(self.points_breakdown(X).sum(axis=1).to_numpy(), -1e9, 1e9)
        logit = (self.offset_ - raw) / self.factor_
        p = 1 / (1 + np.exp(-logit))
        return np.column_stack([1 - p, p])

    def grade(self, X) -> pd.DataFrame:
        """Points, grade before and after vetoes, and the veto applied, for every row."""
        frame, _ = self._frame(X)
        pts = self.points(X)
        bands = list(self.bands)
        mins = np.asarray([b.min_points for b in bands], dtype=float)
        names = np.asarray([b.grade for b in bands], dtype=object)
        # bands are best→worst with decreasing minimums: first band whose minimum is reached
        idx = band_index(pts, mins)
        by_points = names[idx]
        rank = {b.grade: i for i, b in enumerate(bands)}
        final, veto = cap_by_vetoes(frame, idx, [(v.name, v.feature, v.op, v.value, rank[v.grade]) for v in self.vetoes])
        return pd.DataFrame({"points": pts, "grade_by_points": by_points, "grade": names[final], "veto": veto}, index=frame.index)

    def to_config(self) -> dict:
        """The fitted points as a plain dict (for review and approval of a learned rule set)."""
        require_fitted(self, "points_table_")
        return {
            "mode": self.mode,
            "max_points": self.max_points,
            "bands": [asdict(b) for b in self.bands],
            "vetoes": [asdict(v) for v in self.vetoes],
            "points": self.points_table_.to_dict(orient="records"),
        }
