"""The report's charts: matplotlib figures written as inline SVG (no file, no network).

Every chart states in its legend which rows and which weighting its numbers use: *inspected*
rows count each held-out inspection once; *population-weighted* rows count each by its
inverse inclusion probability (``sample_weight`` = 1/p), which estimates the figure for the
whole population rather than for the subjects that happened to be inspected.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

__all__ = ["calibration_svg", "capture_svg", "figure_svg", "importance_svg", "roc_svg", "tier_svg"]

TIER_COLOURS = {"A": "#2e7d32", "B": "#1565c0", "C": "#f9a825", "D": "#c62828"}
_WEIGHTED = "population-weighted (1/p)"
_INSPECTED = "inspected rows, unweighted"


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    fig.set_layout_engine("constrained")
    return fig


def figure_svg(fig, *, label: str) -> str:
    """``fig`` as an ``<svg>`` element (text drawn as paths, so no font is needed), with ``label`` as its title."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<svg ", f'<svg class="chart" role="img" aria-label="{_attr(label)}" ', svg, count=1)
    return svg


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _style(ax, *, title: str, xlabel: str, ylabel: str) -> None:
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(True, color="#e0e0e0", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _roc(y: np.ndarray, s: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, s, sample_weight=w)
    return fpr, tpr


def roc_svg(test_scores: pd.DataFrame, metrics: dict, metrics_unweighted: dict) -> str:
    """ROC of the generic model on the held-out rows, population-weighted and inspected, AUC labelled."""
    y = test_scores["y"].to_numpy(float)
    p = test_scores["probability"].to_numpy(float)
    w = test_scores["sample_weight"].to_numpy(float)
    fig = _figure(4.6, 4.0)
    ax = fig.add_subplot()
    weighted = not np.allclose(w, 1.0)
    if weighted:
        fpr, tpr = _roc(y, p, w)
        ax.plot(fpr, tpr, color="#c62828", linewidth=1.8,
                label=f"{_WEIGHTED}: AUC {metrics['generic']['auc']:.3f}")
    fpr, tpr = _roc(y, p, None)
    auc_u = (metrics_unweighted.get("generic") or metrics["generic"])["auc"]
    ax.plot(fpr, tpr, color="#1565c0", linewidth=1.4, linestyle="--" if weighted else "-",
            label=f"{_INSPECTED}: AUC {auc_u:.3f}")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="random order: AUC 0.500")
    _style(ax, title="ROC — generic model, held-out rows", xlabel="false positive rate", ylabel="true positive rate")
    ax.legend(loc="lower right", fontsize=7.5, frameon=False)
    return figure_svg(fig, label="ROC curve of the generic model")


def calibration_svg(calibration: pd.DataFrame, *, weighted: bool) -> str:
    """Observed against predicted event rate per decile of the predicted probability."""
    fig = _figure(4.6, 4.0)
    ax = fig.add_subplot()
    t = calibration
    top = float(max(t["mean_predicted"].max(), t["observed_rate"].max(), 0.05)) * 1.05
    ax.plot([0, top], [0, top], color="grey", linestyle=":", linewidth=1, label="perfect calibration")
    how = _WEIGHTED if weighted else _INSPECTED
    ax.plot(t["mean_predicted"], t["observed_rate"], marker="o", color="#c62828", linewidth=1.4,
            label=f"decile of predicted probability ({how})")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    _style(ax, title="Calibration — generic model, held-out rows", xlabel="mean predicted probability",
           ylabel="observed event rate")
    ax.legend(loc="upper left", fontsize=7.5, frameon=False)
    return figure_svg(fig, label="Calibration curve of the generic model")


def _capture(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-p, kind="stable")
    ww, yy = w[order], y[order] * w[order]
    x = np.r_[0.0, np.cumsum(ww) / ww.sum()]
    c = np.r_[0.0, np.cumsum(yy) / max(yy.sum(), 1e-12)]
    return x, c


def capture_svg(test_scores: pd.DataFrame | None, tier_table: pd.DataFrame) -> str:
    """Share of events found when inspecting the highest scores first, against the share inspected.

    With per-row held-out scores: the full curve (population-weighted and inspected); without
    them (a saved bundle): the points of the tier table, riskiest tier first.
    """
    fig = _figure(4.6, 4.0)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="random order")
    if test_scores is not None and len(test_scores):
        y = test_scores["y"].to_numpy(float)
        p = test_scores["probability"].to_numpy(float)
        w = test_scores["sample_weight"].to_numpy(float)
        if not np.allclose(w, 1.0):
            x, c = _capture(y, p, w)
            ax.plot(x, c, color="#c62828", linewidth=1.8, label=_WEIGHTED)
        x, c = _capture(y, p, np.ones_like(y))
        ax.plot(x, c, color="#1565c0", linewidth=1.4, linestyle="--", label=_INSPECTED)
    t = tier_table.iloc[::-1]
    share = np.r_[0.0, np.cumsum(t["share"].to_numpy(float))]
    cap = np.r_[0.0, np.cumsum(t["capture"].fillna(0).to_numpy(float))]
    ax.plot(share, cap, marker="s", color="#37474f", linewidth=1, label=f"tiers D, D+C, … ({_WEIGHTED if 'weight' in t else 'rows'})")
    for s_, c_, tier in zip(share[1:], cap[1:], t["tier"], strict=True):
        ax.annotate(tier if tier == "D" else f"+{tier}", (s_, c_), textcoords="offset points", xytext=(4, -10), fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    _style(ax, title="Capture — events found inspecting the riskiest first", xlabel="share of subjects inspected",
           ylabel="share of events found")
    ax.legend(loc="lower right", fontsize=7.5, frameon=False)
    return figure_svg(fig, label="Capture curve")


def tier_svg(table: pd.DataFrame, *, title: str) -> str:
    """Share of subjects per tier (bars) and event rate per tier (labels), A to D."""
    fig = _figure(4.6, 3.4)
    ax = fig.add_subplot()
    colours = [TIER_COLOURS.get(str(t), "#607d8b") for t in table["tier"]]
    bars = ax.bar(table["tier"].astype(str), table["share"].to_numpy(float), color=colours)
    rate = table["event_rate"].to_numpy(float) if "event_rate" in table else None
    for i, bar in enumerate(bars):
        text = f"{table['share'].iloc[i]:.0%}"
        if rate is not None and np.isfinite(rate[i]):
            text += f"\nevent rate {rate[i]:.1%}"
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                    fontsize=7.5, xytext=(0, 2), textcoords="offset points")
    ax.set_ylim(0, float(table["share"].max()) * 1.35 + 0.01)
    _style(ax, title=title, xlabel="tier", ylabel="share of subjects")
    return figure_svg(fig, label=title)


def importance_svg(importance: pd.DataFrame, *, top: int = 15) -> str:
    """Mean |SHAP| of the most important features (log-odds), coloured by view."""
    t = importance.head(top).iloc[::-1]
    fig = _figure(4.8, 0.24 * len(t) + 1.0)
    ax = fig.add_subplot()
    palette = {"commercial": "#6a1b9a", "compliance": "#c62828", "social": "#00838f", "lifecycle": "#ef6c00",
               "relations": "#5d4037", "context": "#607d8b"}
    ax.barh(t["feature"].astype(str), t["mean_abs_shap"].to_numpy(float),
            color=[palette.get(str(v), "#607d8b") for v in t.get("view", ["context"] * len(t))])
    _style(ax, title="What drives the generic model", xlabel="mean |SHAP| (log-odds)", ylabel="")
    ax.tick_params(axis="y", labelsize=7)
    return figure_svg(fig, label="Feature importance")
