"""``credit-risk monitor``: is the current run still like the reference run, and does the model still rank?

:func:`monitor` compares two recorded runs (:mod:`~credit_risk.monitoring.runs`) without
re-scoring:

* **stability** — PSI of the score and of every feature on the reference run's bins, CSI of
  every feature (the mean score shift its own shift explains); a feature whose PSI says
  ``act`` but whose shift leaves the score alone (``|CSI| < csi_watch``) is ``watch``;
* **segments** — the score's PSI within each region, industry section, entity type and
  establishment vintage (those the data has; a missing one is skipped with a note);
* **migration** — the tier migration matrix and the subjects that moved two tiers or more;
* **outcomes** (given the dataset and once they arrive) — per run (period): events in the
  ``horizon_days`` after its as-of date among the subjects it scored, AUC, Gini, KS and the
  event rate per tier, each with a bootstrap interval; inspections carry their inverse draw
  probability as weight, so targeted plans do not bias the figures (selective labels);
* one **verdict** per check: ``stable``, ``watch`` or ``act``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from credit_risk.atomic import write_csv, write_text
from credit_risk.evaluation import binary_metrics
from credit_risk.monitoring.config import MonitoringConfig, load_monitoring_config
from credit_risk.monitoring.migration import migration_matrix
from credit_risk.monitoring.psi import Bins, csi, psi, psi_terms
from credit_risk.monitoring.runs import FEATURE_PREFIX, Run
from credit_risk.monitoring.warning import text_cells

if TYPE_CHECKING:
    from credit_risk.data import CreditDataset

__all__ = ["VERDICTS", "MonitorReport", "auc_ks", "monitor", "outcome_metrics", "verdict"]

VERDICTS = ("stable", "watch", "act")


def verdict(value: float, watch: float, act: float) -> str:
    """``stable`` below ``watch``, ``watch`` below ``act``, else ``act`` (NaN → ``watch``: cannot tell).

    Examples
    --------
    >>> [verdict(v, 0.1, 0.25) for v in (0.0, 0.1, 0.3)]
    ['stable', 'watch', 'act']
    """
    if value is None or not np.isfinite(value):
        return "watch"
    return "stable" if value < watch else "watch" if value < act else "act"


def _worst(verdicts) -> str:
    vs = list(verdicts)
    return max(vs, key=VERDICTS.index) if vs else "stable"


@dataclass(frozen=True, eq=False)
class MonitorReport:
    """Everything :func:`monitor` measured; :meth:`write` saves it, :meth:`text` summarises it.

    Attributes
    ----------
    checks : DataFrame
        ``check, value, verdict, detail``: one line a person reads at a glance.
    stability : DataFrame
        ``variable, psi, csi, verdict, missing_reference, missing_current`` for the score
        and every feature (largest PSI first).
    bins : DataFrame
        ``variable, bin, reference_share, current_share, psi_term``.
    segments : DataFrame
        ``segment, value, n_reference, n_current, mean_p_reference, mean_p_current, psi, verdict``.
    migration_counts, migration_shares : DataFrame
        Reference tier (rows, plus ``(new)``) × current tier (columns, plus ``(gone)``).
    movers : DataFrame
        Subjects that moved two tiers or more.
    outcomes : DataFrame
        Per run and tier (``tier`` = ``all`` for the whole run): ``n, events, event_rate``
        with its interval, and for ``all`` ``auc, gini, ks`` with intervals. Empty without
        outcomes.
    notes : list of str
        What was skipped and why.
    """

    reference: str
    current: str
    checks: pd.DataFrame
    stability: pd.DataFrame
    bins: pd.DataFrame
    segments: pd.DataFrame
    migration_counts: pd.DataFrame
    migration_shares: pd.DataFrame
    movers: pd.DataFrame
    outcomes: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """The worst verdict of all checks."""
        return _worst(self.checks["verdict"])

    def text(self) -> str:
        lines = [f"monitor {self.reference} → {self.current}: {self.verdict.upper()}"]
        for row in self.checks.itertuples(index=False):
            value = "" if row.value is None or (isinstance(row.value, float) and np.isnan(row.value)) else f"{row.value:.4g}"
            lines.append(f"  [{row.verdict:<6}] {row.check:<34}{value:>10}  {row.detail}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def write(self, folder: str | Path) -> list[Path]:
        """Write every table as CSV plus ``monitor.json`` (checks and notes) atomically."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        tables = {"checks": self.checks, "stability": self.stability, "bins": self.bins, "segments": self.segments,
                  "migration_counts": self.migration_counts.reset_index(),
                  "migration_shares": self.migration_shares.reset_index(), "movers": self.movers,
                  "outcomes": self.outcomes}
        for name, table in tables.items():
            path = out / f"{name}.csv"
            write_csv(text_cells(table), path)
            written.append(path)
        summary = {"reference": self.reference, "current": self.current, "verdict": self.verdict,
                   "checks": json.loads(self.checks.to_json(orient="records")), "notes": self.notes}
        path = out / "monitor.json"
        write_text(path, json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
        written.append(path)
        return written


# ----------------------------------------------------------------------------- segments


def _segment_values(snap: pd.DataFrame, segment: str, config: MonitoringConfig, region_scheme: str) -> pd.Series | None:
    """The segment of every subject, or None when the run has no such column (or it is all missing)."""
    if segment == "vintage":
        if "established_on" not in snap.columns or snap["established_on"].isna().all():
            return None
        age = (pd.to_datetime(snap["as_of"]) - pd.to_datetime(snap["established_on"])).dt.days / 365.25
        bounds = list(config.segments.vintage_years)
        labels = [f"<{bounds[0]}y", *(f"{a}-{b}y" for a, b in zip(bounds[:-1], bounds[1:], strict=True)),
                  f">={bounds[-1]}y"]
        cut = pd.cut(age, [-np.inf, *bounds, np.inf], right=False, labels=labels)
        return cut.astype(object).where(cut.notna(), "(missing)")
    if segment not in snap.columns or snap[segment].isna().all():
        return None
    values = snap[segment].astype(object).where(snap[segment].notna(), "(missing)").astype(str)
    digits = config.segments.region_digits
    if segment == "region" and region_scheme == "gb2260" and digits:
        values = values.where(~values.str.fullmatch(r"\d{6}"), values.str[:digits])
    if segment == "industry":  # the GB/T 4754 section letter; free-form codes are used whole
        values = values.where(~values.str.fullmatch(r"[A-T]\d{0,4}"), values.str[:1])
    return values


def _segments(ref: Run, cur: Run, config: MonitoringConfig, notes: list[str]) -> pd.DataFrame:
    bins = ref.bins("score")
    rows = []
    rs, cs = ref.snapshot, cur.snapshot
    for segment in ("region", "industry", "entity_type", "vintage"):
        a = _segment_values(rs, segment, config, ref.meta.get("region_scheme", "gb2260"))
        b = _segment_values(cs, segment, config, cur.meta.get("region_scheme", "gb2260"))
        if a is None or b is None:
            notes.append(f"segment {segment!r} skipped: the {'reference' if a is None else 'current'} run's data "
                         f"has no {'established_on' if segment == 'vintage' else segment}")
            continue
        counts = a.value_counts()
        small = set(counts.index[counts < config.segments.min_count])
        a = a.where(~a.isin(small), "(other)")
        b = b.where(~b.isin(small) & b.isin(set(a)), "(other)")
        for value in sorted(set(a) | set(b)):
            ma, mb = (a == value).to_numpy(), (b == value).to_numpy()
            pa, pb = rs["probability"].to_numpy()[ma], cs["probability"].to_numpy()[mb]
            value_psi = psi(bins.counts(pa), bins.counts(pb), epsilon=config.psi.epsilon) if ma.any() and mb.any() \
                else float("nan")
            rows.append({"segment": segment, "value": value, "n_reference": int(ma.sum()), "n_current": int(mb.sum()),
                         "mean_p_reference": float(pa.mean()) if len(pa) else np.nan,
                         "mean_p_current": float(pb.mean()) if len(pb) else np.nan, "psi": value_psi,
                         "verdict": verdict(value_psi, config.psi.watch, config.psi.act)})
    cols = ["segment", "value", "n_reference", "n_current", "mean_p_reference", "mean_p_current", "psi", "verdict"]
    return pd.DataFrame(rows, columns=cols)


# ----------------------------------------------------------------------------- outcomes


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return float("nan"), float("nan")
    a = (1 - confidence) / 2
    return float(np.quantile(values, a)), float(np.quantile(values, 1 - a))


def auc_ks(y, p, weights) -> tuple[np.ndarray, np.ndarray]:
    """Weighted AUC (ties count one half) and KS of one score under each row of ``weights`` (B, n).

    Examples
    --------
    >>> auc, ks = auc_ks([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], np.ones((1, 4)))
    >>> float(auc[0]), float(ks[0])
    (0.75, 0.5)
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    order = np.argsort(p, kind="stable")
    y, p, weights = y[order], p[order], weights[:, order]
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]]) if len(p) else np.zeros(0, dtype=np.int64)
    if not len(p):
        return np.full(len(weights), np.nan), np.full(len(weights), np.nan)
    pos = np.add.reduceat(weights * y, starts, axis=1)
    neg = np.add.reduceat(weights * (1 - y), starts, axis=1)
    tot_pos, tot_neg = pos.sum(axis=1), neg.sum(axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos * (below + 0.5 * neg)).sum(axis=1) / (tot_pos * tot_neg)
        ks = np.max(np.abs(np.cumsum(pos, axis=1) / tot_pos[:, None] - np.cumsum(neg, axis=1) / tot_neg[:, None]),
                    axis=1)
    bad = (tot_pos <= 0) | (tot_neg <= 0)
    return np.where(bad, np.nan, auc), np.where(bad, np.nan, ks)


def outcome_metrics(y, p, tiers, weight=None, *, order=("A", "B", "C", "D"), bootstrap: int = 200,
                    confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """AUC, Gini, KS and event rate (overall and per tier) with bootstrap intervals.

    Returns one row per tier plus ``all``: ``tier, n, events, event_rate, event_rate_low,
    event_rate_high`` (``events`` counted, the rate weighted) and, for ``all``, ``auc,
    auc_low, auc_high, gini, gini_low, gini_high, ks, ks_low, ks_high``. The intervals are
    percentiles of a Poisson bootstrap (every row gets a Poisson(1) count times its weight).
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    t = np.asarray(tiers, dtype=object)
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float)
    rng = np.random.Generator(np.random.PCG64(seed))
    W = rng.poisson(1.0, (bootstrap, len(y))) * w if bootstrap else np.zeros((0, len(y)))
    m = binary_metrics(y, p, w) if len(y) else {"auc": np.nan, "ks": np.nan}
    b_auc, b_ks = auc_ks(y, p, W) if bootstrap else (np.zeros(0), np.zeros(0))

    def rates(mask: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (W[:, mask] * y[mask]).sum(axis=1) / W[:, mask].sum(axis=1)

    row: dict[str, Any] = {"tier": "all", "n": len(y), "events": int(y.sum()),
                           "event_rate": float(np.average(y, weights=w)) if len(y) else np.nan}
    row["event_rate_low"], row["event_rate_high"] = _interval(rates(np.ones(len(y), dtype=bool)), confidence)
    row["auc"] = m["auc"]
    row["auc_low"], row["auc_high"] = _interval(b_auc, confidence)
    row["gini"] = 2 * m["auc"] - 1
    row["gini_low"], row["gini_high"] = 2 * row["auc_low"] - 1, 2 * row["auc_high"] - 1
    row["ks"] = m["ks"]
    row["ks_low"], row["ks_high"] = _interval(b_ks, confidence)
    rows = [row]
    for tier in order:
        mask = t == tier
        rows.append({"tier": tier, "n": int(mask.sum()), "events": int(y[mask].sum()),
                     "event_rate": float(np.average(y[mask], weights=w[mask])) if mask.any() else np.nan})
        rows[-1]["event_rate_low"], rows[-1]["event_rate_high"] = _interval(rates(mask), confidence)
    return pd.DataFrame(rows)


def _outcomes(runs: list[Run], dataset: CreditDataset, config: MonitoringConfig, notes: list[str]) -> pd.DataFrame:
    o = config.outcomes
    catalog = dataset.catalog
    if o.kind not in catalog.kinds:
        notes.append(f"outcomes skipped: kind {o.kind!r} is not in the catalogue")
        return pd.DataFrame()
    adverse = set(catalog.kinds[o.kind].adverse_outcomes)
    no_contact = set(catalog.kinds[o.kind].no_contact_outcomes)
    if not adverse:
        notes.append(f"outcomes skipped: kind {o.kind!r} declares no adverse_outcomes")
        return pd.DataFrame()
    rec = dataset.records
    rec = rec[(rec["kind"].astype(str) == o.kind) & ~rec["outcome"].astype(str).isin(no_contact)]
    parts = []
    for run in runs:
        snap = run.snapshot
        start = pd.to_datetime(snap["as_of"]).max()
        end = start + pd.Timedelta(days=o.horizon_days)
        date = pd.to_datetime(rec["start"])
        window = rec[(date > start) & (date <= end) & rec["credit_code"].astype(str).isin(set(snap["credit_code"]))]
        if window.empty:
            notes.append(f"outcomes of run {run.run_id}: no {o.kind} in ({start.date()}, {end.date()}] yet")
            continue
        window = window.assign(
            y=window["outcome"].astype(str).isin(adverse).astype(float),
            w=1.0 / pd.to_numeric(window["draw_probability"], errors="coerce").where(lambda s: s > 0).fillna(1.0)
            if "draw_probability" in window.columns else 1.0,
        )
        pos = pd.Index(snap["credit_code"]).get_indexer(window["credit_code"].astype(str))
        table = outcome_metrics(window["y"].to_numpy(), snap["probability"].to_numpy()[pos],
                                snap["tier"].to_numpy(dtype=object)[pos], window["w"].to_numpy(),
                                order=config.migration.tier_order, bootstrap=o.bootstrap, confidence=o.confidence,
                                seed=o.seed)
        table.insert(0, "period", f"{start.date()}..{end.date()}")
        table.insert(0, "run", run.run_id)
        parts.append(table)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# ----------------------------------------------------------------------------- monitor


def monitor(
    reference: Run,
    current: Run,
    *,
    dataset: CreditDataset | None = None,
    config: MonitoringConfig | None = None,
) -> MonitorReport:
    """Compare two recorded runs: stability, segments, migration and (with ``dataset``) outcomes.

    Parameters
    ----------
    reference, current : Run
        From :func:`~credit_risk.monitoring.runs.load_run`; bins come from ``reference``.
    dataset : CreditDataset, optional
        Where the outcomes (inspections after each run's as-of date) are read.
    config : MonitoringConfig, optional
        Thresholds (default: the packaged ``monitoring.yaml``).
    """
    config = config if config is not None else load_monitoring_config()
    p = config.psi
    notes: list[str] = []
    rs, cs = reference.snapshot, current.snapshot
    stab, bin_rows = [], []

    def add(variable: str, bins: Bins, ref_counts: np.ndarray, cur_values: Any, scores: list | None) -> None:
        cur_counts = bins.counts(cur_values)
        terms = psi_terms(ref_counts, cur_counts, epsilon=p.epsilon)
        value = float(np.sum(terms))
        c = csi(ref_counts, cur_counts, scores) if scores is not None else float("nan")
        v = verdict(value, p.watch, p.act)
        if np.isfinite(c):
            # a feature whose shift does not move the score (|CSI| below csi_watch) is watched,
            # not acted on; one whose shift moves the score is judged by the larger verdict
            cv = verdict(abs(c), p.csi_watch, p.csi_act)
            v = "watch" if v == "act" and cv == "stable" else _worst([v, cv])
        stab.append({"variable": variable, "psi": value, "csi": c, "verdict": v,
                     "missing_reference": float(ref_counts[0] / max(ref_counts.sum(), 1)),
                     "missing_current": float(cur_counts[0] / max(cur_counts.sum(), 1))})
        rt, ct = ref_counts / max(ref_counts.sum(), 1), cur_counts / max(cur_counts.sum(), 1)
        for label, a, b, term in zip(bins.labels(), rt, ct, terms, strict=True):
            bin_rows.append({"variable": variable, "bin": label, "reference_share": a, "current_share": b,
                             "psi_term": term})

    add("score", reference.bins("score"), reference.counts("score"), cs["probability"], None)
    for name in reference.features:
        column = FEATURE_PREFIX + name
        if column not in cs.columns:
            notes.append(f"feature {name!r} is not in the current run (another model?): no PSI")
            continue
        meta = reference.meta["features"][name]
        add(name, reference.bins(name), reference.counts(name), cs[column], meta.get("mean_contribution"))
    stability = pd.DataFrame(stab)
    stability = pd.concat([stability.iloc[:1], stability.iloc[1:].sort_values("psi", ascending=False, kind="stable")],
                          ignore_index=True)
    bins_table = pd.DataFrame(bin_rows)
    segments = _segments(reference, current, config, notes)
    order = config.migration.tier_order
    counts, shares, movers = migration_matrix(rs, cs, order)
    both = int(counts.loc[[t for t in counts.index if t in order], [t for t in counts.columns if t in order]].to_numpy().sum())
    moved_far = int(np.sum(np.abs(movers["steps"]) >= 2)) if len(movers) else 0
    share_far = moved_far / both if both else float("nan")
    outcomes = _outcomes([reference, current], dataset, config, notes) if dataset is not None else pd.DataFrame()
    if dataset is None:
        notes.append("outcomes skipped: no dataset given (--data) to read inspections after the runs")

    checks = []
    score_row = stability.iloc[0]
    checks.append({"check": "score PSI", "value": score_row["psi"], "verdict": score_row["verdict"],
                   "detail": f"thresholds {p.watch:g}/{p.act:g}"})
    feats = stability.iloc[1:]
    if len(feats):
        top = feats.iloc[0]
        n_watch = int((feats["verdict"] == "watch").sum())
        n_act = int((feats["verdict"] == "act").sum())
        checks.append({"check": "feature PSI (largest)", "value": top["psi"],
                       "verdict": _worst(feats["verdict"]),
                       "detail": f"{top['variable']}; {n_watch} watch, {n_act} act of {len(feats)} features"})
        k = feats["csi"].abs().idxmax() if feats["csi"].notna().any() else None
        if k is not None:
            row = feats.loc[k]
            checks.append({"check": "feature CSI (largest shift)", "value": row["csi"],
                           "verdict": verdict(abs(row["csi"]), p.csi_watch, p.csi_act),
                           "detail": f"{row['variable']}: mean score shift in log-odds"})
    for segment, g in segments.groupby("segment", sort=False):
        k = g["psi"].idxmax() if g["psi"].notna().any() else g.index[0]
        checks.append({"check": f"score PSI by {segment} (largest)", "value": g.loc[k, "psi"],
                       "verdict": _worst(g["verdict"]), "detail": f"{g.loc[k, 'value']} of {len(g)} values"})
    m = config.migration
    checks.append({"check": "moved >= 2 tiers (share)", "value": share_far,
                   "verdict": verdict(share_far, m.watch_share, m.act_share) if both else "watch",
                   "detail": f"{moved_far} of {both} subjects in both runs"})
    o = config.outcomes
    if len(outcomes):
        for run_id, g in outcomes.groupby("run", sort=False):
            overall = g[g["tier"] == "all"].iloc[0]
            if overall["events"] < o.min_events or not np.isfinite(overall["auc"]):
                v, detail = "watch", f"too few events ({overall['events']:.0f} < {o.min_events})"
            else:
                v = "stable" if overall["auc"] >= o.auc_watch else "watch" if overall["auc"] >= o.auc_act else "act"
                detail = (f"{overall['period']}: AUC [{overall['auc_low']:.3f}, {overall['auc_high']:.3f}], "
                          f"KS {overall['ks']:.3f}, {overall['events']:.0f} events / {overall['n']:.0f}")
            checks.append({"check": f"AUC {run_id}", "value": overall["auc"], "verdict": v, "detail": detail})
            rates = g[g["tier"] != "all"]["event_rate"].to_numpy(dtype=float)
            ok = np.all(np.diff(rates[np.isfinite(rates)]) > 0)
            few = overall["events"] < o.min_events
            checks.append({"check": f"tier event rates rise {run_id}", "value": float(ok),
                           "verdict": "stable" if ok and not few else "watch",
                           "detail": ", ".join(f"{t} {r:.3f}" for t, r in zip(g['tier'][1:], rates, strict=True))
                           + (f" (too few events: {overall['events']:.0f})" if few else "")})
    return MonitorReport(
        reference=reference.run_id, current=current.run_id, checks=pd.DataFrame(checks),
        stability=stability, bins=bins_table, segments=segments, migration_counts=counts,
        migration_shares=shares, movers=movers, outcomes=outcomes, notes=notes,
    )
