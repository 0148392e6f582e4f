from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_risk.exceptions import DataContractError
from credit_risk.scheduler import (
    draw_subjects,
    inclusion_frame,
    normalise_domains,
    plan_inspections,
)

START, END = "2026-01-01", "2027-01-01"


def mixed_subjects(n: int = 160) -> pd.DataFrame:
    """Every kind of selection: random by tier, mandatory, quiet A, capped, new subjects."""
    i = np.arange(n)
    df = pd.DataFrame(
        {
            "credit_code": [f"M{k:05d}" for k in i],
            "tier": np.array(list("ABCD"))[i % 4],
            "region": np.where(i % 3 == 0, "330102", "330203"),
            "domains": np.where(i % 5 == 0, "market;food", "market"),
            "established_on": pd.Timestamp("2015-05-01"),
            "last_inspected_on": pd.NaT,
            "last_outcome": None,
            "visits_this_year": 0,
            "serious_listing": False,
            "mandatory_reason": None,
        }
    )
    df.loc[[3, 4], "serious_listing"] = True  # D and A tier
    df.loc[9, "mandatory_reason"] = "verified complaint 2025-118"
    a_rows = df.index[df["tier"] == "A"][2:8]
    df.loc[a_rows, "last_inspected_on"] = pd.Timestamp("2025-09-01")
    df.loc[a_rows, "last_outcome"] = "pass"
    df.loc[[1, 5, 13], "visits_this_year"] = 1  # B tier, cap 1 per year
    df.loc[[7, 11], "established_on"] = pd.Timestamp("2025-10-01")  # D tier, new -> B rate
    return df


def test_frame_records_reasons_and_probabilities(policy):
    frame = inclusion_frame(mixed_subjects(), policy, period_start=START, period_end=END).set_index(
        "credit_code"
    )
    assert frame.loc["M00003", "reason"] == "mandatory:serious_listing"
    assert frame.loc["M00004", "inclusion_probability"] == 1.0  # A tier, but listed: no cap
    assert frame.loc["M00009", "reason"] == "mandatory:verified complaint 2025-118"
    quiet = frame[frame["reason"] == "excluded:quiet"]
    assert len(quiet) == 6 and (quiet["inclusion_probability"] == 0).all()
    assert (frame.loc[["M00001", "M00005", "M00013"], "reason"] == "excluded:cap").all()
    # New subjects are drawn at *at least* B's rate; these two are rated D and keep D's.
    assert (frame.loc[["M00007", "M00011"], "stratum_tier"] == "D").all()
    assert frame.loc["M00007", "inclusion_probability"] == policy.probability_of("D")
    eligible = frame[frame["inclusion_probability"] > 0]
    assert (eligible["inclusion_probability"] >= policy.min_probability).all()
    random = frame[frame["reason"] == "random"]
    expected = random["stratum_tier"].astype(str).map(policy.probability_of)
    np.testing.assert_allclose(random["inclusion_probability"], expected)


def test_quiet_floor_action_keeps_the_minimum_probability(policy):
    floor = dataclasses.replace(policy, quiet=dataclasses.replace(policy.quiet, action="floor"))
    frame = inclusion_frame(mixed_subjects(), floor, period_start=START, period_end=END)
    quiet = frame[frame["selection"] == "floor"]
    assert len(quiet) == 6
    assert (quiet["inclusion_probability"] == policy.min_probability).all()


def test_inclusion_probability_equals_empirical_frequency(policy):
    frame = inclusion_frame(mixed_subjects(), policy, period_start=START, period_end=END)
    p = frame["inclusion_probability"].to_numpy()
    reps = 4000
    hits = np.zeros(len(frame))
    for ss in np.random.SeedSequence(123).spawn(reps):
        hits += draw_subjects(frame, np.random.Generator(np.random.PCG64(ss)))
    freq = hits / reps
    tol = 5 * np.sqrt(p * (1 - p) / reps) + 1e-12
    assert (np.abs(freq - p) <= tol).all(), np.abs(freq - p).max()


def test_plan_inclusion_frequency_over_seeds(policy, roster):
    subjects = mixed_subjects(80)
    seeds = 150
    hits = pd.Series(0.0, index=subjects["credit_code"])
    for seed in range(seeds):
        plan = plan_inspections(subjects, roster, policy, period_start=START, period_end=END, seed=seed)
        hits[plan.visits["credit_code"].to_numpy()] += 1
    p = plan.frame.set_index("credit_code")["inclusion_probability"].reindex(hits.index)
    tol = 5 * np.sqrt(p * (1 - p) / seeds) + 1e-12
    assert ((hits / seeds - p).abs() <= tol).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 400),
    n_regions=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    data_seed=st.integers(0, 1000),
)
def test_tier_ratios_hold_in_every_stratum(policy, n, n_regions, seed, data_seed):
    rng = np.random.default_rng(data_seed)
    subjects = pd.DataFrame(
        {
            "credit_code": [f"H{i:05d}" for i in range(n)],
            "tier": rng.choice(list("ABCD"), n),
            "region": rng.choice([f"3301{k:02d}" for k in range(1, n_regions + 1)], n),
            "judgment_defaulter": rng.random(n) < 0.02,
        }
    )
    frame = inclusion_frame(subjects, policy, period_start=START, period_end=END)
    drawn = draw_subjects(frame, np.random.default_rng(seed))
    frame["drawn"] = drawn
    assert frame.loc[frame["selection"] == "mandatory", "drawn"].all()
    random = frame[frame["selection"] == "random"]
    for _, g in random.groupby("stratum", observed=True):
        target = len(g) * g["inclusion_probability"].iloc[0]
        assert np.floor(target + 1e-9) <= g["drawn"].sum() <= np.ceil(target - 1e-9)
        tier = g["stratum_tier"].iloc[0]
        lo, hi = policy.tiers[tier].share_range
        share = g["drawn"].mean()
        assert lo - 1 / len(g) <= share <= hi + 1 / len(g)


def test_plan_does_not_depend_on_row_order(policy, population, roster):
    a = plan_inspections(population, roster, policy, period_start=START, period_end=END, seed=5)
    shuffled = population.sample(frac=1.0, random_state=1)
    b = plan_inspections(shuffled, roster.iloc[::-1], policy, period_start=START, period_end=END, seed=5)
    pd.testing.assert_frame_equal(a.visits, b.visits)
    assert a.fingerprints == b.fingerprints


def test_normalise_domains_accepts_strings_and_lists():
    got = normalise_domains(pd.Series(["food ;market", "market;food", None, ["safety", "market"]]),
                            ("market",))
    assert got.astype(str).tolist() == ["food;market", "food;market", "market", "market;safety"]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.drop(columns=["tier"]), r"subjects table lacks column\(s\) \['tier'\]"),
        (lambda d: pd.concat([d, d.iloc[:1]]), r"1 duplicate credit_code\(s\), e.g. 'M00000'"),
        (lambda d: d.assign(tier="E"), r"subjects.tier has value\(s\) \['E'\] the policy does not declare"),
        (lambda d: d.assign(region="3301"), r"'3301' is not a 6-digit GB/T 2260 code"),
    ],
)
def test_bad_subjects_are_rejected(policy, change, match):
    with pytest.raises(DataContractError, match=match):
        inclusion_frame(change(mixed_subjects(16)), policy, period_start=START, period_end=END)


def test_bad_period_is_rejected(policy):
    with pytest.raises(DataContractError, match=r"period_end 2025-01-01 must be after period_start"):
        inclusion_frame(mixed_subjects(16), policy, period_start=START, period_end="2025-01-01")
    with pytest.raises(DataContractError, match=r"period_start must be a date"):
        inclusion_frame(mixed_subjects(16), policy, period_start=20260101, period_end=END)


def test_food_coverage_cycle_makes_overdue_food_businesses_mandatory(policy):
    rule = dataclasses.replace(policy.mandatory, coverage_days={"food": 730})
    pol = dataclasses.replace(policy, mandatory=rule)
    subjects = mixed_subjects()
    food = subjects["domains"].str.contains("food")
    subjects.loc[food, "last_inspected_on"] = pd.Timestamp("2024-06-01")  # ≤ 730 days before end
    recent = subjects.index[food][:5]
    subjects.loc[recent, "last_inspected_on"] = pd.Timestamp("2025-06-01")
    frame = inclusion_frame(subjects, pol, period_start=START, period_end=END)
    frame = frame.set_index("credit_code")
    codes = subjects["credit_code"]
    overdue = frame.loc[codes[food & ~subjects.index.isin(recent)]]
    flagged = overdue["reason"].astype(str)
    # listed subjects keep their own label; every other overdue food business is covered
    assert ((flagged == "mandatory:coverage:food") | flagged.str.startswith("mandatory:")).all()
    assert (overdue["inclusion_probability"] == 1).all()
    assert (frame.loc[codes[recent], "reason"] != "mandatory:coverage:food").all()
    assert (frame.loc[codes[~food], "reason"] != "mandatory:coverage:food").all()
    with pytest.raises(DataContractError, match=r"needs the subjects column 'last_inspected_on'"):
        inclusion_frame(subjects.drop(columns=["last_inspected_on"]), pol, period_start=START,
                        period_end=END)
