"""credit_risk: enterprise credit-risk tiers, explanations and risk-based random-inspection plans.

Public credit records (公共信用信息) → point-in-time features → generic and domain
models (通用+专用) → risk tiers A–D → a lawful, auditable double-random inspection
plan (双随机、一公开).
"""

import logging

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

__all__ = [
    "ConfigError",
    "CreditRiskError",
    "DataContractError",
    "LeakageError",
    "ModelError",
    "PlanError",
    "__version__",
]
