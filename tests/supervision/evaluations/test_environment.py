"""Environmental credit evaluation: points, levels, vetoes, point in time, results as records."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from credit_risk.evaluations import (
    evaluate_environment,
    load_environment_rules,
    rating_records,
    score_rules,
    with_ratings,
)
from credit_risk.evaluations.ruleset import Level
from credit_risk.exceptions import ConfigError
from credit_risk.measures import build_tasks, load_measures
from credit_risk.repair import apply_repairs

PERMIT = {"kind": "licence", "domain": "environment", "start": "2018-01-01"}


def _units(codes, extra):
    return [{**PERMIT, "credit_code": c} for c in codes[:4]] + extra


def test_packaged_rules_have_four_groups_and_levels_that_are_catalogue_outcomes():
    rules = load_environment_rules()
    assert set(rules.groups) == {"law_abidance", "management", "ecological", "social"}
    assert rules.grades == ("green", "blue", "yellow", "red") and rules.max_points == 100
    assert sum(rules.groups.values()) == 100


def test_levels_follow_the_points(make_dataset, codes):
    ds = make_dataset(_units(codes, [
        # unit 1: one environmental inspection problem two years ago → 100 - 15 = 85 → blue
        {"credit_code": codes[1], "kind": "inspection", "domain": "environment", "start": "2022-03-01",
         "outcome": "problem"},
        # unit 2: a general violation (−15 law-abidance, −15 ecological) and its penalty (−10) → 60 → yellow
        {"credit_code": codes[2], "kind": "environmental_violation", "domain": "environment",
         "start": "2023-05-01", "severity": "general"},
        {"credit_code": codes[2], "kind": "penalty", "domain": "environment", "start": "2023-05-01",
         "severity": "general"},
        # unit 3: the same plus two inspection problems → 60 - 25 = 35 → red by points
        {"credit_code": codes[3], "kind": "environmental_violation", "domain": "environment",
         "start": "2023-05-01", "severity": "general"},
        {"credit_code": codes[3], "kind": "penalty", "domain": "environment", "start": "2023-05-01",
         "severity": "general"},
        *({"credit_code": codes[3], "kind": "inspection", "domain": "environment", "start": d,
           "outcome": "problem"} for d in ("2023-04-01", "2023-05-01")),
        # subject 4 holds no permit: not evaluated
        {"credit_code": codes[4], "kind": "environmental_violation", "domain": "environment",
         "start": "2023-05-01", "severity": "general"},
    ]))
    res = evaluate_environment(ds, "2024-01-01")
    assert list(res.index) == codes[:4]
    assert res["points"].tolist() == [100.0, 85.0, 60.0, 35.0]
    assert res["level"].tolist() == ["green", "blue", "yellow", "red"]
    assert res["group_law_abidance"].tolist() == [40.0, 40.0, 15.0, 15.0]


def test_a_veto_forces_red_whatever_the_points(make_dataset, codes):
    ds = make_dataset(_units(codes, [
        {"credit_code": codes[0], "kind": "environmental_violation", "domain": "environment",
         "start": "2023-09-01", "severity": "serious"},
        {"credit_code": codes[1], "kind": "serious_listing", "domain": "environment", "start": "2023-01-01"},
    ]))
    res = evaluate_environment(ds, "2024-01-01")
    # a serious violation costs 15 (law-abidance) + 15 (ecological) points: yellow by points, red by veto
    assert res.loc[codes[0], ["points", "level_by_points"]].tolist() == [70.0, "yellow"]
    assert res.loc[codes[1], ["points", "level_by_points"]].tolist() == [100.0, "green"]
    assert res["level"].tolist()[:2] == ["red", "red"]
    assert res["veto"].tolist()[:2] == ["serious_violation", "serious_dishonest"]
    assert res.loc[codes[2], ["level", "veto"]].tolist() == ["green", ""]
    # whatever the points: a veto on a full-points table of values still gives red
    rules = load_environment_rules()
    values = pd.DataFrame(0.0, index=range(3), columns=[i.name for i in rules.indicators])
    values.loc[1, "serious_violations"] = 1
    values.loc[2, "environmental_serious_listing"] = 3
    scored = score_rules(values, rules)
    assert scored["points"].tolist() == [100.0] * 3
    assert scored["level"].tolist() == ["green", "red", "red"]


def test_point_in_time_and_repairs(make_dataset, codes):
    ds = make_dataset(_units(codes, [
        {"credit_code": codes[0], "kind": "environmental_violation", "domain": "environment",
         "start": "2023-11-01", "published_on": "2024-02-01", "severity": "serious"},   # known only later
        {"credit_code": codes[1], "kind": "environmental_violation", "domain": "environment",
         "start": "2023-06-01", "severity": "serious"},
    ]))
    before = evaluate_environment(ds, "2024-01-01")
    assert before["level"].tolist()[:2] == ["green", "red"]
    assert evaluate_environment(ds, "2024-03-01")["level"].tolist()[:2] == ["red", "red"]
    log = pd.DataFrame({"record_id": ["r6"], "credit_code": [codes[1]], "repaired_on": ["2023-12-01"],
                        "application_id": ["a1"], "legal_basis": ["NDRC Order 36"]})
    assert evaluate_environment(apply_repairs(ds, log), "2024-01-01")["level"].tolist()[:2] == ["green", "green"]


def test_results_are_environmental_rating_records_the_measures_use(make_dataset, codes):
    ds = make_dataset(_units(codes, [
        {"credit_code": codes[1], "kind": "environmental_violation", "domain": "environment",
         "start": "2023-06-01", "severity": "serious"},
    ]))
    res = evaluate_environment(ds, "2024-01-01")
    ratings = rating_records(res, "2024-01-01")
    assert ratings["record_id"].iloc[0] == f"ENV20240101-{codes[0]}"
    rated = with_ratings(ds, ratings)
    again = with_ratings(rated, ratings)  # same ids: replaced, not duplicated
    got = again.records.loc[again.records["kind"] == "environmental_rating"]
    assert len(got) == 4 and set(got["outcome"].astype(str)) == {"green", "red"}
    tasks = build_tasks(again, load_measures(), "2024-01-02")
    red = tasks.loc[tasks["credit_code"] == codes[1]]
    assert {"environmental_strict_review", "environmental_more_enforcement"} <= set(red["measure"])
    assert set(tasks.loc[tasks["credit_code"] == codes[0], "measure"]) == {"priority_in_subsidies",
                                                                            "fewer_environmental_inspections"}


def test_levels_outside_the_catalogue_outcomes_and_bad_rule_sets_are_refused(make_dataset, codes):
    ds = make_dataset(_units(codes, []))
    rules = load_environment_rules()
    renamed = dataclasses.replace(rules, levels=(Level("gold", 90), *rules.levels[1:]))
    with pytest.raises(ConfigError, match=r"levels \['gold'\] are not outcomes of 'environmental_rating'"):
        evaluate_environment(ds, "2024-01-01", renamed)
    with pytest.raises(ConfigError, match="group 'social' can earn 20 points, more than its 15"):
        dataclasses.replace(rules, groups={**rules.groups, "social": 15.0},
                            indicators=(*rules.indicators, dataclasses.replace(rules.indicators[-3], name="x")))
    with pytest.raises(ConfigError, match="veto 'v' forces grade 'black', not one of"):
        dataclasses.replace(rules, vetoes=(dataclasses.replace(rules.vetoes[0], name="v", grade="black"),))


def test_a_province_may_add_black(make_dataset, codes):
    rules = load_environment_rules()
    black = dataclasses.replace(
        rules, levels=(*rules.levels, Level("black", -1.0)),
        vetoes=(*rules.vetoes, dataclasses.replace(rules.vetoes[1], name="listed_black", grade="black")))
    ds = make_dataset(_units(codes, [{"credit_code": codes[0], "kind": "serious_listing", "domain": "environment",
                                      "start": "2023-01-01"}]))
    assert evaluate_environment(ds, "2024-01-01", black).loc[codes[0], ["level", "veto"]].tolist() == [
        "black", "listed_black"]


def _reference(values: pd.DataFrame, rules) -> tuple[list[float], list[str]]:
    """Row by row, the plain reading of the rules."""
    points, levels = [], []
    for _, row in values.iterrows():
        total = 0.0
        for ind in rules.indicators:
            v = row[ind.name]
            if np.isnan(v):
                total += ind.missing
                continue
            total += next(b.points for b in ind.bins if b.upper is None or v < b.upper)
        grade = next(lv.grade for lv in rules.levels if total >= lv.min_points)
        for veto in rules.vetoes:
            if row[veto.indicator] > veto.value and rules.grades.index(grade) < rules.grades.index(veto.grade):
                grade = veto.grade
        points.append(total)
        levels.append(grade)
    return points, levels


def test_engine_matches_a_row_by_row_reference():
    rules = load_environment_rules()
    rng = np.random.default_rng(0)
    values = pd.DataFrame({i.name: rng.poisson(0.4, 400).astype(float) for i in rules.indicators})
    values = values.mask(rng.random(values.shape) < 0.05)
    scored = score_rules(values, rules)
    points, levels = _reference(values, rules)
    assert scored["points"].tolist() == points and scored["level"].tolist() == levels
