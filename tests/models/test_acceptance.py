"""End-to-end acceptance on a synthetic province: features → labels → models → tiers → reasons.

Inspection outcomes (label = problem found, weight = 1 / draw probability) of a generated
50,000-subject province (same generator and configs as the committed ``data/sample``, which
at 5,000 subjects has too few test inspections — about 1,000 — to measure an AUC gap of
0.05), split out of time. Figures are printed with ``pytest -s``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_risk.data.dataset import CreditDataset
from credit_risk.data.synthetic import generate_province
from credit_risk.evaluation import tiers_increasing
from credit_risk.explain import Explainer
from credit_risk.features import build_features
from credit_risk.labels import inspection_outcome
from credit_risk.models import fit_models, load_domain_configs, load_scorecard_config
from credit_risk.models.training import TrainedModels, load_model_params
from credit_risk.tiers import load_tier_config

N_SUBJECTS = 50_000


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


@pytest.fixture(scope="module")
def run():
    province = generate_province(N_SUBJECTS, seed=1)
    ds = province.dataset
    labels = inspection_outcome(ds)
    features = build_features(ds, labels.cutoffs)
    params = load_model_params() | {"n_jobs": 2}
    models = fit_models(
        features, domain_labels(ds, labels), enterprises=ds.enterprises,
        domain_configs=load_domain_configs(), tier_config=load_tier_config(),
        scorecard_config=load_scorecard_config(), model_params=params,
        truth=truth_for(labels.cutoffs, province.truth["latent"]),
    )
    return models, ds, labels, features


def test_generic_model_close_to_oracle_out_of_time(run):
    models, *_ = run
    r = models.report
    w, u = r["metrics"], r["metrics_unweighted"]
    print(f"\nsplit {r['split']}")
    print(f"AUC inspected sample: generic {u['generic']['auc']:.3f} oracle {u['oracle']['auc']:.3f} gap {r['oracle_gap_unweighted']:.3f}")
    print(f"AUC population (1/p weights): generic {w['generic']['auc']:.3f} oracle {w['oracle']['auc']:.3f} gap {r['oracle_gap']:.3f}")
    assert r["oracle_gap_unweighted"] < 0.05
    assert r["oracle_gap"] < 0.08  # population-weighted: heavy 1/p weights, see the report


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
        if entry["beats_generic"]:
            assert entry["auc_chosen"] > entry["auc_generic"]
            continue
        # The explanation must match the evidence: "within noise" only when the gap is < 2 SE.
        gap = abs(entry["auc_chosen"] - entry["auc_generic"])
        z = gap / entry["auc_se"] if entry["auc_se"] > 0 else (0.0 if gap < 1e-12 else float("inf"))
        assert ("within noise" in entry["why_not"]) == (z < 2), entry["why_not"]


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
