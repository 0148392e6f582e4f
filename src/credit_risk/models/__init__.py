"""Generic and domain models (通用+专用), calibration, their combination, scorecard and bundle."""

from credit_risk.models._fitted import ModelNotFittedError
from credit_risk.models.calibration import Calibrator, choose_calibrator
from credit_risk.models.generic import GenericRiskModel, split_by_time

__all__ = [
    "Calibrator",
    "GenericRiskModel",
    "ModelNotFittedError",
    "choose_calibrator",
    "split_by_time",
]
