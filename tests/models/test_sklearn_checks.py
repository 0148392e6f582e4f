"""scikit-learn's shared estimator checks on GenericRiskModel."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from credit_risk.models import GenericRiskModel


def _expected_failures(estimator):
    # Documented reasons a shared check cannot apply to this estimator:
    return {
        "check_sample_weight_equivalence_on_dense_data": (
            "LightGBM's min_data_in_leaf and histogram bins count rows, not weights, so a row "
            "with weight 2 is not the same as the row repeated twice; the held-out validation "
            "slice is also drawn by rows"
        ),
    }


@parametrize_with_checks(
    [GenericRiskModel(n_estimators=20, min_child_samples=5)],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
