"""One turn of the supervision loop on a small synthetic province: seeded, lifted by repairs, reported."""

from __future__ import annotations

import pandas as pd
import pytest

from credit_risk.data.publication import counts_at
from credit_risk.data.synthetic import generate_province
from credit_risk.measures import build_tasks, load_measures, read_tasks
from credit_risk.measures.loop import run_loop, write_loop


@pytest.fixture(scope="module")
def province():
    return generate_province(1000, seed=5)


def _score(dataset, codes, as_of):
    """A stand-in scorer: D while listed as seriously dishonest or a judgment defaulter, C while abnormal."""
    rec = dataset.records
    live = rec.loc[counts_at(rec, dataset.catalog, as_of)]
    tier = pd.Series("B", index=codes)
    for kind, grade in (("abnormal_listing", "C"), ("serious_listing", "D"), ("judgment_defaulter", "D")):
        tier[tier.index.isin(live.loc[live["kind"] == kind, "credit_code"])] = grade
    return pd.DataFrame({"credit_code": codes, "tier": tier.to_numpy()})


def test_one_turn_of_the_loop(province, tmp_path):
    result = run_loop(province.dataset, as_of="2025-12-01", seed=3, score=_score)
    assert (result.tasks["pushed_on"] >= result.start).all()
    approved = result.decisions.loc[result.decisions["decision"] == "approved"]
    assert len(approved) > 0 and (result.decisions["decision"] == "rejected").any()
    # tasks of repaired listings still open at the repair are lifted on the repair date
    lifted = result.tasks.loc[result.tasks["record_id"].isin(approved["record_id"]) & (result.tasks["status"] == "lifted")]
    assert len(lifted) > 0 and set(lifted["closed_on"]) == set(approved["applied_on"])
    assert 0 < result.execution_overall < 1
    effect = result.tier_effect
    assert effect["improved"].sum() > 0 and effect["worsened"].sum() == 0
    text = result.markdown()
    for heading in ("Environmental credit evaluation", "Execution rate of restrictions", "Credit repair",
                    "Effect of the approved repairs"):
        assert heading in text
    assert set(result.figures()) >= {"tasks", "execution_rate", "repairs_approved", "repaired_tier_improved"}
    paths = write_loop(result, tmp_path / "supervision")
    assert set(paths) == {"tasks", "repair_log", "repair_decisions", "feedback", "environment", "execution_rate"}
    pd.testing.assert_frame_equal(read_tasks(paths["tasks"]), result.tasks)
    # the evaluation's ratings are in the dataset the loop returns
    rated = result.dataset.records
    assert (rated["record_id"].str.startswith("ENV") & (rated["kind"] == "environmental_rating")).sum() == len(
        result.environment)


def test_since_leaves_older_listings_out(province):
    all_tasks = build_tasks(province.dataset, load_measures(), "2025-06-01")
    recent = build_tasks(province.dataset, load_measures(), "2025-06-01", since="2025-01-01")
    assert 0 < len(recent) < len(all_tasks)
    assert recent["pushed_on"].min() >= pd.Timestamp("2025-01-01")
    assert set(recent["task_id"]) <= set(all_tasks["task_id"])


def test_the_simulations_are_seeded(province):
    from credit_risk.measures.simulate import simulate_feedback
    from credit_risk.repair import load_repair_rules
    from credit_risk.repair.simulate import simulate_applications

    rules = load_repair_rules()
    a = simulate_applications(province.dataset, rules, applied_on="2025-06-01", seed=1)
    pd.testing.assert_frame_equal(a, simulate_applications(province.dataset, rules, applied_on="2025-06-01", seed=1))
    assert not a.equals(simulate_applications(province.dataset, rules, applied_on="2025-06-01", seed=2))
    tasks = build_tasks(province.dataset, load_measures(), "2025-06-01", since="2024-06-01")
    f = simulate_feedback(tasks, "2025-06-01", seed=1)
    pd.testing.assert_frame_equal(f, simulate_feedback(tasks, "2025-06-01", seed=1))
    assert (f["reported_on"] < pd.Timestamp("2025-06-01")).all()
