"""build_features: leakage, partitioning by subject, row order, errors, metadata."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from feature_factories import BASE, CATALOG, make_cutoffs, make_dataset, make_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_risk.data import CreditDataset
from credit_risk.exceptions import ConfigError, DataContractError
from credit_risk.features import VIEWS, build_features, load_feature_spec
from credit_risk.features.spec import FeatureSpec

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _frames(ds: CreditDataset) -> dict:
    return {
        "enterprises": ds.enterprises.copy(),
        "records": ds.records.copy(),
        "annual_reports": ds.annual_reports.copy(),
        "relations": ds.relations.copy(),
    }


def _rebuild(frames: dict) -> CreditDataset:
    rec = frames["records"].copy()
    for c in ("kind", "domain", "severity", "outcome", "source"):
        rec[c] = rec[c].astype(object)
    ent = frames["enterprises"].copy()
    for c in ("entity_type", "industry", "region"):
        ent[c] = ent[c].astype(object)
    rel = frames["relations"].copy()
    rel["relation"] = rel["relation"].astype(object)
    return CreditDataset.from_frames(
        ent, rec, annual_reports=frames["annual_reports"], relations=rel, catalog=CATALOG, id_scheme="any"
    )


def _assert_same(a, b) -> None:
    pd.testing.assert_frame_equal(a.X, b.X, check_exact=False, rtol=1e-9, atol=1e-9)


@SETTINGS
@given(seed=st.integers(0, 10_000), n_future=st.integers(1, 40), day=st.integers(100, 1400))
def test_future_and_unpublished_records_change_nothing(seed, n_future, day):
    ds = make_dataset(seed, n_subjects=6, n_records=60)
    as_of = BASE + pd.Timedelta(days=day)
    cut = pd.DataFrame({"credit_code": ds.enterprises["credit_code"], "as_of": as_of})
    tiers = pd.DataFrame({"credit_code": ds.enterprises["credit_code"], "valid_from": as_of - pd.Timedelta(days=30),
                          "tier": "B"})
    before = build_features(ds, cut, tiers=tiers)

    rng = np.random.default_rng(seed)
    kinds = [k for k in CATALOG.kinds if k != "capital_change"]  # see test_capital_change_leakage
    new = make_records(ds.enterprises, n_future, rng, kinds)
    new["record_id"] = [f"new{i}" for i in range(n_future)]
    shift = pd.to_timedelta(rng.integers(0, 400, n_future), unit="D")
    future = rng.random(n_future) < 0.5
    # half dated on/after as_of, half dated before as_of but published on/after it
    new["start"] = np.where(future, as_of + shift, as_of - pd.to_timedelta(rng.integers(1, 900, n_future), unit="D"))
    new["published_on"] = np.where(future, new["start"] + shift, as_of + shift)
    new["end"] = new["end"].where(new["end"].isna(), new["start"] + pd.Timedelta(days=10))
    frames = _frames(ds)
    frames["records"] = pd.concat([frames["records"], new], ignore_index=True)
    frames["annual_reports"] = pd.concat(
        [frames["annual_reports"],
         pd.DataFrame({"credit_code": ds.enterprises["credit_code"], "year": 2015, "filed_on": as_of, "revenue": 1.0})],
        ignore_index=True,
    )
    codes = ds.enterprises["credit_code"].to_numpy()
    frames["relations"] = pd.concat(
        [frames["relations"],
         pd.DataFrame({"credit_code": codes[:-1], "related_code": codes[1:], "relation": "shareholder",
                       "start": as_of, "end": pd.NaT})],
        ignore_index=True,
    ).drop_duplicates(["credit_code", "related_code", "relation", "start"])
    tiers_after = pd.concat(
        [tiers, pd.DataFrame({"credit_code": codes, "valid_from": as_of, "tier": "D"})], ignore_index=True
    )
    after = build_features(_rebuild(frames), cut, tiers=tiers_after)
    _assert_same(before, after)


def test_capital_change_leakage():
    """A future capital change comes with the register's current capital: capital at t is unchanged."""
    ds = make_dataset(1, n_subjects=3, n_records=30)
    as_of = BASE + pd.Timedelta(days=500)
    cut = pd.DataFrame({"credit_code": ds.enterprises["credit_code"], "as_of": as_of})
    before = build_features(ds, cut, views=["commercial"])
    frames = _frames(ds)
    code = ds.enterprises["credit_code"].iloc[0]
    frames["records"] = pd.concat(
        [frames["records"], pd.DataFrame({"record_id": ["cap"], "credit_code": [code], "kind": ["capital_change"],
                                          "domain": ["market"], "start": [as_of], "value": [100.0]})],
        ignore_index=True,
    )
    frames["enterprises"].loc[0, "registered_capital"] = np.nan_to_num(frames["enterprises"].loc[0, "registered_capital"]) + 100.0
    after = build_features(_rebuild(frames), cut, views=["commercial"])
    if not np.isnan(before.X["log_registered_capital"].iloc[0]):
        _assert_same(before, after)


@pytest.mark.parametrize("seed", [2, 3])
def test_partition_by_subject_gives_same_rows(seed):
    ds = make_dataset(seed, n_subjects=10, n_records=200)
    cut = make_cutoffs(ds, 60, np.random.default_rng(seed))
    views = ["commercial", "compliance", "social", "lifecycle"]
    whole = build_features(ds, cut, views=views)
    codes = ds.enterprises["credit_code"].to_numpy()
    parts = []
    for piece in (codes[::2], codes[1::2]):
        frames = _frames(ds)
        frames = {k: v[v["credit_code"].isin(piece)] for k, v in frames.items()}
        frames["relations"] = frames["relations"][frames["relations"]["related_code"].isin(piece)]
        sub = cut[cut["credit_code"].isin(piece)]
        fm = build_features(_rebuild(frames), sub.reset_index(drop=True), views=views)
        parts.append(fm.frame().set_index(sub.index))
    merged = pd.concat(parts).sort_index().reset_index(drop=True)
    pd.testing.assert_frame_equal(merged, whole.frame(), check_exact=False, rtol=1e-9, atol=1e-9)


def test_rows_follow_cutoff_order(small_dataset):
    cut = make_cutoffs(small_dataset, 80, np.random.default_rng(5))
    cut = pd.concat([cut, cut.iloc[:5]], ignore_index=True)  # repeated subjects and dates
    fm = build_features(small_dataset, cut)
    assert fm.keys["credit_code"].tolist() == cut["credit_code"].tolist()
    assert (fm.keys["as_of"].to_numpy() == cut["as_of"].to_numpy()).all()
    perm = np.random.default_rng(0).permutation(len(cut))
    shuffled = build_features(small_dataset, cut.iloc[perm].reset_index(drop=True))
    expected = fm.X.iloc[perm].reset_index(drop=True)
    pd.testing.assert_frame_equal(shuffled.X, expected)
    pd.testing.assert_frame_equal(fm.X.iloc[-5:].reset_index(drop=True), fm.X.iloc[:5].reset_index(drop=True))


def test_metadata_and_types(small_dataset):
    cut = make_cutoffs(small_dataset, 20, np.random.default_rng(0))
    fm = build_features(small_dataset, cut)
    assert {i.view for i in fm.info} == set(VIEWS)
    for info in fm.info:
        col = fm.X[info.name]
        assert info.description and info.description_zh, info.name
        assert info.name == info.name.lower() and " " not in info.name
        assert isinstance(col.dtype, pd.CategoricalDtype) == info.categorical, info.name
        if not info.categorical:
            assert col.dtype == np.float64, info.name
    assert fm.info_by_name()["penalty_count_365d"].direction == 1
    assert fm.info_by_name()["penalty_days_since_last"].direction == -1
    assert list(fm.X["tax_rating_last"].cat.categories) == ["A", "B", "M", "C", "D"]
    assert "draw_probability" not in " ".join(fm.feature_names)


def test_no_inspection_gives_nan_not_zero():
    ds = make_dataset(0, n_subjects=2, n_records=0)
    cut = pd.DataFrame({"credit_code": ds.enterprises["credit_code"], "as_of": BASE})
    fm = build_features(ds, cut, views=["compliance"])
    assert fm.X["days_since_inspection"].isna().all()
    assert fm.X["inspection_problem_rate_1825d"].isna().all()
    assert (fm.X["penalty_count_365d"] == 0).all()


def test_draw_probability_column_is_ignored():
    ds = make_dataset(4, n_subjects=4, n_records=40)
    cut = make_cutoffs(ds, 10, np.random.default_rng(0))
    frames = _frames(ds)
    frames["records"]["draw_probability"] = 0.5
    a = build_features(ds, cut)
    b = build_features(_rebuild(frames), cut)
    _assert_same(a, b)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_record_row_order_changes_nothing(seed):
    """Same-day records (a joint visit) tie-break on record_id, never on row position."""
    ds = make_dataset(seed, n_subjects=5, n_records=80)
    cut = make_cutoffs(ds, 30, np.random.default_rng(seed))
    frames = _frames(ds)
    frames["records"] = frames["records"].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    _assert_same(build_features(ds, cut), build_features(_rebuild(frames), cut))


def test_joint_visit_last_outcome_does_not_depend_on_row_order():
    ent = pd.DataFrame({"credit_code": ["S1"], "name": ["a"], "entity_type": ["enterprise"], "industry": ["C13"],
                        "region": ["330106"], "registered_capital": [1.0], "established_on": ["2015-01-01"]})
    rows = pd.DataFrame({"record_id": ["v1-food", "v1-market"], "credit_code": "S1", "kind": "inspection",
                         "domain": ["food", "market"], "start": "2025-05-01", "outcome": ["problem", "pass"]})
    cut = pd.DataFrame({"credit_code": ["S1"], "as_of": pd.Timestamp("2025-06-01")})
    got = [
        build_features(CreditDataset.from_frames(ent, rec, id_scheme="any"), cut, views=["compliance"])
        .X["inspection_last_outcome"].astype(object).iloc[0]
        for rec in (rows, rows.iloc[::-1].reset_index(drop=True))
    ]
    assert got[0] == got[1]


def test_unknown_subject_and_missing_date_are_reported(small_dataset):
    cut = pd.DataFrame({"credit_code": ["S0001", "nobody"], "as_of": pd.to_datetime(["2020-01-01", "2020-01-01"])})
    with pytest.raises(DataContractError, match=r"cutoffs row 2, column 'credit_code'.*not in the dataset's enterprises"):
        build_features(small_dataset, cut)
    cut = pd.DataFrame({"credit_code": ["S0001", "S0002"], "as_of": pd.to_datetime(["2020-01-01", None])})
    with pytest.raises(DataContractError, match=r"cutoffs row 2, column 'as_of': as-of date is missing"):
        build_features(small_dataset, cut)
    with pytest.raises(DataContractError, match=r"cutoffs, column 'as_of': required column is missing"):
        build_features(small_dataset, pd.DataFrame({"credit_code": ["S0001"]}))


def test_unknown_view_and_bad_tiers(small_dataset):
    cut = make_cutoffs(small_dataset, 3, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="unknown view"):
        build_features(small_dataset, cut, views=["finance"])
    tiers = pd.DataFrame({"credit_code": ["S0001"], "valid_from": pd.to_datetime(["2019-01-01"]), "tier": ["E"]})
    with pytest.raises(DataContractError, match="tiers row 1, column 'tier': is not a tier"):
        build_features(small_dataset, cut, views=["relations"], tiers=tiers)


def test_spec_errors(tmp_path):
    bad = tmp_path / "f.yaml"
    bad.write_text("aggregates: []\nwindows: [1]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['windows'\]"):
        load_feature_spec(bad)
    bad.write_text(
        "aggregates:\n  - {prefix: p, view: compliance, direction: 1, description: x, description_zh: x,\n"
        "     filter: {kinds: [penalty]}, aggregations: [count]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="need windows"):
        load_feature_spec(bad)
    bad.write_text(
        "aggregates:\n  - {prefix: p, view: compliance, direction: 1, description: x, description_zh: x,\n"
        "     filter: {kinds: [fines]}, aggregations: [active]}\n",
        encoding="utf-8",
    )
    spec = load_feature_spec(bad)
    with pytest.raises(ConfigError, match=r"filter.kinds: \['fines'\] not in the catalogue"):
        spec.check_catalog(CATALOG)
    with pytest.raises(ConfigError, match="duplicate feature names"):
        FeatureSpec(aggregates=spec.aggregates * 2)
