from __future__ import annotations

import pytest
import yaml

from credit_risk.exceptions import ConfigError
from credit_risk.scheduler import InspectionPolicy, default_policy_path, load_policy


def _write(tmp_path, mutate):
    raw = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    mutate(raw)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_default_policy_matches_domain_defaults(policy):
    assert isinstance(policy, InspectionPolicy)
    assert policy.tiers["A"].share_range == (0.0, 0.05)
    assert policy.tiers["B"].share_range == (0.05, 0.20)
    assert policy.tiers["C"].share_range == (0.21, 0.60)
    assert policy.tiers["D"].share_range == (0.61, 1.00)
    assert policy.tiers["D"].max_visits_per_year is None
    assert policy.min_probability == 0.03
    assert all(policy.probability_of(t) >= policy.min_probability for t in policy.tiers)
    assert policy.department_of("food") == "market_regulation"
    assert policy.department_of("environment") == "ecology_environment"
    assert "inspector_ids" not in policy.disclosure.columns
    assert policy.to_dict()["tiers"]["A"]["share"] == 0.03


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda r: r.update(surprise=1), r"unknown key\(s\) \['surprise'\]"),
        (lambda r: r["tiers"]["A"].update(share=0.2), r"share 0.2 lies outside share_range"),
        (lambda r: r.update(min_probability=0.0), r"min_probability must be in \(0, 1\]"),
        (lambda r: r.update(min_probability=0.08), r"tiers.A: the floor min_probability=0.08 exceeds"),
        (
            lambda r: r["departments"]["market_regulation"].update(min_inspectors=1),
            r"food inspections need at least 2 inspectors by law",
        ),
        (
            lambda r: r["disclosure"].update(columns=["visit_id", "inspector_ids"]),
            r"would publish inspectors before the visit",
        ),
        (
            lambda r: r["departments"]["ecology_environment"]["items"].update(food=["x"]),
            r"domain 'food' is inspected by both",
        ),
        (lambda r: r["quiet"].update(tiers=["Z"]), r"quiet.tiers: unknown tier\(s\) \['Z'\]"),
        (lambda r: r["tiers"]["A"].update(share_range=[0.0]), r"share_range must be \[low, high\]"),
        (lambda r: r["quiet"].update(action="skip"), r"'skip' is not one of"),
    ],
)
def test_bad_policies_fail_loudly(tmp_path, mutate, match):
    with pytest.raises(ConfigError, match=match):
        load_policy(_write(tmp_path, mutate))


def test_missing_policy_file_names_the_path(tmp_path):
    with pytest.raises(ConfigError, match=r"does not exist"):
        load_policy(tmp_path / "nope.yaml")


def test_mandatory_inclusions_must_cite_a_legal_basis():
    from credit_risk.config import from_mapping
    from credit_risk.scheduler.policy import MandatoryRule

    with pytest.raises(ConfigError, match=r"flags \['hot_tip'\] cite no legal basis"):
        from_mapping(MandatoryRule, {"flags": ["serious_listing", "hot_tip"]})
