"""Differential random-inspection scheduler (差异化"双随机、一公开").

Risk tiers → an inspection plan a regulator can publish and defend:

1. :func:`load_policy` reads ``configs/inspection_policy.yaml``: per-tier shares and
   yearly caps, a minimum draw probability, mandatory inclusions, the 无事不扰 rule for
   low-risk tiers, the observation period of new subjects, departments and their items.
2. :func:`plan_inspections` draws subjects by stratified random sampling (tier × region)
   with every subject's exact inclusion probability recorded, merges the items of several
   departments into one joint visit (进一次门、查多项事), and draws ≥ 2 inspectors per
   department and visit from the roster, respecting recusal, capacity and balance.
3. :func:`write_plan` publishes plan, disclosure (no inspectors), summary and a manifest
   with the seed, the policy, input fingerprints and sha256 of every file.
4. :func:`compare_yield` and :func:`horvitz_thompson` evaluate a plan against a uniform
   draw and estimate the population violation rate without bias from its outcomes.

:func:`subjects_from_dataset` builds the subjects table from a credit dataset and a tier
table, point-in-time (domains from licences, last inspection, mandatory listings).

Examples
--------
>>> import pandas as pd
>>> from credit_risk.scheduler import load_policy, plan_inspections
>>> subjects = pd.DataFrame({"credit_code": ["S1", "S2", "S3"], "tier": ["A", "C", "D"],
...                          "region": "330102", "serious_listing": [True, False, False]})
>>> inspectors = pd.DataFrame({"inspector_id": ["I1", "I2", "I3"],
...                            "department": "market_regulation", "home_region": "330100",
...                            "capacity": 3})
>>> plan = plan_inspections(subjects, inspectors, load_policy(), period_start="2026-01-01",
...                         period_end="2027-01-01", seed=0)
>>> row = plan.frame.set_index("credit_code").loc["S1"]
>>> float(row["inclusion_probability"]), row["reason"]
(1.0, 'mandatory:serious_listing')
"""

from credit_risk.scheduler.assignment import assign_inspectors, joint_visits
from credit_risk.scheduler.evaluation import (
    HTEstimate,
    YieldComparison,
    compare_yield,
    horvitz_thompson,
    period_truth,
    simulate_outcomes,
)
from credit_risk.scheduler.planner import InspectionPlan, plan_inspections
from credit_risk.scheduler.policy import (
    AssignmentRule,
    DepartmentRule,
    DisclosureRule,
    InspectionPolicy,
    MandatoryRule,
    NewSubjectRule,
    QuietRule,
    TierRule,
    default_policy_path,
    load_policy,
)
from credit_risk.scheduler.publication import fingerprint, summarise, write_plan
from credit_risk.scheduler.sampling import draw_subjects, inclusion_frame, normalise_domains
from credit_risk.scheduler.subjects import subjects_from_dataset

__all__ = [
    "AssignmentRule",
    "DepartmentRule",
    "DisclosureRule",
    "HTEstimate",
    "InspectionPlan",
    "InspectionPolicy",
    "MandatoryRule",
    "NewSubjectRule",
    "QuietRule",
    "TierRule",
    "YieldComparison",
    "assign_inspectors",
    "compare_yield",
    "default_policy_path",
    "draw_subjects",
    "fingerprint",
    "horvitz_thompson",
    "inclusion_frame",
    "joint_visits",
    "load_policy",
    "normalise_domains",
    "period_truth",
    "plan_inspections",
    "simulate_outcomes",
    "subjects_from_dataset",
    "summarise",
    "write_plan",
]
