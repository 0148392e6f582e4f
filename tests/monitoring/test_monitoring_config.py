"""monitoring.yaml: the packaged file states the dataclass defaults; bad values are refused by key."""

from __future__ import annotations

import pytest

from credit_risk.exceptions import ConfigError
from credit_risk.monitoring import MonitoringConfig, load_monitoring_config


def test_packaged_yaml_states_the_defaults():
    assert load_monitoring_config() == MonitoringConfig()


@pytest.mark.parametrize(("text", "match"), [
    ("psi: {watch: 0.3, act: 0.2}\n", r"psi.watch/act = \(0.3, 0.2\) must be 0 < watch <= act"),
    ("psi: {bins: 0}\n", "psi.bins = 0 must be at least 1"),
    ("warning: {probability_factor: 1.0}\n", "warning.probability_factor = 1.0 must be above 1"),
    ("migration: {tier_order: [A]}\n", "migration.tier_order"),
    ("psi: {bogus: 1}\n", r"unknown key\(s\) \['bogus'\]"),
])
def test_bad_values_are_named(tmp_path, text, match):
    path = tmp_path / "monitoring.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        load_monitoring_config(path)
    assert load_monitoring_config(configs_dir=tmp_path / "..") == MonitoringConfig()
