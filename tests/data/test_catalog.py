"""The catalogue decides: outcome meanings, kind severity scales, value meaning, extends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from credit_risk.data import CreditDataset, load_catalog
from credit_risk.data.catalog import catalog_from_mapping
from credit_risk.data.publication import effective_end
from credit_risk.exceptions import ConfigError, DataContractError

NEWS = {
    "name_zh": "新闻",
    "description": "A news item about the subject; value is its tone.",
    "view": "social",
    "polarity": "neutral",
    "interval": False,
    "default_severity": "info",
    "value": "score",
    "publication_days": {"info": 365, "minor": 365, "general": 365, "serious": 365},
}

COURT = {
    "name_zh": "法院执行",
    "description": "Court enforcement with its own severity scale.",
    "view": "compliance",
    "polarity": "negative",
    "interval": False,
    "severity_scale": ["low", "mid", "high"],
    "default_severity": "mid",
    "publication_days": {"low": 90, "mid": 365, "high": None},
}


def _write(path, mapping):
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_packaged_outcome_meanings():
    cat = load_catalog()
    assert cat.adverse("inspection") == ("problem",)
    assert cat.no_contact("inspection") == ("unreachable",)
    assert cat.adverse("product_sampling") == ("fail",)
    assert cat.kinds["penalty"].value == "amount"
    assert cat.kinds["inspection"].value == "none"


def test_adverse_of_a_kind_without_adverse_outcomes_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"kind 'penalty' declares no adverse_outcomes; add them to the catalogue"):
        load_catalog().adverse("penalty")
    with pytest.raises(ConfigError, match=r"unknown kind 'gossip'"):
        load_catalog().adverse("gossip")


def test_adverse_outcomes_must_be_outcomes(tmp_path):
    path = _write(tmp_path / "c.yaml", {"extends": "packaged", "kinds": {"inspection": {"adverse_outcomes": ["fail"]}}})
    with pytest.raises(ConfigError, match=r"kinds.inspection.adverse_outcomes \['fail'\] are not among the kind's outcomes"):
        load_catalog(path)


def test_an_outcome_cannot_be_adverse_and_no_contact(tmp_path):
    path = _write(tmp_path / "c.yaml", {"extends": "packaged", "kinds": {"inspection": {"no_contact_outcomes": ["problem"]}}})
    with pytest.raises(ConfigError, match=r"\['problem'\] cannot be both adverse_outcomes and no_contact_outcomes"):
        load_catalog(path)


def test_unknown_value_meaning_is_refused(tmp_path):
    path = _write(tmp_path / "c.yaml", {"extends": "packaged", "kinds": {"penalty": {"value": "colour"}}})
    with pytest.raises(ConfigError, match=r"kinds\.'?penalty'?\.value: 'colour' is not one of \['none', 'amount', 'count', 'score', 'share'\]"):
        load_catalog(path)


def test_extends_adds_a_kind_without_copying(tmp_path):
    path = _write(tmp_path / "catalog.yaml", {"extends": "packaged", "kinds": {"news": NEWS}})
    cat = load_catalog(path)
    packaged = load_catalog()
    assert set(cat.kinds) == set(packaged.kinds) | {"news"}
    assert cat.kinds["news"].value == "score"
    assert cat.kinds["penalty"] == packaged.kinds["penalty"]
    assert len(path.read_text(encoding="utf-8").splitlines()) < 20  # the file holds only the addition


def test_extends_overrides_field_by_field_and_removes(tmp_path):
    path = _write(
        tmp_path / "catalog.yaml",
        {
            "extends": "packaged",
            "remove_kinds": ["tax_rating", "honour"],
            "kinds": {"inspection": {"outcomes": ["pass", "fail", "pass_with_conditions"],
                                     "adverse_outcomes": ["fail"], "no_contact_outcomes": []}},
        },
    )
    cat = load_catalog(path)
    assert "tax_rating" not in cat.kinds and "honour" not in cat.kinds
    insp = cat.kinds["inspection"]
    assert insp.outcomes == ("pass", "fail", "pass_with_conditions")
    assert cat.adverse("inspection") == ("fail",)
    assert insp.publication_days == load_catalog().kinds["inspection"].publication_days  # untouched fields kept


def test_remove_unknown_kind_is_refused(tmp_path):
    path = _write(tmp_path / "c.yaml", {"extends": "packaged", "remove_kinds": ["gossip"]})
    with pytest.raises(ConfigError, match=r"remove_kinds: \['gossip'\] are not kinds of catalog.yaml"):
        load_catalog(path)


def test_extends_a_file_next_to_it(tmp_path):
    _write(tmp_path / "base.yaml", {"extends": "packaged", "kinds": {"news": NEWS}})
    path = _write(tmp_path / "catalog.yaml", {"extends": "base.yaml", "kinds": {"news": {"value": "count"}}})
    cat = load_catalog(path)
    assert cat.kinds["news"].value == "count" and cat.kinds["news"].name_zh == "新闻"


def test_extends_outside_the_folder_is_refused(tmp_path):
    inner = tmp_path / "inner"
    inner.mkdir()
    _write(tmp_path / "base.yaml", {"extends": "packaged"})
    path = _write(inner / "catalog.yaml", {"extends": "../base.yaml"})
    with pytest.raises(ConfigError, match=r"extends.*\.\./base\.yaml"):
        load_catalog(path)


def test_extends_cycle_is_refused(tmp_path):
    _write(tmp_path / "a.yaml", {"extends": "b.yaml"})
    path = _write(tmp_path / "b.yaml", {"extends": "a.yaml"})
    with pytest.raises(ConfigError, match=r"extends: chain is longer than 8 files"):
        load_catalog(path)


def test_remove_kinds_without_extends_is_refused(tmp_path):
    raw = load_catalog().to_mapping()
    raw["remove_kinds"] = ["penalty"]
    with pytest.raises(ConfigError, match=r"remove_kinds needs extends:"):
        load_catalog(_write(tmp_path / "c.yaml", raw))


def test_catalog_path_that_is_a_folder_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"is a folder; name its catalog.yaml file"):
        load_catalog(tmp_path)


def test_to_mapping_round_trips(tmp_path):
    path = _write(tmp_path / "catalog.yaml", {"extends": "packaged", "kinds": {"news": NEWS, "court": COURT}})
    cat = load_catalog(path)
    assert catalog_from_mapping(cat.to_mapping()) == cat
    again = load_catalog(_write(tmp_path / "again.yaml", cat.to_mapping()))
    assert again == cat
    assert load_catalog() == catalog_from_mapping(load_catalog().to_mapping())


def test_kind_severity_scale(tmp_path):
    cat = load_catalog(_write(tmp_path / "c.yaml", {"extends": "packaged", "kinds": {"court": COURT}}))
    assert cat.scale("court") == ("low", "mid", "high")
    assert cat.severity_rank("high", kind="court") == 2
    assert cat.severity_rank("serious") == 3
    assert cat.severity_values[:4] == ("info", "minor", "general", "serious")
    assert cat.severity_values[4:] == ("low", "mid", "high")
    ranks = cat.severity_ranks(["court", "court", "penalty", "penalty", "court", None], ["low", "serious", "serious", "mid", None, "low"])
    np.testing.assert_array_equal(ranks, [0.0, np.nan, 3.0, np.nan, np.nan, np.nan])
    with pytest.raises(ConfigError, match=r"severity 'serious' is not on the scale of kind 'court'; use one of \['low', 'mid', 'high'\]"):
        cat.severity_rank("serious", kind="court")


def test_kind_scale_publication_days_must_follow_the_scale(tmp_path):
    bad = {**COURT, "publication_days": {"info": 90, "minor": 90, "general": 90, "serious": 90}}
    path = _write(tmp_path / "c.yaml", {"extends": "packaged", "kinds": {"court": bad}})
    with pytest.raises(ConfigError, match=r"court.publication_days must give one entry per severity \['low', 'mid', 'high'\]"):
        load_catalog(path)


def _records_with(raw_tables, codes, kind, severities):
    rec = raw_tables["records"]
    extra = pd.DataFrame({
        "record_id": [f"k{i}" for i in range(len(severities))], "credit_code": codes[0], "kind": kind,
        "domain": "court", "start": "2022-01-01", "severity": severities,
    })
    return pd.concat([rec, extra], ignore_index=True)


def test_records_are_checked_against_the_kind_scale(tmp_path, raw_tables, codes):
    cat = load_catalog(_write(tmp_path / "c.yaml", {"extends": "packaged", "kinds": {"court": COURT}}))
    rec = _records_with(raw_tables, codes, "court", ["high", "serious", None])
    with pytest.raises(DataContractError, match=r"records row 6, column 'severity': unknown severity \(got 'serious'\); fix: use one of \['low', 'mid', 'high'\] \(the severity scale of kind 'court'\)"):
        CreditDataset.from_frames(raw_tables["enterprises"], rec, catalog=cat)
    rec = _records_with(raw_tables, codes, "court", ["high", "low", None])
    ds = CreditDataset.from_frames(raw_tables["enterprises"], rec, catalog=cat)
    court = ds.records[ds.records["kind"] == "court"]
    assert court["severity"].astype(str).tolist() == ["high", "low", "mid"]  # default from the kind
    # The packaged severities keep their categorical codes; kind-scale values follow them.
    assert list(ds.records["severity"].cat.categories) == ["info", "minor", "general", "serious", "low", "mid", "high"]
    end = effective_end(court, cat)
    assert end.isna().tolist() == [True, False, False]
    assert end.iloc[1] == pd.Timestamp("2022-01-01") + pd.Timedelta(days=90)


def test_severity_ranks_match_severity_rank_row_by_row(tmp_path):
    cat = load_catalog(_write(tmp_path / "c.yaml", {"extends": "packaged", "kinds": {"court": COURT}}))
    kinds = ["court", "penalty", "inspection", "gossip", None]
    values = list(cat.severity_values) + ["nonsense", None]
    pairs = [(k, s) for k in kinds for s in values]
    ranks = cat.severity_ranks([k for k, _ in pairs], [s for _, s in pairs])
    for (kind, sev), rank in zip(pairs, ranks, strict=True):
        if kind in cat.kinds and sev in cat.scale(kind):
            assert rank == cat.severity_rank(sev, kind=kind)
        else:
            assert np.isnan(rank)
