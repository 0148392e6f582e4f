"""subjects_from_dataset follows the same point-in-time rules as the features and the scorer."""

from __future__ import annotations

import pandas as pd

from credit_risk.data import CreditDataset
from credit_risk.scheduler import subjects_from_dataset
from credit_risk.scoring import active_cutoffs

AS_OF = pd.Timestamp("2026-01-01")


def _dataset(records: list[dict]) -> CreditDataset:
    ent = pd.DataFrame({
        "credit_code": ["S1", "S2", "S3"], "name": ["a", "b", "c"], "entity_type": "enterprise",
        "industry": "C13", "region": "330106", "registered_capital": 1.0,
        "established_on": ["2015-01-01", "2015-01-01", "2026-01-01"],
    })
    rec = pd.DataFrame(records)
    return CreditDataset.from_frames(ent, rec, id_scheme="any")


def _subjects(ds: CreditDataset) -> pd.DataFrame:
    tiers = pd.DataFrame({"credit_code": ["S1", "S2", "S3"], "tier": ["B", "B", "B"]})
    return subjects_from_dataset(ds, tiers, as_of=AS_OF).set_index("credit_code")


def test_expired_serious_listing_is_not_mandatory():
    # Listed 2020 with no removal date: the 3-year publication period ended in 2023.
    ds = _dataset([
        {"record_id": "r1", "credit_code": "S1", "kind": "serious_listing", "domain": "market", "start": "2020-01-01"},
        {"record_id": "r2", "credit_code": "S2", "kind": "serious_listing", "domain": "market", "start": "2024-06-01"},
    ])
    subjects = _subjects(ds)
    assert not subjects.loc["S1", "serious_listing"]
    assert subjects.loc["S2", "serious_listing"]


def test_last_outcome_of_a_joint_visit_does_not_depend_on_row_order():
    rows = [
        {"record_id": "a", "credit_code": "S1", "kind": "inspection", "domain": "food", "start": "2025-05-01", "outcome": "problem"},
        {"record_id": "b", "credit_code": "S1", "kind": "inspection", "domain": "market", "start": "2025-05-01", "outcome": "pass"},
    ]
    for order in (rows, rows[::-1]):
        assert _subjects(_dataset(order)).loc["S1", "last_outcome"] == "problem"


def test_operating_subjects_match_the_scorer():
    ds = _dataset([{"record_id": "r1", "credit_code": "S1", "kind": "penalty", "domain": "market", "start": "2024-01-01"}])
    # S3 was established on the plan's start date: neither scored nor planned.
    assert sorted(_subjects(ds).index) == sorted(active_cutoffs(ds, AS_OF)["credit_code"]) == ["S1", "S2"]


def test_new_subject_keeps_a_riskier_tier_and_flags_are_strict():
    import pytest

    from credit_risk.exceptions import DataContractError
    from credit_risk.scheduler import inclusion_frame, load_policy

    subjects = pd.DataFrame({
        "credit_code": ["NEW_D", "OLD_D", "NEW_A"], "tier": ["D", "D", "A"], "region": "330106",
        "established_on": pd.to_datetime(["2025-10-01", "2010-01-01", "2025-10-01"]),
        "serious_listing": ["false", "0", "no"],
    })
    frame = inclusion_frame(subjects, load_policy(), period_start="2026-01-01", period_end="2027-01-01")
    p = frame.set_index("credit_code")["inclusion_probability"]
    assert p["NEW_D"] == p["OLD_D"] == 1.0  # D shares 100 %: the observation rule never lowers it
    assert p["NEW_A"] == pytest.approx(load_policy().tiers["B"].share)  # A raised to B's rate
    with pytest.raises(DataContractError, match=r"column 'serious_listing': 'maybe' is not a boolean flag"):
        inclusion_frame(subjects.assign(serious_listing=["maybe", "0", "1"]), load_policy(),
                        period_start="2026-01-01", period_end="2027-01-01")


def test_recusal_rows_naming_unknown_inspectors_are_refused():
    import pytest

    from credit_risk.exceptions import DataContractError
    from credit_risk.scheduler import load_policy, plan_inspections

    subjects = pd.DataFrame({"credit_code": ["S1", "S2"], "tier": "D", "region": "330102"})
    inspectors = pd.DataFrame({"inspector_id": ["I1", "I2", "I3"], "department": "market_regulation",
                               "home_region": "330102", "capacity": 5})
    conflicts = pd.DataFrame({"inspector_id": ["I1", "I9"], "credit_code": ["S1", "S2"]})
    with pytest.raises(DataContractError, match=r"conflicts row 2, column 'inspector_id': 'I9' is not on the roster"):
        plan_inspections(subjects, inspectors, load_policy(), period_start="2026-01-01",
                         period_end="2027-01-01", seed=0, conflicts=conflicts)
    with pytest.raises(DataContractError, match=r"inspectors row 2, column 'department': value is missing"):
        plan_inspections(subjects, inspectors.assign(department=["market_regulation", None, "market_regulation"]),
                         load_policy(), period_start="2026-01-01", period_end="2027-01-01", seed=0)
