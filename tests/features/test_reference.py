"""The fast builders equal the naive per-cutoff loop on random datasets (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from feature_factories import make_cutoffs, make_dataset
from feature_reference import (
    naive_aggregates,
    naive_compliance,
    naive_context,
    naive_lifecycle_commercial,
    naive_relations,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_risk.features import build_features, load_feature_spec
from credit_risk.features.spec import AggregateGroup, RecordFilter

SPEC = load_feature_spec()
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_frame_matches(fast: pd.DataFrame, naive: pd.DataFrame) -> None:
    for col in naive.columns:
        a, b = fast[col], naive[col]
        if isinstance(a.dtype, pd.CategoricalDtype):
            got = a.astype(object).where(a.notna(), None).tolist()
            want = [None if pd.isna(v) else v for v in b]
            assert got == want, col
        else:
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, atol=1e-9, err_msg=col)


def _case(seed, n_subjects, n_records, n_cutoffs):
    ds = make_dataset(seed, n_subjects=n_subjects, n_records=n_records)
    cut = make_cutoffs(ds, n_cutoffs, np.random.default_rng(seed + 1))
    return ds, cut


@SETTINGS
@given(seed=st.integers(0, 10_000), n_subjects=st.integers(1, 8), n_records=st.integers(0, 60))
def test_aggregates_equal_reference(seed, n_subjects, n_records):
    ds, cut = _case(seed, n_subjects, n_records, 12)
    fm = build_features(ds, cut, views=["commercial", "compliance", "social", "lifecycle"])
    assert_frame_matches(fm.X, naive_aggregates(ds, cut, SPEC))


VALUED = replace(SPEC, aggregates=tuple(
    AggregateGroup(f"{kind}_score", "compliance", 0, f"{kind} records (score)", kind, RecordFilter(kinds=(kind,)),
                   ("mean", "last_value"), (365, 1095))
    for kind in ("penalty", "inspection")
))


@SETTINGS
@given(seed=st.integers(0, 10_000), n_subjects=st.integers(1, 8), n_records=st.integers(0, 60))
def test_value_mean_and_last_value_equal_reference(seed, n_subjects, n_records):
    """``last_value``: the value of the most recent record with a value that still counts (else missing)."""
    ds, cut = _case(seed, n_subjects, n_records, 12)
    fm = build_features(ds, cut, VALUED, views=["compliance"])
    naive = naive_aggregates(ds, cut, VALUED)
    assert {"penalty_score_last_value", "inspection_score_mean_365d"} <= set(naive.columns)
    assert_frame_matches(fm.X, naive)


@SETTINGS
@given(seed=st.integers(0, 10_000), n_subjects=st.integers(1, 8), n_records=st.integers(0, 60))
def test_builders_equal_reference(seed, n_subjects, n_records):
    ds, cut = _case(seed, n_subjects, n_records, 10)
    fm = build_features(ds, cut)
    assert_frame_matches(fm.X, naive_compliance(ds, cut))
    assert_frame_matches(fm.X, naive_lifecycle_commercial(ds, cut, SPEC.builders.commercial.history_years))
    assert_frame_matches(fm.X, naive_relations(ds, cut))
    assert_frame_matches(fm.X, naive_context(ds, cut))


@SETTINGS
@given(seed=st.integers(0, 10_000), n_subjects=st.integers(1, 8), years=st.integers(1, 4))
def test_report_history_means_equal_reference(seed, n_subjects, years):
    """A short report history window (the default one covers every report of the factory)."""
    ds, cut = _case(seed, n_subjects, 0, 12)
    b = SPEC.builders
    spec = replace(SPEC, builders=replace(b, commercial=replace(b.commercial, history_years=years)))
    fm = build_features(ds, cut, spec, views=["commercial"])
    naive = naive_lifecycle_commercial(ds, cut, years)
    assert_frame_matches(fm.X, naive[[c for c in naive.columns if c.endswith(f"_mean_{years}y")]])


def test_relations_worst_tier_equals_reference(small_dataset):
    rng = np.random.default_rng(3)
    codes = small_dataset.enterprises["credit_code"].to_numpy()
    tiers = pd.DataFrame(
        {
            "credit_code": rng.choice(codes, 60),
            "valid_from": pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 40, 60) * 30, unit="D"),
            "tier": rng.choice(list("ABCD"), 60),
        }
    )
    cut = make_cutoffs(small_dataset, 40, rng)
    fm = build_features(small_dataset, cut, views=["relations"], tiers=tiers)
    assert_frame_matches(fm.X, naive_relations(small_dataset, cut, tiers))


@pytest.mark.parametrize("seed", [0, 1])
def test_same_day_boundaries(seed):
    """Cutoffs exactly on record starts, publications and ends (the grid) match the reference."""
    ds = make_dataset(seed, n_subjects=4, n_records=120)
    starts = ds.records[["credit_code", "start"]].rename(columns={"start": "as_of"})
    ends = ds.records[["credit_code", "end"]].dropna().rename(columns={"end": "as_of"})
    pubs = ds.records[["credit_code", "published_on"]].rename(columns={"published_on": "as_of"})
    cut = pd.concat([starts, ends, pubs]).head(60).reset_index(drop=True)
    fm = build_features(ds, cut, views=["commercial", "compliance", "social", "lifecycle"])
    assert_frame_matches(fm.X, naive_aggregates(ds, cut, SPEC))
