"""credit_risk: enterprise credit-risk tiers, explanations and risk-based random-inspection plans.

Public credit records (公共信用信息) → point-in-time features → generic and domain
models (通用+专用) → risk tiers A–D → a lawful, auditable double-random inspection
plan (双随机、一公开).

The curated public API is importable from here (``from credit_risk import load_dataset``);
every name is loaded on first use, so ``import credit_risk`` stays cheap (no pandas, LightGBM
or MLflow until a name needs them). The subpackages hold the rest:

``credit_risk.data``        the data contract, readers, the synthetic province
``credit_risk.features``    point-in-time features
``credit_risk.labels``      training targets
``credit_risk.models``      estimators: generic, domain, scorecard, tiers
``credit_risk.store``       model bundles and MLflow tracking
``credit_risk.pipeline``    fit, evaluate, train, score, demo
``credit_risk.scheduler``   tier table → inspection plan

Training itself is :func:`credit_risk.train.train` (the module ``credit_risk.train`` keeps that
name, so the function is not re-exported here under the same one).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from credit_risk.exceptions import (
    ConfigError,
    CreditRiskError,
    DataContractError,
    LeakageError,
    ModelError,
    PlanError,
)

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

#: Public name → the module that defines it (imported on first access).
_LAZY: dict[str, str] = {
    "CreditDataset": "credit_risk.data",
    "load_catalog": "credit_risk.data",
    "load_dataset": "credit_risk.data",
    "write_dataset": "credit_risk.data",
    "generate_province": "credit_risk.data.synthetic",
    "FeatureMatrix": "credit_risk.features",
    "FeatureSpec": "credit_risk.features",
    "build_features": "credit_risk.features",
    "load_feature_spec": "credit_risk.features",
    "Labels": "credit_risk.labels",
    "event_within": "credit_risk.labels",
    "inspection_outcome": "credit_risk.labels",
    "DomainModel": "credit_risk.models",
    "ExpertScorecard": "credit_risk.models",
    "GenericRiskModel": "credit_risk.models",
    "RiskTiers": "credit_risk.models",
    "load_tier_config": "credit_risk.models",
    "Explainer": "credit_risk.explain",
    "ModelBundle": "credit_risk.store",
    "load_bundle": "credit_risk.store",
    "save_bundle": "credit_risk.store",
    "ModelReport": "credit_risk.pipeline.evaluate",
    "TrainedModels": "credit_risk.pipeline.fit",
    "fit_models": "credit_risk.pipeline.fit",
    "load_train_config": "credit_risk.pipeline.train",
    "train_and_track": "credit_risk.pipeline.train",
    "score_cutoffs": "credit_risk.pipeline.score",
    "score_dataset": "credit_risk.pipeline.score",
    "load_policy": "credit_risk.scheduler",
    "plan_inspections": "credit_risk.scheduler",
    "subjects_from_dataset": "credit_risk.scheduler",
    "write_plan": "credit_risk.scheduler",
}

__all__ = [
    "ConfigError",
    "CreditDataset",
    "CreditRiskError",
    "DataContractError",
    "DomainModel",
    "ExpertScorecard",
    "Explainer",
    "FeatureMatrix",
    "FeatureSpec",
    "GenericRiskModel",
    "Labels",
    "LeakageError",
    "ModelBundle",
    "ModelError",
    "ModelReport",
    "PlanError",
    "RiskTiers",
    "TrainedModels",
    "__version__",
    "build_features",
    "event_within",
    "fit_models",
    "generate_province",
    "inspection_outcome",
    "load_bundle",
    "load_catalog",
    "load_dataset",
    "load_feature_spec",
    "load_policy",
    "load_tier_config",
    "load_train_config",
    "plan_inspections",
    "save_bundle",
    "score_cutoffs",
    "score_dataset",
    "subjects_from_dataset",
    "train_and_track",
    "write_dataset",
    "write_plan",
]


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module 'credit_risk' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next access skips this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
