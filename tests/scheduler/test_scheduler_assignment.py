from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_risk.exceptions import DataContractError, PlanError
from credit_risk.scheduler import plan_inspections

START, END = "2026-01-01", "2027-01-01"
COUNTIES = ("330102", "330106", "330203", "330205")


def _scenario(data_seed: int, n_subjects: int, per_pool: int, conflict_rate: float):
    """Feasible by construction: ≥ 3 allowed inspectors per county, each able to do every
    visit, and each subject in conflict with at most one inspector per department and pool."""
    rng = np.random.default_rng(data_seed)
    domains = np.array(["market", "food;market", "environment;market", "market;safety",
                        "environment;food;market;safety"], dtype=object)
    subjects = pd.DataFrame(
        {
            "credit_code": [f"P{i:05d}" for i in range(n_subjects)],
            "tier": rng.choice(list("CD"), n_subjects),
            "region": rng.choice(np.array(COUNTIES), n_subjects),
            "domains": rng.choice(domains, n_subjects),
        }
    )
    rows = []
    for dept in ("market_regulation", "ecology_environment", "emergency_management"):
        for pref in ("3301", "3302"):
            for i in range(per_pool):
                rows.append((f"{dept[:3]}{pref}-{i:02d}", dept, f"{pref}{'02' if i % 2 else '06'}",
                             int(rng.integers(n_subjects + 3, 2 * n_subjects + 6))))
    inspectors = pd.DataFrame(rows, columns=["inspector_id", "department", "home_region", "capacity"])
    pairs = []
    pools = inspectors.groupby([inspectors["department"], inspectors["home_region"].str.slice(0, 4)])
    for code, region in zip(subjects["credit_code"], subjects["region"], strict=True):
        for (_, pref), ids in pools["inspector_id"]:
            if pref == region[:4] and rng.random() < conflict_rate:
                pairs.append((rng.choice(ids.to_numpy()), code))
    conflicts = pd.DataFrame(pairs, columns=["inspector_id", "credit_code"])
    return subjects, inspectors, conflicts


def _pool(region: str, level: int) -> str:
    return region[:level]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data_seed=st.integers(0, 10_000),
    seed=st.integers(0, 2**32 - 1),
    n_subjects=st.integers(1, 60),
    per_pool=st.integers(6, 9),
    conflict_rate=st.sampled_from([0.0, 0.2, 0.6]),
    exclude_home=st.booleans(),
)
def test_assignment_respects_recusal_capacity_balance_and_team_size(
    policy, data_seed, seed, n_subjects, per_pool, conflict_rate, exclude_home
):
    pol = dataclasses.replace(
        policy, assignment=dataclasses.replace(policy.assignment, exclude_home_region=exclude_home)
    )
    subjects, inspectors, conflicts = _scenario(data_seed, n_subjects, per_pool, conflict_rate)
    plan = plan_inspections(subjects, inspectors, pol, period_start=START, period_end=END,
                            seed=seed, conflicts=conflicts)
    a = plan.assignments.merge(inspectors, on=["inspector_id"], how="left", suffixes=("", "_r"))
    visits = plan.visits.set_index("visit_id")
    # inspectors belong to the department they serve, and to the visit's pool
    assert (a["department"] == a["department_r"]).all()
    region = visits.loc[a["visit_id"], "region"].to_numpy()
    lvl = pol.assignment.pool_level
    assert (a["home_region"].str.slice(0, lvl).to_numpy() == np.array([r[:lvl] for r in region])).all()
    if exclude_home:
        assert (a["home_region"].to_numpy() != region).all()
    # recusal
    bad = a.merge(conflicts, on=["inspector_id", "credit_code"], how="inner")
    assert bad.empty
    # team size: min_inspectors distinct inspectors per (visit, department), for each department
    team = a.groupby(["visit_id", "department"])["inspector_id"].agg(["size", "nunique"])
    need = team.index.get_level_values("department").map(lambda d: pol.departments[d].min_inspectors)
    assert (team["size"].to_numpy() == need).all() and (team["nunique"].to_numpy() == need).all()
    expected_pairs = {(v, d) for v, ds in zip(plan.visits["visit_id"], plan.visits["departments"],
                                              strict=True) for d in ds.split(";")}
    assert set(team.index) == expected_pairs
    # capacity and balance (loads proportional to capacity within one visit)
    load = a.groupby("inspector_id").size().reindex(inspectors["inspector_id"], fill_value=0)
    cap = inspectors.set_index("inspector_id")["capacity"]
    assert (load <= cap).all()
    pool_key = inspectors["department"] + "|" + inspectors["home_region"].str.slice(0, lvl)
    for _, ids in inspectors.groupby(pool_key)["inspector_id"]:
        demand, total = load[ids].sum(), cap[ids].sum()
        if demand and not exclude_home and not len(conflicts) and cap[ids].max() / total <= 1 / 2:
            ideal = demand * cap[ids] / total
            assert ((load[ids] - ideal).abs() < 1 + 1e-9).all()


def test_joint_visits_never_lose_an_item_and_save_visits(policy, population, roster):
    plan = plan_inspections(population, roster, policy, period_start=START, period_end=END, seed=3)
    for domains, departments, items in plan.visits[["domains", "departments", "items"]].itertuples(
        index=False
    ):
        wanted = set(domains.split(";"))
        expected = {f"{d}:{dom}:{it}" for d, rule in policy.departments.items()
                    for dom, its in rule.items.items() if dom in wanted for it in its}
        assert set(items.split(";")) == expected
        assert set(departments.split(";")) == {e.split(":")[0] for e in expected}
    assert plan.stats["visits_saved_by_joint_visits"] > 0
    assert plan.stats["department_visits_if_separate"] == sum(
        len(d.split(";")) for d in plan.visits["departments"]
    )
    assert (plan.visits["n_items"] == plan.visits["items"].str.count(";") + 1).all()


def test_uncovered_domains_fall_back_to_default_items(policy, roster):
    subjects = pd.DataFrame({"credit_code": ["T1"], "tier": ["D"], "region": ["330102"],
                             "domains": ["tax"], "serious_listing": [True]})
    plan = plan_inspections(subjects, roster, policy, period_start=START, period_end=END, seed=0)
    assert plan.visits.loc[0, "departments"] == "market_regulation"
    assert plan.visits.loc[0, "items"].startswith("market_regulation:market:")


def test_capacity_shortfall_names_department_pool_and_shortfall(policy):
    subjects = pd.DataFrame({"credit_code": [f"C{i}" for i in range(10)], "tier": "D",
                             "region": "330102", "serious_listing": True})
    inspectors = pd.DataFrame({"inspector_id": ["I1", "I2", "I3"], "department": "market_regulation",
                               "home_region": "330102", "capacity": [5, 5, 5]})
    with pytest.raises(PlanError, match=r"department 'market_regulation', pool '3301': 10 visit\(s\) "
                                        r"× 2 inspectors = 20 inspector-visits but capacity is 15 "
                                        r"\(shortfall 5\)"):
        plan_inspections(subjects, inspectors, policy, period_start=START, period_end=END, seed=0)


def test_too_few_inspectors_in_a_pool(policy):
    subjects = pd.DataFrame({"credit_code": ["C1"], "tier": "D", "region": "330203",
                             "serious_listing": True})
    inspectors = pd.DataFrame({"inspector_id": ["I1", "I2", "I3"], "department": "market_regulation",
                               "home_region": ["330102", "330102", "330203"], "capacity": 9})
    with pytest.raises(PlanError, match=r"pool '3302': 1 visit\(s\) need 2 distinct inspectors each "
                                        r"but the roster has 1"):
        plan_inspections(subjects, inspectors, policy, period_start=START, period_end=END, seed=0)


def test_recusal_that_leaves_no_team_fails_instead_of_dropping(policy):
    subjects = pd.DataFrame({"credit_code": ["C1", "C2"], "tier": "D", "region": "330102",
                             "serious_listing": True})
    inspectors = pd.DataFrame({"inspector_id": ["I1", "I2", "I3"], "department": "market_regulation",
                               "home_region": "330102", "capacity": 9})
    conflicts = pd.DataFrame({"inspector_id": ["I1", "I2"], "credit_code": ["C1", "C1"]})
    with pytest.raises(PlanError, match=r"1 visit\(s\) have no team without a recusal"):
        plan_inspections(subjects, inspectors, policy, period_start=START, period_end=END, seed=0,
                         conflicts=conflicts)


def test_recusal_is_solved_by_swaps_when_possible(policy):
    subjects = pd.DataFrame({"credit_code": ["C1", "C2"], "tier": "D", "region": "330102",
                             "serious_listing": True})
    inspectors = pd.DataFrame({"inspector_id": ["I1", "I2", "I3", "I4"],
                               "department": "market_regulation", "home_region": "330102",
                               "capacity": 1})
    conflicts = pd.DataFrame({"inspector_id": ["I1", "I2"], "credit_code": ["C1", "C1"]})
    for seed in range(20):
        plan = plan_inspections(subjects, inspectors, policy, period_start=START, period_end=END,
                                seed=seed, conflicts=conflicts)
        team = plan.visits.set_index("credit_code")["inspector_ids"]
        assert set(team["C1"].split(";")) == {"I3", "I4"}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda r: r.drop(columns=["capacity"]), r"inspectors table lacks column\(s\) \['capacity'\]"),
        (lambda r: pd.concat([r, r.iloc[:1]]), r"1 duplicate inspector_id\(s\)"),
        (lambda r: r.assign(capacity=-1), r"column 'capacity': -1 is not a non-negative whole number"),
    ],
)
def test_bad_rosters_are_rejected(policy, roster, population, change, match):
    with pytest.raises(DataContractError, match=match):
        plan_inspections(population.head(50), change(roster), policy, period_start=START,
                         period_end=END, seed=0)


def test_bad_seed_is_rejected(policy, roster, population):
    with pytest.raises(PlanError, match=r"seed must be a non-negative integer"):
        plan_inspections(population.head(5), roster, policy, period_start=START, period_end=END,
                         seed=-1)


def test_qualifications_are_respected(policy):
    subjects = pd.DataFrame({"credit_code": [f"Q{i}" for i in range(12)], "tier": "D",
                             "region": "330102", "serious_listing": True,
                             "domains": ["food;market"] * 6 + ["market"] * 6})
    inspectors = pd.DataFrame({
        "inspector_id": [f"I{i}" for i in range(8)], "department": "market_regulation",
        "home_region": "330102", "capacity": 12,
        "qualifications": ["food;market", "*", "market;food", "*", "market", "market", None, "market"],
    })
    for seed in range(5):
        plan = plan_inspections(subjects, inspectors, policy, period_start=START, period_end=END,
                                seed=seed)
        a = plan.assignments.merge(plan.visits[["visit_id", "domains"]], on="visit_id")
        food = a[a["domains"].str.contains("food")]
        assert food["inspector_id"].isin(["I0", "I1", "I2", "I3"]).all()
        assert not a["inspector_id"].eq("I6").any()  # qualified for nothing
    inspectors["qualifications"] = "market"
    with pytest.raises(PlanError, match=r"qualification"):
        plan_inspections(subjects, inspectors, policy, period_start=START, period_end=END, seed=0)
