from __future__ import annotations

import json

import pandas as pd
import pytest

from credit_risk import __version__
from credit_risk.atomic import sha256_file
from credit_risk.scheduler import fingerprint, plan_inspections, write_plan

START, END = "2026-01-01", "2027-01-01"


@pytest.fixture(scope="module")
def conflicts(population, roster):
    return pd.DataFrame({"inspector_id": roster["inspector_id"].iloc[:40].to_numpy(),
                         "credit_code": population["credit_code"].iloc[:40].to_numpy()})


def _plan(population, roster, policy, conflicts, seed):
    subjects = population.drop(columns=["latent_risk", "violating"])
    return plan_inspections(subjects, roster, policy, period_start=START, period_end=END,
                            seed=seed, conflicts=conflicts)


def test_same_seed_and_inputs_reproduce_every_file_byte_for_byte(
    tmp_path, population, roster, policy, conflicts
):
    first = write_plan(_plan(population, roster, policy, conflicts, 42), tmp_path / "a")
    # same content, different row order of every input
    second = write_plan(
        _plan(population.iloc[::-1], roster.sample(frac=1, random_state=3), policy,
              conflicts.iloc[::-1], 42),
        tmp_path / "b",
    )
    assert first == second
    for name, digest in first.items():
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert sha256_file(tmp_path / "a" / name) == digest
    other = write_plan(_plan(population, roster, policy, conflicts, 43), tmp_path / "c")
    assert other["plan.parquet"] != first["plan.parquet"]


def test_manifest_publishes_seed_policy_fingerprints_and_hashes(
    tmp_path, population, roster, policy, conflicts
):
    plan = _plan(population, roster, policy, conflicts, 7)
    hashes = write_plan(plan, tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 7
    assert manifest["period_start"] == START and manifest["period_end"] == END
    assert manifest["library_version"] == __version__
    assert manifest["policy"] == policy.to_dict()
    assert manifest["inputs"]["subjects"] == fingerprint(
        population.drop(columns=["latent_risk", "violating"]), sort_by=["credit_code"]
    )
    assert manifest["inputs"]["inspectors"] == fingerprint(roster, sort_by=["inspector_id"])
    assert manifest["plan_sha256"] == hashes["plan.parquet"]
    assert manifest["disclosure_sha256"] == hashes["disclosure.csv"]
    for name, entry in manifest["files"].items():
        assert sha256_file(tmp_path / name) == entry["sha256"]
    assert manifest["stats"]["visits"] == len(plan.visits)


def test_disclosure_names_no_inspector_and_matches_the_plan(tmp_path, population, roster, policy,
                                                            conflicts):
    plan = _plan(population, roster, policy, conflicts, 7)
    write_plan(plan, tmp_path)
    disclosure = pd.read_csv(tmp_path / "disclosure.csv", dtype=str)
    assert list(disclosure.columns) == list(policy.disclosure.columns)
    text = (tmp_path / "disclosure.csv").read_text(encoding="utf-8")
    assert not any(i in text for i in roster["inspector_id"])
    assert disclosure["visit_id"].tolist() == plan.visits["visit_id"].tolist()
    written = pd.read_parquet(tmp_path / "plan.parquet")
    pd.testing.assert_frame_equal(written, plan.visits, check_dtype=False)
    frame = pd.read_parquet(tmp_path / "frame.parquet")
    assert len(frame) == len(population)
    assert frame["drawn"].sum() == len(plan.visits)


def test_summary_by_tier_department_and_region(population, roster, policy, conflicts):
    plan = _plan(population, roster, policy, conflicts, 7)
    summary = plan.summary()
    assert set(summary["dimension"]) == {"tier", "department", "region"}
    for dim in ("tier", "region"):
        part = summary[summary["dimension"] == dim]
        assert part["subjects"].sum() == len(population)
        assert part["drawn"].sum() == len(plan.visits)
        assert part["inspector_visits"].sum() == len(plan.assignments)
    dept = summary[summary["dimension"] == "department"].set_index("key")
    assert dept.loc["market_regulation", "drawn"] == len(plan.visits)  # market applies to all
    assert dept["inspector_visits"].sum() == len(plan.assignments)
    tier = summary[summary["dimension"] == "tier"].set_index("key")
    assert tier.loc["D", "draw_rate"] == pytest.approx(policy.tiers["D"].share, abs=0.01)


def test_fingerprint_sees_content_not_order():
    a = pd.DataFrame({"credit_code": ["b", "a"], "x": [1.0, 2.0]})
    assert fingerprint(a, sort_by=["credit_code"]) == fingerprint(a.iloc[::-1], sort_by=["credit_code"])
    b = a.assign(x=[1.0, 2.5])
    assert fingerprint(a, sort_by=["credit_code"]) != fingerprint(b, sort_by=["credit_code"])
