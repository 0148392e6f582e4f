"""Train every model and evaluate it on rows it did not learn from: the one call the CLI makes.

:func:`fit_models` fits the generic model, the domain models, the expert scorecard baselines
and the risk tiers. With an out-of-time split (:class:`TimeSplit`, train < validation < test
by ``as_of``) or the labels' own ``split`` column (:class:`ColumnSplit`), early stopping,
calibration choice, tier cut-offs and the domain combination use the validation slice and
every reported figure comes from the test slice, scored (``refit_before_test``, default) by
the generic model refit on train + validation with the trees chosen on validation — the
select-on-validation, refit-before-test protocol; the test slice is never learned from. For labels that share one as-of date,
:class:`GroupedKFold` gives out-of-fold figures instead. By default the saved generic model
is then refit on all labelled rows with the choices made (``refit``); the report's figures
stay the held-out ones. It returns a :class:`TrainedModels` with a plain ``report`` dict
(numbers and DataFrames) and matplotlib ``figures``, ready for any tracker.
:meth:`TrainedModels.iter_scores` scores subjects in chunks through the one scoring path,
:mod:`credit_risk.pipeline.score`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.features import check_directions
from credit_risk.features.matrix import FeatureMatrix
from credit_risk.models.domain import DomainConfig
from credit_risk.models.generic import GenericRiskModel, ModelParams, load_model_params
from credit_risk.models.refit import refit_generic
from credit_risk.models.scorecard import ExpertScorecard, ScorecardConfig
from credit_risk.models.tiers import RiskTiers, TierConfig, load_tier_config
from credit_risk.pipeline.constraints import constraints_report
from credit_risk.pipeline.crossval import fit_out_of_fold
from credit_risk.pipeline.domains import domain_shortfall, fit_domains, skipped_domains
from credit_risk.pipeline.domains import generic_refit as _generic_refit
from credit_risk.pipeline.domains import out_of_fold_generic as _out_of_fold_generic
from credit_risk.pipeline.evaluate import (
    HeldOut,
    ModelReport,
    backtest_report,
    generic_report,
    holdout_report,
    size_class,
    split_report,
    tiers_report,
)
from credit_risk.pipeline.score import TrainedModels, event_probability
from credit_risk.pipeline.splits import ColumnSplit, GroupedKFold, TimeSplit, split_masks

__all__ = [
    "ColumnSplit",
    "GroupedKFold",
    "ModelParams",
    "TimeSplit",
    "TrainedModels",
    "domain_shortfall",
    "fit_models",
    "load_model_params",
    "size_class",
]

# kept importable from here for existing callers and tests
_KEPT = (_generic_refit, _out_of_fold_generic)

logger = logging.getLogger(__name__)


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
    if frame["y"].notna().any() and not frame["y"].dropna().isin([0, 1]).all():
        raise ModelError("labels column y must hold 0/1 (or missing for rows without a label)")
    return frame


def _truth_column(truth: pd.DataFrame, keys: pd.DataFrame, column: str) -> np.ndarray:
    """``truth[column]`` aligned to ``keys`` (by row when already aligned, else by key)."""
    t = truth.rename(columns={"month": "as_of"})
    t = t.assign(as_of=pd.to_datetime(t["as_of"]).astype("datetime64[ns]"))
    if len(t) == len(keys) and (t["credit_code"].astype(object).to_numpy() == keys["credit_code"].astype(object).to_numpy()).all() \
            and (t["as_of"].to_numpy() == keys["as_of"].to_numpy()).all():
        return t[column].to_numpy(dtype=float)
    t = t.drop_duplicates(["credit_code", "as_of"])
    return keys.merge(t[["credit_code", "as_of", column]], on=["credit_code", "as_of"], how="left")[column].to_numpy(dtype=float)




def _aligned(features: FeatureMatrix, labels: Any) -> tuple[FeatureMatrix, pd.DataFrame, np.ndarray, np.ndarray | None]:
    """The labelled feature rows, the labels row-aligned with them, ``y`` and the weights."""
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
    return fm, merged, y, w


def _generic_features(fm: FeatureMatrix, domain_configs: Mapping[str, DomainConfig]) -> FeatureMatrix:
    """The generic model's features: every feature but the domain models' extras."""
    extras = sorted({f for c in domain_configs.values() for f in c.extra_features})
    missing_extra = [f for f in extras if f not in fm.feature_names]
    if missing_extra:
        raise ModelError(f"domain extra_features {missing_extra} are not in the feature matrix; fix configs/domains or the feature spec")
    return fm.select([n for n in fm.feature_names if n not in set(extras)])


def _rules_scorecard(config: ScorecardConfig | None, fm: FeatureMatrix) -> ExpertScorecard | None:
    """The approved rule set, when configured and its features exist."""
    if config is None or config.mode != "rules":
        return None
    needed = {i.feature for i in config.indicators} | {v.feature for v in config.vetoes}
    if not needed <= set(fm.feature_names):
        logger.info("rules scorecard skipped: features %s absent", sorted(needed - set(fm.feature_names)))
        return None
    return ExpertScorecard.from_config(config).fit(fm.X)


def _rule_columns(tiers: RiskTiers, fm: FeatureMatrix) -> list[str]:
    cols = [r.feature for r in tiers.overrides] + ([tiers.observation.feature] if tiers.observation else [])
    absent = [c for c in cols if c not in fm.feature_names]
    if absent:
        raise ModelError(f"tier overrides need features {absent} that are not in the feature matrix; fix configs/tiers.yaml or the feature spec")
    return cols


def fit_models(
    features: FeatureMatrix,
    labels: Any,
    *,
    enterprises: pd.DataFrame | None = None,
    domain_configs: Mapping[str, DomainConfig] | None = None,
    tier_config: TierConfig | None = None,
    scorecard_config: ScorecardConfig | None = None,
    model_params: Mapping[str, Any] | None = None,
    split: TimeSplit | ColumnSplit | GroupedKFold | None = None,
    truth: pd.DataFrame | None = None,
    train_weights: bool = False,
    n_boot: int = 500,
    cross_fit_folds: int = 4,
    refit: bool = True,
    refit_before_test: bool = True,
    targeting: bool = False,
    constraints_cost: bool = False,
) -> TrainedModels:
    """Fit the generic, domain, scorecard and tier models; evaluate them on held-out rows.

    Parameters
    ----------
    features : FeatureMatrix
        All features (generic and domain extras) per (credit_code, as_of).
    labels : DataFrame or labels object
        ``credit_code``, ``as_of``, ``y`` (generic event), optional ``sample_weight``,
        ``group`` (grouped K-fold), ``split`` (:class:`ColumnSplit`) and one column per domain
        label named by ``DomainConfig.label``. Rows without a label are not used.
    enterprises : DataFrame, optional
        The enterprises table (``industry`` selects domain subjects; ``region``, ``industry``,
        ``entity_type`` and ``registered_capital`` give the group evaluation).
    domain_configs, tier_config, scorecard_config : configs, optional
        Defaults: no domains, the packaged ``configs/tiers.yaml``, the learned scorecard only.
    model_params : dict, optional
        :class:`GenericRiskModel` parameters of the generic model.
    split : TimeSplit, ColumnSplit or GroupedKFold, optional
        Default: :class:`TimeSplit` by fractions. With :class:`GroupedKFold` every figure is
        out of fold, the tier cut-offs are set on the out-of-fold probabilities, the saved
        model is fitted on all rows (median of the folds' trees, calibration chosen on the
        out-of-fold scores) and domain models are skipped (they choose their combination on
        an out-of-time validation slice).
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
    refit : bool
        After the trees, the calibration and the tier cut-offs are chosen out of time, refit
        the saved generic model on all labelled rows (:func:`~credit_risk.models.refit.refit_generic`);
        False keeps the out-of-time model. Domain models and the scorecards are not refit.
        The report's figures are those of the out-of-time model either way.
    refit_before_test : bool
        Time or column split: the test figures (metrics, tiers on test, targeting, backtest
        test dates, ``test_scores``) come from the generic model refit on every training and
        validation row (for a time split: every row before the test start) with the trees
        and calibration chosen on validation and the tier cut-offs set on the validation
        slice (:func:`~credit_risk.models.refit.refit_generic`), as the final ``refit`` does;
        the test slice stays untouched. False: from the model fitted on the training slice
        only. With ``refit: false`` the saved model is the one the test figures describe.
        Domain models and the learned scorecard are unchanged (the scorecard already learns
        from train + validation); the constraints' cost compares twins refit alike.
    constraints_cost : bool
        (``credit_risk.pipeline.train.train`` turns it on.) Report the declared directions the training rows contradict and, with a time or
        column split, what the monotone constraints cost: the generic model refitted without
        them on the same split, the paired test-AUC difference and its interval
        (:func:`~credit_risk.pipeline.constraints.constraints_report`; one extra generic fit).
    targeting : bool
        Add the targeting metrics (:func:`credit_risk.evaluation.targeting_metrics`, visit
        date = ``as_of``) for inspection-type labels.

    Returns
    -------
    TrainedModels
        ``report`` keys: ``split`` (``method``, dates, rows, events), ``metrics`` (per model,
        held-out rows), ``oracle_gap``, ``oracle_gap_ci`` (95 % paired-bootstrap interval),
        ``comparisons`` (every AUC difference with its standard error and interval, weighted
        and unweighted), ``calibration``, ``tiers`` (cut-offs, realised shares, table,
        increasing), ``groups``, ``backtest`` (time splits), ``domains`` (per domain:
        combination comparison on test and validation, chosen, whether it beats the generic
        model, ``cross_fitted``; or ``skipped`` with its ``reason``), ``scorecard_comparison``,
        ``generic_model`` (with ``cross_fit_folds``), ``refit`` (whether the saved model was
        refit, on how many rows, with how many trees, and where the figures come from),
        ``importance``, ``test_scores`` (per held-out row: keys, ``y``, ``sample_weight``,
        ``probability``, ``model_tier``, ``tier``, ``override``; not saved in bundles) and, with ``targeting``,
        ``targeting``; with ``constraints_cost``, ``constraints`` (``directions`` table,
        ``contradicted``, ``auc_constrained``, ``auc_unconstrained``, ``cost`` and its interval).
    """
    if isinstance(cross_fit_folds, bool) or not isinstance(cross_fit_folds, (int, np.integer)) or cross_fit_folds < 0:
        raise ConfigError(f"cross_fit_folds must be an integer >= 0 (0 or 1: off); got {cross_fit_folds!r}")
    domain_configs = dict(domain_configs or {})
    tier_config = tier_config if tier_config is not None else load_tier_config()
    split = split if split is not None else TimeSplit()
    fm, merged, y, w = _aligned(features, labels)
    # Weights (e.g. inverse inspection probabilities) always weight the evaluation, so the
    # figures describe the population; training uses them only if asked: when the draw
    # depends on observed features only, P(y | x) is the same among the inspected and
    # unweighted training is unbiased and less noisy.
    wt = w if train_weights else None
    fg = _generic_features(fm, domain_configs)
    rules = _rules_scorecard(scorecard_config, fm)
    sc = scorecard_config
    learned_params = {} if sc is None else {"learned": sc.learned, "bands": sc.bands or ExpertScorecard().bands}
    truth_risk = {}
    if truth is not None:
        for col in [c for c in truth.columns if c.startswith("latent_risk")]:
            truth_risk[col] = _truth_column(truth, fm.keys, col)
    common = {"fm": fm, "fg": fg, "merged": merged, "y": y, "w": w, "wt": wt, "rules": rules,
              "learned_params": learned_params, "truth_risk": truth_risk, "tier_config": tier_config,
              "model_params": dict(model_params or {}), "enterprises": enterprises, "n_boot": n_boot,
              "targeting": targeting, "constraints_cost": constraints_cost}
    if isinstance(split, GroupedKFold):
        return _fit_kfold(split, domain_configs, refit=refit, **common)
    return _fit_split(split, domain_configs, refit=refit, refit_before_test=refit_before_test,
                      cross_fit_folds=cross_fit_folds, **common)


def _fit_split(split, domain_configs, *, fm, fg, merged, y, w, wt, rules, learned_params, truth_risk, tier_config,
               model_params, enterprises, n_boot, targeting, constraints_cost, refit, refit_before_test,
               cross_fit_folds) -> TrainedModels:
    """Time or column split: fit on train, choose on validation, refit on train + validation, report on test, then refit."""
    s = split_masks(split, fm.keys["as_of"], merged.get("split"))
    tr, va, te = s["train"], s["validation"], s["test"]
    fix = "move the split dates" if s["method"] == "time" else "mark more rows of each label in the split column"
    for name, m in (("train", tr), ("validation", va), ("test", te)):
        if len(np.unique(y[m])) < 2:
            raise ModelError(f"the {name} slice has {m.sum()} rows and only one class; {fix}")

    def sub(a, m):
        return None if a is None else a[m]

    logger.info("generic model: fitting on %d training rows, early stopping on %d validation rows (%d features)",
                tr.sum(), va.sum(), fg.X.shape[1])
    generic = GenericRiskModel(**model_params)
    generic.fit(fg.rows(tr), y[tr], sub(wt, tr), eval_set=(fg.rows(va), y[va], sub(wt, va)))
    logger.info("generic model: %d trees chosen on validation, calibration %s", generic.best_iteration_,
                generic.calibration_method_)
    p_va = event_probability(generic, fg.rows(va))
    seen = tr | va
    # the model the test figures describe: refit before the test start with the choices made on validation
    if refit_before_test:
        logger.info("generic model: refit on %d rows before the test start (train + validation)", seen.sum())
    tested = refit_generic(generic, fg.rows(seen), y[seen], sub(wt, seen)) if refit_before_test else generic
    p_te = event_probability(tested, fg.rows(te))

    # ---- tiers (cut-offs on validation), evaluated on test with overrides
    tiers = RiskTiers.from_config(tier_config).fit(p_va, y[va], sub(w, va))
    rule_cols = _rule_columns(tiers, fm)
    test_X = fm.rows(te).X
    tier_te = tiers.assign(p_te, features=test_X[rule_cols] if rule_cols else None)

    # ---- scorecards (baselines) and the held-out evaluation
    logger.info("tiers: cut-offs set on validation; learned scorecard (baseline) fitting")
    scorecard = ExpertScorecard(mode="learned", **learned_params).fit(fg.rows(tr | va), y[tr | va], sub(wt, tr | va))
    held = HeldOut(
        keys=fm.keys[te], y=y[te], sample_weight=sub(w, te), probability=p_te, tiers=tier_te,
        scorecard_probability=scorecard.predict_proba(fg.rows(te))[:, 1],
        scorecard_points=scorecard.decision_function(fg.rows(te)),
        rules_risk=None if rules is None else rules.decision_function(test_X) / rules.max_points,
        oracle=truth_risk["latent_risk"][te] if "latent_risk" in truth_risk else None,
        generic_features=fg.rows(te),
    )
    logger.info("evaluation: %d test rows, %d bootstrap replicates", te.sum(), n_boot)
    evaluation, figures = holdout_report(held, tested, enterprises=enterprises, n_boot=n_boot, targeting=targeting)
    p_all = np.full(len(y), np.nan)
    p_all[va], p_all[te] = p_va, p_te  # each row scored by a model that did not learn from it
    p_vt = p_all[va | te]
    backtest = backtest_report(y[va | te], p_vt, fm.keys["as_of"][va | te], tiers.predict(p_vt), sub(w, va | te),
                               test_start=s["test_start"])

    # ---- domain models
    domains, domain_report = fit_domains(
        domain_configs, generic=generic, fm=fm, fg=fg, labels=merged, y=y, w=w, wt=wt, masks=(tr, va, te),
        enterprises=enterprises, cross_fit_folds=cross_fit_folds,
        truth_risk={name: truth_risk[f"latent_risk_{name}"] for name in domain_configs if f"latent_risk_{name}" in truth_risk},
        n_boot=n_boot,
    )
    cross_fitted = any(e.get("cross_fitted") for e in domain_report.values())

    if constraints_cost:
        logger.info("monotone constraints: measuring their cost (an unconstrained twin)")
    constraints = (constraints_report(generic, fg, y, w, wt, (tr, va, te), p_te, n_boot=n_boot,
                                      refit_before_test=refit_before_test)
                   if constraints_cost else None)

    # ---- refit on every labelled row with the choices made out of time
    if refit:
        logger.info("generic model: refit on all %d labelled rows with %d trees", len(y), generic.best_iteration_)
    saved = refit_generic(generic, fg, y, wt) if refit else tested
    where = "the out-of-time test slice" if s["method"] == "time" else "the rows marked 'test' in the split column"
    scored_by = ("the generic model refit on train + validation (every row before the test start) with the trees, "
                 "calibration and tier cut-offs chosen on validation" if refit_before_test
                 else "the generic model fitted on the training slice only")
    kept = "train + validation" if refit_before_test else "the training slice only"
    refit_report = {
        "refit": bool(refit), "rows": int(len(y) if refit else (seen if refit_before_test else tr).sum()),
        "trees": int(saved.best_iteration_),
        "refit_before_test": bool(refit_before_test), "test_model_rows": int((seen if refit_before_test else tr).sum()),
        "figures_from": f"{where}, scored by {scored_by}",
        "saved_model": ("refit on all labelled rows (train, validation and test) with the trees, calibration and "
                        "tier cut-offs chosen out of time; domain models and scorecards are not refit"
                        if refit else f"the out-of-time model, fitted on {kept}"),
    }
    tiers_part = tiers_report(tiers, evaluation, tier_te)  # takes the tier tables out of evaluation
    report = ModelReport(
        split=split_report(s, y), **evaluation, tiers=tiers_part, backtest=backtest,
        domains=domain_report,
        generic_model=generic_report(generic, fg, cross_fit_folds if cross_fitted else 0, generic.get_params()),
        refit=refit_report, constraints=constraints,
    )
    return TrainedModels(
        generic=saved, domains=domains, domain_configs=domain_configs, scorecard=scorecard,
        rules_scorecard=rules, tiers=tiers, feature_info=fm.info, report=report, figures=figures,
    )


def _fit_kfold(split: GroupedKFold, domain_configs, *, fm, fg, merged, y, w, wt, rules, learned_params, truth_risk,
               tier_config, model_params, enterprises, n_boot, targeting, constraints_cost, refit) -> TrainedModels:
    """Grouped, stratified K-fold: out-of-fold figures, tiers on out-of-fold scores, final model on all rows."""
    groups = (merged["group"] if "group" in merged else merged["credit_code"]).astype(str).to_numpy()
    fold = split.fold_of(y, groups)
    logger.info("grouped %d-fold: out-of-fold scores for %d rows (%d features)", split.folds, len(y), fg.X.shape[1])
    oof = fit_out_of_fold(fg, y, wt, fold, model_params=model_params, scorecard_params=learned_params)
    tiers = RiskTiers.from_config(tier_config).fit(oof.probability, y, w)
    rule_cols = _rule_columns(tiers, fm)
    tier_all = tiers.assign(oof.probability, features=fm.X[rule_cols] if rule_cols else None)
    held = HeldOut(
        keys=fm.keys, y=y, sample_weight=w, probability=oof.probability, tiers=tier_all,
        scorecard_probability=oof.scorecard_probability, scorecard_points=oof.scorecard_points,
        rules_risk=None if rules is None else rules.decision_function(fm.X) / rules.max_points,
        oracle=truth_risk.get("latent_risk"), generic_features=fg,
    )
    logger.info("evaluation: %d out-of-fold rows, %d bootstrap replicates", len(y), n_boot)
    evaluation, figures = holdout_report(held, oof.final, enterprises=enterprises, n_boot=n_boot, targeting=targeting)
    domain_report = skipped_domains(
        domain_configs, "grouped K-fold split: a domain model chooses its combination on an out-of-time "
        "validation slice, which labels at one as-of date do not have")
    if not refit:
        logger.info("refit: false has no effect with grouped K-fold; the saved model is fitted on all rows")
    constraints = None
    if constraints_cost:
        directions = check_directions(fg, y, w)
        constraints = {"directions": directions,
                       "contradicted": directions.loc[directions["contradicted"], "feature"].tolist(),
                       "constrained": bool(oof.final.monotone and any(oof.final.monotone_constraints_)),
                       "note": "the AUC cost of the constraints is measured with time or column splits only"}
    tiers_part = {**tiers_report(tiers, evaluation, tier_all),  # takes the tier tables out of evaluation
                  "note": "cut-offs set on the same out-of-fold probabilities the table describes"}
    report = ModelReport(
        split={"method": "grouped_kfold", "folds": split.folds, "seed": split.seed, "valid_start": None,
               "test_start": None, "grouped_by": "group" if "group" in merged else "credit_code",
               "rows": {"out_of_fold": int(len(y))}, "events": {"out_of_fold": int(y.sum())}},
        **evaluation, tiers=tiers_part, backtest=None, domains=domain_report,
        generic_model={**generic_report(oof.final, fg, 0, GenericRiskModel(**model_params).get_params()),
                       "fold_trees": oof.fold_trees},
        refit={"refit": True, "rows": int(len(y)), "trees": oof.trees, "figures_from": "out of fold",
               "saved_model": f"fitted on all {len(y)} labelled rows with the median of the folds' trees "
                              f"({oof.trees}) and the calibration chosen on the out-of-fold scores"},
        constraints=constraints,
    )
    return TrainedModels(
        generic=oof.final, domains={}, domain_configs={}, scorecard=oof.scorecard, rules_scorecard=rules,
        tiers=tiers, feature_info=fm.info, report=report, figures=figures,
    )
