"""Out-of-fold fitting for labels that share one as-of date (grouped, stratified K-fold).

With every label at one date there is no later slice to evaluate on. Each fold is scored by
a generic model (and a learned scorecard) fitted on the other folds; a subject (or a
``group``) never lands on both sides. The number of trees is the median of the folds'
early-stopping choices, the calibration is chosen on the out-of-fold raw scores, and the
saved model is fitted on all rows with both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from credit_risk.features.matrix import FeatureMatrix
from credit_risk.models.calibration import Calibrator, choose_calibrator
from credit_risk.models.generic import GenericRiskModel
from credit_risk.models.refit import refit_generic
from credit_risk.models.scorecard import ExpertScorecard

__all__ = ["OutOfFold", "fit_out_of_fold"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class OutOfFold:
    """What :func:`fit_out_of_fold` learned.

    Attributes
    ----------
    final : GenericRiskModel
        Fitted on all rows with ``trees`` trees and ``calibrator``.
    raw, probability : arrays
        Out-of-fold raw log-odds and calibrated probabilities of every row.
    scorecard_probability, scorecard_points : arrays
        Out-of-fold learned-scorecard probability and risk points.
    scorecard : ExpertScorecard
        The learned scorecard fitted on all rows.
    trees : int
    fold_trees : list of int
        Early-stopping choice of each fold.
    calibrator : Calibrator
    calibration_losses : dict
    """

    final: GenericRiskModel
    raw: np.ndarray
    probability: np.ndarray
    scorecard_probability: np.ndarray
    scorecard_points: np.ndarray
    scorecard: ExpertScorecard
    trees: int
    fold_trees: list[int]
    calibrator: Calibrator
    calibration_losses: dict


def fit_out_of_fold(
    fg: FeatureMatrix,
    y: np.ndarray,
    w: np.ndarray | None,
    fold: np.ndarray,
    *,
    model_params: dict[str, Any],
    scorecard_params: dict[str, Any],
) -> OutOfFold:
    """Fit each fold's complement, score the fold, then the final models on all rows.

    ``w`` weights the fitting (pass None for unweighted training); ``fold`` numbers the rows'
    folds (see :meth:`credit_risk.pipeline.splits.GroupedKFold.fold_of`).
    """
    raw = np.full(len(y), np.nan)
    sc_p = np.full(len(y), np.nan)
    sc_points = np.full(len(y), np.nan)
    fold_trees = []
    params = dict(model_params)
    for k in np.unique(fold):
        held = fold == k
        kept = ~held
        model = GenericRiskModel(**params).fit(fg.rows(kept), y[kept], None if w is None else w[kept])
        fold_trees.append(int(model.best_iteration_))
        raw[held] = model.decision_function(fg.rows(held))
        card = ExpertScorecard(mode="learned", **scorecard_params).fit(fg.rows(kept), y[kept], None if w is None else w[kept])
        sc_p[held] = card.predict_proba(fg.rows(held))[:, 1]
        sc_points[held] = card.decision_function(fg.rows(held))
        logger.info("fold %d: %d rows held out, %d trees", k, int(held.sum()), fold_trees[-1])
    trees = int(np.median(fold_trees))
    method = params.get("calibration", "auto")
    calibrator, losses = choose_calibrator(raw, y, w, method=method, order=None,
                                           random_state=params.get("random_state", 0))
    template = GenericRiskModel(**params)
    final = refit_generic(template.set_params(calibration=method), fg, y, w, n_estimators=trees, calibrator=calibrator)
    final.calibration_losses_ = losses
    scorecard = ExpertScorecard(mode="learned", **scorecard_params).fit(fg, y, w)
    return OutOfFold(final=final, raw=raw, probability=calibrator.predict(raw), scorecard_probability=sc_p,
                     scorecard_points=sc_points, scorecard=scorecard, trees=trees, fold_trees=fold_trees,
                     calibrator=calibrator, calibration_losses=losses)
