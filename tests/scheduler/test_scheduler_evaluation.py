"""Evaluation: the EPA result on the synthetic province, and unbiased HT estimates.

Tiers here come from the truth's latent risk plus noise (the real tier model is not used
yet): ``score = logit(latent_risk) + N(0, 0.3)`` cut at 50/30/15/5 %.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_risk.exceptions import DataContractError
from credit_risk.scheduler import (
    compare_yield,
    draw_subjects,
    horvitz_thompson,
    inclusion_frame,
    period_truth,
    plan_inspections,
    simulate_outcomes,
    subjects_from_dataset,
)

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
START, END = "2025-01-01", "2026-01-01"


def _noisy_tiers(latent: np.ndarray, noise: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    score = np.log(latent / (1 - latent)) + rng.normal(0, noise, len(latent))
    cuts = np.quantile(score, [0.50, 0.80, 0.95])
    return np.array(list("ABCD"))[np.searchsorted(cuts, score)]


@pytest.fixture(scope="module")
def province():
    """The committed synthetic province (5,000 subjects, seed 0), subjects active in 2025."""
    if not (SAMPLE / "truth" / "latent.parquet").exists():
        pytest.skip("data/sample with truth/ is not present")
    enterprises = pd.read_parquet(SAMPLE / "enterprises.parquet")
    static = pd.read_parquet(SAMPLE / "truth" / "subjects.parquet")
    truth = period_truth(pd.read_parquet(SAMPLE / "truth" / "latent.parquet"), START, END)
    subjects = truth.merge(enterprises, on="credit_code").merge(static, on="credit_code")
    domains = np.where(subjects["food_business"], "food;market", "market")
    subjects["domains"] = np.where(subjects["polluter"], domains + ";environment", domains)
    subjects["region"] = subjects["region"].astype(str)
    subjects["tier"] = _noisy_tiers(subjects["latent_risk"].to_numpy(), 0.3, seed=1)
    return subjects, truth


def test_synthetic_province_plan_finds_twice_the_violations_and_ht_covers(
    province, policy, roster_factory
):
    subjects, truth = province
    observable = subjects.drop(columns=["violating", "violating_share", "latent_risk", "static_risk"])
    roster = roster_factory(subjects, policy, per_pool=10)
    plan = plan_inspections(observable, roster, policy, period_start=START, period_end=END, seed=2025)
    assert plan.frame["inclusion_probability"].min() >= policy.min_probability
    yc = compare_yield(plan, truth, column="violating_share", n_simulations=200, seed=1)
    assert yc.ratio >= 2.0, yc
    assert yc.simulated_ratio >= 2.0, yc
    true_rate = truth["violating_share"].mean()
    outcomes = simulate_outcomes(plan, truth, column="violating_share", seed=3)
    ht = horvitz_thompson(plan, outcomes)
    assert ht.covers(true_rate), (ht, true_rate)
    # the naive rate among visited subjects is biased upwards by the targeting
    assert outcomes["problem"].mean() > ht.ci_high


def test_ht_interval_covers_the_truth_in_about_95_percent_of_seeds(province, policy):
    subjects, truth = province
    frame = inclusion_frame(subjects, policy, period_start=START, period_end=END)
    share = truth.set_index("credit_code")["violating_share"].reindex(frame["credit_code"]).to_numpy()
    true_rate = share.mean()
    reps, covered, estimates = 300, 0, []
    for ss in np.random.SeedSequence(77).spawn(reps):
        rng = np.random.Generator(np.random.PCG64(ss))
        drawn = draw_subjects(frame, rng)
        outcomes = pd.DataFrame({"credit_code": frame["credit_code"],
                                 "problem": rng.random(len(frame)) < share})
        ht = horvitz_thompson(frame.assign(drawn=drawn), outcomes)
        covered += ht.covers(true_rate)
        estimates.append(ht.rate)
    assert 0.90 <= covered / reps <= 0.99, covered / reps
    assert abs(np.mean(estimates) - true_rate) < 4 * np.std(estimates) / np.sqrt(reps)


def test_toy_province_yield_and_ht_with_exclusions(policy, population_factory, roster_factory):
    subjects = population_factory(20_000, seed=5, noise=0.3)
    # some A subjects had a clean visit last year: excluded (p = 0) and not covered by HT
    quiet = subjects.index[subjects["tier"] == "A"][:500]
    subjects.loc[quiet, "last_inspected_on"] = pd.Timestamp("2024-10-01")
    subjects.loc[quiet, "last_outcome"] = "pass"
    truth = subjects[["credit_code", "violating"]]
    roster = roster_factory(subjects, policy)
    observable = subjects.drop(columns=["violating", "latent_risk"])
    plan = plan_inspections(observable, roster, policy, period_start=START, period_end=END, seed=9)
    yc = compare_yield(plan, truth)
    assert yc.ratio >= 2.0
    ht = horvitz_thompson(plan, simulate_outcomes(plan, truth))
    assert ht.excluded == 500 and ht.population == 19_500
    eligible = plan.frame["inclusion_probability"].to_numpy() > 0
    true_rate = truth.set_index("credit_code")["violating"].reindex(
        plan.frame["credit_code"][eligible]).mean()
    assert ht.covers(true_rate), (ht, true_rate)


def test_period_truth_collapses_months():
    latent = pd.DataFrame(
        {
            "credit_code": ["a", "a", "a", "b", "b"],
            "month": pd.to_datetime(["2024-12-01", "2025-01-01", "2025-02-01", "2025-01-01", "2026-01-01"]),
            "latent_risk": [0.9, 0.2, 0.4, 0.1, 0.9],
            "violating": [True, False, True, False, True],
        }
    )
    out = period_truth(latent, START, END).set_index("credit_code")
    assert out.loc["a", "violating_share"] == 0.5 and out.loc["a", "violating"]
    assert out.loc["a", "latent_risk"] == pytest.approx(0.3)
    assert out.loc["b", "violating_share"] == 0.0 and not out.loc["b", "violating"]
    with pytest.raises(DataContractError, match=r"truth table has no month in \[2030-01-01"):
        period_truth(latent, "2030-01-01", "2031-01-01")


def test_missing_truth_or_outcomes_are_named(policy, population, roster):
    plan = plan_inspections(population, roster, policy, period_start=START, period_end=END, seed=1)
    with pytest.raises(DataContractError, match=r"truth table has no row for 1 subject\(s\)"):
        compare_yield(plan, population.iloc[1:])
    with pytest.raises(DataContractError, match=r"outcomes table needs columns \['credit_code', 'problem'\]"):
        horvitz_thompson(plan, population[["credit_code"]])
    with pytest.raises(DataContractError, match=r"confidence must be in \(0, 1\)"):
        horvitz_thompson(plan, simulate_outcomes(plan, population), confidence=95)


def test_plan_from_the_sample_dataset_end_to_end(policy, roster_factory):
    """Subjects read from the dataset (domains, listings, last inspections), tiers from truth."""
    if not (SAMPLE / "truth" / "latent.parquet").exists():
        pytest.skip("data/sample with truth/ is not present")
    from credit_risk.data import load_dataset

    dataset = load_dataset(SAMPLE)
    truth = period_truth(pd.read_parquet(SAMPLE / "truth" / "latent.parquet"), START, END)
    codes = dataset.enterprises["credit_code"].astype(str)
    latent = truth.set_index("credit_code")["latent_risk"].reindex(codes).fillna(0.05).to_numpy()
    tiers = pd.DataFrame({"credit_code": codes, "tier": _noisy_tiers(latent, 0.3, seed=2)})
    subjects = subjects_from_dataset(dataset, tiers, as_of=START)
    assert subjects["serious_listing"].any() and subjects["last_inspected_on"].notna().any()
    assert set(subjects["domains"]) <= {"market", "food;market", "environment;market",
                                        "environment;food;market"}
    plan = plan_inspections(subjects, roster_factory(subjects, policy, per_pool=10), policy,
                            period_start=START, period_end=END, seed=11)
    listed = plan.frame["reason"].astype(str).str.startswith("mandatory:")
    assert listed.sum() >= subjects["serious_listing"].sum()
    assert (plan.frame.loc[listed, "drawn"]).all()
    assert (plan.frame["selection"] == "excluded:quiet").any()
    truth_here = truth.set_index("credit_code").reindex(plan.frame["credit_code"]).fillna(
        {"violating_share": 0.0}).reset_index()
    yc = compare_yield(plan, truth_here, column="violating_share")
    assert yc.ratio >= 2.0, yc


@pytest.mark.parametrize("variance_strata", ["design", "collapsed"])
def test_ht_with_fixed_outcomes_and_finite_population_correction(
    policy, population_factory, variance_strata
):
    subjects = population_factory(12_000, seed=8, noise=0.3)
    frame = inclusion_frame(subjects, policy, period_start=START, period_end=END)
    y = subjects.set_index("credit_code")["violating"].reindex(frame["credit_code"]).to_numpy()
    outcomes = pd.DataFrame({"credit_code": frame["credit_code"], "problem": y})
    reps, covered = 150, 0
    for ss in np.random.SeedSequence(3).spawn(reps):
        drawn = draw_subjects(frame, np.random.Generator(np.random.PCG64(ss)))
        ht = horvitz_thompson(frame.assign(drawn=drawn), outcomes, finite_population=True,
                              variance_strata=variance_strata)
        covered += ht.covers(y.mean())
    assert 0.90 <= covered / reps <= 0.99, covered / reps
