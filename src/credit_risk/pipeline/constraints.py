"""What the declared directions cost: contradicted directions and the AUC given up to monotone constraints.

The generic model enforces every declared feature direction as a monotone constraint. The
training report says, for the labels at hand, which declared directions the data contradict
(:func:`credit_risk.features.check_directions` on the rows the model learns from) and what the
constraints cost: the same model fitted without them on the same split, with the paired
difference of the two held-out AUCs (unconstrained − constrained) and its bootstrap interval.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from credit_risk import evaluation as ev
from credit_risk.features import check_directions
from credit_risk.features.matrix import FeatureMatrix
from credit_risk.models.generic import GenericRiskModel
from credit_risk.models.refit import refit_generic

__all__ = ["constraints_report"]

logger = logging.getLogger(__name__)


def constraints_report(
    generic: GenericRiskModel,
    fg: FeatureMatrix,
    y: np.ndarray,
    w: np.ndarray | None,
    wt: np.ndarray | None,
    masks: tuple[np.ndarray, np.ndarray, np.ndarray],
    p_test: np.ndarray,
    *,
    n_boot: int,
    refit_before_test: bool = False,
) -> dict[str, Any]:
    """Contradicted directions (on train + validation) and the held-out cost of the constraints.

    Parameters
    ----------
    generic : GenericRiskModel
        The fitted (constrained) out-of-time model; its parameters fit the unconstrained twin.
    fg : FeatureMatrix
        The generic features of every labelled row.
    y, w, wt
        Labels, evaluation weights and training weights (None: unweighted).
    masks : (train, validation, test)
    p_test : array
        The constrained model's probabilities on the test rows.
    refit_before_test : bool
        The unconstrained twin is scored on test as ``p_test`` was: after choosing its trees
        on validation, refit on train + validation (:func:`~credit_risk.models.refit.refit_generic`).

    Returns
    -------
    dict
        ``directions`` (the :func:`check_directions` table), ``contradicted`` (feature names),
        ``constrained`` (whether any constraint was in force) and, when it was,
        ``auc_constrained``, ``auc_unconstrained``, ``cost`` (unconstrained − constrained
        AUC on the test rows, weighted when weights are given), ``cost_se``, ``cost_ci``.
    """
    tr, va, te = masks
    seen = tr | va
    directions = check_directions(fg.rows(seen), y[seen], None if w is None else w[seen])
    out: dict[str, Any] = {
        "directions": directions,
        "contradicted": directions.loc[directions["contradicted"], "feature"].tolist(),
        "constrained": bool(generic.monotone and any(generic.monotone_constraints_)),
    }
    if not out["constrained"]:
        return out

    def sub(a, m):
        return None if a is None else a[m]

    free = GenericRiskModel(**{**generic.get_params(), "monotone": False})
    free.fit(fg.rows(tr), y[tr], sub(wt, tr), eval_set=(fg.rows(va), y[va], sub(wt, va)))
    tested = refit_generic(free, fg.rows(seen), y[seen], sub(wt, seen)) if refit_before_test else free
    p_free = tested.predict_proba(fg.rows(te))[:, 1]
    diff = ev.auc_difference(y[te], p_free, p_test, sub(w, te), n_boot=max(n_boot, 50))
    out.update(auc_constrained=diff["auc_b"], auc_unconstrained=diff["auc_a"], cost=diff["difference"],
               cost_se=diff["se"], cost_ci=(diff["ci_low"], diff["ci_high"]),
               unconstrained_trees=int(free.best_iteration_))
    logger.info("monotone constraints cost %.4f AUC on the test slice (95 %% interval %.4f to %.4f); "
                "%d declared direction(s) contradicted", out["cost"], *out["cost_ci"], len(out["contradicted"]))
    return out
