"""Point-in-time feature builders: one row per (subject, as-of date), nothing from the future.

:func:`build_features` turns a :class:`~credit_risk.data.CreditDataset` and a table of
cutoffs ``(credit_code, as_of)`` into a :class:`FeatureMatrix`; the declarative part is the
:class:`FeatureSpec` in ``configs/features.yaml``, the rest one builder module per view
(commercial, compliance, social, lifecycle, relations, context).
"""

from credit_risk.features.build import build_features
from credit_risk.features.matrix import KEY_COLUMNS, VIEWS, FeatureInfo, FeatureMatrix
from credit_risk.features.spec import FeatureSpec, load_feature_spec

__all__ = [
    "KEY_COLUMNS",
    "VIEWS",
    "FeatureInfo",
    "FeatureMatrix",
    "FeatureSpec",
    "build_features",
    "load_feature_spec",
]
