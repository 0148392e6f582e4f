"""The LIVES adapter on a small hand-made folder and on the San Francisco snapshots."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_risk.adapters.lives import (
    LIVES_TYPES,
    lives_catalog_path,
    load_lives,
    read_lives,
    risk_table,
    write_lives_dataset,
)
from credit_risk.data import load_dataset
from credit_risk.data.catalog import load_catalog
from credit_risk.exceptions import DataContractError
from credit_risk.labels import inspection_outcome

SF = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sf_restaurants"

BUSINESSES = """\
"business_id","name","address","city","state","postal_code","latitude","longitude","phone_number"
10,"TAQUERIA UNO","1 MISSION ST","San Francisco","CA","94110","37.75","-122.41","+14155550100"
11,"TROPISUE\xd1O","75 YERBA BUENA LN","San Francisco","CA","941033148","0","0",""
12,"CAFE DOS","2 MARKET ST","San Francisco","CA","CA","","",""
12,"CAFE DOS","2 MARKET ST","San Francisco","CA","CA","","",""
13,"DELI TRES","3 POLK ST","San Francisco","CA","94109","37.79","-122.42",""
13,"DELI TRES (OLD NAME)","3 POLK ST","San Francisco","CA","94109","37.79","-122.42",""
"""
INSPECTIONS = """\
"business_id","Score","date","type"
10,80,"20160105","Routine - Unscheduled"
10,80,"20160105","Routine - Unscheduled"
10,,"20160105","Complaint"
10,,"20160120","Reinspection/Followup"
10,96,"20160601","Routine - Unscheduled"
11,100,"20160210","Routine - Unscheduled"
11,,"20160310","Brand New Type"
12,88,"2016-04-02","Routine - Unscheduled"
12,n/a,"20160502","Routine - Unscheduled"
13,,"not a date","Complaint"
,90,"20160101","Routine - Unscheduled"
99,91,"20160707","New Ownership"
"""
VIOLATIONS = """\
"business_id","date","ViolationTypeID","risk_category","description"
10,"20160105",103119,"High Risk","Unclean hands"
10,"20160105",103144,"Low Risk","Unapproved equipment"
10,"20160105",103144,"Low Risk","Unapproved equipment"
10,"20160601",103144,"Low Risk","Unapproved equipment"
12,"20160402",103120,"Moderate Risk","Improper storage"
12,"20160502",103999,"Critical","Something new"
13,"20160801",103120,"Moderate Risk","Improper storage"
"""


def _write(folder: Path, businesses=BUSINESSES, inspections=INSPECTIONS, violations=VIOLATIONS,
           names=("businesses.csv", "inspections_plus.csv", "violations_plus.csv")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / names[0]).write_bytes(businesses.encode("cp1252"))  # like SF: not UTF-8
    (folder / names[1]).write_text(inspections, encoding="utf-8")
    if violations is not None:
        (folder / names[2]).write_text(violations, encoding="utf-8")
    return folder


@pytest.fixture
def lives(tmp_path) -> Path:
    return _write(tmp_path / "lives")


def _record(ds, code, day, kind):
    r = ds.records
    m = (r["credit_code"] == code) & (r["start"] == pd.Timestamp(day)) & (r["kind"] == kind)
    assert m.sum() == 1, (code, day, kind, int(m.sum()))
    return r[m].iloc[0]


def test_catalogue_extends_the_packaged_one_and_declares_the_outcomes():
    cat = load_catalog(lives_catalog_path())
    packaged = load_catalog()
    assert set(packaged.kinds) < set(cat.kinds)  # extends, does not copy or remove
    assert cat.kinds["penalty"] == packaged.kinds["penalty"]
    assert cat.kinds["inspection"].view == packaged.kinds["inspection"].view  # overridden field by field
    assert set(LIVES_TYPES.values()) <= set(cat.kinds)
    for kind in set(LIVES_TYPES.values()):
        assert cat.adverse(kind) == ("high_risk_violation",)
        assert cat.kinds[kind].value == "score"
    assert cat.scale("violation") == ("low", "moderate", "high")
    assert cat.severity_rank("high", kind="violation") > cat.severity_rank("low", kind="violation")


def test_a_small_lives_folder_becomes_a_valid_dataset(lives):
    ds = load_lives(lives)
    assert (ds.manifest.id_scheme, ds.manifest.region_scheme, ds.manifest.industry_scheme) == ("any", "any", "any")
    ent = ds.enterprises.set_index("credit_code")
    # 99 appears only in inspections: added with its id, nothing invented
    assert list(ent.index) == ["10", "11", "12", "13", "99"]
    assert ent.loc["11", "name"] == "TROPISUEÑO"  # Windows-1252 read as such
    assert ent.loc["10", "region"] == "94110"
    assert ent.loc["11", "region"] == "94103"  # ZIP+4 cut to the ZIP
    assert pd.isna(ent.loc["12", "region"])  # 'CA' is not a postal code: unknown, not a placeholder
    assert ent.loc["11", "postal_code"] == "941033148"  # the raw value is kept
    assert np.isnan(ent.loc["11", "latitude"]) and np.isnan(ent.loc["11", "longitude"])  # 0, 0 = unknown
    assert ent.loc["10", "latitude"] == pytest.approx(37.75)
    assert ent.loc["13", "name"] == "DELI TRES"  # conflicting duplicate: first row kept
    assert ent.loc["99"].drop(["name"]).isna().all() and pd.isna(ent.loc["99", "name"])
    for column in ("entity_type", "industry", "registered_capital", "established_on"):
        assert ent[column].isna().all()


def test_inspection_kinds_scores_and_outcomes(lives):
    ds = load_lives(lives)
    routine = _record(ds, "10", "2016-01-05", "inspection")
    assert routine["value"] == 80 and routine["outcome"] == "high_risk_violation"
    assert routine["lives_type"] == "Routine - Unscheduled"
    # the complaint visit the same day: the day's violations go to the routine visit, its own is unknown
    assert pd.isna(_record(ds, "10", "2016-01-05", "complaint_inspection")["outcome"])
    assert _record(ds, "10", "2016-01-20", "reinspection")["outcome"] == "no_violation"
    assert _record(ds, "10", "2016-06-01", "inspection")["outcome"] == "low_risk_violation"
    assert _record(ds, "11", "2016-02-10", "inspection")["outcome"] == "no_violation"
    other = _record(ds, "11", "2016-03-10", "other_inspection")
    assert other["lives_type"] == "Brand New Type"
    assert _record(ds, "12", "2016-04-02", "inspection")["outcome"] == "moderate_risk_violation"
    bad_score = _record(ds, "12", "2016-05-02", "inspection")
    assert np.isnan(bad_score["value"]) and bad_score["outcome"] == "violation_unrated"
    assert _record(ds, "99", "2016-07-07", "new_ownership_inspection")["value"] == 91
    # every result is known on the inspection day
    assert (ds.records["published_on"] == ds.records["start"]).all()


def test_violations_keep_their_risk_on_the_kind_scale(lives):
    ds = load_lives(lives)
    v = ds.records[ds.records["kind"] == "violation"]
    assert sorted(v["severity"].astype(str)) == ["high", "low", "low", "moderate", "moderate"]
    unrated = ds.records[ds.records["kind"] == "violation_unrated"]
    assert unrated["description"].tolist() == ["Something new"]  # 'Critical' is not guessed into a scale
    assert set(v["violation_type_id"]) == {"103119", "103144", "103120"}


def test_every_handled_row_is_counted_and_logged(lives, caplog):
    with caplog.at_level(logging.INFO, logger="credit_risk.adapters.lives"):
        t = read_lives(lives)
    assert t.report.counts == {
        "inspections_without_business_id": 1,
        "inspections_bad_date": 1,
        "inspections_exact_duplicates": 1,
        "inspections_unknown_type": 1,
        "inspections_bad_score": 1,
        "violations_exact_duplicates": 1,
        "violations_unknown_risk_category": 1,
        "violations_unrated": 1,
        "inspections_outcome_shared_day": 1,
        "violations_without_inspection": 1,
        "businesses_exact_duplicates": 1,
        "businesses_conflicting_duplicates": 1,
        "postal_codes_zip4_cut": 1,
        "postal_codes_unusable": 1,
        "coordinates_unusable": 1,
        "businesses_added": 1,
    }
    assert t.report.encodings["businesses.csv"] == "cp1252"
    text = caplog.text
    assert "1 rows of inspections_plus.csv have a missing or unreadable date (not YYYYMMDD) and were dropped (e.g. not a date)" in text
    assert "1 violations are dated on a day with no inspection of the business (kept as violation records) (e.g. 13 2016-08-01)" in text
    assert "businesses.csv is not UTF-8; read as cp1252" in text


def test_the_adverse_outcome_labels_routine_inspections(lives):
    ds = load_lives(lives)
    labels = inspection_outcome(ds)  # the default target reads routine visits
    got = dict(zip(zip(labels.cutoffs["credit_code"], labels.cutoffs["as_of"].dt.strftime("%Y-%m-%d"), strict=True),
                   labels.y.tolist(), strict=True))
    assert got == {("10", "2016-01-05"): 1, ("10", "2016-06-01"): 0, ("11", "2016-02-10"): 0,
                   ("12", "2016-04-02"): 0, ("12", "2016-05-02"): 0}


def test_the_variant_without_risk_category(tmp_path):
    vio = """\
"business_id","date","description"
10,"20160105","Unclean hands  [ date violation corrected: 1/20/2016 ]"
10,"20160601","Unapproved equipment"
"""
    ins = '"business_id","score","date","type"\n10,"80","20160105","routine"\n10,"96","20160601","routine"\n'
    folder = _write(tmp_path / "variant", inspections=ins, violations=vio,
                    names=("businesses.csv", "inspections.csv", "violations.csv"))
    (folder / "legend.csv").write_text('"Minimum_Score","Maximum_Score","Description"\n0,70,"Poor"\n')
    ds = load_lives(folder)
    v = ds.records[ds.records["kind"].astype(str).str.startswith("violation")]
    assert set(v["kind"]) == {"violation_unrated"}
    assert v["description"].tolist() == ["Unclean hands", "Unapproved equipment"]
    assert v["corrected_on"].tolist()[0] == pd.Timestamp("2016-01-20")
    assert _record(ds, "10", "2016-01-05", "inspection")["outcome"] == "violation_unrated"
    rated = load_lives(folder, risk_by_description={"Unclean hands": "High Risk", "Unapproved equipment": "low"})
    assert _record(rated, "10", "2016-01-05", "inspection")["outcome"] == "high_risk_violation"
    assert _record(rated, "10", "2016-06-01", "inspection")["outcome"] == "low_risk_violation"


def test_without_violations_outcomes_are_unknown_not_clean(tmp_path):
    folder = _write(tmp_path / "noviol", violations=None)
    t = read_lives(folder)
    insp = t.records[t.records["kind"] != "violation"]
    assert insp["outcome"].isna().all()
    assert t.report.counts["inspections_without_outcome"] == len(insp)


@pytest.mark.parametrize(
    ("remove", "match"),
    [
        ("inspections_plus.csv", r"inspections\.csv: required LIVES table is missing; fix: add inspections\.csv or inspections_plus\.csv"),
        ("businesses.csv", r"businesses\.csv: required LIVES table is missing; fix: add businesses\.csv"),
    ],
)
def test_a_missing_table_is_named(lives, remove, match):
    (lives / remove).unlink()
    with pytest.raises(DataContractError, match=match):
        read_lives(lives)


def test_a_missing_column_is_named(tmp_path):
    folder = _write(tmp_path / "nodate", inspections='"business_id","Score","type"\n10,80,"Routine - Unscheduled"\n')
    with pytest.raises(DataContractError, match=r"inspections_plus\.csv, column 'date': required column is missing; "
                                                 r"fix: add a 'date' column \(columns found: \['business_id', 'score', 'type'\]\)"):
        read_lives(folder)


def test_two_inspection_tables_are_refused(lives):
    (lives / "inspections.csv").write_text((lives / "inspections_plus.csv").read_text())
    with pytest.raises(DataContractError, match=r"a second inspections table next to inspections\.csv"):
        read_lives(lives)


def test_type_kinds_must_be_catalogue_kinds(lives):
    with pytest.raises(DataContractError, match=r"type_kinds maps LIVES types to kinds \['audit'\]"):
        read_lives(lives, type_kinds={"routine - unscheduled": "audit"})


def test_written_dataset_round_trips_with_its_catalogue(lives, tmp_path):
    ds = load_lives(lives)
    paths = write_lives_dataset(lives, tmp_path / "out")
    assert (tmp_path / "out" / "dataset.yaml") in paths
    back = load_dataset(tmp_path / "out")
    assert back.catalog == ds.catalog
    assert back.manifest.region_scheme == "any" and back.manifest.id_scheme == "any"
    pd.testing.assert_frame_equal(back.records.reset_index(drop=True), ds.records.reset_index(drop=True),
                                  check_dtype=False, check_categorical=False)
    assert back.enterprises["region"].astype(object).tolist() == ds.enterprises["region"].astype(object).tolist()


# ------------------------------------------------------------------------ the real snapshots
def _snapshot(name: str) -> Path:
    folder = SF / name
    if not folder.is_dir():
        pytest.skip(f"real LIVES data not found at {folder}")
    return folder


def test_san_francisco_2014_2017_loads_with_every_mess_counted():
    t0 = time.perf_counter()
    ds_folder = _snapshot("dannguyen_2014-2017")
    t = read_lives(ds_folder)
    c = t.report.counts
    assert c["inspections_exact_duplicates"] == 187 and c["violations_exact_duplicates"] == 41
    assert c["violations_without_inspection"] == 104
    assert c["postal_codes_unusable"] == 6 and c["postal_codes_zip4_cut"] == 2
    ds = t.to_dataset()
    assert len(ds.enterprises) == 6359
    kinds = ds.records["kind"].astype(str).value_counts()
    assert kinds["inspection"] == 13_944 and kinds["violation"] == 37_924
    labels = inspection_outcome(ds)  # the default target reads routine visits
    # the High Risk share of routine visits (28 % in the raw tables)
    assert 0.26 < labels.y.mean() < 0.30
    assert ds.enterprises["region"].notna().mean() > 0.95
    assert time.perf_counter() - t0 < 20


def test_san_francisco_2015_2018_rated_from_the_other_snapshot():
    variant = _snapshot("3innielee_2015-2018")
    table = risk_table(_snapshot("dannguyen_2014-2017"))
    assert len(table) == 68 and set(table.values()) == {"High Risk", "Moderate Risk", "Low Risk"}
    t = read_lives(variant, risk_by_description=table)
    kinds = t.records["kind"].value_counts()
    assert kinds["violation"] / (kinds["violation"] + kinds.get("violation_unrated", 0)) > 0.95
    assert t.report.counts["violations_corrected_suffix"] > 10_000
