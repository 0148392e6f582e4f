"""Explanations: top reasons per subject, the credit portrait per view, global importance.

Contributions are exact TreeSHAP values of the LightGBM trees in the **raw log-odds** space,
computed by LightGBM itself (``pred_contrib=True``, identical to ``shap.TreeExplainer`` with
``feature_perturbation="tree_path_dependent"`` and much faster in batch). Calibration maps
log-odds to probabilities monotonically, so a reason that raises the log-odds raises the
probability; the size of the effect is stated in log-odds.

* :meth:`Explainer.explain` — per subject the ``k`` features that raise risk the most (or
  lower it the least), with value, contribution, direction and a sentence in English and
  Chinese built from :class:`FeatureInfo` descriptions.
* the **credit portrait** (信用画像) — the sum of contributions per view (commercial,
  compliance, social responsibility, life cycle, relations, context) plus the base value.
* :func:`global_importance` — mean |SHAP| and split gain per feature, for every model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from credit_risk._fitted import require_fitted
from credit_risk.exceptions import ModelError
from credit_risk.features.matrix import VIEWS, FeatureInfo, FeatureMatrix

__all__ = ["Explainer", "Explanation", "TopReasons", "global_importance", "importance_figure", "top_k"]

_RAISES = ("raises risk", "推高风险")
_LOWERS = ("lowers risk", "降低风险")
_MISSING = ("missing", "缺失")


def top_k(contributions: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` largest values per row, largest first (vectorised).

    Examples
    --------
    >>> top_k(np.array([[0.1, 0.5, -0.2], [0.3, -1.0, 0.2]]), 2).tolist()
    [[1, 0], [0, 2]]
    """
    n, p = contributions.shape
    k = min(k, p)
    if k == p:
        part = np.tile(np.arange(p), (n, 1))
    else:
        part = np.argpartition(-contributions, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(contributions, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


@dataclass(frozen=True, eq=False)
class Explanation:
    """Reasons and portrait of a batch of subjects.

    Attributes
    ----------
    reasons : DataFrame
        Long format, ``k`` rows per subject: ``row`` (position in the batch), keys if given,
        ``rank`` (1 = strongest), ``feature``, ``view``, ``value``, ``contribution``
        (log-odds), ``direction`` (+1 raises / -1 lowers risk), ``text``, ``text_zh``.
    portrait : DataFrame
        One row per subject: contribution per view, ``base`` and ``log_odds`` (their sum).
    """

    reasons: pd.DataFrame
    portrait: pd.DataFrame


class TopReasons(NamedTuple):
    """The top reasons of ``n`` rows as arrays (what :attr:`Explanation.reasons` holds, before any frame).

    ``index`` and ``contribution`` have shape (n, kk), ``kk = min(k, features)``; the other
    arrays are flat, row-major (row 0's ``kk`` reasons first); ``text`` and ``text_zh`` are
    None when the sentences were not asked for.
    """

    names: list[str]
    views: np.ndarray
    index: np.ndarray
    contribution: np.ndarray
    value: np.ndarray
    text: np.ndarray | None
    text_zh: np.ndarray | None

    def long(self, keys: pd.DataFrame | None = None) -> pd.DataFrame:
        """The long reasons table of :attr:`Explanation.reasons` (``row`` = position among these rows)."""
        n, kk = self.index.shape
        flat_idx = self.index.ravel()
        flat_row = np.repeat(np.arange(n), kk)
        val = self.contribution.ravel()
        reasons = pd.DataFrame(
            {
                "row": flat_row,
                "rank": np.tile(np.arange(1, kk + 1), n),
                "feature": pd.Categorical.from_codes(flat_idx, categories=self.names),
                "view": self.views[flat_idx],
                "value": self.value,
                "contribution": val,
                "direction": np.where(val >= 0, 1, -1).astype(np.int8),
            }
        )
        if self.text is not None:
            reasons["text"], reasons["text_zh"] = self.text, self.text_zh
        if keys is not None:
            k_rep = keys.reset_index(drop=True).iloc[flat_row].reset_index(drop=True)
            reasons = pd.concat([k_rep, reasons], axis=1)
        return reasons


class Explainer:
    """Reasons from a fitted tree model that offers ``raw_contributions`` (TreeSHAP).

    Parameters
    ----------
    model : fitted GenericRiskModel (or DomainModel)
    info : sequence of FeatureInfo, optional
        Descriptions and views; default the model's ``feature_info_``. Without any, the
        feature name is the description and every view is ``context``.

    Examples
    --------
    >>> from credit_risk.models import GenericRiskModel
    >>> from credit_risk.models.synthetic import toy_feature_matrix
    >>> fm, y, _ = toy_feature_matrix(800, seed=0)
    >>> model = GenericRiskModel(n_estimators=30).fit(fm, y)
    >>> expl = Explainer(model).explain(fm.rows(np.arange(800) < 2), k=3)
    >>> len(expl.reasons), list(expl.portrait.columns)[:4]
    (6, ['credit_code', 'as_of', 'commercial', 'compliance'])
    """

    def __init__(self, model, info: Sequence[FeatureInfo] | None = None):
        self.model = model
        self.info = info

    def _info(self, names: list[str]) -> tuple[FeatureInfo, ...]:
        info = self.info if self.info is not None else getattr(self.model, "feature_info_", None)
        if info is None:
            return tuple(FeatureInfo(n, "context", 0, n, n) for n in names)
        info = tuple(info)
        if [i.name for i in info] != names:
            raise ModelError(
                f"explanation feature info {[i.name for i in info][:5]}… does not match the model's "
                f"features {names[:5]}…; pass the FeatureInfo the model was trained with"
            )
        return info

    def contributions(self, X) -> np.ndarray:
        """TreeSHAP log-odds contributions, shape (n, p + 1), last column the base value."""
        require_fitted(self.model)
        return self.model.raw_contributions(X)

    def explain(
        self,
        X,
        *,
        k: int = 5,
        keys: pd.DataFrame | None = None,
        text: bool = True,
        contributions: np.ndarray | None = None,
    ) -> Explanation:
        """Top ``k`` reasons and the per-view portrait of every row of ``X``.

        Parameters
        ----------
        X : FeatureMatrix or DataFrame with the model's features
        k : int
            Reasons per subject.
        keys : DataFrame, optional
            Added to the outputs (default: a FeatureMatrix's keys).
        text : bool
            Build the English and Chinese sentences (skip for the fastest batch scoring).
        contributions : array, optional
            Precomputed :meth:`contributions` of ``X``.
        """
        if isinstance(X, FeatureMatrix):
            keys = X.keys if keys is None else keys
            frame = X.X
        else:
            frame = X
        if not isinstance(frame, pd.DataFrame):
            raise ModelError("Explainer.explain needs a FeatureMatrix or a DataFrame with named features")
        contrib = self.contributions(frame) if contributions is None else contributions
        top = self.top_reasons(frame, contrib, k=k, text=text)
        reasons = top.long(keys)
        portrait = pd.DataFrame(self.portrait_values(contrib, top.names), columns=[*VIEWS, "base", "log_odds"])
        if keys is not None:
            portrait = pd.concat([keys.reset_index(drop=True), portrait], axis=1)
        return Explanation(reasons=reasons, portrait=portrait)

    def top_reasons(self, frame: pd.DataFrame, contributions: np.ndarray, *, k: int = 5,
                    text: bool = True) -> TopReasons:
        """The top ``k`` reasons of every row of ``frame`` from its ``contributions``, as arrays.

        What :meth:`explain` puts in its long table, without building it (batch scoring writes
        the reasons one column group per rank straight from these).
        """
        names = [str(c) for c in frame.columns]
        info = self._info(names)
        n, p = len(frame), len(names)
        if contributions.shape != (n, p + 1):
            raise ModelError(f"contributions have shape {contributions.shape}; expected {(n, p + 1)}")
        phi = contributions[:, :p]
        idx = top_k(phi, k)
        val = np.take_along_axis(phi, idx, axis=1)
        flat_idx = idx.ravel()
        values, shown = self._values(frame, np.repeat(np.arange(n), idx.shape[1]), flat_idx)
        en, zh = self._texts(info, flat_idx, shown, val.ravel()) if text else (None, None)
        views = np.asarray([i.view for i in info], dtype=object)
        return TopReasons(names, views, idx, val, values, en, zh)

    def portrait_values(self, contributions: np.ndarray, names: list[str]) -> np.ndarray:
        """Per row: the contribution of each view (:data:`VIEWS` order), the base and the log-odds (their sum)."""
        info = self._info(names)
        p = len(names)
        onehot = np.zeros((p, len(VIEWS)))
        for j, i in enumerate(info):
            onehot[j, VIEWS.index(i.view)] = 1.0
        out = np.empty((len(contributions), len(VIEWS) + 2))
        out[:, : len(VIEWS)] = contributions[:, :p] @ onehot
        out[:, len(VIEWS)] = contributions[:, p]
        out[:, len(VIEWS) + 1] = contributions.sum(axis=1)
        return out

    @staticmethod
    def _values(frame: pd.DataFrame, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The feature value behind each reason (floats or category labels) and its display text.

        Works one feature column at a time so the formatting is vectorised per column.
        """
        values = np.empty(len(rows), dtype=object)
        shown = np.empty(len(rows), dtype=object)
        for j in np.unique(cols):
            sel = np.flatnonzero(cols == j)
            column = frame.iloc[:, j]
            if isinstance(column.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(column.dtype):
                v = pd.Series(np.asarray(column.to_numpy()[rows[sel]], dtype=object))
                values[sel] = v.to_numpy()
                shown[sel] = np.array([None if pd.isna(x) else str(x) for x in v], dtype=object)
            else:
                v = column.to_numpy(dtype=float)[rows[sel]]
                values[sel] = v
                text = pd.Series(v).map("{:.4g}".format).to_numpy(dtype=object)
                text[np.isnan(v)] = None
                shown[sel] = text
        return values, shown

    @staticmethod
    def _texts(info, flat_idx, shown: np.ndarray, contrib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sentences "description = value (raises risk, +0.84 log-odds)" in English and Chinese."""
        missing = pd.isna(shown)
        amount = pd.Series(contrib).map("{:+.2f}".format).to_numpy(dtype=object)
        up = contrib >= 0
        desc = np.asarray([i.description for i in info], dtype=object)[flat_idx]
        desc_zh = np.asarray([i.description_zh for i in info], dtype=object)[flat_idx]
        v_en = np.where(missing, _MISSING[0], shown)
        v_zh = np.where(missing, _MISSING[1], shown)
        word_en = np.where(up, _RAISES[0], _LOWERS[0])
        word_zh = np.where(up, _RAISES[1], _LOWERS[1])
        # one formatting pass per language (faster than chained array concatenation)
        en = [f"{d} = {v} ({r}, {a} log-odds)" for d, v, r, a in zip(desc, v_en, word_en, amount, strict=True)]
        zh = [f"{d}：{v}（{r}，对数几率{a}）" for d, v, r, a in zip(desc_zh, v_zh, word_zh, amount, strict=True)]
        return np.asarray(en, dtype=object), np.asarray(zh, dtype=object)


def global_importance(model, X, *, info: Sequence[FeatureInfo] | None = None) -> pd.DataFrame:
    """Mean |SHAP|, mean SHAP and split-gain share per feature, sorted by mean |SHAP|."""
    explainer = Explainer(model, info)
    frame = X.X if isinstance(X, FeatureMatrix) else X
    names = [str(c) for c in frame.columns]
    meta = explainer._info(names)
    phi = explainer.contributions(frame)[:, : len(names)]
    gain = np.asarray(model.feature_importance("gain"), dtype=float)
    table = pd.DataFrame(
        {
            "feature": names,
            "view": [i.view for i in meta],
            "description": [i.description for i in meta],
            "description_zh": [i.description_zh for i in meta],
            "mean_abs_shap": np.abs(phi).mean(axis=0),
            "mean_shap": phi.mean(axis=0),
            "gain_share": gain / gain.sum() if gain.sum() > 0 else gain,
        }
    )
    return table.sort_values("mean_abs_shap", ascending=False, ignore_index=True)


def importance_figure(table: pd.DataFrame, *, top: int = 20, title: str = "Mean |SHAP| (log-odds)") -> Figure:
    """Horizontal bars of :func:`global_importance`, coloured by view."""
    t = table.head(top).iloc[::-1]
    colours = dict(zip(VIEWS, ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#546e7a"], strict=True))
    fig = Figure(figsize=(6, 0.3 * len(t) + 1.2))
    ax = fig.add_subplot()
    ax.barh(t["feature"], t["mean_abs_shap"], color=[colours[v] for v in t["view"]])
    ax.set(xlabel="mean |SHAP|", title=title)
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    return fig
