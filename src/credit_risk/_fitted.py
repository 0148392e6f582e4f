"""The not-fitted error shared by the estimators of this package."""

from __future__ import annotations

from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from credit_risk.exceptions import ModelError

__all__ = ["ModelNotFittedError", "require_fitted"]


class ModelNotFittedError(ModelError, NotFittedError):
    """An estimator is used before ``fit``; both a :class:`ModelError` and sklearn's ``NotFittedError``."""


def require_fitted(estimator, attributes: str | list[str] | None = None) -> None:
    """Raise :class:`ModelNotFittedError` naming the estimator unless it is fitted."""
    try:
        check_is_fitted(estimator, attributes)
    except NotFittedError:
        name = type(estimator).__name__
        raise ModelNotFittedError(
            f"This {name} instance is not fitted yet; call 'fit' with training data before using it"
        ) from None
