"""The training config's label section: label.kind names the catalogue's inspection kind."""

from __future__ import annotations

import pandas as pd
import pytest

from credit_risk.config import from_mapping
from credit_risk.data import CreditDataset, load_catalog
from credit_risk.exceptions import ConfigError
from credit_risk.label_sources import LabelConfig, training_labels
from credit_risk.labels import inspection_outcome

# A city whose inspections are recorded under its own kind name, 'food_audit'.
CATALOG = """
extends: packaged
kinds:
  food_audit:
    name_zh: 食品检查
    description: A food-safety audit of the premises.
    view: compliance
    polarity: neutral
    interval: false
    default_severity: info
    outcomes: [pass, fail, closed]
    adverse_outcomes: [fail]
    no_contact_outcomes: [closed]
    publication_days: {info: null, minor: null, general: null, serious: null}
"""


@pytest.fixture
def city(tmp_path) -> CreditDataset:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG, encoding="utf-8")
    ent = pd.DataFrame({"credit_code": ["a", "b", "c"], "name": ["A", "B", "C"]})
    rec = pd.DataFrame({
        "record_id": [f"r{i}" for i in range(5)],
        "credit_code": ["a", "a", "b", "c", "c"],
        "kind": "food_audit",
        "domain": "food",
        "start": ["2022-01-10", "2022-06-01", "2022-03-01", "2022-07-01", "2023-01-05"],
        "outcome": ["pass", "fail", "closed", "fail", "pass"],
    })
    return CreditDataset.from_frames(ent, rec, catalog=load_catalog(path), id_scheme="any")


def test_label_kind_is_passed_to_the_inspection_target(city):
    labels, table = training_labels(city, LabelConfig(kind="food_audit", weight="none"))
    direct = inspection_outcome(city, kind="food_audit", weight=None)
    assert labels.y.tolist() == direct.y.tolist() == [0, 1, 1, 0]  # 'closed' is no contact: excluded
    assert table["y"].tolist() == [0, 1, 1, 0]
    assert table["credit_code"].tolist() == ["a", "a", "c", "c"]


def test_label_kind_defaults_to_inspection_and_is_read_from_the_config(city):
    assert LabelConfig().kind == "inspection"
    config = from_mapping(LabelConfig, {"target": "inspection_outcome", "kind": "food_audit"}, "train.yaml label")
    assert config.kind == "food_audit"
    with pytest.raises(ConfigError, match=r"kind 'visit'|unknown kind\(s\) \['visit'\]"):
        training_labels(city, LabelConfig(kind="visit"))
