"""Domain models (专用模型) and their combination with the generic model (通用+专用).

A domain (environment, food safety, special equipment …) is declared in
``configs/domains/<name>.yaml``: which subjects it covers (industry codes), which label it
learns (e.g. a food-safety violation found), which extra features only it uses, and how it is
combined with the generic model:

``stacking``  the generic model's log-odds is an input feature of the domain model;
``residual``  the domain trees boost from the generic log-odds (an offset), learning only
              what the domain label adds; early stopping keeps as few trees as help;
``blend``     ``w·logit(p_domain) + (1−w)·logit(p_generic)``, ``w`` and a sigmoid
              recalibration fitted on the validation slice;
``max``       the larger of the domain probability and the generic log-odds recalibrated to the
              domain label (a subject is as risky as its worst view);
``domain``    the domain model alone;
``auto``      every option above is fitted and the best by validation AUC is used.

Whatever is chosen, :meth:`DomainModel.compare` evaluates every option (and the generic model
alone) on any slice, so the choice is measured, not assumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from credit_risk._fitted import require_fitted
from credit_risk.config import from_mapping, load_yaml, packaged
from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.features.matrix import FeatureInfo, FeatureMatrix
from credit_risk.models._rules import logit, sigmoid
from credit_risk.models.calibration import weighted_log_loss
from credit_risk.models.generic import GenericRiskModel

__all__ = [
    "COMBINATIONS",
    "DomainConfig",
    "DomainModel",
    "default_domains_dir",
    "industry_of",
    "load_domain_configs",
]

COMBINATIONS: tuple[str, ...] = ("auto", "stacking", "residual", "blend", "max", "domain")
GENERIC_FEATURE = "generic_log_odds"


@dataclass(frozen=True)
class DomainConfig:
    """One ``configs/domains/*.yaml`` file."""

    name: str
    name_zh: str
    label: str
    industries: tuple[str, ...]
    description: str = ""
    extra_features: tuple[str, ...] = ()
    combination: Literal["auto", "stacking", "residual", "blend", "max", "domain"] = "auto"
    model: dict[str, int | float | str | bool] = field(default_factory=dict)

    def subject_mask(self, industry: pd.Series) -> np.ndarray:
        """Rows whose GB/T 4754 industry code starts with one of ``industries``."""
        codes = industry.astype(object).where(industry.notna(), "").astype(str)
        return codes.str.startswith(tuple(self.industries)).to_numpy()


def industry_of(credit_codes: pd.Series, enterprises: pd.DataFrame) -> pd.Series:
    """The GB/T 4754 industry of each subject, in the order of ``credit_codes`` (missing when unknown).

    What :meth:`DomainConfig.subject_mask` reads: the one lookup used by fitting and scoring.

    Examples
    --------
    >>> ent = pd.DataFrame({"credit_code": ["a", "b"], "industry": ["C13", "H62"]})
    >>> industry_of(pd.Series(["b", "x", "a"]), ent).tolist()
    ['H62', nan, 'C13']
    """
    lookup = enterprises.drop_duplicates("credit_code").set_index("credit_code")["industry"].astype(object)
    return pd.Series(pd.Series(credit_codes).map(lookup).to_numpy(dtype=object), dtype=object)


def default_domains_dir() -> Path:
    return packaged("domains")


def load_domain_configs(directory: str | Path | None = None) -> dict[str, DomainConfig]:
    """Every ``*.yaml`` of a domains folder (default: the packaged ``configs/domains``), by name."""
    directory = default_domains_dir() if directory is None else Path(directory)
    configs: dict[str, DomainConfig] = {}
    for path in sorted(directory.glob("*.yaml")):
        config = from_mapping(DomainConfig, load_yaml(path), str(path))
        if config.name in configs:
            raise ConfigError(f"{path}: domain name {config.name!r} is declared twice; names must be unique")
        if not config.industries:
            raise ConfigError(f"{path}: industries is empty; list the GB/T 4754 codes the domain covers")
        configs[config.name] = config
    if not configs:
        raise ConfigError(f"no domain configs (*.yaml) in {directory}")
    return configs


def _platt(z: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[float, float]:
    lr = LogisticRegression(C=1e4).fit(z.reshape(-1, 1), y, sample_weight=w)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


class DomainModel(BaseEstimator):
    """A domain model combined with a fitted generic model.

    Parameters
    ----------
    generic : fitted GenericRiskModel
        Held as given (not refitted); its log-odds feed the combination. ``sklearn.clone``
        clones it unfitted like any nested estimator: wrap it in
        ``sklearn.frozen.FrozenEstimator`` to keep it fitted through a clone.
    extra_features : sequence of str
        Features only the domain model uses, on top of the generic model's features.
    combination : {"auto", "stacking", "blend", "max", "domain"}
    model_params : dict, optional
        Parameters of the domain's :class:`GenericRiskModel` (e.g. fewer trees).
    name : str
        Domain name, used in messages and reports.

    Attributes
    ----------
    combination_ : str
        The combination used by :meth:`predict_proba`.
    domain_model_ : GenericRiskModel
        Trained on the domain's subjects and label, without the generic score.
    stacked_model_ : GenericRiskModel
        The same with the generic log-odds as a feature (``stacking``, ``auto``).
    blend_weight_ : float
    validation_comparison_ : DataFrame
        AUC and log loss of every option on the validation slice.
    features_ : list of str
        Columns read from X.
    """

    def __init__(
        self,
        *,
        generic: GenericRiskModel | None = None,
        extra_features: Sequence[str] = (),
        combination: str = "auto",
        model_params: dict | None = None,
        name: str = "domain",
    ):
        self.generic = generic
        self.extra_features = extra_features
        self.combination = combination
        self.model_params = model_params
        self.name = name

    # ------------------------------------------------------------------ helpers
    def _frames(self, X) -> tuple[pd.DataFrame, tuple[FeatureInfo, ...] | None, pd.DataFrame]:
        frame = X.X if isinstance(X, FeatureMatrix) else X
        info = X.info if isinstance(X, FeatureMatrix) else None
        if not isinstance(frame, pd.DataFrame):
            raise ModelError(f"domain model {self.name!r} needs a FeatureMatrix or a DataFrame with named features")
        generic_names = [str(c) for c in self.generic.feature_names_in_]
        wanted = generic_names + [f for f in self.extra_features if f not in generic_names]
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise ModelError(
                f"domain model {self.name!r}: X lacks features {missing[:10]}; build X with the "
                "feature spec used in training (generic features plus the domain's extra_features)"
            )
        return frame[wanted], info, frame[generic_names]

    def _generic_raw(self, generic_frame: pd.DataFrame) -> np.ndarray:
        return self.generic.decision_function(generic_frame)

    def _info_for(self, info, names: list[str]) -> tuple[FeatureInfo, ...] | None:
        if info is None:
            info = self.generic.feature_info_
            if info is None:
                return None
        by = {i.name: i for i in info}
        if self.generic.feature_info_ is not None:
            by.update({i.name: i for i in self.generic.feature_info_})
        if any(n not in by for n in names):
            return None
        return tuple(by[n] for n in names)

    def _new_model(self, info) -> GenericRiskModel:
        params = dict(self.model_params or {})
        return GenericRiskModel(feature_info=info, **params)

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, sample_weight=None, *, eval_set=None, generic_score=None) -> DomainModel:
        """Fit on the domain's subjects (rows of ``X``) and label ``y``.

        Parameters
        ----------
        X : FeatureMatrix or DataFrame
            The domain's training rows: the generic model's features plus ``extra_features``.
        y : array of shape (n,)
            The domain label (0/1).
        sample_weight : array of shape (n,), optional
        eval_set : tuple (X_val, y_val[, w_val]), optional
            The out-of-time validation slice used for early stopping, calibration, the blend
            weight and the ``auto`` choice; without it the latest dates of ``X`` (a
            FeatureMatrix) are held out.
        generic_score : array of shape (n,), optional
            Generic log-odds (the scale of ``generic.decision_function``: raw, before
            calibration) for the training rows ``X``, one per row in the same order, used
            instead of the generic model's own scores on those rows as the ``stacking``
            feature and the ``residual`` offset. Pass out-of-fold (cross-fitted) scores when
            the generic model was trained on these rows: its in-sample scores are
            over-confident (it has fitted those rows' noise), so a domain model stacked on them
            learns to trust the generic score more than it deserves on new subjects, and the
            boosting offset of ``residual`` starts from a fit too good to be true. The
            validation rows always use the generic model's own scores (it never saw them).
            Without ``eval_set`` the held-out latest rows of ``X`` drop their
            ``generic_score`` and use the generic model's own scores too.

        Raises
        ------
        ModelError
            Without a fitted generic model, with a label of one class, or when
            ``generic_score`` does not hold one finite value per row of ``X``.
        """
        if self.combination not in COMBINATIONS:
            raise ConfigError(
                f"domain {self.name!r}: combination {self.combination!r} is not one of {list(COMBINATIONS)}"
            )
        if self.generic is None:
            raise ModelError(f"domain model {self.name!r} needs a fitted generic model (generic=...)")
        require_fitted(self.generic, "booster_")
        if generic_score is not None:
            generic_score = np.asarray(generic_score, dtype=float)
            n_rows = len(X.X) if isinstance(X, FeatureMatrix) else len(X)
            if generic_score.shape != (n_rows,):
                raise ModelError(
                    f"domain model {self.name!r}: generic_score must hold one generic log-odds per "
                    f"training row of X ({n_rows}); got shape {generic_score.shape}"
                )
            if not np.isfinite(generic_score).all():
                raise ModelError(
                    f"domain model {self.name!r}: generic_score has {int((~np.isfinite(generic_score)).sum())} "
                    "missing or infinite values; pass finite generic log-odds for every training row"
                )
        if eval_set is None:
            if not isinstance(X, FeatureMatrix):
                raise ModelError(f"domain model {self.name!r}: pass eval_set or a FeatureMatrix with as_of dates")
            from credit_risk.models.generic import split_by_time

            mask = split_by_time(X.keys["as_of"], 0.25)
            w = None if sample_weight is None else np.asarray(sample_weight)
            y = np.asarray(y)
            eval_set = (X.rows(mask), y[mask]) + ((w[mask],) if w is not None else ())
            X, y = X.rows(~mask), y[~mask]
            sample_weight = None if w is None else w[~mask]
            generic_score = None if generic_score is None else generic_score[~mask]
        Xv, yv, *rest = eval_set
        wv = rest[0] if rest else None
        frame, info, gframe = self._frames(X)
        frame_v, _, gframe_v = self._frames(Xv)
        y = np.asarray(y).astype(int)
        yv = np.asarray(yv).astype(int)
        if len(np.unique(y)) < 2 or len(np.unique(yv)) < 2:
            raise ModelError(
                f"domain model {self.name!r}: the label needs events and non-events in both the "
                f"training ({int(y.sum())} events of {len(y)}) and validation ({int(yv.sum())} of "
                f"{len(yv)}) slices; widen the domain or the time window"
            )
        names = list(frame.columns)
        info_d = self._info_for(info, names)
        self.features_ = names
        self.domain_model_ = self._new_model(info_d).fit(frame, y, sample_weight, eval_set=(frame_v, yv, wv))
        zg = self._generic_raw(gframe) if generic_score is None else generic_score
        zg_v = self._generic_raw(gframe_v)
        options = {"domain": self.domain_model_.predict_proba(frame_v)[:, 1]}
        if self.combination in ("auto", "stacking"):
            stack_info = None if info_d is None else info_d + (
                FeatureInfo(GENERIC_FEATURE, "context", 1, "log-odds of the generic model", "通用模型风险对数几率"),
            )
            self.stacked_model_ = self._new_model(stack_info).fit(
                frame.assign(**{GENERIC_FEATURE: zg}), y, sample_weight,
                eval_set=(frame_v.assign(**{GENERIC_FEATURE: zg_v}), yv, wv),
            )
            options["stacking"] = self.stacked_model_.predict_proba(frame_v.assign(**{GENERIC_FEATURE: zg_v}))[:, 1]
        if self.combination in ("auto", "residual"):
            self.residual_model_ = self._new_model(info_d).fit(
                frame, y, sample_weight, eval_set=(frame_v, yv, wv, zg_v), init_score=zg
            )
            options["residual"] = self.residual_model_.predict_proba(frame_v, init_score=zg_v)[:, 1]
        zd_v = logit(options["domain"])
        if self.combination in ("auto", "blend"):
            best = None
            for weight in np.linspace(0, 1, 11):
                z = weight * zd_v + (1 - weight) * zg_v
                a, b = _platt(z, yv, wv)
                loss = weighted_log_loss(yv, sigmoid(a * z + b), wv)
                if best is None or loss < best[0]:
                    best = (loss, weight, a, b)
            _, self.blend_weight_, a, b = best
            self.blend_platt_ = (a, b)
            options["blend"] = sigmoid(a * (self.blend_weight_ * zd_v + (1 - self.blend_weight_) * zg_v) + b)
        if self.combination in ("auto", "max"):
            self.generic_platt_ = _platt(zg_v, yv, wv)
            a, b = self.generic_platt_
            options["max"] = np.maximum(options["domain"], sigmoid(a * zg_v + b))
        rows = []
        for method, p in options.items():
            rows.append({"combination": method, "auc": roc_auc_score(yv, p, sample_weight=wv),
                         "log_loss": weighted_log_loss(yv, p, wv)})
        rows.append({"combination": "generic", "auc": roc_auc_score(yv, zg_v, sample_weight=wv), "log_loss": np.nan})
        self.validation_comparison_ = pd.DataFrame(rows)
        if self.combination == "auto":
            cand = self.validation_comparison_[self.validation_comparison_["combination"] != "generic"]
            self.combination_ = str(cand.sort_values("auc", ascending=False, kind="stable")["combination"].iloc[0])
        else:
            self.combination_ = self.combination
        return self

    # ------------------------------------------------------------------ predict
    def predict_all(self, X) -> dict[str, np.ndarray]:
        """Probability of every fitted combination (and ``generic``: the generic model's own)."""
        require_fitted(self, "combination_")
        frame, _, gframe = self._frames(X)
        zg = self._generic_raw(gframe)
        pd_ = self.domain_model_.predict_proba(frame)[:, 1]
        out = {"generic": self.generic.calibrator_.predict(zg), "domain": pd_}
        if hasattr(self, "stacked_model_"):
            out["stacking"] = self.stacked_model_.predict_proba(frame.assign(**{GENERIC_FEATURE: zg}))[:, 1]
        if hasattr(self, "residual_model_"):
            out["residual"] = self.residual_model_.predict_proba(frame, init_score=zg)[:, 1]
        if hasattr(self, "blend_weight_"):
            a, b = self.blend_platt_
            out["blend"] = sigmoid(a * (self.blend_weight_ * logit(pd_) + (1 - self.blend_weight_) * zg) + b)
        if hasattr(self, "generic_platt_"):
            a, b = self.generic_platt_
            out["max"] = np.maximum(pd_, sigmoid(a * zg + b))
        return out

    def predict_proba(self, X) -> np.ndarray:
        """Probability of a domain event with the chosen combination, shape (n, 2)."""
        p = self.predict_all(X)[self.combination_]
        return np.column_stack([1 - p, p])

    def compare(self, X, y, sample_weight=None) -> pd.DataFrame:
        """AUC, KS, Brier and log loss of every option on a slice (e.g. the test slice)."""
        from credit_risk.evaluation import binary_metrics

        rows = []
        for method, p in self.predict_all(X).items():
            m = binary_metrics(np.asarray(y), p, sample_weight)
            rows.append({"combination": method, "chosen": method == self.combination_,
                         **{k: m[k] for k in ("n", "events", "auc", "ks", "brier", "log_loss")}})
        return pd.DataFrame(rows)

    @property
    def explain_model_(self) -> GenericRiskModel:
        """The tree model behind the chosen combination, for explanations.

        For ``residual`` its contributions explain what the domain trees add to the generic
        log-odds; for ``blend`` and ``max`` the domain model alone is explained.
        """
        require_fitted(self, "combination_")
        if self.combination_ == "stacking":
            return self.stacked_model_
        if self.combination_ == "residual":
            return self.residual_model_
        return self.domain_model_

    def explain_frame(self, X) -> pd.DataFrame:
        """The input frame of :attr:`explain_model_` (adds the generic log-odds for stacking)."""
        frame, _, gframe = self._frames(X)
        if self.combination_ == "stacking":
            return frame.assign(**{GENERIC_FEATURE: self._generic_raw(gframe)})
        return frame
