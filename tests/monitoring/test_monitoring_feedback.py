"""credit-risk feedback: a plan's results become inspection records with their draw probability, once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from monitoring_fixtures import make_dataset

from credit_risk.data import load_dataset, write_dataset
from credit_risk.exceptions import ConfigError, DataContractError
from credit_risk.labels import inspection_outcome
from credit_risk.monitoring.feedback import ingest_feedback
from credit_risk.scheduler import load_policy, plan_inspections, subjects_from_dataset, write_plan


@pytest.fixture
def planned(tmp_path):
    ds = make_dataset()
    data = tmp_path / "data"
    write_dataset(ds, data)
    tiers = pd.DataFrame({"credit_code": ds.enterprises["credit_code"],
                          "tier": np.array(list("ABCD"))[np.arange(len(ds.enterprises)) % 4]})
    subjects = subjects_from_dataset(ds, tiers, as_of="2025-01-01")
    inspectors = pd.DataFrame({"inspector_id": [f"I{i}" for i in range(6)], "department": "market_regulation",
                               "home_region": ["330106", "330212"] * 3, "capacity": 40})
    plan = plan_inspections(subjects, inspectors, load_policy(), period_start="2025-01-01",
                            period_end="2025-07-01", seed=3)
    write_plan(plan, tmp_path / "plan")
    drawn = plan.frame[plan.frame["drawn"]]
    results = pd.DataFrame({"credit_code": drawn["credit_code"].to_numpy(),
                            "inspected_on": "2025-03-02",
                            "outcome": np.where(np.arange(len(drawn)) % 3 == 0, "problem", "pass")})
    return data, tmp_path / "plan", plan, results


def test_results_become_records_with_their_draw_probability_once(planned):
    data, plan_dir, plan, results = planned
    assert len(results) >= 5 and plan.frame.loc[plan.frame["drawn"], "inclusion_probability"].nunique() > 1
    first = ingest_feedback(plan_dir, results, data)
    assert first.added == len(results) and first.already_present == 0
    ds = load_dataset(data)
    insp = ds.records[ds.records["kind"] == "inspection"].set_index("credit_code")
    want = plan.frame.set_index("credit_code")["inclusion_probability"]
    np.testing.assert_allclose(insp["draw_probability"], want.loc[insp.index])
    assert set(insp["source"]) == {"market_regulation"} and set(insp["domain"]) == {"market"}
    before = (data / "records.parquet").read_bytes()
    again = ingest_feedback(plan_dir, results, data)
    assert again.added == 0 and again.already_present == len(results)
    assert (data / "records.parquet").read_bytes() == before
    # the labels read them back, weighted by the inverse draw probability
    labels = inspection_outcome(ds)
    assert len(labels) == len(results)
    np.testing.assert_allclose(np.sort(labels.sample_weight), np.sort(1 / want.loc[results["credit_code"]].to_numpy()))


def test_bad_results_are_named_row_by_row(planned):
    data, plan_dir, plan, results = planned
    undrawn = plan.frame.loc[~plan.frame["drawn"], "credit_code"].iloc[0]
    bad = pd.concat([results.head(3), pd.DataFrame({"credit_code": [undrawn], "inspected_on": ["2025-03-01"],
                                                    "outcome": ["pass"]})], ignore_index=True)
    with pytest.raises(DataContractError, match="row 4.*was not drawn in this plan"):
        ingest_feedback(plan_dir, bad, data)
    with pytest.raises(DataContractError, match="is not an outcome of kind 'inspection'"):
        ingest_feedback(plan_dir, results.assign(outcome="great"), data)
    with pytest.raises(DataContractError, match=r"outside the plan's period \[2025-01-01, 2025-07-01\)"):
        ingest_feedback(plan_dir, results.assign(inspected_on="2025-08-01"), data)
    with pytest.raises(DataContractError, match="repeats row 1"):
        ingest_feedback(plan_dir, pd.concat([results.head(1)] * 2, ignore_index=True), data)
    with pytest.raises(DataContractError, match=r"columns \['outcome'\] are missing"):
        ingest_feedback(plan_dir, results.drop(columns="outcome"), data)
    ingest_feedback(plan_dir, results, data)
    flipped = results.assign(outcome=np.where(results["outcome"] == "pass", "problem", "pass"))
    with pytest.raises(DataContractError, match="feedback never overwrites a result"):
        ingest_feedback(plan_dir, flipped, data)
    (plan_dir / "frame.parquet").write_bytes(b"x")
    with pytest.raises(ConfigError, match="altered after publication"):
        ingest_feedback(plan_dir, results, data)
