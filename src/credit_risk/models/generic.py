"""The generic model (通用模型): calibrated, monotone LightGBM over all subjects."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import assert_all_finite
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, column_or_1d, validate_data

from credit_risk._fitted import require_fitted
from credit_risk.config import from_mapping, load_yaml, packaged
from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.features.matrix import FeatureInfo, FeatureMatrix
from credit_risk.models.calibration import CALIBRATION_METHODS, Calibrator, choose_calibrator

__all__ = ["GenericRiskModel", "ModelParams", "load_model_params", "split_by_time"]

logger = logging.getLogger(__name__)

#: Fewer held-out rows than this (or a single class among them): no early stopping and no
#: calibration fit; the model then trains on all rows and reports ``calibration_method_ = "none"``.
MIN_VALIDATION_ROWS = 30

#: LightGBM monotone method; "advanced" is markedly slower to train for little gain here.
MONOTONE_METHOD = "intermediate"


def split_by_time(time: Sequence, fraction: float) -> np.ndarray:
    """Boolean mask of the latest dates holding about ``fraction`` of the rows (whole dates).

    Examples
    --------
    >>> t = pd.to_datetime(["2024-01-01"] * 6 + ["2024-02-01"] * 2 + ["2024-03-01"] * 2)
    >>> split_by_time(t, 0.4).tolist()
    [False, False, False, False, False, False, True, True, True, True]
    """
    t = pd.Series(pd.to_datetime(np.asarray(time)))
    counts = t.value_counts().sort_index(ascending=False)
    cum = counts.cumsum() / len(t)
    # keep adding the latest dates until the share is reached, but never take every date
    n_dates = int(np.searchsorted(cum.to_numpy(), fraction, side="left")) + 1
    n_dates = min(n_dates, len(counts) - 1)
    if n_dates <= 0:
        return np.zeros(len(t), dtype=bool)
    latest = set(counts.index[:n_dates])
    return t.isin(latest).to_numpy()


def _unwrap(X):
    """Split a FeatureMatrix into (X frame, info, as_of); pass anything else through."""
    if isinstance(X, FeatureMatrix):
        return X.X, X.info, X.keys["as_of"].to_numpy()
    return X, None, None


@dataclass(frozen=True)
class ModelParams:
    """``configs/model.yaml``: parameters of the generic model (see :class:`GenericRiskModel`).

    The single source of their defaults: :class:`GenericRiskModel` takes its keyword defaults
    from here and the packaged ``model.yaml`` states the same values (a test compares the
    three). Tuned on the synthetic province (out-of-time validation AUC) [I]; re-tune for a
    deployment.
    """

    n_estimators: int = 1000  # upper bound; early stopping on the validation slice decides
    learning_rate: float = 0.05
    num_leaves: int = 15
    max_depth: int = 5  # shallow trees: same AUC here, TreeSHAP reasons ~3x cheaper
    min_child_samples: int = 30  # 100 starves the ~3,000-row training slice of a 5,000-subject province
    reg_lambda: float = 10.0
    subsample: float = 1.0
    colsample_bytree: float = 0.5
    early_stopping_rounds: int = 50
    calibration: str = "auto"
    monotone: bool = True
    n_jobs: int = 1


def load_model_params(path: str | Path | None = None) -> dict[str, Any]:
    """Read ``configs/model.yaml`` strictly (unknown keys fail, values range-checked) into GenericRiskModel keyword arguments."""
    path = packaged("model.yaml") if path is None else Path(path)
    params = asdict(from_mapping(ModelParams, load_yaml(path), str(path)))
    for name, value in params.items():
        ok, allowed = _PARAM_RANGES[name]
        if isinstance(value, bool) != (name == "monotone") or not ok(value):
            raise ConfigError(f"{path}: {name} must be {allowed}; got {value!r}; fix it in the model config")
    return params


_PARAM_RANGES: dict[str, tuple[Any, str]] = {
    "n_estimators": (lambda v: v >= 1, "an integer >= 1"),
    "learning_rate": (lambda v: 0 < v <= 1, "in (0, 1]"),
    "num_leaves": (lambda v: v >= 2, "an integer >= 2"),
    "max_depth": (lambda v: v >= 1 or v == -1, "an integer >= 1 (or -1: no limit)"),
    "min_child_samples": (lambda v: v >= 1, "an integer >= 1"),
    "reg_lambda": (lambda v: 0 <= v < float("inf"), "a finite number >= 0"),
    "subsample": (lambda v: 0 < v <= 1, "in (0, 1]"),
    "colsample_bytree": (lambda v: 0 < v <= 1, "in (0, 1]"),
    "early_stopping_rounds": (lambda v: v >= 1, "an integer >= 1"),
    "calibration": (lambda v: v in ("auto", "isotonic", "sigmoid", "none"), "one of auto, isotonic, sigmoid, none"),
    "monotone": (lambda v: True, "true or false"),
    "n_jobs": (lambda v: v >= 1 or v == -1, "an integer >= 1 (or -1: all cores)"),
}



class GenericRiskModel(ClassifierMixin, BaseEstimator):
    """Calibrated gradient-boosted risk model with monotone constraints.

    LightGBM trees over the feature matrix; each feature's declared
    :attr:`FeatureInfo.direction` becomes a monotone constraint (categoricals: none),
    categorical columns are split natively, boosting stops early on an out-of-time
    validation slice and the raw log-odds are calibrated (isotonic or sigmoid, chosen on
    held-out time).

    Parameters
    ----------
    n_estimators : int
        Maximum number of boosting rounds. The defaults of the LightGBM parameters, of
        ``calibration``, ``monotone``, ``early_stopping_rounds`` and ``n_jobs`` are those of
        :class:`ModelParams` (``configs/model.yaml``).
    learning_rate, num_leaves, max_depth, min_child_samples, reg_lambda, subsample, colsample_bytree
        LightGBM parameters (``subsample`` < 1 uses bagging every round). A small ``max_depth``
        makes TreeSHAP reasons much cheaper (its cost grows with depth squared).
    monotone : bool
        Use the features' declared directions as monotone constraints.
    calibration : {"auto", "isotonic", "sigmoid", "none"}
        ``auto`` picks isotonic or sigmoid (or none) by log loss on the later half of the
        validation slice.
    validation_fraction : float
        Share of rows (the latest as-of dates when times are known, else a stratified
        random share) held out for early stopping and calibration when no ``eval_set``
        is given to :meth:`fit`. 0 disables both.
    early_stopping_rounds : int
        Patience of early stopping on validation log loss.
    feature_info : sequence of FeatureInfo or None
        Metadata per column, used when ``X`` is a plain DataFrame/array; a
        :class:`FeatureMatrix` passed to :meth:`fit` brings its own.
    n_jobs : int
        LightGBM threads.
    random_state : int
        Seed of LightGBM and of the random validation split.

    Attributes
    ----------
    booster_ : lightgbm.Booster
    calibrator_ : Calibrator
    calibration_method_ : str
    calibration_losses_ : dict
    best_iteration_ : int
    classes_ : ndarray of shape (2,)
    n_features_in_ : int
    feature_names_in_ : ndarray (only when fitted on a DataFrame)
    feature_info_ : tuple of FeatureInfo or None
    monotone_constraints_ : list of int
    categorical_features_ : list of int
        Positions of the categorical columns.
    categories_ : dict
        Position → categories seen in fit (unseen ones become missing at prediction).
    validation_scores_ : dict
        ``raw``, ``y``, ``sample_weight`` of the validation slice (for stacking and reports).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 3))
    >>> y = (rng.random(600) < 1 / (1 + np.exp(-2 * X[:, 0]))).astype(int)
    >>> model = GenericRiskModel(n_estimators=50).fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    """

    def __init__(
        self,
        *,
        n_estimators: int = ModelParams.n_estimators,
        learning_rate: float = ModelParams.learning_rate,
        num_leaves: int = ModelParams.num_leaves,
        max_depth: int = ModelParams.max_depth,
        min_child_samples: int = ModelParams.min_child_samples,
        reg_lambda: float = ModelParams.reg_lambda,
        subsample: float = ModelParams.subsample,
        colsample_bytree: float = ModelParams.colsample_bytree,
        monotone: bool = ModelParams.monotone,
        calibration: str = ModelParams.calibration,
        validation_fraction: float = 0.2,
        early_stopping_rounds: int = ModelParams.early_stopping_rounds,
        feature_info: Sequence[FeatureInfo] | None = None,
        n_jobs: int = ModelParams.n_jobs,
        random_state: int | None = 0,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.monotone = monotone
        self.calibration = calibration
        self.validation_fraction = validation_fraction
        self.early_stopping_rounds = early_stopping_rounds
        self.feature_info = feature_info
        self.n_jobs = n_jobs
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    # ------------------------------------------------------------------ input conversion
    def _encode(self, X, *, reset: bool) -> np.ndarray:
        """Validate X and return a float matrix; categoricals become category codes."""
        if isinstance(X, pd.DataFrame):
            if not reset and hasattr(self, "feature_names_in_"):
                expected = list(self.feature_names_in_)
                got = [str(c) for c in X.columns]
                missing = [c for c in expected if c not in got]
                extra = [c for c in got if c not in expected]
                if missing or extra:
                    raise ModelError(
                        f"{type(self).__name__}: X does not have the features the model was fitted "
                        f"on; missing {missing[:10]}, unexpected {extra[:10]}; build X with the "
                        "same feature spec as in training"
                    )
            if reset:
                cats = {}
                for j, col in enumerate(X.columns):
                    if isinstance(X[col].dtype, pd.CategoricalDtype):
                        cats[j] = X[col].cat.categories
                    elif X[col].dtype == object or pd.api.types.is_string_dtype(X[col].dtype):
                        cats[j] = pd.Index(sorted(X[col].dropna().unique()))
                self.categories_ = cats
            if self.categories_:
                X = X.copy()
                for j, categories in self.categories_.items():
                    col = X.columns[j]
                    codes = categories.get_indexer(X[col].astype(object))
                    X[col] = np.where(codes < 0, np.nan, codes.astype(float))
        elif reset:
            self.categories_ = {}
        return validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_all_finite="allow-nan"
        )

    def _resolve_info(self, info) -> tuple[FeatureInfo, ...] | None:
        info = info if info is not None else self.feature_info
        if info is None:
            return None
        info = tuple(info)
        if len(info) != self.n_features_in_:
            raise ConfigError(
                f"feature_info has {len(info)} entries but X has {self.n_features_in_} columns; "
                "pass one FeatureInfo per column, in column order"
            )
        if hasattr(self, "feature_names_in_"):
            names = [i.name for i in info]
            if names != [str(c) for c in self.feature_names_in_]:
                raise ConfigError(
                    f"feature_info names {names[:5]}… do not match X columns "
                    f"{list(self.feature_names_in_)[:5]}…; align them"
                )
        return info

    def _lgb_params(self) -> dict:
        params = {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_data_in_leaf": self.min_child_samples,
            "lambda_l2": self.reg_lambda,
            "feature_fraction": self.colsample_bytree,
            "num_threads": self.n_jobs,
            "verbosity": -1,
            "seed": 0 if self.random_state is None else int(self.random_state),
            "deterministic": True,
            "force_col_wise": True,
            # small categoricals are common (entity type, size class): let them split
            "min_data_per_group": max(1, min(self.min_child_samples, 20)),
            "cat_smooth": 10.0,
        }
        if self.subsample < 1.0:
            params.update(bagging_fraction=self.subsample, bagging_freq=1)
        if self.monotone and any(self.monotone_constraints_):
            params["monotone_constraints"] = self.monotone_constraints_
            params["monotone_constraints_method"] = MONOTONE_METHOD
        return params

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, sample_weight=None, *, eval_set=None, time=None, init_score=None):
        """Fit on ``X`` (FeatureMatrix, DataFrame or array) and binary ``y``.

        Parameters
        ----------
        X : FeatureMatrix, DataFrame or array of shape (n, p)
        y : array of shape (n,), two classes
        sample_weight : array of shape (n,), optional
            E.g. inverse inspection probabilities (selective labels, DOMAIN.md §7).
        eval_set : tuple (X_val, y_val[, w_val[, init_score_val]]), optional
            Out-of-time validation slice; by default the latest dates of ``X``.
        init_score : array of shape (n,), optional
            A log-odds offset per row (e.g. another model's score) the trees boost from; the
            same offset must then be passed to :meth:`decision_function` and
            :meth:`predict_proba`, and :meth:`raw_contributions` explains the trees only.
        time : array of dates, optional
            As-of date per row (taken from a FeatureMatrix automatically).
        """
        if self.calibration not in CALIBRATION_METHODS:
            raise ConfigError(
                f"calibration={self.calibration!r} is not one of {list(CALIBRATION_METHODS)}"
            )
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ConfigError(f"validation_fraction must be in [0, 1); got {self.validation_fraction!r}")
        X, info, as_of = _unwrap(X)
        time = as_of if time is None else time
        Xa = self._encode(X, reset=True)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        y = column_or_1d(y, warn=True)
        if y.dtype.kind in "fc":
            assert_all_finite(y, input_name="y")
        if len(y) != len(Xa):
            raise ValueError(f"y has {len(y)} entries but X has {len(Xa)} rows; pass one label per row")
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            if y_type in ("unknown", "continuous"):
                check_classification_targets(y)
            if len(np.unique(y)) < 2:
                raise ValueError(
                    "y has only one class; the risk model needs both events and non-events "
                    "to learn from"
                )
            raise ValueError(
                f"Only binary classification is supported. The type of the target is {y_type}; "
                "pass a 0/1 event label"
            )
        self.classes_, yi = np.unique(y, return_inverse=True)
        w = _check_sample_weight(sample_weight, Xa) if sample_weight is not None else None
        init = None if init_score is None else np.asarray(init_score, dtype=float)
        if init is not None and init.shape != (len(Xa),):
            raise ModelError(f"init_score must have one value per row ({len(Xa)}); got shape {init.shape}")
        self.uses_init_score_ = init is not None
        self.feature_info_ = self._resolve_info(info)
        self.categorical_features_ = sorted(self.categories_)
        if self.feature_info_ is not None:
            self.categorical_features_ = sorted(
                set(self.categorical_features_)
                | {j for j, i in enumerate(self.feature_info_) if i.categorical}
            )
        cat = set(self.categorical_features_)
        self.monotone_constraints_ = [
            0 if (self.feature_info_ is None or j in cat) else int(self.feature_info_[j].direction)
            for j in range(self.n_features_in_)
        ]

        # ---- the validation slice
        if eval_set is not None:
            Xv, yv, *rest = eval_set
            Xv, _, tv = _unwrap(Xv)
            Xva = self._encode(Xv, reset=False)
            yvi = np.searchsorted(self.classes_, np.asarray(yv))
            wv = np.asarray(rest[0], dtype=float) if rest and rest[0] is not None else None
            iv = np.asarray(rest[1], dtype=float) if len(rest) > 1 and rest[1] is not None else None
            if (init is None) != (iv is None):
                raise ModelError("init_score needs a matching init score in eval_set (X_val, y_val, w_val, init_val)")
            Xt, yt, wt, it, order_v = Xa, yi, w, init, tv
        else:
            mask = self._validation_mask(len(Xa), yi, time)
            Xt, yt, Xva, yvi = Xa[~mask], yi[~mask], Xa[mask], yi[mask]
            wt = None if w is None else w[~mask]
            wv = None if w is None else w[mask]
            it = None if init is None else init[~mask]
            iv = None if init is None else init[mask]
            order_v = None if time is None else np.asarray(time)[mask]
        use_val = len(yvi) >= MIN_VALIDATION_ROWS and len(np.unique(yvi)) == 2 and len(np.unique(yt)) == 2
        if not use_val:
            Xt, yt, wt, it = Xa, yi, w, init

        params = self._lgb_params()
        cat_list = self.categorical_features_ or "auto"
        dtrain = lgb.Dataset(Xt, label=yt, weight=wt, init_score=it, categorical_feature=cat_list, free_raw_data=True)
        if use_val:
            dvalid = lgb.Dataset(Xva, label=yvi, weight=wv, init_score=iv, reference=dtrain, categorical_feature=cat_list)
            self.booster_ = lgb.train(
                params,
                dtrain,
                num_boost_round=self.n_estimators,
                valid_sets=[dvalid],
                valid_names=["validation"],
                callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
            )
            self.best_iteration_ = int(self.booster_.best_iteration or self.booster_.current_iteration())
            raw_v = self.booster_.predict(Xva, num_iteration=self.best_iteration_, raw_score=True)
            if iv is not None:
                raw_v = raw_v + iv
            self.calibrator_, self.calibration_losses_ = choose_calibrator(
                raw_v, yvi, wv, method=self.calibration, order=order_v, random_state=self.random_state
            )
            self.validation_scores_ = {"raw": raw_v, "y": yvi, "sample_weight": wv}
        else:
            self.booster_ = lgb.train(params, dtrain, num_boost_round=self.n_estimators)
            self.best_iteration_ = self.booster_.current_iteration()
            self.calibrator_ = Calibrator("none")
            self.calibration_losses_ = {}
            self.validation_scores_ = {}
        self.calibration_method_ = self.calibrator_.method
        return self

    def _validation_mask(self, n: int, yi: np.ndarray, time) -> np.ndarray:
        if self.validation_fraction == 0 or n * self.validation_fraction < MIN_VALIDATION_ROWS:
            return np.zeros(n, dtype=bool)
        if time is not None:
            mask = split_by_time(time, self.validation_fraction)
            if mask.any():
                return mask
        rng = np.random.default_rng(self.random_state)
        mask = np.zeros(n, dtype=bool)
        for cls in np.unique(yi):  # stratified
            idx = np.flatnonzero(yi == cls)
            k = int(round(len(idx) * self.validation_fraction))
            mask[rng.choice(idx, size=k, replace=False)] = True
        return mask

    # ------------------------------------------------------------------ predict
    def _check(self, X) -> np.ndarray:
        require_fitted(self, "booster_")
        X, _, _ = _unwrap(X)
        return self._encode(X, reset=False)

    def decision_function(self, X, *, init_score=None) -> np.ndarray:
        """Raw log-odds of the event (before calibration)."""
        Xa = self._check(X)
        raw = self.booster_.predict(
            Xa, num_iteration=self.best_iteration_, raw_score=True, num_threads=self.n_jobs
        )
        if self.uses_init_score_:
            if init_score is None:
                raise ModelError(
                    f"this {type(self).__name__} was fitted with an init_score; pass the same kind "
                    "of offset (e.g. the generic model's log-odds) as init_score="
                )
            raw = raw + np.asarray(init_score, dtype=float)
        return raw

    def predict_proba(self, X, *, init_score=None) -> np.ndarray:
        """Calibrated probabilities, shape (n, 2): column 1 is the event."""
        raw = self.decision_function(X, init_score=init_score)
        p = self.calibrator_.predict(raw)
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        event = self.predict_proba(X)[:, 1] >= 0.5
        return self.classes_[event.astype(int)]

    def raw_contributions(self, X, *, chunk_size: int = 200_000) -> np.ndarray:
        """Exact TreeSHAP contributions in log-odds, shape (n, p + 1); last column = bias.

        Computed by LightGBM (``pred_contrib=True``), chunk by chunk to bound memory. Each
        row sums to :meth:`decision_function`.
        """
        Xa = self._check(X)
        out = np.empty((len(Xa), Xa.shape[1] + 1), dtype=np.float64)
        for start in range(0, len(Xa), chunk_size):
            stop = start + chunk_size
            out[start:stop] = self.booster_.predict(
                Xa[start:stop], num_iteration=self.best_iteration_, pred_contrib=True,
                num_threads=self.n_jobs,
            )
        return out

    def feature_importance(self, importance_type: str = "gain") -> np.ndarray:
        """LightGBM split-gain (or ``split`` count) importance per column."""
        require_fitted(self, "booster_")
        return self.booster_.feature_importance(importance_type=importance_type, iteration=self.best_iteration_)
