"""Generic and domain models (通用+专用), calibration, their combination and the scorecard.

Bundles (saving and loading fitted models) live in :mod:`credit_risk.store`.

Public names are re-exported here; the code lives in the submodules:

``generic``      :class:`GenericRiskModel` (monotone, calibrated LightGBM)
``domain``       :class:`DomainModel`, :class:`DomainConfig` (stacking / blend / max)
``scorecard``    :class:`ExpertScorecard` (approved rules or learned WoE points, 1000-point scale)
``binning``      monotone optimal binning, WoE and IV
``calibration``  isotonic / sigmoid calibration chosen on held-out time
``tiers``        :class:`RiskTiers` (classes A–D, overrides, hysteresis)

Estimators only: fitting several of them, splitting and evaluating is :mod:`credit_risk.pipeline`.
"""

from credit_risk._fitted import ModelNotFittedError
from credit_risk.models.binning import FeatureBinning, bin_feature
from credit_risk.models.calibration import Calibrator, choose_calibrator
from credit_risk.models.domain import DomainConfig, DomainModel, load_domain_configs
from credit_risk.models.generic import GenericRiskModel, split_by_time
from credit_risk.models.scorecard import ExpertScorecard, ScorecardConfig, load_scorecard_config
from credit_risk.models.tiers import RiskTiers, TierConfig, load_tier_config

__all__ = [
    "Calibrator",
    "DomainConfig",
    "DomainModel",
    "ExpertScorecard",
    "FeatureBinning",
    "GenericRiskModel",
    "ModelNotFittedError",
    "RiskTiers",
    "ScorecardConfig",
    "TierConfig",
    "bin_feature",
    "choose_calibrator",
    "load_domain_configs",
    "load_scorecard_config",
    "load_tier_config",
    "split_by_time",
]
