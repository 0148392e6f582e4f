"""The words a tracked run carries: its description and its model card (Markdown).

Both are built from what the run logs (:class:`~credit_risk.store.tracking.ModelRun`): the
training data per split, the features, the headline metrics with their definitions, the
fairness-by-group table when there is one, and what the model is for and not for. No MLflow
import here; :mod:`credit_risk.store.tracking` writes them (run description, ``model_card.md``
artifact, model version description).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["METRIC_DEFINITIONS", "dataset_summary", "model_card", "run_description"]

#: What each headline number means, written beside it (a number without its definition is not read right).
METRIC_DEFINITIONS = {
    "test_auc": "area under the ROC curve on the out-of-time test slice, inspected subjects weighted by "
                "1 / draw probability (population-weighted)",
    "test_ks": "largest gap between the cumulative score distributions of events and non-events (test slice)",
    "test_gini": "2 × AUC − 1 (test slice)",
    "test_brier": "mean squared error of the calibrated probability (test slice; lower is better)",
    "test_log_loss": "mean negative log-likelihood of the calibrated probability (test slice; lower is better)",
    "test_event_rate": "weighted share of events among the test labels",
    "test_auc_generic": "the generic model's AUC on this domain's test subjects (what this model must beat)",
    "oracle_gap_auc": "AUC of the synthetic latent risk minus the model's AUC (synthetic data only)",
    "targeting_capture_at_10pct": "share of all events found by inspecting the riskiest 10 % of subjects",
}

INTENDED_USE = (
    "Ranks enterprises by the risk of a problem found at the next inspection, to set the risk tier "
    "(A–D) that drives the share of each tier drawn in risk-based random inspections (双随机、一公开) "
    "and the early-warning list. A tier is a reason to look, never a finding or a sanction."
)
LIMITS = (
    "- Labels come from inspections, which were not drawn at random in the past: figures are "
    "weighted by 1 / draw probability, and subjects never inspected are represented only through "
    "that weighting.\n"
    "- Trained on one province and one period: re-check calibration and tier shares (credit-risk "
    "monitor) before using it elsewhere or much later.\n"
    "- Reasons are the model's largest contributions, not causes; only features declared actionable "
    "should be shown to a subject.\n"
    "- Not for credit decisions about individuals, lending, or any use outside market supervision."
)


def dataset_summary(datasets: Mapping[str, pd.DataFrame], target: str) -> pd.DataFrame:
    """Rows, events, event rate and the as-of period of each split (context) of the training data."""
    rows = []
    for context, frame in datasets.items():
        y = pd.to_numeric(frame[target], errors="coerce") if target in frame else pd.Series(dtype=float)
        as_of = pd.to_datetime(frame["as_of"]) if "as_of" in frame else pd.Series(dtype="datetime64[ns]")
        rows.append({
            "split": context,
            "rows": len(frame),
            "events": int(y.sum()) if len(y) else 0,
            "event_rate": float(y.mean()) if len(y) else float("nan"),
            "as_of_from": as_of.min().date().isoformat() if len(as_of) and pd.notna(as_of.min()) else "",
            "as_of_to": as_of.max().date().isoformat() if len(as_of) and pd.notna(as_of.max()) else "",
        })
    return pd.DataFrame(rows, columns=["split", "rows", "events", "event_rate", "as_of_from", "as_of_to"])


def _number(value) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not np.isfinite(v):
        return "n/a"
    return f"{v:,.0f}" if v.is_integer() and abs(v) >= 10 else f"{v:.4g}"


def _cell(value) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | float | np.number):
        return _number(value)
    return str(value).replace("|", "/")


def _table(frame: pd.DataFrame, max_rows: int = 30) -> str:
    """A small Markdown table (no extra dependency)."""
    shown = frame.head(max_rows)
    cols = [str(c) for c in shown.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in shown.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if len(frame) > max_rows:
        lines.append(f"| … {len(frame) - max_rows:,} more rows | " + " | " * (len(cols) - 1))
    return "\n".join(lines)


def run_description(
    *, name: str, registered_name: str, description: str, summary: pd.DataFrame, headline: Mapping[str, float],
    data_source: str,
) -> str:
    """The run's description (Markdown, shown at the top of the run page)."""
    total = int(summary["rows"].sum()) if len(summary) else 0
    period = ""
    if len(summary) and summary["as_of_from"].astype(bool).any():
        period = f", as-of dates {min(d for d in summary['as_of_from'] if d)} – {max(summary['as_of_to'])}"
    lines = [f"**{registered_name}** — {description or name}", "",
             f"Trained on {total:,} labelled rows from `{data_source or 'an in-memory dataset'}`{period}."]
    if len(headline):
        lines += ["", "; ".join(f"{k} = {_number(v)}" for k, v in headline.items()) + "."]
    lines += ["", "See `model_card.md` (artifacts) for data, features, intended use, limits and fairness by group."]
    return "\n".join(lines)


def model_card(
    *, name: str, registered_name: str, description: str, summary: pd.DataFrame, data_source: str,
    data_fingerprint: str, code_version: str, features: pd.DataFrame, headline: Mapping[str, float],
    groups: pd.DataFrame | None = None, decision: str = "",
) -> str:
    """The model card (Markdown): data, period, features, metrics with definitions, use, limits, fairness."""
    parts = [f"# Model card: {registered_name}", "", description or name, ""]
    parts += ["## Data", "", f"- source: `{data_source or 'in-memory dataset'}`",
              f"- fingerprint (sha256 of the tables): `{data_fingerprint}`", f"- code: `{code_version}`", ""]
    if len(summary):
        parts += [_table(summary), ""]
    parts += ["## Features", ""]
    if len(features):
        by_view = features.groupby("view", sort=True)["name"].count()
        parts += [f"{len(features):,} features: " + ", ".join(f"{v} {n}" for v, n in by_view.items()) + ".", "",
                  _table(features, max_rows=60), ""]
    parts += ["## Metrics", ""]
    if len(headline):
        parts += ["| metric | value | definition |", "|---|---|---|"]
        parts += [f"| {k} | {_number(v)} | {METRIC_DEFINITIONS.get(k, '')} |" for k, v in headline.items()]
        parts += ["", "Every metric of the run is in `tables/metrics.csv`.", ""]
    if decision:
        parts += [f"Registry: {decision}.", ""]
    parts += ["## Intended use", "", INTENDED_USE if name == "generic" else (
        f"The {name} domain model: the probability of a problem in the {name} domain for the subjects its "
        "industries cover, combined with the generic model. " + INTENDED_USE), ""]
    parts += ["## Limits", "", LIMITS, ""]
    parts += ["## Fairness by group", ""]
    if groups is not None and len(groups):
        parts += ["Metrics on the test slice by group (region, industry, size, entity type): a group whose "
                  "AUC or calibration differs much from the whole needs a look before the tiers are used there. "
                  "`n` counts inspected rows; `events` and the rates are weighted by 1 / draw probability "
                  "(population-weighted), so `events` can exceed `n`.",
                  "", _table(groups, max_rows=40), ""]
    else:
        parts += ["No group table for this model (domain models are compared on their own subjects only).", ""]
    return "\n".join(parts)
