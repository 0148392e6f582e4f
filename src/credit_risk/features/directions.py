"""Declared directions checked against the training labels.

A declared direction (``FeatureInfo.direction`` = ±1) is a rule the generic model enforces as
a monotone constraint. Rules written for one world can be wrong for another target (older,
larger-capital firms were *riskier* for illegal fundraising). :func:`check_directions`
measures, for every constrained numeric feature, the univariate AUC of ``direction × value``
against the labels: 0.5 is no relation, above 0.5 agrees with the declaration, below 0.5
contradicts it. A contradiction is reported when the AUC lies below 0.5 by more than noise:
``(0.5 − AUC) / SE > z`` with the Mann–Whitney standard error under no relation,
``SE = sqrt((n₁ + n₀ + 1) / (12 n₁ n₀))`` (conservative with ties), and ``z`` the one-sided
quantile of ``alpha`` divided by the number of features tested (Bonferroni). Spearman's rank
correlation (signed by the declaration) is reported beside it.

Rows with the feature missing are left out of that feature's test; features with fewer than
``min_rows`` non-missing rows, a single value or a single class there are reported as not
tested (``tested`` False).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata

from credit_risk.exceptions import ConfigError
from credit_risk.features.matrix import FeatureMatrix

__all__ = ["DIRECTION_COLUMNS", "check_directions", "contradicted_directions"]

logger = logging.getLogger(__name__)

#: Columns of the table :func:`check_directions` returns.
DIRECTION_COLUMNS: tuple[str, ...] = (
    "feature", "declared", "n", "auc", "se", "z", "spearman", "tested", "contradicted",
)


def _auc(x: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> float:
    """Mann–Whitney AUC of score ``x`` for label ``y`` (ties count one half), optionally weighted."""
    if w is None:
        r = rankdata(x)
        n1 = float(y.sum())
        n0 = float(len(y) - n1)
        return (r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    order = np.argsort(x, kind="stable")
    xs, ys, ws = x[order], y[order], w[order]
    _, start = np.unique(xs, return_index=True)
    pos = np.add.reduceat(ws * ys, start)
    neg = np.add.reduceat(ws * (1 - ys), start)
    below_neg = np.cumsum(neg) - neg
    return float((pos * (below_neg + neg / 2)).sum() / (pos.sum() * neg.sum()))


def check_directions(
    features: FeatureMatrix,
    y,
    sample_weight=None,
    *,
    alpha: float = 0.05,
    min_rows: int = 30,
) -> pd.DataFrame:
    """Observed direction of every constrained feature on the labels, and which contradict it.

    Parameters
    ----------
    features : FeatureMatrix
        The training matrix; features with ``direction`` ±1 that are not categorical are tested.
    y : array of shape (n,)
        0/1 labels aligned with ``features`` rows.
    sample_weight : array of shape (n,), optional
        Weights of the AUC (e.g. inverse inspection probabilities); the noise level uses counts.
    alpha : float
        Family-wise error rate of the contradiction test (Bonferroni over the tested features).
    min_rows : int
        Fewest non-missing rows for a feature to be tested.

    Returns
    -------
    DataFrame
        One row per constrained feature, columns :data:`DIRECTION_COLUMNS`: ``declared`` (±1),
        ``n`` (rows tested), ``auc`` (of ``declared × value``; < 0.5 contradicts), ``se``,
        ``z`` = (AUC − 0.5) / SE, ``spearman`` (signed by the declaration), ``tested``,
        ``contradicted``; sorted by ``auc``. Each contradiction is also logged as a warning.

    Examples
    --------
    >>> from credit_risk.features.matrix import FeatureInfo
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> y = (rng.random(400) < 1 / (1 + np.exp(2 * x))).astype(int)   # higher x, *lower* risk
    >>> keys = pd.DataFrame({"credit_code": np.arange(400).astype(str), "as_of": pd.Timestamp("2024-01-01")})
    >>> fm = FeatureMatrix(keys, pd.DataFrame({"age": x}), (FeatureInfo("age", "lifecycle", 1, "age", "成立年限"),))
    >>> check_directions(fm, y)[["feature", "contradicted"]].to_dict("records")
    [{'feature': 'age', 'contradicted': True}]
    """
    if not isinstance(features, FeatureMatrix):
        raise ConfigError(f"check_directions needs a FeatureMatrix (it reads the declared directions); got {type(features).__name__}")
    y = np.asarray(y).astype(np.int64).ravel()
    if len(y) != len(features.X):
        raise ConfigError(f"check_directions: {len(y)} labels for {len(features.X)} feature rows; pass one label per row")
    if not np.isin(y, (0, 1)).all():
        raise ConfigError("check_directions: labels must be 0/1; got other values")
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).ravel()
    if w is not None and len(w) != len(y):
        raise ConfigError(f"check_directions: {len(w)} weights for {len(y)} rows; pass one weight per row")
    tested = [i for i in features.info if i.direction != 0 and not i.categorical]
    z_crit = float(norm.ppf(1 - alpha / max(len(tested), 1)))
    rows = []
    for info in tested:
        x = features.X[info.name].to_numpy(dtype=np.float64) * info.direction
        ok = ~np.isnan(x)
        xs, ys = x[ok], y[ok]
        n1 = int(ys.sum())
        n0 = len(ys) - n1
        row = {"feature": info.name, "declared": int(info.direction), "n": int(ok.sum()), "auc": np.nan,
               "se": np.nan, "z": np.nan, "spearman": np.nan, "tested": False, "contradicted": False}
        if ok.sum() >= min_rows and n1 > 0 and n0 > 0 and np.ptp(xs) > 0:
            auc = _auc(xs, ys, None if w is None else w[ok])
            se = float(np.sqrt((n1 + n0 + 1) / (12.0 * n1 * n0)))
            rho = float(np.corrcoef(rankdata(xs), rankdata(ys))[0, 1])
            z = (auc - 0.5) / se
            row.update(auc=float(auc), se=se, z=float(z), spearman=rho, tested=True, contradicted=bool(z < -z_crit))
            if row["contradicted"]:
                logger.warning(
                    "feature %s is declared %s but the labels say otherwise: AUC %.3f (z = %.1f, n = %d); "
                    "declare it 0 in the spec's directions: or check the data",
                    info.name, "+1 (riskier when higher)" if info.direction > 0 else "-1 (safer when higher)", auc, z,
                    row["n"],
                )
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(DIRECTION_COLUMNS))
    return out.sort_values("auc", na_position="last", kind="stable").reset_index(drop=True)


def contradicted_directions(features: FeatureMatrix, y, sample_weight=None, **kwargs) -> list[str]:
    """Names of the constrained features whose declared direction the labels contradict."""
    table = check_directions(features, y, sample_weight, **kwargs)
    return table.loc[table["contradicted"], "feature"].tolist()
