"""One self-contained HTML report of a run: what a regulator's analyst reads.

:class:`ReportInputs` gathers what a run has — the typed
:class:`~credit_risk.pipeline.evaluate.ModelReport`, the scores, the inspection plan's summary,
the early-warning list, the monitoring checks — every part optional but the title.
:func:`render_html` turns them into one page with no external resource (charts are inline SVG,
styles inline, no script, no web font); :func:`write_report` writes it atomically.

Every figure says which rows it counts and how they are weighted. *Inspected* figures count
each held-out inspection once; *population-weighted* figures weight each by 1/p, its inverse
probability of having been inspected, and estimate the figure for the whole population. The
two differ whenever inspections were targeted, and neither is "the" AUC.

Reasons shown for subjects come only from features the feature spec declares actionable
(:meth:`credit_risk.features.spec.FeatureSpec.is_actionable`), and never from a missing value.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from credit_risk.atomic import write_text
from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.spec import FeatureSpec, default_actionable
from credit_risk.report import charts
from credit_risk.report.tables import fmt_count, fmt_number, fmt_percent, table_html
from credit_risk.report.tilemap import (
    MIN_SUBJECTS,
    Measure,
    measure_table,
    region_frame,
    tile_layout,
    tile_map_svg,
)

__all__ = ["ReportInputs", "actionable_reasons", "render_html", "write_report"]

logger = logging.getLogger(__name__)

TIERS = ("A", "B", "C", "D")
TIER_TEXT = {"A": "A 低 low", "B": "B 一般 normal", "C": "C 较高 elevated", "D": "D 高 high"}

#: What each model metric means; shown beside every number.
METRIC_DEFINITIONS = {
    "auc": "AUC: probability that a random event row scores above a random non-event row (0.5 = random order)",
    "gini": "Gini = 2 × AUC − 1",
    "ks": "KS: largest gap between the score distributions of events and non-events",
    "brier": "Brier score: mean squared error of the probability (lower is better)",
    "log_loss": "log loss of the probability (lower is better)",
    "event_rate": "share of rows with an adverse outcome",
    "mean_prediction": "mean predicted probability (compare with the event rate)",
}
WEIGHTING = {
    "population": "population-weighted: each held-out inspection counts 1/p times (p = its probability of being "
                  "drawn), estimating the figure for every subject, inspected or not",
    "inspected": "inspected rows: each held-out inspection counts once; describes the subjects that were inspected",
}


@dataclass(frozen=True, eq=False)
class ReportInputs:
    """What one report shows. Only ``title`` is required; a section without its input is left out.

    Attributes
    ----------
    title : str
    created_at : str
        When the run was made (the library never reads the clock).
    model_report : ModelReport, optional
        The training run's figures (:class:`~credit_risk.pipeline.evaluate.ModelReport`).
        With ``test_scores`` (a fresh training run) the ROC and capture curves are drawn from the
        held-out rows; a bundle's report has no per-row scores and shows the tables only.
    feature_info : tuple of FeatureInfo
        The model's features (model card, actionable reasons).
    spec : FeatureSpec, optional
        The feature spec the model was trained with (its ``actionable:`` declarations).
    model : dict
        ``name``, ``version``, ``sha256``, ``created_at``, ``library_version``, ``label`` … shown as given.
    data : dict
        How the data is described: ``source``, ``subjects``, ``records``, ``records_until`` ….
    scores : DataFrame, optional
        The scoring output (``credit_code``, ``probability``, ``model_tier``, ``tier``, ``reason_k_*`` …).
    enterprises : DataFrame, optional
        The enterprises table (region, industry, entity type, registered capital; ``latitude``,
        ``longitude`` place free-form regions on the map).
    plan_summary : DataFrame, optional
        :meth:`InspectionPlan.summary` (or the plan's ``summary.csv``).
    plan_stats : dict
        The plan's headline figures (period, seed, visits …).
    warnings : DataFrame, optional
        The early-warning list (:func:`credit_risk.monitoring.warning.early_warning`).
    monitoring : DataFrame, optional
        The monitoring checks (``check, value, verdict, detail``).
    monitoring_runs : tuple of str
        The reference and current run compared.
    measures : sequence of Measure
        More values per region to colour the map by (:class:`~credit_risk.report.tilemap.Measure`),
        after the built-in ones (share of C/D subjects, share of D, mean probability, …).
    notes : sequence of str
        Extra lines for the summary (e.g. where the files are).
    """

    title: str
    created_at: str = ""
    model_report: Any = None
    feature_info: tuple[FeatureInfo, ...] = ()
    spec: FeatureSpec | None = None
    model: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    scores: pd.DataFrame | None = None
    enterprises: pd.DataFrame | None = None
    plan_summary: pd.DataFrame | None = None
    plan_stats: Mapping[str, Any] = field(default_factory=dict)
    warnings: pd.DataFrame | None = None
    monitoring: pd.DataFrame | None = None
    monitoring_runs: tuple[str, ...] = ()
    measures: Sequence[Measure] = ()
    notes: Sequence[str] = ()


# ----------------------------------------------------------------------------- helpers
def _e(text: object) -> str:
    return html.escape(str(text))


def _section(sid: str, title: str, body: str, intro: str = "") -> str:
    lead = f'<p class="intro">{intro}</p>' if intro else ""
    return f'<section id="{sid}"><h2>{_e(title)}</h2>{lead}{body}</section>'


def _card(label: str, value: str, note: str = "", tone: str = "") -> str:
    return (f'<div class="card {tone}"><div class="label">{_e(label)}</div><div class="value">{_e(value)}</div>'
            f'<div class="note">{_e(note)}</div></div>')


def _is_actionable(info: FeatureInfo | None, spec: FeatureSpec | None) -> bool:
    if info is None:
        return False
    return spec.is_actionable(info) if spec is not None else default_actionable(info)


def actionable_reasons(
    frame: pd.DataFrame, feature_info: Sequence[FeatureInfo], spec: FeatureSpec | None = None, *,
    text_column: str = "text", k: int = 3,
) -> pd.Series:
    """Per row of ``frame`` (columns ``reason_<rank>_feature``, ``reason_<rank>_<text_column>``, optional
    ``reason_<rank>_value``) the first ``k`` reasons a subject can act on, one per line.

    A reason is kept when its feature is declared actionable (a new record of the subject's own,
    ``record:…``, always is) and its value is not missing; only reasons that raise the risk are kept
    when a ``reason_<rank>_contribution`` column says which way each one pushes.
    """
    info = {i.name: i for i in feature_info}
    ranks = sorted({int(c.split("_")[1]) for c in frame.columns
                    if c.startswith("reason_") and c.endswith("_feature") and c.split("_")[1].isdigit()})
    kept: list[list[str]] = [[] for _ in range(len(frame))]
    for r in ranks:
        feat = frame[f"reason_{r}_feature"].astype(object).to_numpy()
        text = frame.get(f"reason_{r}_{text_column}")
        if text is None:
            continue
        text = text.astype(object).to_numpy()
        value = frame[f"reason_{r}_value"].to_numpy() if f"reason_{r}_value" in frame else None
        contrib = (frame[f"reason_{r}_contribution"].to_numpy(float) if f"reason_{r}_contribution" in frame
                   else None)
        for i in range(len(frame)):
            f = feat[i]
            if f is None or (isinstance(f, float) and np.isnan(f)) or len(kept[i]) >= k:
                continue
            f = str(f)
            if f.startswith("record:"):  # a new record of the subject's own: always a reason it can act on
                kept[i].append(str(text[i]))
                continue
            if not _is_actionable(info.get(f), spec):
                continue
            if value is not None and pd.isna(value[i]):
                continue
            if contrib is not None and not contrib[i] > 0:
                continue
            kept[i].append(str(text[i]))
    return pd.Series(["\n".join(x) if x else "(no actionable reason among the top reasons)" for x in kept],
                     index=frame.index)


def _regions_of(codes: pd.Series, enterprises: pd.DataFrame | None) -> pd.Series:
    """The region of each credit code: the enterprises table's, else characters 3–8 of an 18-character USCC."""
    if enterprises is not None and "region" in enterprises:
        ent = enterprises.drop_duplicates("credit_code").set_index("credit_code")["region"]
        return codes.map(ent).astype(object)
    s = codes.astype(str)
    return s.str[2:8].where(s.str.len() == 18)


def _attributes(codes: pd.Series, enterprises: pd.DataFrame | None) -> pd.DataFrame:
    """Region, prefecture, industry section, size band and entity type of each code (what exists)."""
    from credit_risk.pipeline.evaluate import size_class

    out = pd.DataFrame(index=codes.index)
    out["region"] = _regions_of(codes, enterprises)
    if enterprises is None:
        return out
    ent = enterprises.drop_duplicates("credit_code").set_index("credit_code")
    if "industry" in ent:
        out["industry"] = codes.map(ent["industry"]).astype(object).astype(str).str[:1].where(
            codes.map(ent["industry"]).notna())
    if "registered_capital" in ent:
        out["size"] = size_class(codes.map(ent["registered_capital"])).to_numpy()
    if "entity_type" in ent:
        out["entity_type"] = codes.map(ent["entity_type"]).astype(object)
    return out


# ----------------------------------------------------------------------------- sections
def _summary(inp: ReportInputs) -> str:
    r = inp.model_report
    cards = []
    s = inp.scores
    if s is not None and len(s):
        cd = float(s["tier"].isin(["C", "D"]).mean())
        cards.append(_card("subjects scored", f"{len(s):,}", f"as of {_as_of(s)}"))
        cards.append(_card("share in tiers C or D", fmt_percent(cd), "of the subjects scored (final tiers)",
                           "warn" if cd > 0.3 else ""))
    if r is not None:
        g, gu = r.metrics.get("generic", {}), (r.metrics_unweighted or {}).get("generic")
        if gu:
            cards.append(_card("generic model AUC, population-weighted", fmt_number(g.get("auc")),
                               f"held-out rows weighted by 1/p; inspected rows unweighted: {fmt_number(gu.get('auc'))}"))
        else:
            cards.append(_card("generic model AUC (held-out rows)", fmt_number(g.get("auc")), "unweighted"))
        inc = bool(r.tiers.get("increasing"))
        cards.append(_card("event rate rises A → D", "yes" if inc else "no",
                           "population-weighted event rate per final tier, held-out rows", "" if inc else "warn"))
        fitted = {d: v for d, v in r.domains.items() if not v.get("skipped")}
        if r.domains:
            beats = sum(bool(v.get("beats_generic")) for v in fitted.values())
            cards.append(_card("domain models beating the generic", f"{beats} of {len(r.domains)}",
                               f"{len(r.domains) - len(fitted)} not fitted; reasons below"))
    if inp.plan_summary is not None and len(inp.plan_summary):
        tiers = inp.plan_summary[inp.plan_summary["dimension"] == "tier"]
        cards.append(_card("subjects drawn for inspection", f"{int(tiers['drawn'].sum()):,}",
                           f"of {int(tiers['subjects'].sum()):,} in the plan"))
    if inp.monitoring is not None and len(inp.monitoring):
        worst = _worst(inp.monitoring["verdict"])
        cards.append(_card("monitoring verdict", worst.upper(), "worst of the checks below",
                           {"act": "bad", "watch": "warn"}.get(worst, "")))
    if inp.warnings is not None:
        cards.append(_card("early warnings", f"{len(inp.warnings):,}", "subjects flagged for a visit"))
    facts = []
    for k, v in {**dict(inp.model), **dict(inp.data)}.items():
        if v not in (None, "", {}):
            facts.append(f"<dt>{_e(k.replace('_', ' '))}</dt><dd>{_e(v)}</dd>")
    facts_html = f'<dl class="facts">{"".join(facts)}</dl>' if facts else ""
    notes = "".join(f"<li>{_e(n)}</li>" for n in inp.notes)
    findings = _findings(inp)
    return _section(
        "summary", "Summary 摘要",
        f'<div class="cards">{"".join(cards)}</div>'
        + (f'<ul class="findings">{findings}</ul>' if findings else "") + facts_html
        + (f'<ul class="notes">{notes}</ul>' if notes else ""),
    )


def _as_of(scores: pd.DataFrame) -> str:
    if "as_of" not in scores:
        return "the scoring date"
    dates = pd.to_datetime(scores["as_of"]).dt.date.unique()
    return str(dates[0]) if len(dates) == 1 else f"{len(dates)} dates ({min(dates)} – {max(dates)})"


def _worst(verdicts) -> str:
    order = ["stable", "watch", "act"]
    seen = [v for v in map(str, verdicts) if v in order]
    return max(seen, key=order.index) if seen else "stable"


def _findings(inp: ReportInputs) -> str:
    """Plain sentences of what stands out (only from figures in the report)."""
    out = []
    r = inp.model_report
    if r is not None:
        t = r.tiers["table"]
        if len(t) == 4 and np.isfinite(t["event_rate"]).all():
            out.append("Held-out event rate (population-weighted) by final tier: "
                       + ", ".join(f"{a} {fmt_percent(b)}" for a, b in zip(t["tier"], t["event_rate"], strict=True))
                       + ("." if r.tiers.get("increasing") else " — not rising at every step; read the tier section."))
        for d, v in r.domains.items():
            if v.get("skipped"):
                out.append(f"Domain model {d} was not fitted: {v.get('reason')}.")
            elif not v.get("beats_generic"):
                out.append(f"Domain model {d} does not beat the generic model: {v.get('why_not')}.")
    if inp.monitoring is not None:
        bad = inp.monitoring[inp.monitoring["verdict"].isin(["watch", "act"])]
        for row in bad.head(3).itertuples(index=False):
            out.append(f"Monitoring — {row.check}: {row.verdict} ({row.detail}).")
    return "".join(f"<li>{_e(x)}</li>" for x in out)


def _map_section(inp: ReportInputs) -> str:
    """The tile map of regions, one map per measure, switched without a script (radio buttons + CSS)."""
    measures: dict[str, Measure] = {}
    s = inp.scores
    source = ""
    if s is not None and len(s) and "tier" in s:
        frame = pd.DataFrame({"region": _regions_of(s["credit_code"], inp.enterprises).to_numpy(),
                              "cd": s["tier"].isin(["C", "D"]).to_numpy(float),
                              "d": (s["tier"] == "D").to_numpy(float),
                              "p": s["probability"].to_numpy(float) if "probability" in s else np.nan})
        source = f"the {len(s):,} subjects scored as of {_as_of(s)}"
        g = frame.dropna(subset=["region"]).groupby("region")
        n = g.size()
        measures["cd"] = Measure("cd", "share of subjects in tiers C or D", g["cd"].mean(), n, percent=True)
        measures["d"] = Measure("d", "share of subjects in tier D", g["d"].mean(), n, percent=True)
        if "probability" in s:
            measures["p"] = Measure("p", "mean predicted probability of an adverse outcome", g["p"].mean(), n,
                                    percent=True)
        measures["n"] = Measure("n", "subjects scored", n.astype(float), n, percent=False)
    r = inp.model_report
    ts = None if r is None else r.test_scores
    if ts is not None and len(ts):
        frame = pd.DataFrame({"region": _regions_of(ts["credit_code"], inp.enterprises).to_numpy(),
                              "y": ts["y"].to_numpy(float), "w": ts["sample_weight"].to_numpy(float),
                              "cd": ts["tier"].isin(["C", "D"]).to_numpy(float)})
        frame = frame.dropna(subset=["region"])
        g = frame.groupby("region")
        n = g.size()
        rate = (frame["y"] * frame["w"]).groupby(frame["region"]).sum() / g["w"].sum()
        if "cd" not in measures:
            source = f"the {len(ts):,} held-out inspections of the test slice"
            measures["cd"] = Measure("cd", "share of held-out inspections in tiers C or D", g["cd"].mean(), n,
                                     percent=True)
        measures["ev"] = Measure("ev", "held-out event rate, population-weighted (1/p)", rate, n, percent=True)
    if inp.plan_summary is not None and len(inp.plan_summary):
        reg = inp.plan_summary[inp.plan_summary["dimension"] == "region"].set_index("key")
        if len(reg):
            reg.index = reg.index.astype(str)
            measures["drawn"] = Measure("drawn", "plan: share of subjects drawn for inspection",
                                        reg["drawn"] / reg["subjects"], reg["subjects"], percent=True)
    if inp.warnings is not None and len(inp.warnings) and "region" in inp.warnings and s is not None:
        per = inp.warnings["region"].astype(str).value_counts()
        base = _regions_of(s["credit_code"], inp.enterprises).dropna().astype(str).value_counts()
        measures["warn"] = Measure("warn", "early warnings per 100 subjects scored",
                                   100 * per.reindex(base.index).fillna(0) / base, base, percent=False)
    for extra in inp.measures:
        measures[extra.key] = extra
    if not measures:
        return ""
    regions = set()
    for m in measures.values():
        regions |= {str(x) for x in m.values.index}
    layout = tile_layout(region_frame(regions, inp.enterprises))
    for m in measures.values():
        m.values.index = m.values.index.astype(str)
        m.subjects.index = m.subjects.index.astype(str)
    radios, maps = [], []
    for i, (key, m) in enumerate(measures.items()):
        checked = " checked" if i == 0 else ""
        radios.append(f'<input type="radio" name="measure" id="measure-{key}" class="measure-radio"{checked}>'
                      f'<label for="measure-{key}">{_e(m.label)}</label>')
        maps.append(f'<div class="map map-{key}">{tile_map_svg(layout, m)}</div>')
    css = "".join(f"#measure-{k}:checked ~ .row .map-{k}{{display:block}}" for k in measures)
    first = next(iter(measures.values()))
    shown = {k: m for k, m in measures.items() if k != "n"}
    table = measure_table(layout, shown).sort_values(first.label, ascending=False, na_position="last")
    if not table["name_zh"].astype(bool).any():  # free-form regions: the code is the name
        table = table.drop(columns=["name_zh", "name_en"])
    groups = _group_summary(layout, first)
    formats = {m.label: (fmt_percent if m.percent else (lambda v: fmt_number(v, 2))) for m in measures.values()}
    table_part = table_html(
        table, formats={**formats, "subjects": fmt_count},
        headers={"region": "code", "name_zh": "名称", "name_en": "name", "group_name": "prefecture / group"},
        definitions={"subjects": "subjects behind the values (scored subjects, else held-out inspections)"},
        table_id="map-table", scroll=True)
    placed = "positions of the county seats" if all(n for n in layout["name_zh"]) else (
        "median coordinates of each region's subjects" if layout.index.size else "")
    intro = (f"Each square is one region ({len(layout)} in all), placed near its real position ({placed}; "
             "a schematic tile map, not boundaries: thick lines separate prefectures or groups). Values from "
             f"{source}. Regions with fewer than 5 subjects are grey. Hover a square for its full name. "
             "Choose the measure:")
    return _section(
        "map", "Map of the regions 区域信用风险分布图",
        f'<style>{css}</style><div class="map-block">{"".join(radios)}<div class="row"><div class="maps">'
        f'{"".join(maps)}</div><div>{groups}</div></div></div>'
        f'<h3>Values behind the map, every region</h3>{table_part}',
        intro=_e(intro),
    )


def _group_summary(layout: pd.DataFrame, measure: Measure) -> str:
    """The first measure per prefecture (or group), weighted by subjects: the table beside the map."""
    frame = layout[["region", "group_name"]].copy()
    frame["n"] = measure.subjects.reindex(layout["region"]).fillna(0).to_numpy(float)
    frame["v"] = measure.values.reindex(layout["region"]).to_numpy(float)
    ok = np.isfinite(frame["v"])
    frame["vn"] = np.where(ok, frame["v"] * frame["n"], 0.0)
    frame["nn"] = np.where(ok, frame["n"], 0.0)
    g = frame.groupby("group_name", sort=True).agg(regions=("region", "size"), subjects=("n", "sum"),
                                                   vn=("vn", "sum"), nn=("nn", "sum"))
    out = pd.DataFrame({"prefecture / group": g.index, "regions": g["regions"].to_numpy(),
                        "subjects": g["subjects"].to_numpy(),
                        measure.label: (g["vn"] / g["nn"].where(g["nn"] >= MIN_SUBJECTS)).to_numpy()})
    out = out.sort_values(measure.label, ascending=False, na_position="last")
    fm = fmt_percent if measure.percent else (lambda v: fmt_number(v, 2))
    return table_html(out, formats={"regions": fmt_count, "subjects": fmt_count, measure.label: fm},
                      caption=f"By prefecture: {measure.label}", table_id="map-groups", scroll=len(out) > 16)


_TIER_DEFS = {
    "n": "held-out inspections (rows) in the tier, each counted once",
    "weight": "population the rows stand for: Σ 1/p over the rows",
    "events": "adverse outcomes, population-weighted: Σ 1/p over the rows with an event",
    "events_inspected": "adverse outcomes among the inspected rows, each counted once",
    "share": "share of the population weight in the tier",
    "event_rate": "population-weighted event rate: events / weight",
    "event_rate_inspected": "event rate among the inspected rows (unweighted)",
    "capture": "share of all (population-weighted) events that fall in the tier",
    "cumulative_capture": "share of events found inspecting this tier and every riskier tier",
    "lift": "tier event rate / overall event rate",
}


def _tier_table(table: pd.DataFrame, ts: pd.DataFrame | None, column: str) -> pd.DataFrame:
    t = table.copy()
    if ts is not None and len(ts):
        g = ts.groupby(ts[column].astype(str))["y"]
        t["events_inspected"] = t["tier"].map(g.sum()).fillna(0).astype(float)
        t["event_rate_inspected"] = t["tier"].map(g.mean())
    cols = [c for c in ("tier", "n", "events_inspected", "event_rate_inspected", "weight", "events", "share",
                        "event_rate", "capture", "cumulative_capture", "lift") if c in t]
    return t[cols]


_TIER_FORMATS = {"n": fmt_count, "weight": fmt_count, "events": fmt_count, "events_inspected": fmt_count,
                 "share": fmt_percent, "event_rate": fmt_percent, "event_rate_inspected": fmt_percent,
                 "capture": fmt_percent, "cumulative_capture": fmt_percent, "lift": lambda v: fmt_number(v, 2)}
_TIER_HEADERS = {"n": "rows inspected", "events_inspected": "events (inspected)",
                 "event_rate_inspected": "event rate (inspected)", "weight": "population (Σ 1/p)",
                 "events": "events (population-weighted)", "share": "share of population",
                 "event_rate": "event rate (population-weighted)", "capture": "capture",
                 "cumulative_capture": "cumulative capture", "lift": "lift"}


def _tiers_section(inp: ReportInputs) -> str:
    parts = []
    s = inp.scores
    r = inp.model_report
    if s is not None and len(s):
        counts = s["tier"].value_counts().reindex(list(TIERS), fill_value=0)
        dist = pd.DataFrame({"tier": list(TIERS), "subjects": counts.to_numpy(),
                             "share": (counts / max(counts.sum(), 1)).to_numpy()})
        if "model_tier" in s:
            mc = s["model_tier"].value_counts().reindex(list(TIERS), fill_value=0)
            dist.insert(1, "subjects (model tier)", mc.to_numpy())
        parts.append('<div class="row"><div>' + charts.tier_svg(dist, title=f"Final tiers of the subjects scored "
                                                                          f"({_as_of(s)})") + "</div><div>"
                     + table_html(dist, formats={"subjects": fmt_count, "subjects (model tier)": fmt_count,
                                                 "share": fmt_percent},
                                  headers={"subjects": "subjects (final tier)"},
                                  definitions={"share": "share of the subjects scored in the final tier",
                                               "subjects (model tier)": "subjects whose model tier (before "
                                               "overrides, vetoes and stability rules) is this tier"},
                                  table_id="tier-distribution")
                     + "</div></div>")
        parts.append("<h3>Tier mix by region, industry, size and entity type (subjects scored)</h3>")
        attrs = _attributes(s["credit_code"], inp.enterprises)
        attrs["region"] = attrs["region"].astype(object).astype(str).str[:4].where(attrs["region"].notna())
        for col, name in (("region", "prefecture (first four digits of the region)"), ("industry", "industry section"),
                          ("size", "size band (registered capital)"), ("entity_type", "entity type")):
            if col not in attrs:
                continue
            ct = pd.crosstab(attrs[col].fillna("(unknown)"), s["tier"]).reindex(columns=list(TIERS), fill_value=0)
            share = ct.div(ct.sum(axis=1), axis=0)
            out = pd.DataFrame({col: ct.index.astype(str), "subjects": ct.sum(axis=1).to_numpy()})
            out = _name_groups(out, col)
            for t in TIERS:
                out[f"share {t}"] = share[t].to_numpy()
            out["share C or D"] = share[["C", "D"]].sum(axis=1).to_numpy()
            parts.append(table_html(out, caption=f"By {name}", formats={
                "subjects": fmt_count, **{c: fmt_percent for c in out.columns if c.startswith("share")}},
                table_id=f"mix-{col}", scroll=len(out) > 12))
    if r is not None:
        ts = r.test_scores
        t = _tier_table(r.tiers["table"], ts, "tier")
        m = _tier_table(r.tiers["model_table"], ts, "model_tier")
        parts.append("<h3>Event rates by tier on the held-out rows: model tiers and final tiers side by side</h3>")
        parts.append(f"<p>Tier method: {_e(r.tiers.get('method'))}; cut-offs on the probability "
                     f"{_e(', '.join(f'{c:.3f}' for c in r.tiers.get('cutoffs', [])))}; "
                     f"{int(r.tiers.get('overridden', 0)):,} held-out rows had their tier set by a rule "
                     "(override or veto). The event rate should rise from A to D.</p>")
        parts.append('<div class="row"><div>' + table_html(m, formats=_TIER_FORMATS, headers=_TIER_HEADERS,
                                                          caption="Model tiers (from the probability alone)",
                                                          table_id="tiers-model")
                     + '</div><div>' + table_html(t, formats=_TIER_FORMATS, headers=_TIER_HEADERS,
                                                  caption="Final tiers (after overrides and vetoes)",
                                                  table_id="tiers-final") + "</div></div>")
        parts.append('<dl class="defs">' + "".join(f"<dt>{_e(_TIER_HEADERS.get(k, k))}</dt><dd>{_e(v)}</dd>"
                                                   for k, v in _TIER_DEFS.items()) + "</dl>")
        if r.groups is not None and len(r.groups):
            g = r.groups.copy()
            g.loc[g["group"] == "region", "value"] = g.loc[g["group"] == "region", "value"].map(_city_name)
            cols = [c for c in ("group", "value", "n", "events", "event_rate", "auc", "event_rate_A", "event_rate_B",
                                "event_rate_C", "event_rate_D", "tiers_increasing") if c in g]
            parts.append("<h3>Event rates by region, industry, size and entity type (held-out rows)</h3>")
            parts.append(table_html(
                g[cols], formats={"n": fmt_count, "events": fmt_count, "event_rate": fmt_percent,
                                  **{f"event_rate_{t}": fmt_percent for t in TIERS}},
                headers={"n": "rows inspected", "events": "events (population-weighted)",
                         "event_rate": "event rate (pop.-weighted)", "auc": "AUC (pop.-weighted)",
                         **{f"event_rate_{t}": f"event rate {t}" for t in TIERS},
                         "tiers_increasing": "rises A → D"},
                definitions={"n": _TIER_DEFS["n"], "events": _TIER_DEFS["events"],
                             "auc": METRIC_DEFINITIONS["auc"] + "; population-weighted",
                             "tiers_increasing": "whether the group's population-weighted event rate rises strictly "
                                                 "from A to D (groups under 30 rows are pooled as (other))"},
                table_id="groups", scroll=True))
    if not parts:
        return ""
    return _section("tiers", "Risk tiers 风险分类", "".join(parts))


def _city_name(code: object) -> str:
    from credit_risk.data.synthetic.regions import CITIES
    from credit_risk.report.zhejiang import CITY_EN

    c = str(code)
    return f"{c} {CITIES[c]} {CITY_EN[c]}" if c in CITIES else c


def _name_groups(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    if col == "region":
        frame[col] = frame[col].map(_city_name)
    return frame


def _performance_section(inp: ReportInputs) -> str:
    r = inp.model_report
    if r is None:
        return ""
    rows = []
    for model, m in r.metrics.items():
        mu = (r.metrics_unweighted or {}).get(model)
        for key in ("auc", "gini", "ks", "brier", "log_loss"):
            if key not in m:
                continue
            rows.append({"model": model, "metric": key.upper().replace("_", " "),
                         "population-weighted (1/p)": m[key] if mu else np.nan,
                         "inspected rows (unweighted)": (mu or m)[key], "definition": METRIC_DEFINITIONS[key]})
    table = pd.DataFrame(rows)
    g = r.metrics.get("generic", {})
    gu = (r.metrics_unweighted or {}).get("generic", g)
    rows_line = (f"Held-out rows: {fmt_count(gu.get('n'))} inspections with {fmt_count(gu.get('events'))} adverse "
                 f"outcomes (inspected, unweighted; event rate {fmt_percent(gu.get('event_rate'))}); they stand for a "
                 f"population of {fmt_count(g.get('weight'))} with {fmt_count(g.get('events'))} events "
                 f"(population-weighted by 1/p; event rate {fmt_percent(g.get('event_rate'))}).")
    charts_html = []
    if r.test_scores is not None and len(r.test_scores):
        charts_html.append(charts.roc_svg(r.test_scores, r.metrics, r.metrics_unweighted or {}))
    charts_html.append(charts.calibration_svg(r.calibration, weighted=bool(r.metrics_unweighted)))
    charts_html.append(charts.capture_svg(r.test_scores, r.tiers["table"]))
    no_curve = ("" if r.test_scores is not None else
                "<p class=\"note\">The per-row held-out scores are not kept in a saved model, so the ROC curve is "
                "drawn only in the report written by training; the capture curve shows the tier points.</p>")
    parts = [f"<p>{_e(rows_line)}</p>", f'<div class="charts">{"".join(charts_html)}</div>', no_curve,
             '<p class="defs-line">' + _e(WEIGHTING["population"]) + ". " + _e(WEIGHTING["inspected"]) + ".</p>",
             table_html(table, formats={"population-weighted (1/p)": fmt_number,
                                        "inspected rows (unweighted)": fmt_number},
                        caption="Every model on the held-out rows", table_id="metrics")]
    if len(r.comparisons):
        c = r.comparisons[[col for col in ("comparison", "weighting", "auc_a", "auc_b", "difference", "se",
                                           "ci_low", "ci_high") if col in r.comparisons]]
        parts.append(table_html(c, caption="AUC differences with paired-bootstrap intervals", table_id="comparisons",
                                headers={"auc_a": "AUC first", "auc_b": "AUC second", "se": "standard error",
                                         "ci_low": "95 % low", "ci_high": "95 % high"},
                                definitions={"difference": "AUC of the first model minus the second; an interval "
                                             "containing 0 means this sample does not show a difference"}))
    if r.targeting is not None and len(r.targeting):
        t = r.targeting[[c for c in ("metric", "value", "ci_low", "ci_high") if c in r.targeting]]
        parts.append(table_html(t, caption="Targeting: the held-out inspections re-ordered by score (inspected rows)",
                                table_id="targeting",
                                definitions={"value": "days_earlier: mean days earlier an adverse outcome would have "
                                             "been found; first_half_share: share found in the first half of the "
                                             "period; capture_at_k / yield_at_k: share of events found and event "
                                             "rate in the first k % of visits"}))
    if r.importance is not None and len(r.importance):
        parts.append(f'<div class="charts">{charts.importance_svg(r.importance)}</div>')
    return _section("performance", "Model performance 模型效果", "".join(parts),
                    intro="ROC, calibration and capture of the generic model on rows it did not learn from. "
                          "Each number says whether it counts inspected rows or the population they stand for.")


_INTENDED_USE = (
    "Ranks subjects by the risk of an adverse inspection outcome, to set inspection ratios and frequencies by "
    "tier in differential double-random inspection (双随机、一公开). It supports, and does not replace, the "
    "regulator's decision: every subject keeps a non-zero chance of being drawn, and tiers set by law "
    "(serious dishonest lists, vetoes) are applied as rules, not learned.")
_LIMITS = (
    "Outcomes exist only where someone inspected (selective labels): population figures rest on the recorded "
    "inclusion probabilities (1/p weights). Figures come from one out-of-time test slice; small groups are "
    "pooled. A reason shown to a subject is an association in past data, not a cause. It scores market "
    "subjects from public records and is no evaluation of natural persons; inspector identity is never a feature "
    "(it predicts who looked, not what was there).")


def _model_card(inp: ReportInputs) -> str:
    r = inp.model_report
    if r is None and not inp.feature_info:
        return ""
    parts = []
    data_rows = []
    if r is not None:
        sp = r.split
        for slice_ in ("train", "validation", "test"):
            data_rows.append({"slice": slice_, "rows (inspected)": sp.get("rows", {}).get(slice_),
                              "events (inspected)": sp.get("events", {}).get(slice_)})
        period = (f"split {sp.get('method')}: validation from {sp.get('valid_start')}, test from "
                  f"{sp.get('test_start')}" if sp.get("method") in ("time", "column") else f"split {sp.get('method')}")
        label = r.label or {}
        parts.append("<h3>Data and period</h3>")
        parts.append(f"<p>Label: {_e(label.get('target', 'given labels'))} — {fmt_count(label.get('rows'))} rows, "
                     f"{fmt_count(label.get('positives'))} positives. {_e(period)}.</p>")
        parts.append(table_html(pd.DataFrame(data_rows), table_id="card-data",
                                formats={"rows (inspected)": fmt_count, "events (inspected)": fmt_count}))
        refit = r.refit or {}
        if refit:
            parts.append(f"<p>Saved model: {_e(refit.get('saved_model'))}. Figures come from "
                         f"{_e(refit.get('figures_from'))}.</p>")
        gm = r.generic_model or {}
        parts.append(f"<p>Generic model: LightGBM, {_e(gm.get('best_iteration'))} trees, calibration "
                     f"{_e(gm.get('calibration_method'))}, {_e(gm.get('n_features'))} features, monotone "
                     f"constraints {'on' if (gm.get('params') or {}).get('monotone') else 'off'}.</p>")
        if r.constraints:
            said = ", ".join(r.constraints.get("contradicted", [])) or "none"
            parts.append(f"<p>Declared directions the training labels contradict: {_e(said)}.</p>")
    if inp.feature_info:
        views = pd.DataFrame([{"view": i.view, "actionable": _is_actionable(i, inp.spec)} for i in inp.feature_info])
        by_view = views.groupby("view").agg(features=("view", "size"), actionable=("actionable", "sum")).reset_index()
        parts.append("<h3>Features</h3>")
        parts.append(table_html(by_view, table_id="card-features", formats={"features": fmt_count,
                                                                            "actionable": fmt_count},
                                definitions={"actionable": "features the spec declares a subject can act on: only "
                                             "these are shown to subjects as reasons"}))
        feats = pd.DataFrame([{"feature": i.name, "view": i.view, "description": i.description,
                               "说明": i.description_zh,
                               "actionable": "yes" if _is_actionable(i, inp.spec) else "no"}
                              for i in inp.feature_info])
        parts.append(table_html(feats, table_id="card-feature-list", scroll=True))
    parts.append("<h3>Intended use</h3>" + f"<p>{_e(_INTENDED_USE)}</p>")
    parts.append("<h3>Limits</h3>" + f"<p>{_e(_LIMITS)}</p>")
    if r is not None and r.groups is not None and len(r.groups):
        g = r.groups.copy()
        g.loc[g["group"] == "region", "value"] = g.loc[g["group"] == "region", "value"].map(_city_name)
        fair = (g.groupby("group").agg(groups=("value", "size"), auc_min=("auc", "min"), auc_max=("auc", "max"),
                                       rate_min=("event_rate", "min"), rate_max=("event_rate", "max"),
                                       rising=("tiers_increasing", "sum") if "tiers_increasing" in g else ("value", "size"))
                .reset_index())
        ranked = g.dropna(subset=["auc"]).sort_values("auc")
        worst = ranked.groupby("group")["value"].first()
        fair.insert(2, "ranked least well", fair["group"].map(worst).fillna("–").to_numpy())
        parts.append("<h3>Fairness by group</h3>")
        parts.append(table_html(fair, table_id="card-fairness",
                                formats={"rate_min": fmt_percent, "rate_max": fmt_percent, "groups": fmt_count,
                                         "rising": fmt_count},
                                headers={"auc_min": "lowest AUC", "auc_max": "highest AUC",
                                         "rate_min": "lowest event rate", "rate_max": "highest event rate",
                                         "rising": "groups whose event rate rises A → D"},
                                definitions={"auc_min": "AUC (population-weighted) of the worst-ranked group: the model "
                                             "orders that group's subjects least well",
                                             "ranked least well": "the group of lowest AUC (look at it first)",
                                             "rate_min": "population-weighted event rate of the group with the "
                                             "lowest rate"}))
    return _section("model-card", "Model card 模型说明", "".join(parts))


def _domains_section(inp: ReportInputs) -> str:
    r = inp.model_report
    if r is None or not r.domains:
        return ""
    rows, details = [], []
    for d, v in r.domains.items():
        if v.get("skipped"):
            rows.append({"domain": d, "verdict": "not fitted", "chosen combination": "", "AUC chosen": np.nan,
                         "AUC generic": np.nan, "test rows": np.nan, "test events (inspected)": np.nan,
                         "why": v.get("reason", "")})
            continue
        beats = bool(v.get("beats_generic"))
        rows.append({"domain": d, "verdict": "beats the generic model" if beats else "does not beat the generic model",
                     "chosen combination": v.get("chosen"), "AUC chosen": v.get("auc_chosen"),
                     "AUC generic": v.get("auc_generic"), "test rows": v.get("subjects_test"),
                     "test events (inspected)": v.get("events_test"),
                     "why": v.get("why_not", "its chosen combination ranks the domain's test rows better than the "
                                              "generic model")})
        comp = v.get("comparison")
        if isinstance(comp, pd.DataFrame) and len(comp):
            c = comp.rename(columns={"n": "rows (inspected)", "events": "events (population-weighted)"})
            details.append(table_html(c, caption=f"{d}: every combination on the domain's test rows",
                                      formats={"rows (inspected)": fmt_count, "events (population-weighted)": fmt_count},
                                      definitions={"events (population-weighted)": _TIER_DEFS["events"],
                                                   "auc": METRIC_DEFINITIONS["auc"] + "; population-weighted"},
                                      table_id=f"domain-{d}"))
    table = table_html(pd.DataFrame(rows), table_id="domains",
                       formats={"test rows": fmt_count, "test events (inspected)": fmt_count},
                       cell_class=lambda col, v: ("bad" if col == "verdict" and str(v).startswith(("does not", "not"))
                                                  else "good" if col == "verdict" else ""))
    return _section("domains", "Domain models 专用模型", table + "".join(details),
                    intro="Each domain model (generic + specialised, 通用+专用) is compared with the generic model on "
                          "the domain's held-out rows; the reason is shown whether or not it wins.")


def _overrides_section(inp: ReportInputs) -> str:
    s = inp.scores
    src, what = (s, "subjects scored") if s is not None and "model_tier" in s else (None, "")
    r = inp.model_report
    if src is None and r is not None and r.test_scores is not None:
        src, what = r.test_scores, "held-out rows"
    if src is None or "model_tier" not in src:
        return ""
    ct = pd.crosstab(src["model_tier"].astype(str), src["tier"].astype(str)).reindex(
        index=list(TIERS), columns=list(TIERS), fill_value=0)
    out = pd.DataFrame({"model tier": ct.index})
    for t in TIERS:
        out[f"final {t}"] = ct[t].to_numpy()
    out["changed"] = (ct.sum(axis=1) - np.diag(ct.to_numpy())).to_numpy()
    parts = [table_html(out, table_id="model-vs-final", formats={c: fmt_count for c in out.columns if c != "model tier"},
                        caption=f"Model tier (rows) against final tier (columns), {what}")]
    if "override_reason" in src:
        reasons = src.loc[src["override_reason"].astype(str) != "", ["override_reason"]]
        if len(reasons):
            rc = reasons.value_counts().reset_index()
            rc.columns = ["rule that set the tier", "subjects"]
            parts.append(table_html(rc, table_id="override-reasons", formats={"subjects": fmt_count}))
    return _section("overrides", "Model tiers and final tiers 模型分类与最终分类", "".join(parts),
                    intro="The final tier is the model tier after legal rules (serious dishonest lists, vetoes, "
                          "stability of the previous tier). Off-diagonal counts were set by a rule, not the model.")


def _subjects_section(inp: ReportInputs) -> str:
    s = inp.scores
    if s is None or not len(s) or not any(c.startswith("reason_") for c in s.columns) or not inp.feature_info:
        return ""  # without the model's features there is no saying which reasons a subject can act on
    top = s.sort_values("probability", ascending=False).head(12)
    out = pd.DataFrame({"credit code": top["credit_code"].astype(str), "tier": top["tier"].astype(str),
                        "probability": top["probability"].to_numpy(float)})
    out["reasons the subject can act on"] = actionable_reasons(top, inp.feature_info, inp.spec).to_numpy()
    if "reason_1_text_zh" in top:
        out["可改进的原因"] = actionable_reasons(top, inp.feature_info, inp.spec, text_column="text_zh").to_numpy()
    return _section("subjects", "Highest-risk subjects and their reasons 高风险主体及原因",
                    table_html(out, table_id="subjects", formats={"probability": fmt_percent}),
                    intro="The 12 highest probabilities. Reasons come only from features the feature spec declares "
                          "actionable and never from a missing value: a subject's city, industry, size or age is not "
                          "something it can act on, so it is not shown as a reason even when it moves the score.")


def _plan_section(inp: ReportInputs) -> str:
    p = inp.plan_summary
    if p is None or not len(p):
        return ""
    parts = []
    if inp.plan_stats:
        stats = pd.DataFrame({"figure": [k.replace("_", " ") for k in inp.plan_stats],
                              "value": [str(v) if k == "seed" else fmt_number(v, 2)
                                        for k, v in inp.plan_stats.items()]})
        parts.append(table_html(stats, table_id="plan-stats", formats={"value": str}))
    cols = [c for c in ("key", "subjects", "eligible", "mandatory", "drawn", "expected_draws", "draw_rate",
                        "inspector_visits") if c in p]
    defs = {"eligible": "subjects with a non-zero probability of being drawn",
            "mandatory": "subjects inspected by rule (complaints, serious lists), not by lottery",
            "drawn": "subjects drawn for a visit (mandatory included)",
            "expected_draws": "sum of the inclusion probabilities", "draw_rate": "drawn / subjects",
            "inspector_visits": "inspector-visits (each visit needs at least two inspectors)"}
    fm = {"draw_rate": fmt_percent, "expected_draws": lambda v: fmt_number(v, 1),
          **{c: fmt_count for c in ("subjects", "eligible", "mandatory", "drawn", "inspector_visits")}}
    for dim, caption in (("tier", "By tier"), ("department", "By department"), ("region", "By region")):
        d = p[p["dimension"] == dim][cols].copy()
        if not len(d):
            continue
        if dim == "region":
            names = region_frame(d["key"].astype(str)).set_index("region")
            label = (names["name_zh"] + " " + names["name_en"]).str.strip()
            d.insert(1, "name", d["key"].astype(str).map(label).fillna(d["key"].astype(str)).to_numpy())
        parts.append(table_html(d.rename(columns={"key": dim}), caption=caption, formats=fm,
                                definitions=defs if dim == "tier" else None, table_id=f"plan-{dim}",
                                scroll=len(d) > 12))
    return _section("plan", "Inspection plan 双随机、一公开 抽查计划", "".join(parts))


def _warnings_section(inp: ReportInputs) -> str:
    w = inp.warnings
    if w is None:
        return ""
    if not len(w):
        return _section("warnings", "Early warning 预警名单", "<p>No subject was flagged.</p>")
    top = w.head(30)
    out = pd.DataFrame({"rank": top.get("rank", pd.Series(range(1, len(top) + 1))).to_numpy(),
                        "credit code": top["credit_code"].astype(str).to_numpy()})
    if "region" in top:
        names = region_frame(top["region"].astype(str)).set_index("region")
        out["region"] = [f"{k} {names.loc[k, 'name_zh']}".strip() if k in names.index else k
                         for k in top["region"].astype(str)]
    for c, h in (("department", "department"), ("tier_reference", "tier before"), ("tier_current", "tier now"),
                 ("p_reference", "p before"), ("p_current", "p now")):
        if c in top:
            out[h] = top[c].to_numpy()
    if inp.feature_info:  # which reasons a subject can act on is the model's features' to say
        reasons = top.rename(columns=lambda c: c.replace("_change", "_contribution") if c.startswith("reason_") else c)
        out["reasons the subject can act on"] = actionable_reasons(reasons, inp.feature_info, inp.spec).to_numpy()
    return _section("warnings", "Early warning 预警名单",
                    table_html(out, table_id="warnings", formats={"p before": fmt_percent, "p now": fmt_percent,
                                                                  "rank": fmt_count}, scroll=True),
                    intro=f"{len(w):,} subjects flagged (the first 30 shown); the full list and the per-region lists "
                          "(网格重点走访名单) are written beside the report.")


def _monitoring_section(inp: ReportInputs) -> str:
    m = inp.monitoring
    if m is None or not len(m):
        return ""
    runs = " → ".join(inp.monitoring_runs)
    return _section("monitoring", "Monitoring 模型监测",
                    table_html(m[[c for c in ("check", "value", "verdict", "detail") if c in m]], table_id="monitoring",
                               formats={"value": lambda v: fmt_number(v, 4)},
                               cell_class=lambda col, v: {"act": "bad", "watch": "warn", "stable": "good"}.get(str(v), "")
                               if col == "verdict" else ""),
                    intro=_e(f"Runs compared: {runs}. " if runs else "") + "stable: nothing to do; watch: look at it "
                          "before the next run; act: retrain or investigate now.")


_CSS = """
:root{--ink:#1f2933;--muted:#52606d;--line:#d9e2ec;--bg:#f5f7fa;--accent:#0b4f8a}
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans CJK SC","Noto Sans SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",
 "Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg);font-size:14px;line-height:1.45}
header{background:var(--accent);color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;opacity:.85;font-size:13px}
nav{background:#fff;border-bottom:1px solid var(--line);padding:8px 32px;position:sticky;top:0;z-index:2}
nav a{color:var(--accent);text-decoration:none;margin-right:16px;font-size:13px}
main{max-width:1280px;margin:0 auto;padding:8px 32px 48px}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:16px 22px;margin:18px 0}
h2{font-size:18px;margin:0 0 10px;color:var(--accent)}
h3{font-size:15px;margin:18px 0 8px}
p.intro{color:var(--muted);margin:0 0 12px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}
.card{border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:4px;padding:10px 12px}
.card.warn{border-left-color:#f9a825}.card.bad{border-left-color:#c62828}
.card .label{font-size:12px;color:var(--muted)}.card .value{font-size:24px;font-weight:600;margin:2px 0}
.card .note{font-size:11.5px;color:var(--muted)}
ul.findings{margin:12px 0 0 18px;padding:0}ul.findings li{margin:3px 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:12.5px;margin:12px 0 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;word-break:break-all}
table.data{border-collapse:collapse;margin:8px 0;font-size:12.5px;width:auto;max-width:100%}
table.data caption{text-align:left;font-weight:600;padding:4px 0;color:var(--ink)}
table.data th{background:#eef2f7;text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);
 font-weight:600;position:sticky;top:0;cursor:help}
table.data td{padding:4px 8px;border-bottom:1px solid #edf1f5;vertical-align:top;white-space:pre-line}
table.data td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.good{color:#2e7d32;font-weight:600}td.warn{color:#b26a00;font-weight:600}td.bad{color:#c62828;font-weight:600}
.scroll{max-height:360px;overflow:auto;border:1px solid var(--line);border-radius:4px;display:inline-block;max-width:100%}
.scroll table.data{margin:0}
dl.defs{font-size:11.5px;color:var(--muted);display:grid;grid-template-columns:max-content 1fr;gap:1px 10px;margin:4px 0 12px}
dl.defs dt{font-weight:600}dl.defs dd{margin:0}
p.defs-line,p.note{font-size:12px;color:var(--muted)}
.row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg.chart{width:380px;height:auto;border:1px solid var(--line);border-radius:4px;background:#fff}
.map-block .maps{margin-top:10px}.map{display:none}
.measure-radio{margin:0 4px 0 12px}.measure-radio:first-child{margin-left:0}
.map-block label{font-size:13px;cursor:pointer}
svg.tilemap{max-width:100%;height:auto;font-family:inherit}
svg.tilemap .tile:hover rect{stroke:#000;stroke-width:2}
footer{color:var(--muted);font-size:12px;text-align:center;padding:12px}
@media print{nav{display:none}section{break-inside:avoid}.scroll{max-height:none;overflow:visible}}
"""


def render_html(inputs: ReportInputs) -> str:
    """The whole report as one HTML document (no external resource, no script)."""
    sections = [
        ("summary", "Summary", _summary(inputs)),
        ("map", "Map", _map_section(inputs)),
        ("tiers", "Tiers", _tiers_section(inputs)),
        ("performance", "Performance", _performance_section(inputs)),
        ("domains", "Domain models", _domains_section(inputs)),
        ("overrides", "Model vs final tiers", _overrides_section(inputs)),
        ("subjects", "Subjects", _subjects_section(inputs)),
        ("plan", "Plan", _plan_section(inputs)),
        ("warnings", "Early warning", _warnings_section(inputs)),
        ("monitoring", "Monitoring", _monitoring_section(inputs)),
        ("model-card", "Model card", _model_card(inputs)),
    ]
    present = [(sid, name, body) for sid, name, body in sections if body]
    nav = "".join(f'<a href="#{sid}">{_e(name)}</a>' for sid, name, _ in present)
    sub = " · ".join(x for x in (f"created {inputs.created_at}" if inputs.created_at else "",
                                 f"model {inputs.model.get('name', '')} {inputs.model.get('version', '')}".strip()
                                 if inputs.model.get("name") else "") if x)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">"
        f"<title>{_e(inputs.title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(inputs.title)}</h1><p>{_e(sub)}</p></header><nav>{nav}</nav><main>"
        + "".join(body for _, _, body in present)
        + "</main><footer>credit_risk report — self-contained: no script, no web font, no network access.</footer>"
        "</body></html>\n"
    )


def write_report(inputs: ReportInputs, path: str | Path) -> Path:
    """Render ``inputs`` and write the page to ``path`` atomically; returns the path."""
    path = Path(path)
    text = render_html(inputs)
    write_text(path, text)
    logger.info("report written to %s (%d kB)", path, len(text.encode("utf-8")) // 1024)
    return path
