"""What a registered credit_risk model does under ``mlflow.pyfunc``: the library's own feature table in,
probability, tier and top reasons out.

``mlflow.pyfunc.load_model(uri).predict(build_features(...).X)`` returns one row per input row:

===================  =====================================================================
``probability``      the generic model's calibrated event probability (domain models: theirs)
``model_tier``       the tier from the cut-offs alone (model sets only)
``tier``             the final tier: overrides applied (model sets only; no hysteresis, since
                     last month's tiers are not an input here)
``reason_<r>``       the ``r``-th reason, in English (model sets only; ``params={"reasons": k}``)
``reason_<r>_zh``    the same reason in Chinese
===================  =====================================================================

Categorical features arrive as pandas ``category`` (the feature table itself) or as plain
strings (JSON served input, or after MLflow's schema enforcement) and are mapped back onto
the categories the model learned (an unseen category is missing, as in scoring). Optional
``credit_code`` and ``as_of`` columns are carried through as keys; they are not features.

This module holds no MLflow import: :mod:`credit_risk.store.tracking` names itself as the
loader and wraps a :class:`BundlePredictor` after verifying the bundle's hash.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from credit_risk.exceptions import ModelError
from credit_risk.features.matrix import FeatureMatrix

__all__ = ["DEFAULT_REASONS", "KEY_COLUMNS", "BundlePredictor", "is_model_set", "output_columns"]

#: Reasons per row returned by default (``params={"reasons": k}`` changes it, 0 for none).
DEFAULT_REASONS = 3
#: Columns of the input carried through as keys when present (never used as features).
KEY_COLUMNS = ("credit_code", "as_of")
#: The largest number of reasons a caller may ask for.
MAX_REASONS = 10


def is_model_set(model) -> bool:
    """True for the :class:`~credit_risk.pipeline.score.TrainedModels` of a generic bundle."""
    return hasattr(model, "generic") and hasattr(model, "tiers") and hasattr(model, "score")


def output_columns(model_set: bool, reasons: int = DEFAULT_REASONS) -> list[str]:
    """The columns :meth:`BundlePredictor.predict` returns, in order."""
    if not model_set:
        return ["probability"]
    cols = ["probability", "model_tier", "tier"]
    for r in range(1, reasons + 1):
        cols += [f"reason_{r}", f"reason_{r}_zh"]
    return cols


def _learned_categories(model) -> dict[str, pd.Index]:
    """Column name → categories the generic model learned (empty for other estimators)."""
    generic = model.generic if is_model_set(model) else model
    cats = getattr(generic, "categories_", None) or {}
    names = list(getattr(generic, "feature_names_in_", []))
    return {names[j]: pd.Index(c) for j, c in cats.items() if j < len(names)}


def _reasons(params: Mapping | None) -> int:
    value = (params or {}).get("reasons", DEFAULT_REASONS)
    try:
        k = int(value)
    except (TypeError, ValueError):
        raise ModelError(f"pyfunc params: 'reasons' must be a whole number 0–{MAX_REASONS}; got {value!r}") from None
    if not 0 <= k <= MAX_REASONS:
        raise ModelError(f"pyfunc params: 'reasons' must be between 0 and {MAX_REASONS}; got {k}")
    return k


class BundlePredictor:
    """``predict`` of a loaded credit_risk bundle (what ``mlflow.pyfunc`` calls).

    Parameters
    ----------
    bundle : ModelBundle
        A bundle whose hash has already been verified.
    """

    def __init__(self, bundle) -> None:
        self.bundle = bundle

    def features(self, model_input: pd.DataFrame) -> pd.DataFrame:
        """The training features of ``model_input``, in training order, categoricals restored."""
        if not isinstance(model_input, pd.DataFrame):
            raise ModelError(
                f"credit_risk pyfunc model: expected a DataFrame of features (build_features(...).X); "
                f"got {type(model_input).__name__}"
            )
        self.bundle.check_features([c for c in model_input.columns if c not in KEY_COLUMNS])
        names = self.bundle.feature_names
        X = model_input[names].reset_index(drop=True)
        categorical = {i.name for i in self.bundle.feature_info if i.categorical}
        learned = _learned_categories(self.bundle.model)
        restored = {}
        for col in names:
            if col in learned or col in categorical:
                values = X[col].astype(object).where(X[col].notna(), None)
                cats = learned.get(col)
                if cats is None:
                    cats = pd.Index(sorted({str(v) for v in values if v is not None}))
                known = set(cats.astype(str))  # an unseen category is missing, as in scoring
                restored[col] = pd.Categorical(values.map(lambda v, known=known: str(v) if v is not None
                                                          and str(v) in known else None),
                                               categories=cats.astype(str))
            elif not pd.api.types.is_numeric_dtype(X[col]) or pd.api.types.is_bool_dtype(X[col]):
                restored[col] = pd.to_numeric(X[col], errors="coerce").astype(float)
        return X.assign(**restored) if restored else X

    def _keys(self, model_input: pd.DataFrame) -> pd.DataFrame:
        n = len(model_input)
        code = (model_input["credit_code"].astype(str).to_numpy() if "credit_code" in model_input
                else np.array([f"row {i + 1}" for i in range(n)], dtype=object))
        as_of = (pd.to_datetime(model_input["as_of"]).to_numpy(dtype="datetime64[ns]") if "as_of" in model_input
                 else np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
        return pd.DataFrame({"credit_code": code, "as_of": as_of})

    def predict(self, model_input: pd.DataFrame, params: Mapping | None = None) -> pd.DataFrame:
        """Probability (and for a model set: tiers and the top reasons) of every input row."""
        k = _reasons(params)
        X = self.features(model_input)
        model = self.bundle.model
        if not is_model_set(model):
            return pd.DataFrame({"probability": model.predict_proba(X)[:, 1]})
        if len(X) == 0:
            return pd.DataFrame({c: pd.Series(dtype=float if c == "probability" else object)
                                 for c in output_columns(True, k)})
        matrix = FeatureMatrix(self._keys(model_input), X, tuple(self.bundle.feature_info))
        scores, reasons = model.score(matrix, k=max(k, 1), text=True)
        out = scores[["probability", "model_tier", "tier"]].reset_index(drop=True)
        out["model_tier"] = out["model_tier"].astype(str)
        out["tier"] = out["tier"].astype(str)
        for r in range(1, k + 1):
            ranked = reasons[reasons["rank"] == r].set_index("row")
            for col, src in ((f"reason_{r}", "text"), (f"reason_{r}_zh", "text_zh")):
                text = ranked[src].reindex(range(len(out))) if len(ranked) else pd.Series([None] * len(out))
                out[col] = text.astype(object).where(text.notna(), None).to_numpy()
        return out
