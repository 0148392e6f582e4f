"""Evaluation of risk scores and tiers: discrimination, calibration, tiers, groups, backtests.

Targeting metrics (days earlier, first-half share, capture and yield at k % of visits) live
in :mod:`credit_risk.targeting` and are re-exported here.

Every function takes plain arrays (labels ``y`` in {0, 1}, probabilities or scores ``p``,
optional ``sample_weight``) and returns a dict or a DataFrame, so the numbers can be logged
by any tracker. Figures are :class:`matplotlib.figure.Figure` objects built without pyplot
(no global backend state, nothing is shown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score, roc_curve

from credit_risk.exceptions import ModelError
from credit_risk.targeting import (
    capture_at,
    days_earlier,
    first_half_share,
    reordered_dates,
    targeting_metrics,
    yield_at,
)

__all__ = [
    "TIER_LABELS",
    "auc_difference",
    "backtest",
    "binary_metrics",
    "calibration_figure",
    "calibration_table",
    "capture_at",
    "days_earlier",
    "first_half_share",
    "ks_statistic",
    "metrics_by_group",
    "oracle_auc",
    "reordered_dates",
    "roc_figure",
    "tier_figure",
    "tier_table",
    "targeting_metrics",
    "tiers_increasing",
    "yield_at",
]

TIER_LABELS: tuple[str, ...] = ("A", "B", "C", "D")
_EPS = 1e-6


def _prepare(y, p, sample_weight) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise ModelError(f"y and scores must be 1-d of the same length; got {y.shape} and {p.shape}")
    if len(y) and not np.isin(y, (0.0, 1.0)).all():
        raise ModelError("y must hold 0/1 event labels; got other values")
    w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if w.shape != y.shape:
        raise ModelError(f"sample_weight has shape {w.shape} but y has {y.shape}")
    return y, p, w


def ks_statistic(y, p, sample_weight=None) -> float:
    """Kolmogorov–Smirnov distance between the score distributions of events and non-events."""
    y, p, w = _prepare(y, p, sample_weight)
    order = np.argsort(p, kind="stable")
    y, p, w = y[order], p[order], w[order]
    ev, ne = (w * y), (w * (1 - y))
    if ev.sum() == 0 or ne.sum() == 0:
        return float("nan")
    # evaluate the CDFs only at the last row of each run of tied scores
    last = np.r_[p[1:] != p[:-1], True]
    cdf_e = np.cumsum(ev)[last] / ev.sum()
    cdf_n = np.cumsum(ne)[last] / ne.sum()
    return float(np.max(np.abs(cdf_e - cdf_n)))


def binary_metrics(y, p, sample_weight=None) -> dict[str, float]:
    """AUC, Gini, KS, Brier, log loss, event rate and mean prediction.

    ``p`` must be probabilities for Brier and log loss; AUC, Gini and KS only need a score
    that rises with risk.

    Examples
    --------
    >>> m = binary_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> round(m["auc"], 2), round(m["ks"], 2)
    (0.75, 0.5)
    """
    y, p, w = _prepare(y, p, sample_weight)
    out: dict[str, float] = {
        "n": float(len(y)),
        "weight": float(w.sum()),
        "events": float((w * y).sum()),
        "event_rate": float(np.average(y, weights=w)) if len(y) else float("nan"),
        "mean_prediction": float(np.average(p, weights=w)) if len(y) else float("nan"),
    }
    both = len(np.unique(y)) == 2
    out["auc"] = float(roc_auc_score(y, p, sample_weight=w)) if both else float("nan")
    out["gini"] = 2 * out["auc"] - 1
    out["ks"] = ks_statistic(y, p, w)
    if len(y) and np.all((p >= 0) & (p <= 1)):
        q = np.clip(p, _EPS, 1 - _EPS)
        out["brier"] = float(np.average((p - y) ** 2, weights=w))
        out["log_loss"] = float(np.average(-(y * np.log(q) + (1 - y) * np.log(1 - q)), weights=w))
    else:
        out["brier"] = out["log_loss"] = float("nan")
    return out


def oracle_auc(y, latent_risk, sample_weight=None) -> float:
    """AUC of the ground truth's own risk (synthetic data only): the ceiling a model can reach."""
    return binary_metrics(y, np.asarray(latent_risk, dtype=float), sample_weight)["auc"]


def _replicate_aucs(y: np.ndarray, p: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted AUC (ties count one half) of one score under each row of ``weights`` (B, n)."""
    order = np.argsort(p, kind="stable")
    y, p, weights = y[order], p[order], weights[:, order]
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])  # runs of tied scores
    pos = np.add.reduceat(weights * y, starts, axis=1)
    neg = np.add.reduceat(weights * (1 - y), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg  # negatives strictly below each run
    total = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + 0.5 * neg)).sum(axis=1) / total


def auc_difference(
    y,
    a,
    b,
    sample_weight=None,
    *,
    n_boot: int = 500,
    confidence: float = 0.95,
    random_state: int = 0,
    chunk: int = 50,
) -> dict[str, float]:
    """AUC of score ``a`` minus AUC of score ``b`` on the same rows, with a paired bootstrap.

    The two scores are resampled together (Poisson bootstrap: every row gets a Poisson(1)
    count, times its ``sample_weight``), so the standard error of the *difference* accounts
    for the correlation between the scores; it is much smaller than the standard error of
    either AUC alone. Use it to say whether one model beats another on a test slice, or how
    far a model is from the oracle.

    Parameters
    ----------
    y : array of 0/1
    a, b : arrays of scores (rising with risk), same length as ``y``, finite
    sample_weight : array, optional
    n_boot : int
        Bootstrap replicates (≥ 50).
    confidence : float
        Level of the percentile interval.
    random_state : int
        Seed of the resampling; the same seed gives the same interval.
    chunk : int
        Replicates computed at once (bounds memory to about ``chunk × n × 8`` bytes).

    Returns
    -------
    dict
        ``auc_a``, ``auc_b``, ``difference`` (``auc_a − auc_b``, full sample), ``se``,
        ``ci_low``, ``ci_high``, ``n_boot``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400)
    >>> d = auc_difference(y, y + rng.normal(0, 1, 400), rng.normal(0, 1, 400), n_boot=100)
    >>> d["ci_low"] > 0
    True
    """
    y, a, w = _prepare(y, a, sample_weight)
    b = np.asarray(b, dtype=float)
    if b.shape != a.shape:
        raise ModelError(f"the two scores must have the same length; got {a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ModelError("auc_difference: scores must be finite; drop the rows without a score first")
    if n_boot < 50:
        raise ModelError(f"auc_difference: n_boot must be at least 50; got {n_boot}")
    if not 0 < confidence < 1:
        raise ModelError(f"auc_difference: confidence must be in (0, 1); got {confidence}")
    auc_a = float(_replicate_aucs(y, a, w[None, :])[0])
    auc_b = float(_replicate_aucs(y, b, w[None, :])[0])
    rng = np.random.default_rng(random_state)
    diffs = []
    for start in range(0, n_boot, chunk):
        k = min(chunk, n_boot - start)
        reps = rng.poisson(1.0, size=(k, len(y))) * w
        diffs.append(_replicate_aucs(y, a, reps) - _replicate_aucs(y, b, reps))
    d = np.concatenate(diffs)
    d = d[np.isfinite(d)]  # a replicate without events or without non-events has no AUC
    alpha = (1 - confidence) / 2
    lo, hi = (np.quantile(d, [alpha, 1 - alpha]) if len(d) else (float("nan"), float("nan")))
    return {
        "auc_a": auc_a,
        "auc_b": auc_b,
        "difference": auc_a - auc_b,
        "se": float(np.std(d, ddof=1)) if len(d) > 1 else float("nan"),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "n_boot": float(len(d)),
    }


def calibration_table(y, p, sample_weight=None, *, n_bins: int = 10) -> pd.DataFrame:
    """Predicted versus observed event rate in ``n_bins`` quantile bins of ``p``."""
    y, p, w = _prepare(y, p, sample_weight)
    if len(p) == 0:
        return pd.DataFrame(columns=["bin", "n", "weight", "mean_predicted", "observed_rate"])
    ranks = pd.Series(p).rank(method="first").to_numpy()
    bins = np.minimum((ranks - 1) * n_bins // len(p), n_bins - 1).astype(int)
    frame = pd.DataFrame({"bin": bins, "y": y * w, "p": p * w, "w": w})
    g = frame.groupby("bin", sort=True)
    table = pd.DataFrame(
        {
            "n": g.size(),
            "weight": g["w"].sum(),
            "mean_predicted": g["p"].sum() / g["w"].sum(),
            "observed_rate": g["y"].sum() / g["w"].sum(),
        }
    ).reset_index()
    table["p_min"] = pd.Series(p).groupby(bins).min().to_numpy()
    table["p_max"] = pd.Series(p).groupby(bins).max().to_numpy()
    return table


def tier_table(y, tiers, sample_weight=None, *, labels: Sequence[str] = TIER_LABELS) -> pd.DataFrame:
    """Subjects, events, event rate, share, capture and lift per tier (A … D order).

    ``capture`` is the share of all events found in the tier; ``cumulative_capture`` counts
    from the riskiest tier down (D, then D+C, …), i.e. what inspecting the worst tiers first
    finds. Tiers with no subject appear with n = 0.
    """
    tiers = np.asarray(tiers, dtype=object)
    y, _, w = _prepare(y, np.zeros(len(tiers)), sample_weight)
    frame = pd.DataFrame({"tier": pd.Categorical(tiers, categories=list(labels)), "yw": y * w, "w": w})
    g = frame.groupby("tier", observed=False)
    table = pd.DataFrame({"n": g.size(), "weight": g["w"].sum(), "events": g["yw"].sum()})
    table["share"] = table["weight"] / max(table["weight"].sum(), _EPS)
    table["event_rate"] = table["events"] / table["weight"].where(table["weight"] > 0)
    total_events = table["events"].sum()
    table["capture"] = table["events"] / total_events if total_events > 0 else np.nan
    table["cumulative_capture"] = table["capture"][::-1].cumsum()[::-1]
    overall = total_events / max(table["weight"].sum(), _EPS)
    table["lift"] = table["event_rate"] / overall if overall > 0 else np.nan
    return table.reset_index().astype({"tier": str})


def tiers_increasing(table: pd.DataFrame) -> bool:
    """True if the event rate rises strictly from each tier to the next (empty tiers fail)."""
    rates = table["event_rate"].to_numpy(dtype=float)
    return bool(np.all(np.isfinite(rates)) and np.all(np.diff(rates) > 0))


def metrics_by_group(
    y,
    p,
    groups: pd.DataFrame | Mapping[str, Sequence],
    *,
    tiers=None,
    sample_weight=None,
    min_count: int = 30,
) -> pd.DataFrame:
    """Metrics for every value of every grouping column (region, industry, size, entity type…).

    Returns one row per (``group``, ``value``) with n, events, event rate, AUC, KS, Brier, and
    with ``tiers`` the event rate per tier and whether it rises from A to D. Groups with fewer
    than ``min_count`` rows are pooled into ``"(other)"``.
    """
    y, p, w = _prepare(y, p, sample_weight)
    groups = pd.DataFrame(groups).reset_index(drop=True)
    if len(groups) != len(y):
        raise ModelError(f"groups has {len(groups)} rows but y has {len(y)}; align them row by row")
    rows = []
    for column in groups.columns:
        values = groups[column].astype(object).where(groups[column].notna(), "(missing)").astype(str)
        counts = values.value_counts()
        small = counts.index[counts < min_count]
        values = values.where(~values.isin(small), "(other)").to_numpy()
        for value in pd.unique(values):
            m = values == value
            row = {"group": column, "value": value}
            metrics = binary_metrics(y[m], p[m], w[m])
            row.update({k: metrics[k] for k in ("n", "events", "event_rate", "auc", "ks", "brier")})
            if tiers is not None:
                t = tier_table(y[m], np.asarray(tiers)[m], w[m])
                for tier, rate in zip(t["tier"], t["event_rate"], strict=True):
                    row[f"event_rate_{tier}"] = rate
                row["tiers_increasing"] = tiers_increasing(t)
            rows.append(row)
    return pd.DataFrame(rows)


def backtest(y, p, as_of, *, tiers=None, sample_weight=None, period: str | None = "M") -> pd.DataFrame:
    """Metrics per period of the as-of dates (an out-of-time backtest after the training data).

    ``period`` groups the dates into pandas periods labelled by their first day (``"M"``
    months, ``"Q"`` quarters); ``None`` keeps every distinct date.
    """
    y, p, w = _prepare(y, p, sample_weight)
    dates = pd.to_datetime(np.asarray(as_of))
    if period is not None:
        dates = pd.DatetimeIndex(dates).to_period(period).to_timestamp()
    rows = []
    for date in np.sort(pd.unique(dates)):
        m = np.asarray(dates == date)
        row = {"as_of": pd.Timestamp(date)}
        row.update(binary_metrics(y[m], p[m], w[m]))
        if tiers is not None:
            row["tiers_increasing"] = tiers_increasing(tier_table(y[m], np.asarray(tiers)[m], w[m]))
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- figures
def roc_figure(curves: Mapping[str, tuple[Sequence, Sequence]], *, title: str = "ROC, test slice") -> Figure:
    """ROC curves of several models: ``{name: (y, score)}``."""
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    for name, (y, s) in curves.items():
        y = np.asarray(y)
        if len(np.unique(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y, s):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def calibration_figure(tables: Mapping[str, pd.DataFrame], *, title: str = "Calibration, test slice") -> Figure:
    """Observed versus predicted event rate from :func:`calibration_table` outputs."""
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    top = 0.0
    for name, t in tables.items():
        ax.plot(t["mean_predicted"], t["observed_rate"], marker="o", label=name)
        top = max(top, float(t["mean_predicted"].max()), float(t["observed_rate"].max()))
    ax.plot([0, top], [0, top], color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="mean predicted probability", ylabel="observed event rate", title=title)
    ax.legend(loc="upper left", fontsize=8)
    return fig


def tier_figure(table: pd.DataFrame, *, title: str = "Event rate and share per tier") -> Figure:
    """Bars of the event rate per tier with the share of subjects written above each bar."""
    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    bars = ax.bar(table["tier"], table["event_rate"].fillna(0), color=["#2e7d32", "#1565c0", "#f9a825", "#c62828"][: len(table)])
    for bar, share in zip(bars, table["share"], strict=True):
        ax.annotate(f"{share:.0%}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    ax.set(xlabel="tier", ylabel="event rate", title=title)
    return fig
