"""Point-in-time feature builders: one row per (subject, as-of date), nothing from the future.

:func:`build_features` turns a :class:`~credit_risk.data.CreditDataset` and a table of
cutoffs ``(credit_code, as_of)`` into a :class:`FeatureMatrix`; the declarative part is the
:class:`FeatureSpec` in ``configs/features.yaml``, the rest one builder module per view
(commercial, compliance, social, lifecycle, relations, context) plus the subject attributes
the spec declares. :func:`drop_constant` removes features with one value before training;
:func:`check_directions` tests the declared (constrained) directions against the labels.
"""

from credit_risk.features.build import build_features, drop_constant
from credit_risk.features.directions import check_directions, contradicted_directions
from credit_risk.features.matrix import KEY_COLUMNS, VIEWS, FeatureInfo, FeatureMatrix
from credit_risk.features.spec import FeatureSpec, load_feature_spec

__all__ = [
    "KEY_COLUMNS",
    "VIEWS",
    "FeatureInfo",
    "FeatureMatrix",
    "FeatureSpec",
    "build_features",
    "check_directions",
    "contradicted_directions",
    "drop_constant",
    "load_feature_spec",
]
