"""credit-risk init: starter configs written from a dataset load, validate and build features."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit_risk.config import load_yaml
from credit_risk.data import CreditDataset, load_catalog
from credit_risk.data.dataset import DatasetManifest
from credit_risk.exceptions import ConfigError
from credit_risk.features import build_features, drop_constant, load_feature_spec
from credit_risk.labels import inspection_outcome
from credit_risk.models.scorecard import load_scorecard_config
from credit_risk.starter import (
    MAX_GROUP_SHARE,
    SAME_PARTITION_SHARE,
    STARTER_FILES,
    infer_attribute_types,
    largest_group_share,
    same_partition_share,
    write_starter_configs,
)
from credit_risk.tiers import load_tier_config
from credit_risk.train import load_train_config

SF = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "sf_restaurants" / "dannguyen_2014-2017"

CITY = """
extends: packaged
domains: [food, market]
kinds:
  inspection:
    outcomes: [pass, fail, pass_with_conditions]
    adverse_outcomes: [fail]
    no_contact_outcomes: []
    value: score
  violation:
    name_zh: 违规
    description: One violation; severity on the kind's own scale.
    view: compliance
    polarity: negative
    interval: false
    severity_scale: [low, moderate, high]
    default_severity: moderate
    value: none
    publication_days: {low: null, moderate: null, high: null}
"""


@pytest.fixture(scope="module")
def lives_like(tmp_path_factory) -> CreditDataset:
    """A LIVES-like city: businesses with free-form postal codes and extra columns, inspections, violations."""
    folder = tmp_path_factory.mktemp("city")
    (folder / "catalog.yaml").write_text(CITY, encoding="utf-8")
    rng = np.random.default_rng(7)
    n = 80
    ent = pd.DataFrame({
        "credit_code": [f"b{i}" for i in range(n)],
        "name": [f"Diner {i}" for i in range(n)],
        "region": rng.choice(["94103", "94110", "94133"], n),
        "postal_code": rng.choice(["94103", "94110", "94133"], n),
        "latitude": np.round(rng.uniform(37.7, 37.8, n), 4).astype(str),
        "phone_number": [f"+1415{i:07d}" for i in range(n)],
        "chain": rng.choice(["Y", "N"], n),
        "opened": pd.Series(pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 2500, n), unit="D")).dt.strftime("%Y-%m-%d"),
        "closed_on": [None] * (n - 3) + ["2024-01-01"] * 3,
    })
    rows = []
    for i in range(400):
        code = f"b{rng.integers(n)}"
        day = pd.Timestamp("2016-01-01") + pd.Timedelta(days=int(rng.integers(0, 2000)))
        outcome = rng.choice(["pass", "fail", "pass_with_conditions"], p=[0.5, 0.3, 0.2])
        rows.append((f"i{i}", code, "inspection", day, outcome, None, float(rng.integers(60, 100))))
        if outcome != "pass":
            rows.append((f"v{i}", code, "violation", day, None, rng.choice(["low", "moderate", "high"]), np.nan))
    rec = pd.DataFrame(rows, columns=["record_id", "credit_code", "kind", "start", "outcome", "severity", "value"])
    rec["domain"] = "food"
    manifest = DatasetManifest(id_scheme="any", region_scheme="any", industry_scheme="any")
    return CreditDataset.from_frames(ent, rec, catalog=load_catalog(folder / "catalog.yaml"), manifest=manifest)


def test_starter_configs_load_validate_and_build(lives_like, tmp_path):
    paths = write_starter_configs(lives_like, tmp_path / "configs")
    assert [p.name for p in paths] == list(STARTER_FILES) and all(p.is_file() for p in paths)
    out = tmp_path / "configs"
    catalog_text = (out / "catalog.yaml").read_text(encoding="utf-8")
    assert re.search(r"(?m)^extends: packaged$", catalog_text) and "# review" in catalog_text
    assert "# inspection: 400 records; outcomes: pass" in catalog_text
    catalog = load_catalog(out / "catalog.yaml")
    assert catalog.adverse("inspection") == ("fail",) and catalog.kinds["violation"].severity_scale == ("low", "moderate", "high")
    assert "penalty" in catalog.kinds  # extends packaged: packaged kinds stay available
    # the data validates against the written catalogue
    ds = CreditDataset.from_frames(lives_like.enterprises.drop(columns=["entity_type", "industry", "registered_capital",
                                                                        "established_on"], errors="ignore"),
                                   lives_like.records, catalog=catalog, manifest=lives_like.manifest)
    spec = load_feature_spec(out / "features.yaml")
    assert {a.column: a.type for a in spec.attributes} == {
        "postal_code": "categorical", "latitude": "numeric", "chain": "flag", "opened": "date"}
    labels = inspection_outcome(ds)
    assert labels.y.sum() > 0
    fm = build_features(ds, labels.cutoffs, spec)
    names = set(fm.feature_names)
    assert {"inspection_adverse_count_365d", "inspection_adverse_share_1095d", "inspection_score_mean_365d",
            "inspection_score_last_value",
            "violation_high_count_1095d", "violation_max_severity_1095d", "region_code", "postal_code",
            "opened_age_years", "chain"} <= names
    assert not any(n.startswith(("annual_report", "related_", "industry_", "penalty")) for n in names)
    kept, dropped = drop_constant(fm)
    assert len(dropped) <= 3, dropped
    tiers = load_tier_config(out / "tiers.yaml")
    assert all(o.feature in names for o in tiers.overrides)
    assert tiers.observation is None or tiers.observation.feature in names
    scorecard = load_scorecard_config(out / "scorecard.yaml")
    assert scorecard.mode == "learned" and all(v.feature in names for v in scorecard.vetoes)
    config, _ = load_train_config(out / "train.yaml")
    assert config.path(config.features) == (out / "features.yaml").resolve() and config.domains == ()
    assert config.model is None
    with pytest.raises(ConfigError, match=r"already holds \['catalog.yaml'"):
        write_starter_configs(lives_like, out)
    assert write_starter_configs(lives_like, out, overwrite=True) == paths


def test_attribute_types_are_inferred_and_unsafe_or_free_text_columns_skipped(lives_like):
    types = infer_attribute_types(lives_like.enterprises, exclude=("closed_on",))
    assert {c: t for c, (t, _) in types.items()} == {
        "postal_code": "categorical", "latitude": "numeric", "chain": "flag", "opened": "date"}
    marked = replace(lives_like, manifest=replace(lives_like.manifest, as_of_unsafe=("opened",)))
    assert "opened" not in infer_attribute_types(marked.enterprises, exclude=("closed_on", "opened"))


def test_a_column_that_repeats_the_region_is_not_an_attribute(lives_like):
    """The raw postal code beside the region made from it (LIVES) is the same categorical twice."""
    ent = lives_like.enterprises.copy()
    ent["zip_raw"] = ent["region"].astype(object)
    ent.loc[0, "zip_raw"] = f"{ent.loc[0, 'zip_raw']}2019"  # one ZIP+4 variant in 80: share 0.9875
    ent["district"] = ent["region"].map({"94103": "SoMa", "94110": "Mission", "94133": "North Beach"})
    assert same_partition_share(ent["zip_raw"], ent["region"]) == 79 / 80 < SAME_PARTITION_SHARE
    assert "zip_raw" in infer_attribute_types(ent, exclude=("closed_on",))
    ent.loc[0, "zip_raw"] = ent.loc[0, "region"]
    assert same_partition_share(ent["zip_raw"], ent["region"]) == 1.0
    types = infer_attribute_types(ent, exclude=("closed_on",))
    assert "zip_raw" not in types and "district" not in types
    assert types["postal_code"][0] == "categorical"  # drawn apart from the region: kept


def test_free_text_that_subjects_share_in_small_groups_becomes_a_group_size(lives_like):
    """An address several subjects share (a market hall) counts them; a city nearly all share does not."""
    ent = lives_like.enterprises.copy()
    n = len(ent)
    ent["address"] = [f"{i} Main St" for i in range(n)]
    ent.loc[:3, "address"] = "1 FERRY BUILDING"  # 4 of 80 share one address: 5 %, the largest group allowed
    ent.loc[4:5, "address"] = "  1 ferry building "
    ent["city"] = ["San Francisco"] * (n - 2) + ["S.F.", "SF"]
    types = infer_attribute_types(ent, exclude=("closed_on",))
    assert "city" not in types
    assert "address" not in types  # 6 of 80 (7.5 %) at one address is more than MAX_GROUP_SHARE
    ent.loc[4:5, "address"] = "2 Market St"
    assert largest_group_share(ent, "address") == 4 / n <= MAX_GROUP_SHARE
    assert types != (types := infer_attribute_types(ent, exclude=("closed_on",)))
    assert types["address"][0] == "group_size" and "8% of the subjects share their address" in types["address"][1]


@given(st.lists(st.sampled_from("abcd"), min_size=1, max_size=40), st.lists(st.sampled_from("xyz"), min_size=1, max_size=40))
def test_same_partition_share_is_symmetric_bounded_and_blind_to_relabelling(left, right):
    n = min(len(left), len(right))
    a, b = pd.Series(left[:n]), pd.Series(right[:n])
    share = same_partition_share(a, b)
    assert 0.0 < share <= 1.0
    assert share == pytest.approx(same_partition_share(b, a))
    assert same_partition_share(a.map(str.upper), b) == pytest.approx(share)
    assert same_partition_share(a, a.map({"a": "1", "b": "2", "c": "3", "d": "4"})) == 1.0


@pytest.mark.skipif(not SF.is_dir(), reason="../shared/data/sf_restaurants not present")
def test_san_francisco_init_configs_build_with_far_fewer_constant_features(tmp_path):
    from credit_risk.adapters.lives import load_lives

    ds = load_lives(SF)
    write_starter_configs(ds, tmp_path)
    labels = inspection_outcome(ds)
    init = replace(ds, catalog=load_catalog(tmp_path / "catalog.yaml"))
    packaged = build_features(ds, labels.cutoffs)
    derived = build_features(init, labels.cutoffs, load_feature_spec(tmp_path / "features.yaml"))
    n_packaged, n_init = len(drop_constant(packaged)[1]), len(drop_constant(derived)[1])
    assert n_packaged >= 50 and n_init <= 3, (n_packaged, n_init)
    assert len(derived.feature_names) - n_init > 3 * (len(packaged.feature_names) - n_packaged)
    assert load_yaml(tmp_path / "tiers.yaml")["overrides"] == []
