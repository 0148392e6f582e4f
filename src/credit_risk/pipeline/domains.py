"""Fitting and judging the domain models (通用+专用) inside a training run.

:func:`fit_domains` fits one :class:`DomainModel` per domain config on the out-of-time split
of :func:`credit_risk.pipeline.fit.fit_models`, compares its combinations with the generic
model on the test slice and explains a shortfall (:func:`domain_shortfall`). A domain that
cannot be fitted or evaluated (too few events in a slice, no label column) is reported as
``{"skipped": True, "reason": ...}`` and training goes on without it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from credit_risk import evaluation as ev
from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.explain import global_importance
from credit_risk.features.matrix import FeatureMatrix
from credit_risk.models.domain import DomainConfig, DomainModel, industry_of
from credit_risk.models.generic import GenericRiskModel

__all__ = ["domain_shortfall", "fit_domains", "out_of_fold_generic", "skipped_domains"]

logger = logging.getLogger(__name__)


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


def generic_refit(generic: GenericRiskModel, X, y: np.ndarray, w: np.ndarray | None) -> GenericRiskModel:
    """A copy of the fitted ``generic`` refitted on other rows: its parameters, ``best_iteration_``
    trees, no early stopping and no calibration (only its raw log-odds are used)."""
    params = {**generic.get_params(), "n_estimators": int(generic.best_iteration_), "validation_fraction": 0.0,
              "calibration": "none"}
    return GenericRiskModel(**params).fit(X, y, w)


def out_of_fold_generic(
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
        model = generic_refit(generic, fg.rows(kept), y[kept], None if w is None else w[kept])
        out[held] = model.decision_function(fg.rows(held))
    return out


def skipped_domains(names, reason: str) -> dict[str, dict]:
    """Report entries for domains not fitted at all, with the reason (logged)."""
    for name in names:
        logger.warning("domain %s skipped: %s", name, reason)
    return {name: {"skipped": True, "reason": reason} for name in names}


def _fit_one(
    name: str, cfg: DomainConfig, *, generic: GenericRiskModel, fm: FeatureMatrix, yd: np.ndarray, mask: np.ndarray,
    tr: np.ndarray, va: np.ndarray, te: np.ndarray, w, wt, oof, truth_risk, n_boot: int,
) -> tuple[DomainModel, dict[str, Any]]:
    def sub(a, m):
        return None if a is None else a[m]

    dm = DomainModel(generic=generic, extra_features=cfg.extra_features, combination=cfg.combination,
                     model_params=dict(cfg.model), name=name)
    dm.fit(fm.rows(mask & tr), yd[mask & tr], sub(wt, mask & tr),
           eval_set=(fm.rows(mask & va), yd[mask & va], sub(wt, mask & va)),
           generic_score=sub(oof, mask & tr))
    if len(np.unique(yd[mask & te])) < 2:
        raise ModelError(
            f"domain model {name!r}: the test slice has {int((mask & te).sum())} rows with "
            f"{int(yd[mask & te].sum())} events; it needs events and non-events to be evaluated"
        )
    comp = dm.compare(fm.rows(mask & te), yd[mask & te], sub(w, mask & te))
    chosen = comp[comp["chosen"]].iloc[0]
    gen_auc = float(comp.loc[comp["combination"] == "generic", "auc"].iloc[0])
    entry: dict[str, Any] = {
        "skipped": False,
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
    entry["auc_se"] = diff["se"]  # paired-bootstrap SE of (chosen − generic)
    entry["auc_difference_ci"] = (diff["ci_low"], diff["ci_high"])
    if not entry["beats_generic"]:
        entry["why_not"] = domain_shortfall(
            dm.combination_, float(chosen["auc"]), gen_auc, diff["se"], entry["subjects_test"], entry["events_test"]
        )
    if truth_risk is not None:
        ok = mask & te & ~np.isnan(truth_risk)
        if ok.any() and len(np.unique(yd[ok])) == 2:
            entry["auc_oracle"] = ev.oracle_auc(yd[ok], truth_risk[ok])
    return dm, entry


def fit_domains(
    domain_configs: Mapping[str, DomainConfig],
    *,
    generic: GenericRiskModel,
    fm: FeatureMatrix,
    fg: FeatureMatrix,
    labels: pd.DataFrame,
    y: np.ndarray,
    w: np.ndarray | None,
    wt: np.ndarray | None,
    masks: tuple[np.ndarray, np.ndarray, np.ndarray],
    enterprises: pd.DataFrame | None,
    cross_fit_folds: int,
    truth_risk: Mapping[str, np.ndarray],
    n_boot: int,
) -> tuple[dict[str, DomainModel], dict[str, Any]]:
    """Fit and evaluate every domain model; a domain that fails is reported as skipped, with its reason.

    ``labels`` holds one column per domain label (``DomainConfig.label``), row-aligned with
    ``fm``; ``masks`` are the train, validation and test rows; ``truth_risk`` maps a domain
    to its ground-truth latent risk per row (synthetic data only).
    """
    if not domain_configs:
        return {}, {}
    if enterprises is None or "industry" not in enterprises:
        raise ModelError("domain models need the enterprises table (industry) to select their subjects")
    tr, va, te = masks
    industry = industry_of(fm.keys["credit_code"], enterprises)
    oof = out_of_fold_generic(generic, fg, y, wt, tr, cross_fit_folds) if cross_fit_folds >= 2 else None
    domains: dict[str, DomainModel] = {}
    report: dict[str, Any] = {}
    for name, cfg in domain_configs.items():
        if cfg.label not in labels:
            report.update(skipped_domains([name], f"label column {cfg.label!r} is not in the labels "
                                                  f"(got {list(labels.columns)[:10]})"))
            continue
        logger.info("domain model %s: fitting on label %s", name, cfg.label)
        yd_all = labels[cfg.label].to_numpy(dtype=float)
        mask = cfg.subject_mask(industry) & ~np.isnan(yd_all)
        yd = np.nan_to_num(yd_all).astype(int)
        try:
            dm, entry = _fit_one(name, cfg, generic=generic, fm=fm, yd=yd, mask=mask, tr=tr, va=va, te=te, w=w,
                                 wt=wt, oof=oof, truth_risk=truth_risk.get(name), n_boot=n_boot)
        except (ModelError, ConfigError, ValueError) as exc:
            report.update(skipped_domains([name], str(exc)))
            continue
        domains[name] = dm
        report[name] = entry
    return domains, report
