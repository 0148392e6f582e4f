"""``group_size`` attributes: subjects sharing a value (a chain's name), counted as of each date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_risk.data import CreditDataset
from credit_risk.features import build_features, load_feature_spec
from credit_risk.features.attributes import group_sizes
from credit_risk.features.engine import INF
from credit_risk.features.spec import AttributeSpec, FeatureSpec
from credit_risk.starter import MIN_SHARED_NAME_SHARE, shared_name_share, write_starter_configs


def _naive(values, known, subj, day):
    key = [None if v is None or str(v).strip() == "" else str(v).strip().casefold() for v in values]
    out = []
    for s, t in zip(subj, day, strict=True):
        if key[s] is None:
            out.append(np.nan)
            continue
        others = sum(1 for j, k in enumerate(key) if k == key[s] and j != s and known[j] < t)
        out.append(float(others + 1))
    return np.array(out)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_group_sizes_equal_a_naive_count(data):
    n = data.draw(st.integers(1, 12))
    values = data.draw(st.lists(st.sampled_from(["A", "a ", "B", "", None, "c"]), min_size=n, max_size=n))
    known = np.array(data.draw(st.lists(st.one_of(st.integers(0, 20), st.just(INF)), min_size=n, max_size=n)),
                     dtype=np.int64)
    m = data.draw(st.integers(1, 15))
    subj = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    day = np.array(data.draw(st.lists(st.integers(0, 22), min_size=m, max_size=m)), dtype=np.int64)
    got = group_sizes(pd.Series(values, dtype=object), known, subj, day)
    np.testing.assert_array_equal(got, _naive(values, known, subj, day))


def _chain_dataset():
    ent = pd.DataFrame({
        "credit_code": ["s0", "s1", "s2", "s3"],
        "name": ["Cafe Uno", "CAFE UNO ", "Cafe Uno", "Deli"],
        "established_on": ["2020-01-01", None, "2023-06-01", "2019-01-01"],
    })
    # s1 has no establishment date: it is known from its first record (2022-03-01)
    rec = pd.DataFrame({"record_id": ["p1", "p2"], "credit_code": ["s1", "s3"], "kind": ["penalty", "penalty"],
                        "domain": ["food", "food"], "start": ["2022-03-01", "2021-01-01"]})
    return CreditDataset.from_frames(ent, rec, id_scheme="any")


def test_a_chain_counts_only_branches_known_before_the_as_of_date():
    ds = _chain_dataset()
    cut = pd.DataFrame({"credit_code": ["s0", "s0", "s0", "s2", "s3"],
                        "as_of": pd.to_datetime(["2021-01-01", "2022-06-01", "2024-01-01", "2023-01-01", "2024-01-01"])})
    spec = FeatureSpec(attributes=(AttributeSpec(column="name", type="group_size"),))
    fm = build_features(ds, cut, spec, views=["context"])
    # s0 alone in 2021; s1 known from its first record in 2022; s2 established mid-2023 (later branches do
    # not leak into earlier dates); s2 scored before its own establishment still counts itself
    assert fm.X["name_group_size"].tolist() == [1.0, 2.0, 3.0, 3.0, 1.0]
    info = fm.info_by_name()["name_group_size"]
    assert info.view == "context" and info.direction == 0 and not info.categorical
    assert "share this subject's 'name'" in info.description


def test_group_size_round_trips_through_yaml(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("attributes:\n  - {column: name, type: group_size}\n", encoding="utf-8")
    spec = load_feature_spec(path)
    assert spec.attributes[0].type == "group_size" and spec.attributes[0].feature_name == "name_group_size"
    path.write_text("attributes:\n  - {column: name, type: group_sizes}\n", encoding="utf-8")
    with pytest.raises(Exception, match="group_sizes"):
        load_feature_spec(path)


def test_init_adds_the_chain_size_when_names_repeat(tmp_path):
    ds = _chain_dataset()
    assert shared_name_share(ds.enterprises) == 0.75 >= MIN_SHARED_NAME_SHARE
    write_starter_configs(ds, tmp_path / "configs")
    spec = load_feature_spec(tmp_path / "configs" / "features.yaml")
    assert [(a.column, a.type) for a in spec.attributes] == [("name", "group_size")]
    assert "share their name with another" in (tmp_path / "configs" / "features.yaml").read_text(encoding="utf-8")
    unique = CreditDataset.from_frames(ds.enterprises.assign(name=["A", "B", "C", "D"]), ds.records.astype(
        {"kind": object, "domain": object})[["record_id", "credit_code", "kind", "domain", "start"]], id_scheme="any")
    write_starter_configs(unique, tmp_path / "unique")
    assert load_feature_spec(tmp_path / "unique" / "features.yaml").attributes == ()
