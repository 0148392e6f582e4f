"""Generic and domain models (通用+专用), calibration, their combination and the scorecard.

Bundles (saving and loading fitted models) live in :mod:`credit_risk.store`.

Public names are re-exported here; the code lives in the submodules:

``generic``      :class:`GenericRiskModel` (monotone, calibrated LightGBM)
``domain``       :class:`DomainModel`, :class:`DomainConfig` (stacking / blend / max)
``scorecard``    :class:`ExpertScorecard` (approved rules or learned WoE points, 1000-point scale)
``binning``      monotone optimal binning, WoE and IV
``calibration``  isotonic / sigmoid calibration chosen on held-out time
``training``     :func:`fit_models`, :class:`TrainedModels`, :class:`TimeSplit`
"""

from credit_risk._fitted import ModelNotFittedError
from credit_risk.models.binning import FeatureBinning, bin_feature
from credit_risk.models.calibration import Calibrator, choose_calibrator
from credit_risk.models.domain import DomainConfig, DomainModel, load_domain_configs
from credit_risk.models.generic import GenericRiskModel, split_by_time
from credit_risk.models.scorecard import ExpertScorecard, ScorecardConfig, load_scorecard_config
from credit_risk.models.training import TimeSplit, TrainedModels, fit_models

__all__ = [
    "Calibrator",
    "DomainConfig",
    "DomainModel",
    "ExpertScorecard",
    "FeatureBinning",
    "GenericRiskModel",
    "ModelNotFittedError",
    "ScorecardConfig",
    "TimeSplit",
    "TrainedModels",
    "bin_feature",
    "choose_calibrator",
    "fit_models",
    "load_domain_configs",
    "load_scorecard_config",
    "split_by_time",
]
