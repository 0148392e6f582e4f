"""Credit repair: decisions naming every unmet rule, the log, and one record through four consumers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_risk.exceptions import ConfigError, DataContractError
from credit_risk.features import build_features
from credit_risk.measures import load_measures, update_tasks
from credit_risk.models.tiers import RiskTiers, load_tier_config
from credit_risk.repair import (
    append_to_log,
    apply_repairs,
    decide_repairs,
    load_repair_rules,
    read_repair_log,
    write_repair_log,
)
from credit_risk.scheduler import subjects_from_dataset

ALL_EVIDENCE = {"penalty_paid": True, "corrected": True, "commitment_signed": True}


def _apps(*rows) -> pd.DataFrame:
    return pd.DataFrame([{"application_id": f"a{i + 1}", **r} for i, r in enumerate(rows)])


def test_packaged_rules_follow_order_36_periods():
    rules = load_repair_rules()
    env = rules.kinds["environmental_violation"]
    assert env.min_days == {"minor": 0, "general": 90, "serious": 365}
    assert "penalty_paid" in env.evidence and "Order 36" in env.legal_basis
    assert "Order 45" in rules.kinds["penalty"].legal_basis


def test_a_repair_before_the_minimum_period_is_rejected_naming_the_rule(make_dataset, codes):
    ds = make_dataset([{"credit_code": codes[0], "kind": "environmental_violation", "domain": "environment",
                        "start": "2024-01-01", "severity": "serious"}])
    early = _apps({"credit_code": codes[0], "record_id": "r1", "applied_on": "2024-06-01", **ALL_EVIDENCE})
    out = decide_repairs(ds, early, load_repair_rules())
    assert out["decision"].tolist() == ["rejected"]
    assert out["unmet"].iloc[0] == ("minimum period: a serious environmental_violation may be repaired 365 days "
                                    "after its start 2024-01-01 (from 2024-12-31), 152 days elapsed")
    on_time = _apps({"credit_code": codes[0], "record_id": "r1", "applied_on": "2024-12-31", **ALL_EVIDENCE})
    assert decide_repairs(ds, on_time, load_repair_rules())["decision"].tolist() == ["approved"]


def test_every_unmet_rule_is_named(make_dataset, codes):
    ds = make_dataset([
        {"credit_code": codes[0], "kind": "penalty", "start": "2023-01-01", "severity": "general"},
        {"credit_code": codes[0], "kind": "penalty", "start": "2024-02-01", "severity": "minor"},
    ])
    app = _apps({"credit_code": codes[0], "record_id": "r1", "applied_on": "2024-03-01",
                 "penalty_paid": "true", "corrected": "false"})
    unmet = decide_repairs(ds, app, load_repair_rules())["unmet"].iloc[0].split("; ")
    assert unmet == ["obligation not shown: corrected", "obligation not shown: commitment_signed",
                     "no repeat within 365 days: record r2 of 2024-02-01"]


def test_not_repairable_kinds_severities_and_ended_records(make_dataset, codes):
    ds = make_dataset([
        {"credit_code": codes[0], "kind": "judgment_defaulter", "domain": "court", "start": "2020-01-01"},
        {"credit_code": codes[0], "kind": "penalty", "start": "2020-01-01", "severity": "info"},
        {"credit_code": codes[0], "kind": "abnormal_listing", "start": "2020-01-01", "end": "2021-01-01"},
    ])
    apps = _apps(*({"credit_code": codes[0], "record_id": f"r{i}", "applied_on": "2024-01-01", **ALL_EVIDENCE}
                   for i in (1, 2, 3)))
    out = decide_repairs(ds, apps, load_repair_rules())
    assert out["decision"].tolist() == ["not_repairable"] * 3
    assert "kind 'judgment_defaulter' has no repair rule" in out["unmet"].iloc[0]
    assert "severity 'info' of kind 'penalty' is not repairable" in out["unmet"].iloc[1]
    assert "already ended or expired on 2021-01-01" in out["unmet"].iloc[2]


def test_applications_naming_unknown_or_foreign_records_are_refused(make_dataset, codes):
    ds = make_dataset([{"credit_code": codes[0], "kind": "abnormal_listing", "start": "2024-01-01"}])
    apps = _apps({"credit_code": codes[0], "record_id": "r9", "applied_on": "2024-02-01"},
                 {"credit_code": codes[1], "record_id": "r1", "applied_on": "2024-02-01"},
                 {"credit_code": codes[0], "record_id": "r1", "applied_on": "2024-02-01", "corrected": "maybe"})
    with pytest.raises(DataContractError, match="applications row 1, column 'record_id'") as info:
        decide_repairs(ds, apps, load_repair_rules())
    assert len(info.value.problems) == 3


def test_a_rule_without_legal_basis_or_with_a_bad_severity_is_refused(tmp_path, make_dataset, codes):
    path = tmp_path / "repair.yaml"
    path.write_text("kinds:\n  penalty: {legal_basis: '', min_days: {minor: 0}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="legal_basis is empty"):
        load_repair_rules(path)
    path.write_text("kinds:\n  penalty: {legal_basis: Order 45, min_days: {grave: 0}}\n", encoding="utf-8")
    ds = make_dataset([{"credit_code": codes[0], "kind": "abnormal_listing", "start": "2024-01-01"}])
    with pytest.raises(ConfigError, match=r"kinds.penalty.min_days severities \['grave'\]"):
        decide_repairs(ds, _apps(), load_repair_rules(path))


def test_the_log_never_edits_the_source_and_round_trips(make_dataset, codes, tmp_path):
    ds = make_dataset([{"credit_code": codes[0], "kind": "abnormal_listing", "start": "2024-01-01"}])
    before = ds.records.copy()
    decisions = decide_repairs(ds, _apps({"credit_code": codes[0], "record_id": "r1", "applied_on": "2024-02-01",
                                          **ALL_EVIDENCE}), load_repair_rules())
    log = append_to_log(None, decisions)
    assert append_to_log(log, decisions).equals(log)  # a record is logged once
    write_repair_log(log, tmp_path / "repairs.parquet")
    repaired = apply_repairs(ds, read_repair_log(tmp_path / "repairs.parquet"))
    pd.testing.assert_frame_equal(ds.records, before)
    assert repaired.records["end"].iloc[0] == pd.Timestamp("2024-02-01")
    again = decide_repairs(repaired, _apps({"credit_code": codes[0], "record_id": "r1", "applied_on": "2024-03-01",
                                            **ALL_EVIDENCE}), load_repair_rules(), log=log)
    assert again["decision"].tolist() == ["not_repairable"]
    bad = log.assign(record_id="r7")
    with pytest.raises(DataContractError, match="repair log row 1, column 'record_id'"):
        apply_repairs(ds, bad)


def test_a_repaired_record_stops_counting_in_features_tiers_scheduler_and_tasks(make_dataset, codes):
    """ONE serious listing of subject 0, repaired on 2025-03-01, followed through all four consumers."""
    repair_day = pd.Timestamp("2025-03-01")
    before, after = pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-02")  # as of the day, as of the day after
    ds = make_dataset([
        {"credit_code": codes[0], "kind": "serious_listing", "start": "2024-01-15", "severity": "serious"},
        {"credit_code": codes[1], "kind": "inspection", "start": "2024-05-01", "outcome": "pass"},
    ])
    decisions = decide_repairs(ds, _apps({"credit_code": codes[0], "record_id": "r1", "applied_on": "2025-03-01",
                                          **ALL_EVIDENCE}), load_repair_rules())
    assert decisions["decision"].tolist() == ["approved"]
    log = append_to_log(None, decisions)
    repaired = apply_repairs(ds, log)
    assert repaired.records.set_index("record_id").loc["r1", "end"] == repair_day

    # 1. features: serious_listing_active
    cutoffs = pd.DataFrame({"credit_code": [codes[0]] * 2, "as_of": [before, after]})
    fm = build_features(repaired, cutoffs)
    assert fm.X["serious_listing_active"].tolist() == [1.0, 0.0]
    assert build_features(ds, cutoffs).X["serious_listing_active"].tolist() == [1.0, 1.0]

    # 2. tier overrides (the packaged serious_dishonest override reads that feature)
    config = load_tier_config()
    tiers = RiskTiers.from_config(config)
    tiers.set_params(method="probability", hysteresis=0.0, observation=None).fit(np.linspace(0.001, 0.3, 50))
    assigned = tiers.assign(np.array([0.001, 0.001]), features=fm.X)
    assert assigned["tier"].tolist() == ["D", "A"]
    assert assigned["override"].tolist()[0] == "serious_dishonest"

    # 3. the scheduler's mandatory inclusions
    tier_table = pd.DataFrame({"credit_code": codes, "tier": "B"})
    flags = {as_of: subjects_from_dataset(repaired, tier_table, as_of=as_of).set_index("credit_code")
             .loc[codes[0], "serious_listing"] for as_of in (before, after)}
    assert flags == {before: True, after: False}

    # 4. open tasks: created while listed, lifted from the repair date
    measures = load_measures()
    tasks = update_tasks(None, ds, measures, "2024-06-01")
    own = tasks.loc[tasks["record_id"] == "r1"]
    assert len(own) > 0 and set(own["status"]) == {"open"}
    tasks = update_tasks(tasks, repaired, measures, after)
    own = tasks.loc[tasks["record_id"] == "r1"]
    assert set(own["status"]) == {"lifted"} and set(own["closed_on"]) == {repair_day}
    assert update_tasks(tasks, repaired, measures, after).equals(tasks)  # no new tasks after the repair
