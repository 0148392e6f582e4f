"""The synthetic province: determinism, validity, base rates, visibility of the latent risk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from credit_risk.atomic import sha256_file
from credit_risk.data import credit_code, load_dataset
from credit_risk.data.synthetic import generate_province, load_synthetic_config, write_province
from credit_risk.data.synthetic.rates import base_rates, rates_outside_targets
from credit_risk.data.synthetic.regions import COUNTIES
from credit_risk.exceptions import ConfigError

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def province():
    """The committed sample's province: 5,000 subjects, seed 0."""
    return generate_province(5000, seed=0)


@pytest.fixture(scope="module")
def small():
    return generate_province(1000, seed=1)


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*.parquet"))}


def test_same_seed_same_tables_other_seed_different(small):
    again = generate_province(1000, seed=1)
    assert again.dataset.fingerprint() == small.dataset.fingerprint()
    pd.testing.assert_frame_equal(again.truth["latent"], small.truth["latent"])
    other = generate_province(1000, seed=2)
    assert other.dataset.fingerprint() != small.dataset.fingerprint()


def test_codes_validate_are_unique_and_zhejiang(province):
    ent = province.dataset.enterprises
    codes = ent["credit_code"]
    assert not credit_code.invalid_mask(codes).any()
    assert codes.is_unique and codes.is_monotonic_increasing
    assert ent["region"].astype(str).isin(list(COUNTIES)).all()
    assert (codes.str[2:8] == ent["region"].astype(str)).all()
    prefix = {"enterprise": {"91"}, "individual_business": {"92"}, "farmer_cooperative": {"93"},
              "social_organisation": {"51", "52", "53"}, "public_institution": {"12"}, "government_body": {"11"}}
    for etype, allowed in prefix.items():
        sel = ent["entity_type"] == etype
        assert codes[sel].str[:2].isin(allowed).all(), etype
    assert province.dataset.id_scheme == "gb32100"


def test_population_shape(province):
    ent = province.dataset.enterprises
    shares = ent["entity_type"].value_counts(normalize=True)
    assert 0.5 < shares["individual_business"] < 0.7 and 0.28 < shares["enterprise"] < 0.44
    assert ent["established_on"].min() >= pd.Timestamp("1995-12-31")
    assert ent["established_on"].max() <= pd.Timestamp("2025-12-31")
    assert 0.15 < ent["closed_on"].notna().mean() < 0.6
    assert (ent["closed_on"].dropna() >= pd.Timestamp("2019-01-01")).all()
    cap = ent.loc[ent["entity_type"] == "enterprise", "registered_capital"]
    assert 30 < cap.median() < 300 and cap.max() > 20 * cap.median()  # log-normal, long tail


def test_records_respect_the_calendar_and_the_catalogue(province):
    ds = province.dataset
    rec, ent = ds.records, ds.enterprises
    end = pd.Timestamp("2025-12-31")
    assert (rec["start"] <= end).all() and (rec["published_on"] <= end).all()
    assert (rec["published_on"] >= rec["start"]).all()
    assert (rec.loc[rec["kind"] == "penalty", "published_on"] > rec.loc[rec["kind"] == "penalty", "start"]).any()
    closed = rec["credit_code"].map(ent.set_index("credit_code")["closed_on"])
    assert not (rec["start"] > closed).any()
    established = rec["credit_code"].map(ent.set_index("credit_code")["established_on"])
    not_licence = ~rec["kind"].isin(["licence"])
    assert not (rec["start"] < established)[not_licence].any()
    assert set(rec["kind"].astype(str).unique()) <= set(ds.catalog.kinds)
    drawn = rec["draw_probability"].notna()
    assert (rec.loc[drawn, "kind"] == "inspection").all()
    assert rec.loc[drawn, "draw_probability"].between(0, 1).all()
    assert ((rec["kind"] == "inspection") & ~drawn).any()  # targeted and complaint-driven ones
    assert rec["record_id"].is_unique
    key = rec["credit_code"].to_numpy()
    assert (key[1:] >= key[:-1]).all()


def test_domain_records_only_where_the_domain_applies(province):
    rec, truth = province.dataset.records, province.truth["subjects"].set_index("credit_code")
    food = rec["credit_code"].map(truth["food_business"]).astype(bool)
    polluter = rec["credit_code"].map(truth["polluter"]).astype(bool)
    assert food[rec["domain"] == "food"].all()
    env = (rec["domain"] == "environment") | rec["kind"].isin(["environmental_violation", "environmental_rating"])
    assert polluter[env].all()
    assert food.any() and polluter.any()


def test_inspection_outcomes_follow_the_truth(province):
    rec = province.dataset.records
    insp = rec[rec["kind"] == "inspection"].copy()
    insp["month"] = insp["start"].dt.to_period("M").dt.to_timestamp()
    lat = province.truth["latent"]
    m = insp.merge(lat, on=["credit_code", "month"], how="left", validate="many_to_one")
    assert m["latent_risk"].notna().all()
    state = np.select(
        [m["domain"] == "food", m["domain"] == "environment"],
        [m["violating_food"], m["violating_environment"]], m["violating"],
    ).astype(bool)
    expected = np.where(m["unreachable"], "unreachable", np.where(state, "problem", "pass"))
    assert (m["outcome"].astype(str).to_numpy() == expected).all()


def test_truth_table_shape(province):
    lat = province.truth["latent"]
    assert list(lat.columns[:4]) == ["credit_code", "month", "latent_risk", "violating"]
    assert lat["latent_risk"].dtype == np.float32 and lat["month"].dtype == "datetime64[ns]"
    assert (lat["month"].dt.day == 1).all()
    assert lat["month"].min() == pd.Timestamp("2019-01-01") and lat["month"].max() == pd.Timestamp("2025-12-01")
    assert not lat.duplicated(["credit_code", "month"]).any()
    assert lat["latent_risk"].between(0, 1).all()
    # P(violating) = latent risk, on average.
    assert abs(lat["violating"].mean() - lat["latent_risk"].mean()) < 0.01
    assert not lat["violating_food"][lat["latent_risk_food"].isna()].any()


def test_base_rates_inside_configured_ranges(province):
    assert rates_outside_targets(province.dataset, province.config) == {}
    rates = base_rates(province.dataset, province.config)
    assert set(rates) == set(province.config.targets)


def test_latent_risk_is_visible_in_penalties(province):
    lat = province.truth["latent"].assign(year=lambda d: d["month"].dt.year)
    per_year = lat.groupby(["credit_code", "year"], observed=True)["latent_risk"].mean().reset_index()
    pen = province.dataset.records.query("kind == 'penalty'")
    hit = pen.assign(year=pen["start"].dt.year)[["credit_code", "year"]].drop_duplicates().assign(penalised=1.0)
    m = per_year.merge(hit, on=["credit_code", "year"], how="left").fillna({"penalised": 0.0})
    m["decile"] = pd.qcut(m["latent_risk"], 10, labels=False)
    rate = m.groupby("decile")["penalised"].mean()
    assert rate.iloc[-1] >= 3 * rate.iloc[0]
    assert spearmanr(rate.index, rate.to_numpy()).statistic > 0.8


def test_write_is_byte_for_byte_and_loads(small, tmp_path):
    write_province(small, tmp_path / "a")
    write_province(generate_province(1000, seed=1), tmp_path / "b")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert "truth/latent.parquet" in _files(tmp_path / "a")
    loaded = load_dataset(tmp_path / "a")  # truth/ is never read
    assert loaded.n_subjects == 1000 and "latent_risk" not in loaded.records.columns
    write_province(small, tmp_path / "c", write_truth=False)
    assert not (tmp_path / "c" / "truth").exists()


def test_committed_sample_regenerates_byte_for_byte(province, tmp_path):
    assert SAMPLE.is_dir(), "data/sample is missing; regenerate it with `make sample`"
    write_province(province, tmp_path)
    committed = _files(SAMPLE)
    assert committed == _files(tmp_path), "data/sample differs from a fresh generation; run `make sample`"
    assert sum((SAMPLE / f).stat().st_size for f in committed) < 10_000_000


def test_config_is_strict_and_overridable():
    cfg = load_synthetic_config(overrides={"risk": {"contagion": 0.0}})
    assert cfg.risk.contagion == 0.0 and cfg.history_start == "2019-01-01"
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['contagon'\]"):
        load_synthetic_config(overrides={"risk": {"contagon": 0.0}})
    with pytest.raises(ConfigError, match="outside its range"):
        load_synthetic_config(overrides={"targets": {"annual_penalty_rate": {"target": 0.5}}})
    with pytest.raises(ConfigError, match="first day of a month"):
        load_synthetic_config(overrides={"history_start": "2019-01-15"})
    with pytest.raises(ConfigError, match="n_subjects must be an integer"):
        generate_province(5.5)


def test_config_changes_the_world():
    quiet = load_synthetic_config(overrides={"risk": {"mean_latent_risk": 0.03}})
    a = generate_province(1000, seed=3, config=quiet)
    b = generate_province(1000, seed=3)
    assert a.truth["latent"]["violating"].mean() < b.truth["latent"]["violating"].mean()


def test_progress_callback_sees_every_month(small):
    seen = []
    generate_province(200, seed=0, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (168, 168) and len(seen) == 168


def test_listings_follow_the_rules(province):
    rec = province.dataset.records
    ab = rec[rec["kind"] == "abnormal_listing"]
    assert set(ab["outcome"].astype(str)) == {"late_annual_report", "unreachable_address"}
    late = ab[ab["outcome"] == "late_annual_report"]
    assert (late["start"].dt.month == 7).all()  # listed after the 30 June deadline
    assert late["end"].notna().any() and late["end"].isna().any()  # some remedied, some not
    serious = rec[rec["kind"] == "serious_listing"]
    assert len(serious) and ((serious["end"] - serious["start"]).dropna() <= pd.Timedelta(days=1095)).all()
    # Three years unremedied on the abnormal list → serious list, on that day.
    unremedied = ab[ab["end"].isna() | (ab["end"] > ab["start"] + pd.Timedelta(days=1095))]
    due = unremedied.assign(day=unremedied["start"] + pd.Timedelta(days=1095))
    due = due[due["day"] <= pd.Timestamp("2025-12-31")]
    hits = due.merge(serious, left_on=["credit_code", "day"], right_on=["credit_code", "start"])
    assert len(hits) > 0


def test_relations_are_valid_links(province):
    rel = province.dataset.relations
    assert set(rel["relation"].astype(str)) == {"shareholder", "legal_representative", "same_address"}
    assert (rel["credit_code"] != rel["related_code"]).all()
    assert 0.02 < len(rel) / province.dataset.n_subjects < 0.1
    assert (rel["start"] <= pd.Timestamp("2025-12-31")).all()


def test_latent_risk_is_visible_in_random_inspections(province):
    rec = province.dataset.records
    insp = rec[(rec["kind"] == "inspection") & rec["draw_probability"].notna()].copy()
    insp["month"] = insp["start"].dt.to_period("M").dt.to_timestamp()
    m = insp.merge(province.truth["latent"], on=["credit_code", "month"])
    m["quintile"] = pd.qcut(m["latent_risk"], 5, labels=False)
    rate = m.groupby("quintile")["outcome"].apply(lambda s: (s == "problem").mean())
    assert rate.is_monotonic_increasing and rate.iloc[-1] > 4 * rate.iloc[0]
