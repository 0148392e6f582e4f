"""Train every model on an out-of-time split and evaluate it: the one call the CLI makes.

:func:`fit_models` fits the generic model, the domain models, the expert scorecard baselines
and the risk tiers on a time split (train < validation < test by ``as_of``): early stopping,
calibration choice, tier cut-offs and the domain combination use the validation slice; every
reported figure comes from the test slice. It returns a :class:`TrainedModels` with a plain
``report`` dict (numbers and DataFrames) and matplotlib ``figures``, ready for any tracker.
:meth:`TrainedModels.iter_scores` scores subjects in chunks: probability, tier, top reasons.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from credit_risk import evaluation as ev
from credit_risk.config import from_mapping, load_yaml
from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.explain import Explainer, global_importance, importance_figure
from credit_risk.features.matrix import FeatureInfo, FeatureMatrix
from credit_risk.models.domain import DomainConfig, DomainModel
from credit_risk.models.generic import GenericRiskModel
from credit_risk.models.scorecard import ExpertScorecard, ScorecardConfig
from credit_risk.tiers import RiskTiers, TierConfig, load_tier_config

__all__ = [
    "ModelParams",
    "TimeSplit",
    "TrainedModels",
    "domain_shortfall",
    "event_probability",
    "fit_models",
    "load_model_params",
    "size_class",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimeSplit:
    """Out-of-time split: train ``< valid_start <=`` validation ``< test_start <=`` test.

    With no dates, :meth:`resolve` puts the latest ``test_fraction`` of rows (whole as-of
    dates) in test and the ``valid_fraction`` before them in validation.
    """

    valid_start: str | None = None
    test_start: str | None = None
    valid_fraction: float = 0.2
    test_fraction: float = 0.2

    def resolve(self, as_of: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
        dates = np.sort(pd.to_datetime(as_of).unique())
        if len(dates) < 3:
            raise ConfigError(
                f"an out-of-time split needs at least 3 distinct as-of dates; got {len(dates)}; "
                "build features for more cutoffs"
            )
        if self.valid_start is not None and self.test_start is not None:
            vs, ts = pd.Timestamp(self.valid_start), pd.Timestamp(self.test_start)
        else:
            counts = pd.Series(pd.to_datetime(as_of)).value_counts().sort_index()
            cum = counts.cumsum() / counts.sum()
            ts_i = int(np.searchsorted(cum.to_numpy(), 1 - self.test_fraction, side="left")) + 1
            vs_i = int(np.searchsorted(cum.to_numpy(), 1 - self.test_fraction - self.valid_fraction, side="left")) + 1
            ts_i = min(max(ts_i, 2), len(dates) - 1)
            vs_i = min(max(vs_i, 1), ts_i - 1)
            vs, ts = pd.Timestamp(dates[vs_i]), pd.Timestamp(dates[ts_i])
        if not dates[0] < vs < ts <= dates[-1]:
            raise ConfigError(
                f"split dates must satisfy first as_of {pd.Timestamp(dates[0]).date()} < valid_start "
                f"{vs.date()} < test_start {ts.date()} <= last as_of {pd.Timestamp(dates[-1]).date()}"
            )
        return vs, ts


@dataclass(frozen=True)
class ModelParams:
    """``configs/model.yaml``: parameters of the generic model (see :class:`GenericRiskModel`)."""

    n_estimators: int = 1000
    learning_rate: float = 0.05
    num_leaves: int = 15
    max_depth: int = 5
    min_child_samples: int = 100
    reg_lambda: float = 10.0
    subsample: float = 1.0
    colsample_bytree: float = 0.5
    early_stopping_rounds: int = 50
    calibration: str = "auto"
    monotone: bool = True
    n_jobs: int = 1


def load_model_params(path: str | Path | None = None) -> dict[str, Any]:
    """Read ``configs/model.yaml`` strictly (unknown keys fail) into GenericRiskModel keyword arguments."""
    path = Path(__file__).resolve().parents[1] / "configs" / "model.yaml" if path is None else Path(path)
    return asdict(from_mapping(ModelParams, load_yaml(path), str(path)))


def size_class(registered_capital: pd.Series) -> pd.Series:
    """Size band from registered capital (10,000 CNY) [I]: micro < 100 ≤ small < 1,000 ≤ medium < 10,000 ≤ large."""
    cap = pd.to_numeric(registered_capital, errors="coerce")
    out = pd.cut(cap, [-np.inf, 100, 1000, 10000, np.inf], labels=["micro", "small", "medium", "large"], right=False)
    return out.astype(object).where(cap.notna(), "unknown")


def event_probability(generic: GenericRiskModel, X) -> np.ndarray:
    """The generic model's calibrated event probability: the one path of the report and of scoring.

    The training report's tiers and the scorer's tiers both come from this function, so a
    subject scored on the same features gets the same probability to the last bit (summing
    TreeSHAP contributions instead differs from the booster's own prediction in the last bit,
    enough to move a score across a tier cut-off).
    """
    return generic.predict_proba(X)[:, 1]


@dataclass(eq=False)
class TrainedModels:
    """Everything :func:`fit_models` learned, plus its evaluation.

    Attributes
    ----------
    generic : GenericRiskModel
    domains : dict of DomainModel
    domain_configs : dict of DomainConfig
    scorecard : ExpertScorecard or None
        The learned scorecard baseline.
    rules_scorecard : ExpertScorecard or None
        The approved rule set, when its features exist.
    tiers : RiskTiers
    feature_info : tuple of FeatureInfo
        Every feature the models read (generic + domain extras).
    report : dict
        Plain numbers and DataFrames (see :func:`fit_models`).
    figures : dict of matplotlib Figure
        ROC, calibration, tiers, importance. Not pickled with the models.
    """

    generic: GenericRiskModel
    domains: dict[str, DomainModel]
    domain_configs: dict[str, DomainConfig]
    scorecard: ExpertScorecard | None
    rules_scorecard: ExpertScorecard | None
    tiers: RiskTiers
    feature_info: tuple[FeatureInfo, ...]
    report: dict = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["figures"] = {}  # figures belong to the run's artefacts, not to the model bundle
        return state

    @property
    def feature_names(self) -> list[str]:
        return [i.name for i in self.feature_info]

    def iter_scores(
        self,
        features: FeatureMatrix,
        *,
        k: int = 5,
        previous: pd.DataFrame | None = None,
        enterprises: pd.DataFrame | None = None,
        text: bool = True,
        chunk_size: int = 100_000,
    ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
        """Score subjects chunk by chunk: ``(scores, reasons)`` per chunk.

        ``scores`` holds the keys, the generic ``probability``, ``model_tier``, the final
        ``tier`` (hysteresis against ``previous`` and overrides) and the per-view portrait;
        with ``enterprises`` (for the industry) also ``probability_<domain>`` for the
        subjects each domain model covers (missing elsewhere). ``reasons`` holds the top ``k``
        reasons per subject from the generic model (see :class:`~credit_risk.explain.Explanation`).
        """
        industry = None
        if enterprises is not None and self.domains:
            industry = features.keys["credit_code"].map(
                enterprises.drop_duplicates("credit_code").set_index("credit_code")["industry"]
            )
        missing = [n for n in self.generic.feature_names_in_ if n not in features.X.columns]
        if missing:
            raise ModelError(f"features lack {missing[:10]} needed by the generic model; rebuild them with the training spec")
        explainer = Explainer(self.generic)
        names = list(self.generic.feature_names_in_)
        rule_cols = [r.feature for r in self.tiers.overrides] + (
            [self.tiers.observation.feature] if self.tiers.observation is not None else []
        )
        for start in range(0, len(features.X), chunk_size):
            stop = min(start + chunk_size, len(features.X))
            X = features.X.iloc[start:stop]
            keys = features.keys.iloc[start:stop].reset_index(drop=True)
            Xg = X[names]
            contrib = self.generic.raw_contributions(Xg)
            p = event_probability(self.generic, Xg)
            expl = explainer.explain(Xg, k=k, keys=keys, text=text, contributions=contrib)
            tiers = self.tiers.assign(
                p, features=X[[c for c in rule_cols if c in X.columns]].reset_index(drop=True) if rule_cols else None,
                keys=keys, previous=previous,
            )
            scores = pd.concat([tiers, expl.portrait.drop(columns=list(keys.columns))], axis=1)
            if industry is not None:
                ind = industry.iloc[start:stop].reset_index(drop=True)
                for name, dm in self.domains.items():
                    covered = self.domain_configs[name].subject_mask(ind)
                    p_dom = np.full(stop - start, np.nan)
                    if covered.any():
                        p_dom[covered] = dm.predict_proba(X[covered])[:, 1]
                    scores[f"probability_{name}"] = p_dom
            yield scores, expl.reasons

    def score(self, features: FeatureMatrix, **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
        """All chunks of :meth:`iter_scores` concatenated (for small batches)."""
        parts = list(self.iter_scores(features, **kwargs))
        return (pd.concat([s for s, _ in parts], ignore_index=True),
                pd.concat([r for _, r in parts], ignore_index=True))


def _labels_frame(labels: Any) -> pd.DataFrame:
    """Labels as a DataFrame with credit_code, as_of, y (+ sample_weight, domain labels)."""
    if isinstance(labels, pd.DataFrame):
        frame = labels.copy()
    elif hasattr(labels, "cutoffs") and hasattr(labels, "y"):
        frame = pd.DataFrame(labels.cutoffs).reset_index(drop=True).copy()
        frame["y"] = np.asarray(labels.y)
        if getattr(labels, "sample_weight", None) is not None:
            frame["sample_weight"] = np.asarray(labels.sample_weight)
        for name, values in (getattr(labels, "domains", None) or {}).items():
            frame[name] = np.asarray(values)
    else:
        raise ModelError(
            f"labels must be a DataFrame (credit_code, as_of, y[, sample_weight]) or an object with "
            f"cutoffs and y; got {type(labels).__name__}"
        )
    need = {"credit_code", "as_of", "y"}
    if not need <= set(frame.columns):
        raise ModelError(f"labels lack columns {sorted(need - set(frame.columns))}; got {list(frame.columns)}")
    frame["as_of"] = pd.to_datetime(frame["as_of"]).astype("datetime64[ns]")
    return frame


def _comparisons(
    y: np.ndarray, w: np.ndarray | None, pairs: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], n_boot: int
) -> pd.DataFrame:
    """Paired-bootstrap AUC differences ``a − b`` for each (name, a, b, rows), weighted and not."""
    out = []
    for weighting, weights in (("population (1/p)", w), ("inspected (unweighted)", None)):
        if weighting.startswith("population") and weights is None:
            continue
        for name, a, b, rows in pairs:
            if len(np.unique(y[rows])) < 2:
                continue
            d = ev.auc_difference(y[rows], a, b, None if weights is None else weights[rows], n_boot=n_boot)
            out.append({"comparison": name, "weighting": weighting, **d})
    return pd.DataFrame(out)


def domain_shortfall(combination: str, auc_chosen: float, auc_generic: float, se: float, rows: int, events: int) -> str:
    """Why a domain model does not beat the generic model, judged by the paired SE of the difference.

    "within noise" when the shortfall is under 2 standard errors (identical rankings: a zero
    difference with SE 0 count as 0 standard errors), "a real shortfall" otherwise.
    """
    gap = abs(auc_chosen - auc_generic)
    z = gap / se if se > 0 else (0.0 if gap < 1e-12 else float("inf"))
    verdict = (
        "within noise: the domain label adds no signal the generic model lacks that this sample size can detect"
        if z < 2
        else "a real shortfall: the combination chosen on validation does not transfer to the test slice; "
        "compare the options in the comparison table before using this domain model"
    )
    return (
        f"the chosen combination ({combination}, chosen on validation) reaches AUC {auc_chosen:.3f} against the "
        f"generic model's {auc_generic:.3f} on {rows} test rows with {events} events; the gap is {z:.1f} standard "
        f"errors (paired-bootstrap SE of the difference {se:.3f}) — {verdict}"
    )


def _truth_column(truth: pd.DataFrame, keys: pd.DataFrame, column: str) -> np.ndarray:
    """``truth[column]`` aligned to ``keys`` (by row when already aligned, else by key)."""
    t = truth.rename(columns={"month": "as_of"})
    t = t.assign(as_of=pd.to_datetime(t["as_of"]).astype("datetime64[ns]"))
    if len(t) == len(keys) and (t["credit_code"].astype(object).to_numpy() == keys["credit_code"].astype(object).to_numpy()).all() \
            and (t["as_of"].to_numpy() == keys["as_of"].to_numpy()).all():
        return t[column].to_numpy(dtype=float)
    t = t.drop_duplicates(["credit_code", "as_of"])
    return keys.merge(t[["credit_code", "as_of", column]], on=["credit_code", "as_of"], how="left")[column].to_numpy(dtype=float)


def _generic_refit(generic: GenericRiskModel, X, y: np.ndarray, w: np.ndarray | None) -> GenericRiskModel:
    """A copy of the fitted ``generic`` refitted on other rows: its parameters, ``best_iteration_``
    trees, no early stopping and no calibration (only its raw log-odds are used)."""
    params = {**generic.get_params(), "n_estimators": int(generic.best_iteration_), "validation_fraction": 0.0,
              "calibration": "none"}
    return GenericRiskModel(**params).fit(X, y, w)


def _out_of_fold_generic(
    generic: GenericRiskModel, fg: FeatureMatrix, y: np.ndarray, w: np.ndarray | None, tr: np.ndarray, folds: int
) -> np.ndarray | None:
    """Out-of-fold raw generic log-odds for the training rows ``tr`` (NaN elsewhere).

    The training rows are split into ``folds`` groups by ``credit_code`` (ordinal of the
    sorted codes modulo ``folds``: deterministic, and a subject's rows share a fold); each fold
    is scored by a copy of ``generic`` refitted on the other folds with ``best_iteration_``
    trees, no early stopping and no calibration. The scores are raw (``decision_function``),
    the scale :class:`DomainModel` reads from the generic model. ``None`` (with a logged
    warning) when a fold's complement holds one class only.
    """
    idx = np.flatnonzero(tr)
    _, ordinal = np.unique(fg.keys["credit_code"].to_numpy()[idx].astype(str), return_inverse=True)
    fold = ordinal % folds
    out = np.full(len(y), np.nan)
    for k in range(folds):
        held = idx[fold == k]
        kept = idx[fold != k]
        if len(held) == 0:
            continue
        if len(np.unique(y[kept])) < 2:
            logger.warning("cross-fitting skipped: the training rows outside fold %d hold one class only; "
                           "the domain models use the generic model's in-sample scores", k)
            return None
        m_kept = np.zeros(len(y), dtype=bool)
        m_kept[kept] = True
        m_held = np.zeros(len(y), dtype=bool)
        m_held[held] = True
        model = _generic_refit(generic, fg.rows(m_kept), y[m_kept], None if w is None else w[m_kept])
        out[m_held] = model.decision_function(fg.rows(m_held))
    return out


def _test_scores(keys: pd.DataFrame, y: np.ndarray, w: np.ndarray | None, tiers: pd.DataFrame) -> pd.DataFrame:
    """Per test row: keys, label, weight, probability and tiers, as the report computed them."""
    out = keys.reset_index(drop=True).assign(y=y, sample_weight=1.0 if w is None else w)
    return pd.concat([out, tiers[["probability", "model_tier", "tier", "override"]].reset_index(drop=True)], axis=1)


def fit_models(
    features: FeatureMatrix,
    labels: Any,
    *,
    enterprises: pd.DataFrame | None = None,
    domain_configs: Mapping[str, DomainConfig] | None = None,
    tier_config: TierConfig | None = None,
    scorecard_config: ScorecardConfig | None = None,
    model_params: Mapping[str, Any] | None = None,
    split: TimeSplit | None = None,
    truth: pd.DataFrame | None = None,
    train_weights: bool = False,
    n_boot: int = 500,
    cross_fit_folds: int = 4,
) -> TrainedModels:
    """Fit and evaluate the generic, domain, scorecard and tier models out of time.

    Parameters
    ----------
    features : FeatureMatrix
        All features (generic and domain extras) per (credit_code, as_of).
    labels : DataFrame or labels object
        ``credit_code``, ``as_of``, ``y`` (generic event), optional ``sample_weight`` and one
        column per domain label named by ``DomainConfig.label``. Rows without a label are
        not used for training or evaluation.
    enterprises : DataFrame, optional
        The enterprises table (``industry`` selects domain subjects; ``region``, ``industry``,
        ``entity_type`` and ``registered_capital`` give the group evaluation).
    domain_configs, tier_config, scorecard_config : configs, optional
        Defaults: no domains, the packaged ``configs/tiers.yaml``, the learned scorecard only.
    model_params : dict, optional
        :class:`GenericRiskModel` parameters of the generic model.
    split : TimeSplit, optional
    truth : DataFrame, optional
        Synthetic ground truth ``credit_code``, ``as_of``, ``latent_risk`` (and
        ``latent_risk_<domain>``) for the oracle AUC; never used for fitting.
    train_weights : bool
        Also weight the training by ``sample_weight`` (evaluation is always weighted).
    n_boot : int
        Paired-bootstrap replicates for the standard errors and intervals of AUC differences
        (generic vs scorecards, oracle vs generic, domain vs generic).
    cross_fit_folds : int
        Folds of the cross-fitting that gives the domain models out-of-fold generic scores
        on their training rows (``0`` or ``1``: off). The generic model's scores on the rows
        it was trained on are over-confident, so a domain model stacked on them (``stacking``)
        or boosted from them (``residual``) would learn from a generic score better than the
        one it meets on new subjects. With ``K ≥ 2`` folds (grouped by ``credit_code``: a
        subject's rows never score themselves) a copy of the generic model (its parameters,
        ``best_iteration_`` trees, no early stopping, no calibration, the same weights) is
        fitted on the other folds' training rows and scores the fold; the domain models get
        these raw log-odds (the scale of ``generic.decision_function``) as ``generic_score``.
        Validation and test rows keep the generic model's own scores. Costs ``K`` extra
        generic fits, only when there are domain configs.

    Returns
    -------
    TrainedModels
        ``report`` keys: ``split``, ``metrics`` (per model, test slice), ``oracle_gap``,
        ``oracle_gap_ci`` (95 % paired-bootstrap interval), ``comparisons`` (every AUC difference
        with its standard error and interval, weighted and unweighted), ``calibration``,
        ``tiers`` (cut-offs, table, increasing), ``groups``, ``backtest``,
        ``domains`` (per domain: combination comparison on test and validation, chosen, whether
        it beats the generic model, ``cross_fitted``: whether it was trained on out-of-fold
        generic scores), ``scorecard_comparison``, ``generic_model`` (with ``cross_fit_folds``),
        ``importance``, ``test_scores`` (per test row: keys, ``y``, ``sample_weight``,
        ``probability``, ``model_tier``, ``tier``, ``override`` — what scoring these rows gives).
    """
    if isinstance(cross_fit_folds, bool) or not isinstance(cross_fit_folds, (int, np.integer)) or cross_fit_folds < 0:
        raise ConfigError(f"cross_fit_folds must be an integer >= 0 (0 or 1: off); got {cross_fit_folds!r}")
    domain_configs = dict(domain_configs or {})
    tier_config = tier_config if tier_config is not None else load_tier_config()
    lab = _labels_frame(labels)
    keys = features.keys.copy()
    keys["as_of"] = pd.to_datetime(keys["as_of"]).astype("datetime64[ns]")
    same_rows = len(lab) == len(keys) and (
        (lab["credit_code"].astype(object).to_numpy() == keys["credit_code"].astype(object).to_numpy()).all()
        and (lab["as_of"].to_numpy() == keys["as_of"].to_numpy()).all()
    )
    if same_rows:  # features built from the labels' cutoffs: align row by row (keys may repeat)
        merged = pd.concat([keys, lab.drop(columns=["credit_code", "as_of"]).reset_index(drop=True)], axis=1)
    else:
        if lab.duplicated(["credit_code", "as_of"]).any():
            raise ModelError(
                "labels repeat (credit_code, as_of) pairs and are not row-aligned with the features; "
                "build the features from the labels' cutoffs (same rows, same order)"
            )
        merged = keys.merge(lab, on=["credit_code", "as_of"], how="left", validate="many_to_one")
    has_label = merged["y"].notna().to_numpy()
    if not has_label.any():
        raise ModelError("no feature row has a label; labels and features must share (credit_code, as_of)")
    fm = features.rows(has_label)
    merged = merged[has_label].reset_index(drop=True)
    y = merged["y"].to_numpy().astype(int)
    w = merged["sample_weight"].to_numpy(dtype=float) if "sample_weight" in merged else None
    vs, ts = (split or TimeSplit()).resolve(fm.keys["as_of"])
    as_of = fm.keys["as_of"]
    tr, va, te = (as_of < vs).to_numpy(), ((as_of >= vs) & (as_of < ts)).to_numpy(), (as_of >= ts).to_numpy()
    for name, m in (("train", tr), ("validation", va), ("test", te)):
        if len(np.unique(y[m])) < 2:
            raise ModelError(f"the {name} slice has {m.sum()} rows and only one class; move the split dates")

    def sub(a, m):
        return None if a is None else a[m]

    # Weights (e.g. inverse inspection probabilities) always weight the evaluation, so the
    # figures describe the population; training uses them only if asked: when the draw
    # depends on observed features only, P(y | x) is the same among the inspected and
    # unweighted training is unbiased and less noisy.
    wt = w if train_weights else None

    extras = sorted({f for c in domain_configs.values() for f in c.extra_features})
    missing_extra = [f for f in extras if f not in fm.feature_names]
    if missing_extra:
        raise ModelError(f"domain extra_features {missing_extra} are not in the feature matrix; fix configs/domains or the feature spec")
    generic_names = [n for n in fm.feature_names if n not in set(extras)]
    fg = fm.select(generic_names)

    # ---- generic model
    generic = GenericRiskModel(**dict(model_params or {}))
    generic.fit(fg.rows(tr), y[tr], sub(wt, tr), eval_set=(fg.rows(va), y[va], sub(wt, va)))
    p_va = event_probability(generic, fg.rows(va))
    p_te = event_probability(generic, fg.rows(te))

    # ---- tiers (cut-offs on validation), evaluated on test with overrides
    tiers = RiskTiers.from_config(tier_config).fit(p_va, y[va], sub(w, va))
    rule_cols = [r.feature for r in tiers.overrides] + ([tiers.observation.feature] if tiers.observation else [])
    absent = [c for c in rule_cols if c not in fm.feature_names]
    if absent:
        raise ModelError(f"tier overrides need features {absent} that are not in the feature matrix; fix configs/tiers.yaml or the feature spec")
    test_X = fm.rows(te).X
    tier_te = tiers.assign(p_te, features=test_X[rule_cols] if rule_cols else None)
    tier_table = ev.tier_table(y[te], tier_te["tier"], sub(w, te))
    model_tier_table = ev.tier_table(y[te], tier_te["model_tier"], sub(w, te))

    # ---- scorecards (baselines)
    sc_cfg = scorecard_config
    learned_params = {} if sc_cfg is None else {"learned": sc_cfg.learned, "bands": sc_cfg.bands or ExpertScorecard().bands}
    scorecard = ExpertScorecard(mode="learned", **learned_params).fit(fg.rows(tr | va), y[tr | va], sub(wt, tr | va))
    rules = None
    if sc_cfg is not None and sc_cfg.mode == "rules":
        needed = {i.feature for i in sc_cfg.indicators} | {v.feature for v in sc_cfg.vetoes}
        if needed <= set(fm.feature_names):
            rules = ExpertScorecard.from_config(sc_cfg).fit(fm.X)
        else:
            logger.info("rules scorecard skipped: features %s absent", sorted(needed - set(fm.feature_names)))

    metrics = {"generic": ev.binary_metrics(y[te], p_te, sub(w, te))}
    metrics["scorecard_learned"] = ev.binary_metrics(y[te], scorecard.predict_proba(fg.rows(te))[:, 1], sub(w, te))
    curves = {"generic (LightGBM)": (y[te], p_te), "scorecard (learned)": (y[te], scorecard.decision_function(fg.rows(te)))}
    if rules is not None:
        risk = rules.decision_function(test_X) / rules.max_points
        metrics["scorecard_rules"] = ev.binary_metrics(y[te], risk, sub(w, te))
        curves["scorecard (rules)"] = (y[te], risk)
    oracle_gap = None
    if truth is not None:
        lr = _truth_column(truth, fm.keys, "latent_risk")
        ok = te & ~np.isnan(lr)
        if ok.any():
            metrics["oracle"] = ev.binary_metrics(y[ok], lr[ok], sub(w, ok))
            curves["oracle (ground truth)"] = (y[ok], lr[ok])
            oracle_gap = metrics["oracle"]["auc"] - metrics["generic"]["auc"]
    metrics_unweighted = {}
    if w is not None:
        metrics_unweighted["generic"] = ev.binary_metrics(y[te], p_te)
        metrics_unweighted["scorecard_learned"] = ev.binary_metrics(y[te], scorecard.predict_proba(fg.rows(te))[:, 1])
        if rules is not None:
            metrics_unweighted["scorecard_rules"] = ev.binary_metrics(y[te], rules.decision_function(test_X))
        if "oracle" in metrics:
            metrics_unweighted["oracle"] = ev.binary_metrics(y[ok], lr[ok])
    comparison = pd.DataFrame(
        [{"model": k, **{m: v[m] for m in ("auc", "gini", "ks", "brier", "log_loss")}} for k, v in metrics.items()]
    )
    all_te = np.ones(int(te.sum()), dtype=bool)
    pairs = [("generic − scorecard_learned", p_te, scorecard.decision_function(fg.rows(te)), all_te)]
    if rules is not None:
        pairs.append(("generic − scorecard_rules", p_te, risk, all_te))
    if oracle_gap is not None:
        pairs.append(("oracle − generic", lr[ok], p_te[ok[te]], ok[te]))
    comparisons = _comparisons(y[te], sub(w, te), pairs, n_boot)
    gap_rows = comparisons[comparisons["comparison"] == "oracle − generic"] if len(comparisons) else comparisons

    # ---- groups and backtest
    groups_table = None
    if enterprises is not None:
        ent = enterprises.drop_duplicates("credit_code").set_index("credit_code")
        codes = fm.keys["credit_code"][te]
        g = pd.DataFrame(index=range(int(te.sum())))
        for col, f in (("region", lambda s: s.astype(str).str[:4]), ("industry", lambda s: s.astype(str).str[:1]),
                       ("entity_type", lambda s: s.astype(str))):
            if col in ent:
                g[col] = f(codes.map(ent[col]).reset_index(drop=True)).to_numpy()
        if "registered_capital" in ent:
            g["size"] = size_class(codes.map(ent["registered_capital"]).reset_index(drop=True)).to_numpy()
        groups_table = ev.metrics_by_group(y[te], p_te, g, tiers=tier_te["tier"].to_numpy(), sample_weight=sub(w, te))
    p_vt = event_probability(generic, fg.rows(va | te))
    backtest = ev.backtest(y[va | te], p_vt, as_of[va | te], tiers=tiers.predict(p_vt), sample_weight=sub(w, va | te))
    backtest["slice"] = np.where(backtest["as_of"] >= ts, "test", "validation")

    # ---- domain models
    domains: dict[str, DomainModel] = {}
    domain_report: dict[str, Any] = {}
    industry = None
    if domain_configs:
        if enterprises is None or "industry" not in enterprises:
            raise ModelError("domain models need the enterprises table (industry) to select their subjects")
        industry = fm.keys["credit_code"].map(enterprises.drop_duplicates("credit_code").set_index("credit_code")["industry"])
    oof = None  # out-of-fold generic log-odds of every row (NaN outside the training slice)
    if domain_configs and cross_fit_folds >= 2:
        oof = _out_of_fold_generic(generic, fg, y, wt, tr, cross_fit_folds)
    for name, cfg in domain_configs.items():
        if cfg.label not in merged:
            raise ModelError(f"domain {name!r}: label column {cfg.label!r} is not in the labels; got {list(merged.columns)}")
        yd_all = merged[cfg.label].to_numpy(dtype=float)
        mask = cfg.subject_mask(industry) & ~np.isnan(yd_all)
        yd = np.nan_to_num(yd_all).astype(int)
        dm = DomainModel(generic=generic, extra_features=cfg.extra_features, combination=cfg.combination,
                         model_params=dict(cfg.model), name=name)
        try:
            dm.fit(fm.rows(mask & tr), yd[mask & tr], sub(wt, mask & tr),
                   eval_set=(fm.rows(mask & va), yd[mask & va], sub(wt, mask & va)),
                   generic_score=sub(oof, mask & tr))
        except ModelError as exc:
            domain_report[name] = {"error": str(exc)}
            logger.warning("domain %s not fitted: %s", name, exc)
            continue
        domains[name] = dm
        comp = dm.compare(fm.rows(mask & te), yd[mask & te], sub(w, mask & te))
        chosen = comp[comp["chosen"]].iloc[0]
        gen_auc = float(comp.loc[comp["combination"] == "generic", "auc"].iloc[0])
        entry = {
            "subjects_train": int((mask & tr).sum()), "subjects_test": int((mask & te).sum()),
            "events_test": int(yd[mask & te].sum()), "chosen": dm.combination_,
            "comparison": comp, "validation": dm.validation_comparison_,
            "auc_chosen": float(chosen["auc"]), "auc_generic": gen_auc,
            "beats_generic": bool(chosen["auc"] > gen_auc),
            "cross_fitted": oof is not None,
        }
        frame_te = dm.explain_frame(fm.rows(mask & te))
        entry["importance"] = global_importance(dm.explain_model_, frame_te.iloc[:5000])
        options = dm.predict_all(fm.rows(mask & te))
        diff = ev.auc_difference(yd[mask & te], options[dm.combination_], options["generic"], sub(w, mask & te),
                                 n_boot=n_boot)
        se = diff["se"]
        entry["auc_se"] = se  # paired-bootstrap SE of (chosen − generic)
        entry["auc_difference_ci"] = (diff["ci_low"], diff["ci_high"])
        if not entry["beats_generic"]:
            entry["why_not"] = domain_shortfall(
                dm.combination_, float(chosen["auc"]), gen_auc, se, entry["subjects_test"], entry["events_test"]
            )
        if truth is not None and f"latent_risk_{name}" in truth.columns:
            lr = _truth_column(truth, fm.keys, f"latent_risk_{name}")
            ok = mask & te & ~np.isnan(lr)
            if ok.any() and len(np.unique(yd[ok])) == 2:
                entry["auc_oracle"] = ev.oracle_auc(yd[ok], lr[ok])
        domain_report[name] = entry

    # ---- importance and figures
    sample = fg.rows(te)
    if len(sample.X) > 20_000:
        sample = sample.rows(np.arange(len(sample.X)) < 20_000)
    importance = global_importance(generic, sample)
    cal = {"generic": ev.calibration_table(y[te], p_te, sub(w, te))}
    figures = {
        "roc": ev.roc_figure(curves),
        "calibration": ev.calibration_figure(cal),
        "tiers": ev.tier_figure(tier_table),
        "importance": importance_figure(importance),
    }
    report = {
        "split": {"valid_start": str(vs.date()), "test_start": str(ts.date()),
                  "rows": {"train": int(tr.sum()), "validation": int(va.sum()), "test": int(te.sum())},
                  "events": {"train": int(y[tr].sum()), "validation": int(y[va].sum()), "test": int(y[te].sum())}},
        "metrics": metrics,
        "metrics_unweighted": metrics_unweighted,
        "oracle_gap": oracle_gap,
        "oracle_gap_unweighted": (metrics_unweighted["oracle"]["auc"] - metrics_unweighted["generic"]["auc"]
                                  if "oracle" in metrics_unweighted else oracle_gap),
        "oracle_gap_ci": {r["weighting"]: (r["ci_low"], r["ci_high"]) for r in gap_rows.to_dict("records")},
        "comparisons": comparisons,
        "calibration": cal["generic"],
        "tiers": {"method": tiers.method, "cutoffs": tiers.cutoffs_.tolist(), "table": tier_table,
                  "realised_shares": dict(zip(tiers.labels_.tolist(), tiers.realised_shares_.tolist(), strict=True)),
                  "model_table": model_tier_table, "increasing": ev.tiers_increasing(tier_table),
                  "overridden": int((tier_te["override"] != "").sum())},
        "groups": groups_table,
        "backtest": backtest,
        "domains": domain_report,
        "scorecard_comparison": comparison,
        "generic_model": {"best_iteration": generic.best_iteration_, "calibration_method": generic.calibration_method_,
                          "calibration_losses": generic.calibration_losses_, "n_features": len(generic_names),
                          "cross_fit_folds": cross_fit_folds if oof is not None else 0},
        "importance": importance,
        "test_scores": _test_scores(fm.keys[te], y[te], sub(w, te), tier_te),
    }
    return TrainedModels(
        generic=generic, domains=domains, domain_configs=domain_configs, scorecard=scorecard,
        rules_scorecard=rules, tiers=tiers, feature_info=fm.info, report=report, figures=figures,
    )
