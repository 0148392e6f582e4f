"""Builders read the catalogue; hierarchy levels; attributes; spec extends; drop_constant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from credit_risk.data import CreditDataset, load_catalog
from credit_risk.data.dataset import DatasetManifest
from credit_risk.exceptions import ConfigError, DataContractError
from credit_risk.features import build_features, drop_constant, load_feature_spec
from credit_risk.features.context import OTHER, hierarchy_levels
from credit_risk.features.derive import spec_from_catalog, spec_to_mapping
from credit_risk.features.spec import AttributeSpec, FeatureSpec

CITY = """
extends: packaged
remove_kinds: [product_sampling]
kinds:
  inspection:
    outcomes: [pass, fail, pass_with_conditions]
    adverse_outcomes: [fail]
    no_contact_outcomes: []
  violation:
    name_zh: 违规
    description: One violation, severity on the kind's own scale.
    view: compliance
    polarity: negative
    interval: false
    severity_scale: [low, moderate, high]
    default_severity: moderate
    value: none
    publication_days: {low: null, moderate: null, high: null}
"""


def _catalog(tmp_path, text=CITY, name="catalog.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_catalog(path)


def _enterprises(n=3, **extra):
    ent = pd.DataFrame({"credit_code": [f"s{i}" for i in range(n)], "name": [f"S{i}" for i in range(n)]})
    for k, v in extra.items():
        ent[k] = v
    return ent


@pytest.fixture
def city(tmp_path) -> CreditDataset:
    rec = pd.DataFrame({
        "record_id": ["i1", "i2", "i3", "i4", "v1", "v2", "v3"],
        "credit_code": ["s0", "s0", "s0", "s1", "s0", "s0", "s1"],
        "kind": ["inspection"] * 4 + ["violation"] * 3,
        "domain": "food",
        "start": ["2022-01-10", "2022-06-01", "2023-01-05", "2022-03-01", "2022-06-01", "2022-06-01", "2022-03-01"],
        "outcome": ["pass", "fail", "pass_with_conditions", "fail", None, None, None],
        "severity": [None, None, None, None, "low", "high", "moderate"],
    })
    return CreditDataset.from_frames(_enterprises(), rec, catalog=_catalog(tmp_path), id_scheme="any")


def _cut(ds, as_of="2024-01-01"):
    return pd.DataFrame({"credit_code": ds.enterprises["credit_code"], "as_of": pd.Timestamp(as_of)})


def test_inspection_rates_follow_the_catalogue_vocabulary(city, tmp_path):
    with pytest.raises(ConfigError, match=r"1 group\(s\) do not fit the catalogue: aggregates\[sampling_fail\]"
                       r".filter.kinds: \['product_sampling'\] not in the catalogue.*remove_groups: \['sampling_fail'\]"):
        build_features(city, _cut(city))
    (tmp_path / "f.yaml").write_text("extends: packaged\nremove_groups: [sampling_fail]\n", encoding="utf-8")
    fm = build_features(city, _cut(city), load_feature_spec(tmp_path / "f.yaml"), views=["compliance"])
    # s0: pass, fail, pass_with_conditions → 1/3; s1: fail → 1; s2: no inspection → missing, not 0
    np.testing.assert_allclose(fm.X["inspection_problem_rate_1825d"], [1 / 3, 1.0, np.nan])
    assert fm.X["inspection_problem_count_1825d"].tolist() == [1.0, 1.0, 0.0]
    assert list(fm.X["inspection_last_outcome"].cat.categories) == ["pass", "fail", "pass_with_conditions"]
    # product_sampling was removed from the catalogue: its rate is not built (not a column of zeros)
    assert "sampling_fail_rate_1825d" not in fm.X


def test_max_severity_ranks_on_the_kinds_own_scale(city, tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(
        "aggregates:\n  - {prefix: violation, view: compliance, direction: 1, description: violations,\n"
        "     description_zh: 违规, filter: {kinds: [violation]}, windows: [1825], aggregations: [max_severity]}\n"
        "  - {prefix: violation_high, view: compliance, direction: 1, description: high-risk violations,\n"
        "     description_zh: 高风险违规, filter: {kinds: [violation], severities: [high]}, windows: [1825],\n"
        "     aggregations: [count]}\n",
        encoding="utf-8",
    )
    fm = build_features(city, _cut(city), load_feature_spec(path), views=["compliance"])
    assert fm.X["violation_max_severity_1825d"].tolist()[:2] == [2.0, 1.0]  # high = 2 on low < moderate < high
    assert fm.X["violation_high_count_1825d"].tolist() == [1.0, 0.0, 0.0]


def test_adverse_filter_needs_declared_adverse_outcomes(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(
        "aggregates:\n  - {prefix: p, view: compliance, direction: 1, description: x, description_zh: x,\n"
        "     filter: {kinds: [penalty], adverse: true}, windows: [365], aggregations: [count]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"kind 'penalty' declares no adverse_outcomes"):
        load_feature_spec(path).check_catalog(load_catalog())
    path.write_text(
        "aggregates:\n  - {prefix: p, view: compliance, direction: 1, description: x, description_zh: x,\n"
        "     filter: {kinds: [inspection], adverse: true, outcomes: [pass]}, windows: [365], aggregations: [count]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="either outcomes or adverse: true"):
        load_feature_spec(path)


# -- hierarchy -------------------------------------------------------------------------------------
def test_hierarchy_levels_of_both_schemes():
    ent = pd.DataFrame({"industry": ["C1311", "c13", "H62", None, "Z99"], "region": ["330106", "330108", "110101", "", "33"]})
    lv = hierarchy_levels(ent)
    assert lv["industry_section"].tolist()[:3] == ["C", "C", "H"] and lv["industry_section"].isna().tolist()[3:] == [True, True]
    assert lv["industry_division"].tolist()[:3] == ["C13", "C13", "H62"]
    assert lv["industry_class"].tolist()[0] == "C1311" and lv["industry_class"].isna().sum() == 4
    assert lv["region_province"].tolist()[:3] == ["330000", "330000", "110000"]
    assert lv["region_city"].tolist()[:3] == ["330100", "330100", "110100"]
    assert lv["region_county"].isna().tolist() == [False, False, False, True, True]  # '' and '33': unknown
    raw = hierarchy_levels(ent, "any", "any")
    assert set(raw) == {"industry_code", "region_code"} and raw["region_code"].tolist()[4] == "33"


def test_rare_levels_grouped_and_free_form_regions(tmp_path):
    ent = _enterprises(6, region=["94103", "94103", "94103", "94110", "94110", None])
    rec = pd.DataFrame({"record_id": ["p"], "credit_code": ["s0"], "kind": ["penalty"], "domain": ["food"],
                        "start": ["2022-01-01"]})
    ds = CreditDataset.from_frames(ent, rec, manifest=DatasetManifest(id_scheme="any", region_scheme="any",
                                                                      industry_scheme="any"))
    spec = FeatureSpec(min_level_count=3)
    fm = build_features(ds, _cut(ds), spec, views=["context"])
    region = fm.X["region_code"]
    assert list(region.cat.categories) == ["94103", OTHER]
    assert region.astype(object).where(region.notna(), None).tolist() == ["94103"] * 3 + [OTHER] * 2 + [None]
    assert "region_city" not in fm.X and "industry_section" not in fm.X
    assert np.isfinite(fm.X["region_penalty_rate_365d"].to_numpy()[:5]).all()


# -- attributes ------------------------------------------------------------------------------------
ATTRS = (
    AttributeSpec(column="Seats", type="numeric"),
    AttributeSpec(column="cuisine", type="categorical", min_level_count=2),
    AttributeSpec(column="has_terrace", type="flag"),
    AttributeSpec(column="opened", type="date"),
)


def _attr_dataset(**overrides):
    cols = {"Seats": ["12", "40", None], "cuisine": ["thai", "thai", "pizza"], "has_terrace": ["Yes", "no", None],
            "opened": ["2020-01-01", "2023-07-01", "2025-01-01"]}
    cols.update(overrides)
    rec = pd.DataFrame({"record_id": ["p"], "credit_code": ["s0"], "kind": ["penalty"], "domain": ["food"],
                        "start": ["2022-01-01"]})
    return CreditDataset.from_frames(_enterprises(**cols), rec, id_scheme="any")


def test_attribute_columns_become_features():
    ds = _attr_dataset()
    fm = build_features(ds, _cut(ds), FeatureSpec(attributes=ATTRS), views=["context", "lifecycle"])
    assert fm.X["seats"].tolist()[:2] == [12.0, 40.0] and np.isnan(fm.X["seats"].iloc[2])
    assert fm.X["cuisine"].astype(object).tolist()[:2] == ["thai", "thai"] and fm.X["cuisine"].iloc[2] == OTHER
    assert fm.X["has_terrace"].tolist()[:2] == [1.0, 0.0]
    age = fm.X["opened_age_years"].to_numpy()
    np.testing.assert_allclose(age[:2], [1461 / 365.25, 184 / 365.25])
    assert np.isnan(age[2])  # opened after the as-of date: nothing known at t
    info = fm.info_by_name()
    assert info["opened_age_years"].view == "lifecycle" and info["seats"].direction == 0 and info["cuisine"].categorical


def test_unsafe_missing_and_unreadable_attribute_columns_are_refused():
    ds = _attr_dataset()
    closed = FeatureSpec(attributes=(AttributeSpec(column="closed_on", type="date"),))
    with pytest.raises(ConfigError, match=r"attributes\[closed_on\] is refused as a feature.*as_of_unsafe"):
        build_features(ds, _cut(ds), closed)
    rec = ds.records[["record_id", "credit_code", "kind", "domain", "start"]].astype({"kind": object, "domain": object})
    marked = CreditDataset.from_frames(ds.enterprises.astype({"cuisine": object}), rec,
                                       manifest=DatasetManifest(id_scheme="any", as_of_unsafe=("cuisine",)))
    with pytest.raises(ConfigError, match=r"attributes\[cuisine\] is refused"):
        build_features(marked, _cut(marked), FeatureSpec(attributes=ATTRS[1:2]))
    with pytest.raises(ConfigError, match=r"feature spec: attributes\[stars\]: the enterprises table has no column 'stars'"):
        build_features(ds, _cut(ds), FeatureSpec(attributes=(AttributeSpec(column="stars", type="numeric"),)))
    bad = _attr_dataset(Seats=["12", "many", None])
    with pytest.raises(DataContractError, match=r"enterprises row 2, column 'Seats': is not a number"):
        build_features(bad, _cut(bad), FeatureSpec(attributes=ATTRS[:1]))


# -- extends, directions, drop_constant -------------------------------------------------------------
def test_extends_adds_overrides_and_removes_groups(tmp_path):
    (tmp_path / "f.yaml").write_text(
        "extends: packaged\n"
        "remove_groups: [tax_rating, honour]\n"
        "aggregates:\n"
        "  - {prefix: penalty, view: compliance, direction: 1, description: penalties, description_zh: 行政处罚,\n"
        "     filter: {kinds: [penalty]}, windows: [30], aggregations: [count]}\n"
        "  - {prefix: news, view: social, direction: 0, description: news, description_zh: 新闻,\n"
        "     filter: {kinds: [complaint]}, windows: [90], aggregations: [count]}\n"
        "attributes:\n  - {column: seats, type: numeric}\n"
        "builders: {context: {window_days: 730}}\n"
        "directions: {age_years: -1}\n",
        encoding="utf-8",
    )
    base = load_feature_spec()
    spec = load_feature_spec(tmp_path / "f.yaml")
    names = spec.aggregate_names()
    assert "penalty_count_30d" in names and "penalty_count_365d" not in names and "penalty_trend_365d_1095d" not in names
    assert "news_count_90d" in names and "tax_rating_last" not in names and "honour_active_count" not in names
    assert "abnormal_active" in names and spec.builders.context.window_days == 730
    assert spec.builders.context.prior_strength == base.builders.context.prior_strength
    assert spec.directions == {"age_years": -1} and spec.attributes[0].column == "seats"
    (tmp_path / "g.yaml").write_text("extends: f.yaml\nremove_attributes: [seats]\n", encoding="utf-8")
    assert load_feature_spec(tmp_path / "g.yaml").attributes == ()
    (tmp_path / "h.yaml").write_text("extends: ../f.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="outside"):
        load_feature_spec(tmp_path / "h.yaml")
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="chain is longer"):
        load_feature_spec(tmp_path / "loop.yaml")
    (tmp_path / "r.yaml").write_text("extends: packaged\nremove_groups: [fines]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"remove_groups: \['fines'\] are not group prefixes"):
        load_feature_spec(tmp_path / "r.yaml")


def test_directions_override_and_rule_only_defaults(small_dataset):
    cut = pd.DataFrame({"credit_code": small_dataset.enterprises["credit_code"], "as_of": pd.Timestamp("2020-01-01")})
    fm = build_features(small_dataset, cut)
    info = fm.info_by_name()
    assert info["age_years"].direction == 0 and info["log_registered_capital"].direction == 0  # observed, not rules
    assert info["penalty_count_365d"].direction == 1 and info["inspection_problem_count_1825d"].direction == 1
    from dataclasses import replace

    spec = replace(load_feature_spec(), directions={"age_years": -1})
    assert build_features(small_dataset, cut, spec).info_by_name()["age_years"].direction == -1
    with pytest.raises(ConfigError, match=r"directions names features that are not built: \['agee'\]"):
        build_features(small_dataset, cut, replace(spec, directions={"agee": 1}))


def test_drop_constant_reports_and_drops(small_dataset):
    cut = pd.DataFrame({"credit_code": small_dataset.enterprises["credit_code"], "as_of": pd.Timestamp("2019-06-01")})
    fm = build_features(small_dataset, cut)
    kept, dropped = drop_constant(fm)
    assert dropped and set(dropped).isdisjoint(kept.feature_names)
    assert len(dropped) + len(kept.feature_names) == len(fm.feature_names)
    for name in dropped:
        assert fm.X[name].nunique(dropna=False) <= 1
    for name in kept.feature_names:
        assert fm.X[name].nunique(dropna=False) > 1
    assert drop_constant(kept)[1] == []


def test_from_catalog_round_trips_and_builds(city, tmp_path):
    spec = FeatureSpec.from_catalog(city.catalog, {"seats": "numeric", "closed_on": "date"}, city.manifest,
                                    kinds=["inspection", "violation"], tables=["enterprises", "records"])
    names = spec.aggregate_names()
    assert {"inspection_adverse_count_365d", "inspection_adverse_share_1095d", "inspection_last",
            "violation_high_count_1095d", "violation_moderate_count_365d", "violation_max_severity_1095d"} <= set(names)
    assert [a.column for a in spec.attributes] == ["seats"]  # closed_on is never an attribute
    assert "commercial" not in spec.builders.enabled and "relations" not in spec.builders.enabled
    path = tmp_path / "features.yaml"
    path.write_text(yaml.safe_dump(spec_to_mapping(spec), allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_feature_spec(path) == spec
    packaged = spec_from_catalog(load_catalog())
    assert "penalty_amount_sum_1095d" in packaged.aggregate_names()
    ds = CreditDataset.from_frames(city.enterprises.assign(seats=[1.0, 2.0, 3.0]), city.records, catalog=city.catalog,
                                   id_scheme="any")
    fm = build_features(ds, _cut(ds), spec)
    assert fm.X["inspection_adverse_count_1095d"].tolist() == [1.0, 1.0, 0.0]
    np.testing.assert_allclose(fm.X["inspection_adverse_share_1095d"], [1 / 3, 1.0, np.nan])
    info = fm.info_by_name()
    assert info["violation_count_365d"].direction == 1 and info["inspection_count_365d"].direction == 0
    assert info["violation_days_since_last"].direction == 0  # recency is an observation, not a rule
