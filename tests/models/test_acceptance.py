"""End-to-end acceptance on synthetic provinces: features → labels → models → tiers → reasons.

Inspection outcomes (label = problem found, weight = 1 / draw probability) split out of time.
The bars (oracle gap < 0.05, ML beats the scorecards, tiers rise A < B < C < D, domain
models beat the generic one or say why) are checked on generated 50,000-subject provinces
(same generator and configs as the committed ``data/sample``): seed 1 in full, seeds 2 and
3 for the generic model. The committed 5,000-subject sample cannot show a 0.05 gap either
way — about 3,000 training and 1,000 test inspections; across generated 5,000-subject
provinces the gap ranges 0.026–0.103, and a model trained on a 50,000-subject province
closes about half of the sample's gap on the sample's own test rows (``benchmarks/
learning_curve.py``). Its figures are checked for what they *can* show: the gap's 95 %
paired-bootstrap interval reaches below 0.05, the ML model beats the approved rule set, the
model tiers rise or any inversion is within noise (tier D holds ~80 test inspections). Figures are printed with ``pytest -s``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_risk.data import load_dataset
from credit_risk.data.dataset import CreditDataset
from credit_risk.data.synthetic import generate_province
from credit_risk.evaluation import tiers_increasing
from credit_risk.explain import Explainer
from credit_risk.features import build_features
from credit_risk.labels import inspection_outcome
from credit_risk.models import load_domain_configs, load_scorecard_config
from credit_risk.models.training import TrainedModels, fit_models, load_model_params
from credit_risk.tiers import load_tier_config

N_SUBJECTS = 50_000
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def domain_labels(dataset: CreditDataset, labels) -> pd.DataFrame:
    """The generic label plus one column per domain: the outcome of that domain's inspections."""
    domain = dataset.records.set_index("record_id").loc[labels.meta["record_ids"], "domain"].astype(str).to_numpy()
    frame = labels.cutoffs.assign(y=labels.y, sample_weight=labels.sample_weight)
    for name in ("food", "environment"):
        frame[f"y_{name}"] = np.where(domain == name, labels.y, np.nan)
    return frame


def truth_for(cutoffs: pd.DataFrame, latent: pd.DataFrame) -> pd.DataFrame:
    """Ground truth of the month of each cutoff, row-aligned with the cutoffs."""
    month = cutoffs["as_of"].dt.to_period("M").dt.to_timestamp()
    t = cutoffs.assign(month=month).merge(latent, on=["credit_code", "month"], how="left")
    return t.drop(columns="month")


def train_on(ds: CreditDataset, latent: pd.DataFrame, *, domains: bool = True):
    labels = inspection_outcome(ds)
    features = build_features(ds, labels.cutoffs)
    models = fit_models(
        features, domain_labels(ds, labels), enterprises=ds.enterprises,
        domain_configs=load_domain_configs() if domains else None, tier_config=load_tier_config(),
        scorecard_config=load_scorecard_config(), model_params=load_model_params() | {"n_jobs": 2},
        truth=truth_for(labels.cutoffs, latent), n_boot=200,
    )
    return models, labels, features


def assert_verdict_matches_evidence(entry: dict) -> None:
    """A domain model beats the generic one, or says why: "within noise" only when the gap is < 2 SE."""
    if entry["beats_generic"]:
        assert entry["auc_chosen"] > entry["auc_generic"]
        return
    gap = abs(entry["auc_chosen"] - entry["auc_generic"])
    z = gap / entry["auc_se"] if entry["auc_se"] > 0 else (0.0 if gap < 1e-12 else float("inf"))
    assert ("within noise" in entry["why_not"]) == (z < 2), entry["why_not"]


def assert_tiers_rise_or_within_noise(table: pd.DataFrame) -> None:
    """What ~1,000 test inspections can show of "A < B < C < D".

    Tier D holds about 80 test inspections, so its event rate carries a standard error of
    about 0.05: a C/D inversion of a few points is noise (the strict bar is checked on the
    50,000-subject provinces). Every inversion between adjacent tiers must stay under 2
    standard errors (binomial, on the unweighted row counts), and D must lie above A beyond
    noise.
    """
    rate = table["event_rate"].to_numpy(dtype=float)
    n = table["n"].to_numpy(dtype=float)
    se = np.sqrt(rate * (1 - rate) / n)
    assert np.all(np.isfinite(rate)) and np.all(n > 0), table
    for i in range(len(rate) - 1):
        if rate[i + 1] <= rate[i]:
            z = (rate[i] - rate[i + 1]) / np.hypot(se[i], se[i + 1])
            assert z < 2, f"tier {table['tier'].iloc[i + 1]} below {table['tier'].iloc[i]} by {z:.1f} SE"
    assert (rate[-1] - rate[0]) / np.hypot(se[0], se[-1]) > 2, table


def comparison(report: dict, name: str, weighting: str = "inspected") -> pd.Series:
    c = report["comparisons"]
    return c[(c["comparison"] == name) & c["weighting"].str.startswith(weighting)].iloc[0]


@pytest.fixture(scope="module")
def run():
    province = generate_province(N_SUBJECTS, seed=1)
    models, labels, features = train_on(province.dataset, province.truth["latent"])
    return models, province.dataset, labels, features


def test_generic_model_close_to_oracle_out_of_time(run):
    models, *_ = run
    r = models.report
    w, u = r["metrics"], r["metrics_unweighted"]
    print(f"\nsplit {r['split']}")
    print(f"AUC inspected sample: generic {u['generic']['auc']:.3f} oracle {u['oracle']['auc']:.3f} gap {r['oracle_gap_unweighted']:.3f}")
    print(f"AUC population (1/p weights): generic {w['generic']['auc']:.3f} oracle {w['oracle']['auc']:.3f} gap {r['oracle_gap']:.3f}")
    print(r["comparisons"].drop(columns="n_boot").round(3).to_string())
    assert r["oracle_gap_unweighted"] < 0.05
    # population-weighted: heavy 1/p weights (A-tier draws count ×33) make it ±0.03; reported, not the bar
    assert r["oracle_gap"] < 0.08


def test_ml_beats_expert_scorecard(run):
    models, *_ = run
    r = models.report
    print("\n" + r["scorecard_comparison"].round(3).to_string())
    for metrics in (r["metrics"], r["metrics_unweighted"]):
        assert metrics["generic"]["auc"] > metrics["scorecard_learned"]["auc"]
        assert metrics["generic"]["auc"] > metrics["scorecard_rules"]["auc"]


def test_tier_event_rates_rise_strictly(run):
    models, *_ = run
    t = models.report["tiers"]
    print("\nmodel tiers\n" + t["model_table"].round(3).to_string())
    print("final tiers (overrides)\n" + t["table"].round(3).to_string())
    assert tiers_increasing(t["model_table"])
    assert tiers_increasing(t["table"])
    groups = models.report["groups"]
    print(f"groups with rising tiers: {groups['tiers_increasing'].mean():.0%} of {len(groups)}")


def test_each_domain_model_beats_generic_or_says_why(run):
    models, *_ = run
    for name, entry in models.report["domains"].items():
        print(f"\n{name}: chosen {entry.get('chosen')} AUC {entry.get('auc_chosen', float('nan')):.3f} "
              f"generic {entry.get('auc_generic', float('nan')):.3f} oracle {entry.get('auc_oracle', float('nan')):.3f}")
        print(entry["comparison"].round(3).to_string())
        assert_verdict_matches_evidence(entry)


def test_planted_record_is_the_top_reason(run):
    models, ds, labels, features = run
    model: TrainedModels = models
    # the quietest subject of the latest month, then the same subject with one planted record
    as_of = pd.Timestamp("2026-01-01")
    codes = ds.enterprises["credit_code"].head(2000)
    cut = pd.DataFrame({"credit_code": codes, "as_of": as_of}).astype({"as_of": "datetime64[ns]"})
    fm = build_features(ds, cut)
    scores, _ = model.score(fm, k=5)
    quiet = scores.sort_values("probability").iloc[0]["credit_code"]
    planted = pd.DataFrame({
        "record_id": ["planted-1"], "credit_code": [quiet], "kind": ["inspection"], "domain": ["market"],
        "start": [pd.Timestamp("2025-12-10")], "outcome": ["problem"],
    })
    records = pd.concat([ds.records, planted], ignore_index=True)
    ds2 = CreditDataset(enterprises=ds.enterprises, records=records, catalog=ds.catalog,
                        annual_reports=ds.annual_reports, relations=ds.relations, id_scheme=ds.id_scheme)
    one = pd.DataFrame({"credit_code": [quiet], "as_of": [as_of]}).astype({"as_of": "datetime64[ns]"})
    before = build_features(ds, one)
    after = build_features(ds2, one)
    changed = [c for c in after.feature_names if not after.X[c].equals(before.X[c])]
    expl = Explainer(model.generic).explain(after.X[list(model.generic.feature_names_in_)], k=5)
    top = expl.reasons.iloc[0]
    p0 = model.generic.predict_proba(before.X[list(model.generic.feature_names_in_)])[0, 1]
    p1 = model.generic.predict_proba(after.X[list(model.generic.feature_names_in_)])[0, 1]
    print(f"\nplanted inspection problem: p {p0:.3f} -> {p1:.3f}; changed {changed}; top reason: {top['text']} / {top['text_zh']}")
    assert top["feature"] in changed and top["direction"] == 1


@pytest.mark.parametrize("seed", [2, 3])
def test_generic_model_bars_hold_on_other_provinces(seed):
    province = generate_province(N_SUBJECTS, seed=seed)
    models, *_ = train_on(province.dataset, province.truth["latent"], domains=False)
    r = models.report
    gap = comparison(r, "oracle − generic")
    ml = comparison(r, "generic − scorecard_learned")
    print(f"\nseed {seed}: oracle gap {gap['difference']:.3f} [{gap['ci_low']:.3f}, {gap['ci_high']:.3f}], "
          f"ML − learned scorecard {ml['difference']:.3f} [{ml['ci_low']:.3f}, {ml['ci_high']:.3f}]")
    assert gap["difference"] < 0.05
    assert ml["ci_low"] > 0  # ML beats the learned scorecard beyond noise
    assert comparison(r, "generic − scorecard_rules")["ci_low"] > 0
    assert tiers_increasing(r["tiers"]["model_table"]) and tiers_increasing(r["tiers"]["table"])


@pytest.mark.skipif(not (SAMPLE / "truth" / "latent.parquet").exists(), reason="committed sample not present")
def test_committed_sample_is_consistent_with_the_bars():
    models, *_ = train_on(load_dataset(SAMPLE), pd.read_parquet(SAMPLE / "truth" / "latent.parquet"))
    r = models.report
    print("\n" + r["comparisons"].drop(columns="n_boot").round(3).to_string())
    print(r["tiers"]["model_table"].round(3).to_string())
    gap = comparison(r, "oracle − generic")
    assert gap["ci_low"] < 0.05  # the sample does not contradict the bar (it cannot confirm it)
    assert comparison(r, "generic − scorecard_rules")["ci_low"] > 0  # beats the approved rule set
    assert_tiers_rise_or_within_noise(r["tiers"]["model_table"])
    assert set(r["domains"]) == {"environment", "food"}
    for entry in r["domains"].values():
        assert_verdict_matches_evidence(entry)
