"""Free-form regions (``region_scheme: any``, e.g. US postal codes) in the draw and the assignment."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from credit_risk.exceptions import DataContractError
from credit_risk.scheduler import inclusion_frame, plan_inspections
from credit_risk.scheduler.sampling import region_keys

START, END = "2026-01-01", "2027-01-01"
ZIPS = ("94110", "94103", "94102", "Treasure Island")  # a district name among the postal codes


@pytest.fixture(scope="module")
def any_policy(policy):
    return dataclasses.replace(policy, region_scheme="any")


def _zip_world(n: int, seed: int, *, exclude_home: bool = False):
    rng = np.random.default_rng(seed)
    subjects = pd.DataFrame({
        "credit_code": [f"B{i:05d}" for i in range(n)],
        "tier": rng.choice(list("ABCD"), n, p=[0.4, 0.3, 0.2, 0.1]),
        "region": rng.choice(np.array(ZIPS, dtype=object), n),
        "domains": "market",
    })
    rows = []
    for z in ZIPS:
        for i in range(4):
            rows.append((f"I-{z[:3]}-{z[-2:]}-{i}", "market_regulation", z, n))
    inspectors = pd.DataFrame(rows, columns=["inspector_id", "department", "home_region", "capacity"])
    return subjects, inspectors


def test_region_keys_cut_gb2260_prefixes_and_keep_free_form_values_whole(policy, any_policy):
    assert region_keys(["330106", "330203"], policy, 4).tolist() == ["3301", "3302"]
    assert region_keys(["94110", "941"], any_policy, 4).tolist() == ["94110", "941"]
    assert region_keys(["94110", "330106"], any_policy, 0).tolist() == ["", ""]


def test_postal_codes_are_refused_under_gb2260_with_the_fix(policy):
    subjects, _ = _zip_world(20, 0)
    with pytest.raises(DataContractError, match=r"'(94110|94103|94102|Treasure Island)' is not a 6-digit GB/T 2260 "
                       r"code; fix the region, or set region_scheme: any"):
        inclusion_frame(subjects, policy, period_start=START, period_end=END)


def test_free_form_strata_use_the_full_region_value(any_policy):
    subjects, _ = _zip_world(400, 1)
    frame = inclusion_frame(subjects, any_policy, period_start=START, period_end=END)
    region_of_stratum = frame["stratum"].astype(str).str.split("|").str[1]
    # every stratum label carries the subject's full region, never a cut prefix
    assert (region_of_stratum.to_numpy() == frame["region"].astype(str).to_numpy()).all()
    assert set(region_of_stratum) == set(ZIPS)


@pytest.mark.parametrize("exclude_home", [False, True])
def test_free_form_plan_pools_inspectors_by_equal_home_region(any_policy, exclude_home):
    pol = dataclasses.replace(
        any_policy, assignment=dataclasses.replace(any_policy.assignment, pool_level=6,
                                                   exclude_home_region=exclude_home))
    subjects, inspectors = _zip_world(300, 2)
    if exclude_home:
        # recusal by equal home region needs a pool wider than one region: one pool for all
        pol = dataclasses.replace(pol, assignment=dataclasses.replace(pol.assignment, pool_level=0))
    plan = plan_inspections(subjects, inspectors, pol, period_start=START, period_end=END, seed=3)
    assert len(plan.visits) > 0
    a = plan.assignments.merge(inspectors[["inspector_id", "home_region"]], on="inspector_id")
    region = plan.visits.set_index("visit_id").loc[a["visit_id"], "region"].to_numpy()
    if exclude_home:
        assert (a["home_region"].to_numpy() != region).all()
        assert a["home_region"].nunique() > 1
    else:
        assert (a["home_region"].to_numpy() == region).all()


def test_free_form_pool_without_inspectors_is_named(any_policy):
    pol = dataclasses.replace(any_policy, assignment=dataclasses.replace(any_policy.assignment, pool_level=6))
    subjects, inspectors = _zip_world(200, 4)
    inspectors = inspectors[inspectors["home_region"] != "Treasure Island"]
    with pytest.raises(Exception, match=r"pool 'Treasure Island'.*add inspectors"):
        plan_inspections(subjects, inspectors, pol, period_start=START, period_end=END, seed=1)


@pytest.mark.parametrize("missing", [None, np.nan, "", "  "])
@pytest.mark.parametrize("scheme", ["gb2260", "any"])
def test_a_missing_region_is_a_clear_error(policy, missing, scheme):
    pol = dataclasses.replace(policy, region_scheme=scheme)
    subjects, _ = _zip_world(10, 5)
    subjects["region"] = "330106" if scheme == "gb2260" else subjects["region"]
    subjects = subjects.astype({"region": object})
    subjects.loc[7, "region"] = missing
    with pytest.raises(DataContractError, match=r"subjects row 8 \(credit_code 'B00007'\), column 'region': value is "
                       r"missing \(1 subjects without a region\)"):
        inclusion_frame(subjects, pol, period_start=START, period_end=END)


def test_free_form_summary_counts_full_regions(any_policy):
    pol = dataclasses.replace(any_policy, assignment=dataclasses.replace(any_policy.assignment, pool_level=6))
    subjects, inspectors = _zip_world(300, 6)
    plan = plan_inspections(subjects, inspectors, pol, period_start=START, period_end=END, seed=2)
    summary = plan.summary()
    assert set(summary.loc[summary["dimension"] == "region", "key"]) == set(ZIPS)


def test_a_lives_dataset_without_establishment_dates_gets_a_free_form_plan(any_policy):
    from credit_risk.data import CreditDataset
    from credit_risk.data.catalog import load_catalog
    from credit_risk.data.dataset import DatasetManifest
    from credit_risk.scheduler import subjects_from_dataset
    from credit_risk.scoring import active_cutoffs

    ent = pd.DataFrame({"credit_code": ["10", "11", "12"], "region": ["94110", "94103", "94110"],
                        "closed_on": [None, None, "2016-01-01"]})
    rec = pd.DataFrame({"record_id": ["r1"], "credit_code": ["10"], "kind": ["inspection"], "domain": ["food"],
                        "start": ["2016-05-01"], "outcome": ["pass"]})
    ds = CreditDataset.from_frames(ent, rec, catalog=load_catalog(), manifest=DatasetManifest(
        id_scheme="any", region_scheme="any", industry_scheme="any"))
    tiers = pd.DataFrame({"credit_code": ["10", "11", "12"], "tier": ["D", "D", "D"]})
    subjects = subjects_from_dataset(ds, tiers, as_of=START)
    # no establishment date is not "not yet established": 10 and 11 operate, 12 closed before the plan
    assert sorted(subjects["credit_code"]) == sorted(active_cutoffs(ds, pd.Timestamp(START))["credit_code"]) == ["10", "11"]
    inspectors = pd.DataFrame({"inspector_id": ["a", "b", "c", "d"], "department": "market_regulation",
                               "home_region": ["94110", "94110", "94103", "94103"], "capacity": 5})
    pol = dataclasses.replace(any_policy, assignment=dataclasses.replace(any_policy.assignment, pool_level=6))
    plan = plan_inspections(subjects, inspectors, pol, period_start=START, period_end=END, seed=0)
    assert sorted(plan.visits["region"]) == ["94103", "94110"]
