"""Measures config, tasks (idempotent), feedback and the execution rate (hand count)."""

from __future__ import annotations

import pandas as pd
import pytest

from credit_risk.exceptions import ConfigError, DataContractError
from credit_risk.measures import (
    build_tasks,
    execution_rate,
    ingest_feedback,
    load_measures,
    read_tasks,
    update_tasks,
    write_tasks,
)

TWO_MEASURES = """
triggers:
  judgment_defaulter: {name_zh: 失信被执行人, side: punishment, kind: judgment_defaulter}
measures:
  - {name: m_court, name_zh: 限制高消费, triggers: [judgment_defaulter], type: restriction,
     department: court, deadline_days: 10, legal_basis: 法释〔2015〕17号}
  - {name: m_finance, name_zh: 限制政府采购, triggers: [judgment_defaulter], type: restriction,
     department: finance, deadline_days: 20, legal_basis: 发改财金〔2016〕141号}
"""


@pytest.fixture
def two_measures(tmp_path):
    path = tmp_path / "measures.yaml"
    path.write_text(TWO_MEASURES, encoding="utf-8")
    return load_measures(path)


def test_packaged_measures_cite_a_legal_basis_and_cover_both_sides():
    config = load_measures()
    assert all(m.legal_basis.strip() for m in config.measures)
    assert {m.type for m in config.measures} == {"restriction", "incentive"}
    triggered = {t for m in config.measures for t in m.triggers}
    assert {"judgment_defaulter", "serious_listing", "abnormal_listing", "environmental_red", "tax_rating_d",
            "honour", "environmental_green", "tax_rating_a", "tier_a"} <= triggered


def test_a_measure_without_legal_basis_is_refused_naming_it(tmp_path):
    path = tmp_path / "measures.yaml"
    path.write_text(TWO_MEASURES.replace("legal_basis: 发改财金〔2016〕141号", "legal_basis: '  '"), encoding="utf-8")
    with pytest.raises(ConfigError, match="measure 'm_finance' .* cites no legal_basis"):
        load_measures(path)
    path.write_text(TWO_MEASURES.replace(", legal_basis: 法释〔2015〕17号", ""), encoding="utf-8")
    with pytest.raises(ConfigError, match="measure 'm_court' .* cites no legal_basis"):
        load_measures(path)


def test_a_measure_on_an_undeclared_trigger_is_refused(tmp_path):
    path = tmp_path / "measures.yaml"
    path.write_text(TWO_MEASURES.replace("triggers: [judgment_defaulter], type: restriction,\n     department: finance",
                                         "triggers: [blacklist], type: restriction,\n     department: finance"),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"measure 'm_finance': triggers \['blacklist'\] are not declared"):
        load_measures(path)


def test_task_creation_is_idempotent_and_adds_only_new_listings(make_dataset, codes, two_measures):
    listing = {"kind": "judgment_defaulter", "domain": "court", "start": "2024-01-01"}
    ds = make_dataset([{**listing, "credit_code": codes[0]}, {**listing, "credit_code": codes[1]},
                       {**listing, "credit_code": codes[2], "start": "2024-03-01"}])
    first = update_tasks(None, ds, two_measures, "2024-02-01")
    assert sorted(first["task_id"]) == ["r1:m_court", "r1:m_finance", "r2:m_court", "r2:m_finance"]
    again = update_tasks(first, ds, two_measures, "2024-02-01")
    pd.testing.assert_frame_equal(again, first)
    later = update_tasks(again, ds, two_measures, "2024-04-01")
    assert sorted(set(later["task_id"]) - set(first["task_id"])) == ["r3:m_court", "r3:m_finance"]
    row = later.set_index("task_id").loc["r3:m_finance"]
    assert (row["department"], row["due_on"], row["legal_basis"]) == ("finance", pd.Timestamp("2024-03-21"),
                                                                        "发改财金〔2016〕141号")


def test_tasks_from_the_packaged_measures(make_dataset, codes):
    ds = make_dataset([
        {"credit_code": codes[0], "kind": "judgment_defaulter", "domain": "court", "start": "2024-01-01"},
        {"credit_code": codes[1], "kind": "environmental_rating", "domain": "environment", "start": "2024-01-01",
         "outcome": "green"},
        {"credit_code": codes[2], "kind": "tax_rating", "domain": "tax", "start": "2024-01-01", "outcome": "B"},
    ])
    tasks = build_tasks(ds, load_measures(), "2024-02-01",
                        tiers=pd.DataFrame({"credit_code": codes, "tier": ["B", "B", "A", "C", "D"]}))
    by_subject = tasks.groupby("credit_code")["measure"].agg(set)
    assert "restrict_high_consumption" in by_subject[codes[0]]
    assert by_subject[codes[1]] == {"priority_in_subsidies", "fewer_environmental_inspections"}
    assert by_subject[codes[2]] == {"fewer_inspections"}  # tier A; a B tax rating triggers nothing
    assert set(tasks.loc[tasks["credit_code"] == codes[1], "type"]) == {"incentive"}


def test_execution_rate_matches_a_hand_count(make_dataset, codes, two_measures, tmp_path):
    listing = {"kind": "judgment_defaulter", "domain": "court", "start": "2024-01-01"}
    ds = make_dataset([{**listing, "credit_code": c} for c in codes[:3]]
                      + [{**listing, "credit_code": codes[3], "end": "2024-01-05"}])  # removed on 5 Jan
    tasks = update_tasks(None, ds, two_measures, "2024-01-02")
    assert len(tasks) == 8 and set(tasks["status"]) == {"open"}
    feedback = pd.DataFrame([
        ("r1:m_court", "done", "2024-01-05", ""),            # due 11 Jan: on time
        ("r1:m_finance", "done", "2024-01-25", ""),          # due 21 Jan: late
        ("r2:m_court", "not_applicable", "2024-01-08", "no consumption licence held"),  # not due
        ("r2:m_finance", "overdue", "2024-01-30", ""),       # due, not executed
        ("r3:m_finance", "done", "2024-01-10", ""),          # on time; r3:m_court stays open → due, not done
    ], columns=["task_id", "status", "reported_on", "reason"])
    tasks = ingest_feedback(tasks, feedback)
    tasks = update_tasks(tasks, ds, two_measures, "2024-03-01")  # r4's tasks lifted on 5 Jan: not due
    r4 = tasks.loc[tasks["record_id"] == "r4"]
    assert set(r4["status"]) == {"lifted"} and set(r4["closed_on"]) == {pd.Timestamp("2024-01-05")}
    rates = execution_rate(tasks, "2024-03-01").set_index("department")
    assert rates.loc["court", ["due", "on_time"]].tolist() == [2, 1]      # r1 on time, r3 open
    assert rates.loc["finance", ["due", "on_time"]].tolist() == [3, 1]    # r1 late, r2 overdue, r3 on time
    assert rates.loc["court", "rate"] == pytest.approx(1 / 2)
    assert rates.loc["finance", "rate"] == pytest.approx(1 / 3)
    overall = execution_rate(tasks, "2024-03-01", by=())
    assert overall[["due", "on_time"]].iloc[0].tolist() == [5, 2]
    by_region = execution_rate(tasks, "2024-03-01", by=("region",)).set_index("region")
    assert by_region.loc["330106", ["due", "on_time"]].tolist() == [3, 1]  # r1 court + finance, r2 finance
    assert by_region.loc["330102", ["due", "on_time"]].tolist() == [2, 1]  # r3 both (r4 lifted)
    # before the deadlines nothing is due yet
    assert execution_rate(tasks, "2024-01-10", by=())["due"].iloc[0] == 0
    write_tasks(tasks, tmp_path / "tasks.parquet")
    pd.testing.assert_frame_equal(read_tasks(tmp_path / "tasks.parquet"), tasks)


def test_feedback_is_refused_row_by_row(make_dataset, codes, two_measures):
    ds = make_dataset([{"credit_code": codes[0], "kind": "judgment_defaulter", "domain": "court",
                        "start": "2024-01-01"}])
    tasks = build_tasks(ds, two_measures, "2024-02-01")
    bad = pd.DataFrame([("r1:m_court", "not_applicable", "2024-01-05", ""),
                        ("r9:m_court", "done", "2024-01-05", ""),
                        ("r1:m_finance", "finished", "not a date", "")],
                       columns=["task_id", "status", "reported_on", "reason"])
    with pytest.raises(DataContractError, match=r"feedback row 1, column 'reason': is empty for a not_applicable report") as info:
        ingest_feedback(tasks, bad)
    text = str(info.value.problems)
    assert "r9:m_court" in text and "finished" in text and "not a date" in text


def test_expiry_lifts_from_the_end_of_the_measure(make_dataset, codes):
    """A tax rating D: the invoice-limit measure lasts the rating year (duration_days 365), then it is lifted."""
    ds = make_dataset([{"credit_code": codes[0], "kind": "tax_rating", "domain": "tax", "start": "2024-01-10",
                        "outcome": "D"}])
    measures = load_measures()
    tasks = update_tasks(None, ds, measures, "2024-02-01")
    row = tasks.set_index("task_id").loc["r1:tax_invoice_limits"]
    assert (row["status"], row["ends_on"]) == ("open", pd.Timestamp("2025-01-09"))
    later = update_tasks(tasks, ds, measures, "2025-02-01").set_index("task_id").loc["r1:tax_invoice_limits"]
    assert (later["status"], later["closed_on"]) == ("lifted", pd.Timestamp("2025-01-09"))
    # the catalogue's publication period (730 days) alone would not have ended it yet
    assert execution_rate(update_tasks(tasks, ds, measures, "2025-02-01"), "2025-02-01", by=())["due"].iloc[0] == 1
