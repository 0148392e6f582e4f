"""Zhejiang public credit evaluation: five subject types, own indicators, 1000 points, one engine."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from credit_risk.data import CreditDataset
from credit_risk.data.credit_code import complete
from credit_risk.evaluations import evaluate_public_credit, load_public_credit_rules
from credit_risk.evaluations.ruleset import Population
from credit_risk.exceptions import ConfigError

TYPES = ["enterprise", "individual_business", "social_organisation", "public_institution", "government_body"]


@pytest.fixture
def dataset() -> CreditDataset:
    codes = [complete(f"91330106MA2H0002{i}") for i in range(6)]
    ent = pd.DataFrame({"credit_code": codes, "entity_type": [*TYPES, "enterprise"], "region": "330106",
                        "established_on": "2012-01-01"})
    rec = pd.DataFrame([
        {"record_id": "r1", "credit_code": codes[5], "kind": "penalty", "domain": "market", "start": "2023-03-01",
         "severity": "general"},
        {"record_id": "r2", "credit_code": codes[3], "kind": "judgment_defaulter", "domain": "court",
         "start": "2023-03-01"},
    ])
    return CreditDataset.from_frames(ent, rec)


def test_five_subject_types_each_with_its_own_indicators_on_1000_points():
    rules = load_public_credit_rules()
    assert set(rules.rule_sets) == {"enterprise", "natural_person", "social_organisation", "public_institution",
                                    "government_body"}
    assert {rs.max_points for rs in rules.rule_sets.values()} == {1000.0}
    assert {rs.grades for rs in rules.rule_sets.values()} == {("excellent", "good", "fair", "poor")}
    indicator_sets = {frozenset(i.name for i in rs.indicators) for rs in rules.rule_sets.values()}
    assert len(indicator_sets) == 5
    enterprise = rules.rule_sets["enterprise"]
    assert {g: enterprise.groups[g] for g in ("basic", "finance_tax", "governance")} == {
        "basic": 80, "finance_tax": 195, "governance": 90}


def test_every_subject_is_scored_by_its_type(dataset):
    res = evaluate_public_credit(dataset, "2024-01-01")
    codes = dataset.enterprises["credit_code"].tolist()
    assert res.loc[codes, "subject_type"].tolist() == ["enterprise", "natural_person", "social_organisation",
                                                       "public_institution", "government_body", "enterprise"]
    # an enterprise of 12 years with nothing against it: 80 + 100 (no tax D) + 45 (no tax A) + 90 + 435
    # + 170 (no honour) = 920; one general penalty: 200 → 130 points, 850 → good
    assert res.loc[codes[0], ["points", "level"]].tolist() == [920.0, "excellent"]
    assert res.loc[codes[5], ["points", "level"]].tolist() == [850.0, "good"]
    # a public institution listed as a judgment defaulter: good by points, poor by veto
    assert res.loc[codes[3], ["points", "level_by_points", "level", "veto"]].tolist() == [
        800.0, "good", "poor", "judgment_defaulter"]
    assert res.loc[[codes[1], codes[2], codes[4]], "level"].tolist() == ["excellent"] * 3


def test_overlapping_subject_types_are_refused(dataset):
    rules = load_public_credit_rules()
    np_rules = dataclasses.replace(rules.rule_sets["natural_person"],
                                   population=Population(entity_types=("enterprise", "individual_business")))
    clash = dataclasses.replace(rules, rule_sets={**rules.rule_sets, "natural_person": np_rules})
    with pytest.raises(ConfigError, match="falls under both 'enterprise' and 'natural_person'"):
        evaluate_public_credit(dataset, "2024-01-01", clash)
