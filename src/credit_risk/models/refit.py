"""Refit: the saved generic model learns from every labelled row, with choices made out of time.

Early stopping (the number of trees), the calibration and the tier cut-offs are chosen on
rows the model did not learn from (the validation slice, or out of fold). A model fitted on
the oldest rows only would then ignore the newest labels, the ones closest to the subjects it
will score; :func:`refit_generic` fits the same parameters with the chosen number of trees on
all rows and keeps the chosen calibration map. The figures of the training report stay those
of the out-of-time (or out-of-fold) model: the refitted model has no held-out rows left.
"""

from __future__ import annotations

import numpy as np

from credit_risk.models.calibration import Calibrator
from credit_risk.models.generic import GenericRiskModel

__all__ = ["refit_generic"]


def refit_generic(
    generic: GenericRiskModel,
    X,
    y: np.ndarray,
    sample_weight: np.ndarray | None = None,
    *,
    n_estimators: int | None = None,
    calibrator: Calibrator | None = None,
) -> GenericRiskModel:
    """A new model with ``generic``'s parameters, fitted on ``X`` without early stopping.

    Parameters
    ----------
    generic : GenericRiskModel
        The model whose choices are kept (fitted, unless both ``n_estimators`` and
        ``calibrator`` are given).
    X, y, sample_weight
        All labelled rows.
    n_estimators : int, optional
        Trees to grow (default: ``generic.best_iteration_``).
    calibrator : Calibrator, optional
        Map from raw log-odds to probabilities (default: ``generic.calibrator_``).
    """
    trees = int(n_estimators if n_estimators is not None else generic.best_iteration_)
    params = {**generic.get_params(), "n_estimators": max(trees, 1), "validation_fraction": 0.0, "calibration": "none"}
    model = GenericRiskModel(**params).fit(X, y, sample_weight)
    cal = calibrator if calibrator is not None else generic.calibrator_
    model.calibration = generic.calibration
    model.calibrator_ = cal
    model.calibration_method_ = cal.method
    model.calibration_losses_ = dict(getattr(generic, "calibration_losses_", {}) or {})
    return model
