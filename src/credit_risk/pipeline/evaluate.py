"""The figures of a training report, computed on held-out rows (the test slice, or out of fold).

:func:`holdout_report` takes the scores every model gave the rows it did not learn from and
returns the report's evaluation parts: metrics per model (weighted and not), paired-bootstrap
AUC differences, calibration, tier tables, groups, importance, per-row scores and — for
inspection-type labels — the targeting metrics, plus the figures. :class:`ModelReport` is the
typed, frozen report that :func:`~credit_risk.pipeline.fit.fit_models` assembles from them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from credit_risk import evaluation as ev
from credit_risk.explain import global_importance, importance_figure
from credit_risk.features.matrix import FeatureMatrix

__all__ = [
    "HeldOut", "ModelReport", "backtest_report", "generic_report", "holdout_report", "size_class", "split_report",
    "tiers_report",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class ModelReport:
    """What a training run measured: every figure comes from rows the models did not learn from.

    Attributes
    ----------
    split : dict
        ``method`` (``time``, ``column``, ``grouped_kfold``), dates, ``rows`` and ``events`` per slice.
    metrics, metrics_unweighted : dict
        Per model (``generic``, ``scorecard_learned``, ``scorecard_rules``, ``oracle``): AUC,
        Gini, KS, Brier, log loss on the held-out rows, weighted by ``sample_weight`` (or not).
    oracle_gap, oracle_gap_unweighted : float or None
        Oracle AUC − generic AUC (synthetic ground truth only).
    oracle_gap_ci : dict
        Its 95 % paired-bootstrap interval per weighting.
    comparisons : DataFrame
        Every AUC difference with its standard error and interval.
    calibration : DataFrame
    tiers : dict
        ``method``, ``cutoffs``, ``realised_shares``, ``table``, ``model_table``, ``increasing``,
        ``overridden``.
    groups : DataFrame or None
        Metrics per region, industry, size and entity type.
    scorecard_comparison : DataFrame
    importance : DataFrame
    backtest : DataFrame or None
        Metrics per as-of date (time and column splits).
    domains : dict
        Per domain: combination comparison, chosen combination, … or ``skipped`` and ``reason``.
    generic_model : dict
        Trees, calibration, parameters, ``cross_fit_folds``.
    refit : dict
        Whether the saved model was refit, on how many rows, and where the figures come from.
    test_scores : DataFrame or None
        Per held-out row: keys, ``y``, ``sample_weight``, ``probability``, tiers (not saved in bundles).
    targeting : DataFrame or None
        Targeting metrics (inspection-type labels).
    constraints : dict or None
        What the monotone constraints cost.
    label : dict or None
        The label target, rows and positives (set by :func:`~credit_risk.pipeline.train.train`).

    ``report["metrics"]``, ``report.get("targeting")`` and ``"targeting" in report`` read it like the
    dict it replaces; an optional part that is ``None`` (targeting, constraints, label) is absent.
    """

    split: dict[str, Any]
    metrics: dict[str, dict[str, float]]
    metrics_unweighted: dict[str, dict[str, float]]
    oracle_gap: float | None
    oracle_gap_unweighted: float | None
    oracle_gap_ci: dict[str, tuple[float, float]]
    comparisons: pd.DataFrame
    calibration: pd.DataFrame
    tiers: dict[str, Any]
    groups: pd.DataFrame | None
    scorecard_comparison: pd.DataFrame
    importance: pd.DataFrame
    backtest: pd.DataFrame | None
    domains: dict[str, dict[str, Any]]
    generic_model: dict[str, Any]
    refit: dict[str, Any]
    test_scores: pd.DataFrame | None = None
    targeting: pd.DataFrame | None = None
    constraints: dict[str, Any] | None = None
    label: dict[str, Any] | None = None

    def __contains__(self, key: object) -> bool:
        return key in _REPORT_FIELDS and not (key in _ABSENT_WHEN_NONE and getattr(self, str(key)) is None)

    def __getitem__(self, key: str) -> Any:
        if key not in self:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def keys(self) -> list[str]:
        return [f for f in _REPORT_FIELDS if f in self]

    def without_test_scores(self) -> ModelReport:
        """The report as saved in a bundle: the per-row held-out scores are the run's, not the model's."""
        return replace(self, test_scores=None)


_REPORT_FIELDS = tuple(f.name for f in fields(ModelReport))
_ABSENT_WHEN_NONE = frozenset({"test_scores", "targeting", "constraints", "label"})


def split_report(split: dict[str, Any], y: np.ndarray) -> dict[str, Any]:
    """The report's ``split`` part for a time or column split (``split``: :func:`~credit_risk.pipeline.splits.split_masks`)."""
    tr, va, te = split["train"], split["validation"], split["test"]
    return {
        "method": split["method"],
        "valid_start": None if split["valid_start"] is None else str(split["valid_start"].date()),
        "test_start": None if split["test_start"] is None else str(split["test_start"].date()),
        "rows": {"train": int(tr.sum()), "validation": int(va.sum()), "test": int(te.sum())},
        "events": {"train": int(y[tr].sum()), "validation": int(y[va].sum()), "test": int(y[te].sum())},
    }


def backtest_report(y: np.ndarray, probability: np.ndarray, as_of: pd.Series, tiers: np.ndarray,
                    sample_weight: np.ndarray | None, *, test_start: pd.Timestamp | None) -> pd.DataFrame:
    """Metrics per as-of date of the validation and test rows, each row marked with its ``slice``."""
    backtest = ev.backtest(y, probability, as_of, tiers=tiers, sample_weight=sample_weight)
    backtest["slice"] = (np.where(backtest["as_of"] >= test_start, "test", "validation")
                         if test_start is not None else "validation and test")
    return backtest


def tiers_report(tiers: Any, evaluation: dict[str, Any], tier_frame: pd.DataFrame) -> dict[str, Any]:
    """The report's ``tiers`` part; takes the tier tables out of ``evaluation`` (:func:`holdout_report`)."""
    table = evaluation.pop("tier_table")
    return {"method": tiers.method, "cutoffs": tiers.cutoffs_.tolist(),
            "realised_shares": dict(zip(tiers.labels_.tolist(), tiers.realised_shares_.tolist(), strict=True)),
            "table": table, "model_table": evaluation.pop("model_tier_table"),
            "increasing": ev.tiers_increasing(table), "overridden": int((tier_frame["override"] != "").sum())}


def generic_report(model: Any, fg: FeatureMatrix, cross_fit_folds: int, params: dict[str, Any]) -> dict[str, Any]:
    """The report's ``generic_model`` part. ``params``: the configured parameters (a refit model's own say how it was refit)."""
    return {"best_iteration": model.best_iteration_, "calibration_method": model.calibration_method_,
            "calibration_losses": model.calibration_losses_, "n_features": len(fg.feature_names),
            "cross_fit_folds": cross_fit_folds, "params": dict(params)}


def size_class(registered_capital: pd.Series) -> pd.Series:
    """Size band from registered capital (10,000 CNY) [I]: micro < 100 ≤ small < 1,000 ≤ medium < 10,000 ≤ large."""
    cap = pd.to_numeric(registered_capital, errors="coerce")
    out = pd.cut(cap, [-np.inf, 100, 1000, 10000, np.inf], labels=["micro", "small", "medium", "large"], right=False)
    return out.astype(object).where(cap.notna(), "unknown")


@dataclass(frozen=True, eq=False)
class HeldOut:
    """Held-out rows and what every model scored them.

    Attributes
    ----------
    keys : DataFrame
        ``credit_code``, ``as_of`` per row.
    y, sample_weight : arrays (weight may be None)
    probability : array
        The generic model's calibrated probability (:func:`~credit_risk.pipeline.fit.event_probability`).
    tiers : DataFrame
        :meth:`RiskTiers.assign` of ``probability`` (``model_tier``, ``tier``, ``override``).
    scorecard_probability, scorecard_points : arrays
        The learned scorecard's probability and its risk score (rising with risk).
    rules_risk : array or None
        The approved rule set's points / max points, when its features exist.
    oracle : array or None
        Ground-truth latent risk (synthetic data), NaN where unknown.
    generic_features : FeatureMatrix
        The generic model's features of these rows (for importance).
    """

    keys: pd.DataFrame
    y: np.ndarray
    sample_weight: np.ndarray | None
    probability: np.ndarray
    tiers: pd.DataFrame
    scorecard_probability: np.ndarray
    scorecard_points: np.ndarray
    rules_risk: np.ndarray | None
    oracle: np.ndarray | None
    generic_features: FeatureMatrix


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


def _groups(h: HeldOut, enterprises: pd.DataFrame | None) -> pd.DataFrame | None:
    if enterprises is None:
        return None
    ent = enterprises.drop_duplicates("credit_code").set_index("credit_code")
    codes = h.keys["credit_code"].reset_index(drop=True)
    g = pd.DataFrame(index=range(len(codes)))
    for col, f in (("region", lambda s: s.astype(str).str[:4]), ("industry", lambda s: s.astype(str).str[:1]),
                   ("entity_type", lambda s: s.astype(str))):
        if col in ent:
            g[col] = f(codes.map(ent[col])).to_numpy()
    if "registered_capital" in ent:
        g["size"] = size_class(codes.map(ent["registered_capital"])).to_numpy()
    return ev.metrics_by_group(h.y, h.probability, g, tiers=h.tiers["tier"].to_numpy(), sample_weight=h.sample_weight)


def holdout_report(
    h: HeldOut,
    generic: Any,
    *,
    enterprises: pd.DataFrame | None = None,
    n_boot: int = 500,
    targeting: bool = False,
    seed: int = 0,
) -> tuple[dict[str, Any], dict]:
    """The evaluation parts of a training report and its figures, from held-out scores.

    Returns
    -------
    report : dict
        ``metrics``, ``metrics_unweighted``, ``oracle_gap``, ``oracle_gap_unweighted``,
        ``oracle_gap_ci``, ``comparisons``, ``calibration``, ``tier_table``,
        ``model_tier_table``, ``groups``, ``scorecard_comparison``, ``importance``,
        ``test_scores`` and, with ``targeting``, ``targeting`` (see
        :func:`credit_risk.evaluation.targeting_metrics`; visit dates = ``as_of``).
    figures : dict of Figure
    """
    y, w, p = h.y, h.sample_weight, h.probability
    metrics = {"generic": ev.binary_metrics(y, p, w)}
    metrics["scorecard_learned"] = ev.binary_metrics(y, h.scorecard_probability, w)
    curves = {"generic (LightGBM)": (y, p), "scorecard (learned)": (y, h.scorecard_points)}
    if h.rules_risk is not None:
        metrics["scorecard_rules"] = ev.binary_metrics(y, h.rules_risk, w)
        curves["scorecard (rules)"] = (y, h.rules_risk)
    oracle_gap, ok = None, None
    if h.oracle is not None:
        ok = ~np.isnan(h.oracle)
        if ok.any():
            lr = h.oracle
            metrics["oracle"] = ev.binary_metrics(y[ok], lr[ok], None if w is None else w[ok])
            curves["oracle (ground truth)"] = (y[ok], lr[ok])
            oracle_gap = metrics["oracle"]["auc"] - metrics["generic"]["auc"]
    unweighted = {}
    if w is not None:
        unweighted["generic"] = ev.binary_metrics(y, p)
        unweighted["scorecard_learned"] = ev.binary_metrics(y, h.scorecard_probability)
        if h.rules_risk is not None:
            unweighted["scorecard_rules"] = ev.binary_metrics(y, h.rules_risk)
        if "oracle" in metrics:
            unweighted["oracle"] = ev.binary_metrics(y[ok], h.oracle[ok])
    scorecard_comparison = pd.DataFrame(
        [{"model": k, **{m: v[m] for m in ("auc", "gini", "ks", "brier", "log_loss")}} for k, v in metrics.items()]
    )
    every = np.ones(len(y), dtype=bool)
    pairs = [("generic − scorecard_learned", p, h.scorecard_points, every)]
    if h.rules_risk is not None:
        pairs.append(("generic − scorecard_rules", p, h.rules_risk, every))
    if oracle_gap is not None:
        pairs.append(("oracle − generic", h.oracle[ok], p[ok], ok))
    comparisons = _comparisons(y, w, pairs, n_boot)
    gap_rows = comparisons[comparisons["comparison"] == "oracle − generic"] if len(comparisons) else comparisons
    tier_table = ev.tier_table(y, h.tiers["tier"], w)
    model_tier_table = ev.tier_table(y, h.tiers["model_tier"], w)
    sample = h.generic_features
    if len(sample.X) > 20_000:
        sample = sample.rows(np.arange(20_000))
    importance = global_importance(generic, sample)
    calibration = ev.calibration_table(y, p, w)
    test_scores = h.keys.reset_index(drop=True).assign(y=y, sample_weight=1.0 if w is None else w)
    test_scores = pd.concat(
        [test_scores, h.tiers[["probability", "model_tier", "tier", "override"]].reset_index(drop=True)], axis=1
    )
    report: dict[str, Any] = {
        "metrics": metrics,
        "metrics_unweighted": unweighted,
        "oracle_gap": oracle_gap,
        "oracle_gap_unweighted": (unweighted["oracle"]["auc"] - unweighted["generic"]["auc"]
                                  if "oracle" in unweighted else oracle_gap),
        "oracle_gap_ci": {r["weighting"]: (r["ci_low"], r["ci_high"]) for r in gap_rows.to_dict("records")},
        "comparisons": comparisons,
        "calibration": calibration,
        "tier_table": tier_table,
        "model_tier_table": model_tier_table,
        "groups": _groups(h, enterprises),
        "scorecard_comparison": scorecard_comparison,
        "importance": importance,
        "test_scores": test_scores,
    }
    if targeting:
        report["targeting"] = ev.targeting_metrics(y, p, h.keys["as_of"].to_numpy(), n_boot=min(n_boot, 200), seed=seed)
    figures = {
        "roc": ev.roc_figure(curves),
        "calibration": ev.calibration_figure({"generic": calibration}),
        "tiers": ev.tier_figure(tier_table),
        "importance": importance_figure(importance),
    }
    return report, figures
