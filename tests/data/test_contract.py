"""Issue 10 (data side): a contract for any jurisdiction, one-pass validation, encodings, dated precisions,
and ``write_dataset`` round trips."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
import yaml

from credit_risk.data import CreditDataset, load_catalog, load_dataset, write_dataset
from credit_risk.data.dataset import DatasetManifest
from credit_risk.exceptions import ConfigError, DataContractError


def _write(folder, tables, manifest=None, *, encoding="utf-8"):
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, encoding=encoding)
    if manifest is not None:
        (folder / "dataset.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    return folder


def _problems(folder) -> list[str]:
    with pytest.raises(DataContractError) as info:
        load_dataset(folder)
    return [str(p) for p in info.value.problems]


# -- any jurisdiction -------------------------------------------------------------------------
def test_enterprises_need_only_their_key(raw_tables):
    ent = raw_tables["enterprises"][["credit_code"]].assign(cuisine=["noodles", "dumplings", "tea"])
    ds = CreditDataset.from_frames(ent, raw_tables["records"])
    for column in ("name", "entity_type", "industry", "region", "registered_capital", "established_on", "closed_on"):
        assert column in ds.enterprises.columns and ds.enterprises[column].isna().all()
    assert ds.enterprises["cuisine"].tolist() == ["noodles", "dumplings", "tea"]  # extra column kept, as read
    assert str(ds.enterprises["established_on"].dtype) == "datetime64[ns]"


def test_free_form_region_and_industry_are_kept_as_given(raw_tables):
    raw_tables["enterprises"]["region"] = ["94103", "94110", None]
    raw_tables["enterprises"]["industry"] = ["Restaurant", "Mobile food", "Restaurant"]
    with pytest.raises(DataContractError, match=r"row 1, column 'region': not a GB/T 2260 six-digit region code \(got '94103'\).*region_scheme: any"):
        CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])
    manifest = DatasetManifest(region_scheme="any", industry_scheme="any")
    ds = CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"], manifest=manifest)
    assert ds.enterprises["region"].tolist()[:2] == ["94103", "94110"] and pd.isna(ds.enterprises["region"].iloc[2])
    assert ds.enterprises["industry"].tolist() == ["Restaurant", "Mobile food", "Restaurant"]
    assert ds.manifest.region_scheme == "any" and ds.id_scheme == "gb32100"


def test_manifest_settings_are_read_and_kept(tmp_path, raw_tables):
    raw_tables["enterprises"]["status"] = ["open", "open", "closed"]
    folder = _write(tmp_path / "d", raw_tables, {"id_scheme": "any", "as_of_unsafe": ["status"], "region_scheme": "any"})
    ds = load_dataset(folder)
    assert ds.manifest == DatasetManifest(id_scheme="any", region_scheme="any", as_of_unsafe=("status",))
    assert ds.id_scheme == "any"
    assert ds.manifest.unsafe_columns == ("closed_on", "status")


def test_as_of_unsafe_must_name_an_enterprise_column(tmp_path, raw_tables):
    folder = _write(tmp_path / "d", raw_tables, {"as_of_unsafe": ["stauts"]})
    assert _problems(folder) == [
        "dataset.yaml, column 'as_of_unsafe': names a column enterprises does not have (got 'stauts'); "
        "fix: list only columns of enterprises (credit_code, name, entity_type, industry, region, "
        "registered_capital, established_on, closed_on…)"
    ]


def test_manifest_rejects_unknown_schemes_and_date_columns(tmp_path, raw_tables):
    folder = _write(tmp_path / "d", raw_tables, {"region_scheme": "zip"})
    with pytest.raises(ConfigError, match=r"dataset.yaml.*region_scheme.*'zip' is not one of \['gb2260', 'any'\]"):
        load_dataset(folder)
    _write(folder, {}, {"dates": {"records.kind": {"precision": "month"}}})
    with pytest.raises(ConfigError, match=r"dates: \['records.kind'\] are not date columns of the contract"):
        load_dataset(folder)
    _write(folder, {}, {"dates": {"records.start": {"formats": ["DD.MM.YYYY"]}}})
    with pytest.raises(ConfigError, match=r"dataset.yaml.*date formats \['DD.MM.YYYY'\] are not supported"):
        load_dataset(folder)
    _write(folder, {}, {"dates": {"records.start": {"precision": "day", "formats": ["YYYY-MM"]}}})
    with pytest.raises(ConfigError, match=r"date formats \['YYYY-MM'\] give less than a day; declare precision: month"):
        load_dataset(folder)


# -- one pass ---------------------------------------------------------------------------------
def test_problems_in_three_tables_with_a_missing_column_are_reported_in_one_run(tmp_path, raw_tables, codes):
    raw_tables["enterprises"].loc[1, "region"] = "3301"
    raw_tables["records"] = raw_tables["records"].drop(columns=["domain"])
    raw_tables["records"].loc[2, "start"] = "yesterday"
    raw_tables["records"].loc[3, "kind"] = "gossip"
    raw_tables["annual_reports"] = pd.DataFrame(
        {"credit_code": [codes[0], codes[0]], "year": ["2022", "2022"], "filed_on": ["2023-05-01", "2023-05-02"]}
    )
    problems = _problems(_write(tmp_path / "d", raw_tables))
    assert problems == [
        "records.csv, column 'domain': required column is missing; fix: add a 'domain' column (a domain declared in the catalogue)",
        "records.csv row 3, column 'start': not a date (got 'yesterday'); fix: write dates as YYYY-MM-DD or declare the column's format in dataset.yaml (dates:)",
        "annual_reports.csv row 2: duplicate key (credit_code, year) already on row 1 "
        f"(got '{codes[0]}, 2022'); fix: keep one row per key",
        "enterprises.csv row 2, column 'region': not a GB/T 2260 six-digit region code (got '3301'); fix: write the region as six ASCII digits, e.g. 330106, or declare region_scheme: any in dataset.yaml",
        "records.csv row 4, column 'kind': unknown kind (got 'gossip'); fix: use one of ['abnormal_listing', 'address_change', 'capital_change', 'complaint', 'environmental_rating', 'environmental_violation', 'honour', 'inspection', 'judgment_defaulter', 'legal_rep_change', 'licence', 'name_change', 'penalty', 'product_sampling', 'scope_change', 'serious_listing', 'social_insurance_arrears', 'tax_rating', 'wage_arrears'] or declare it in the catalogue",
    ]


def test_duplicate_key_shows_the_key_and_both_rows(raw_tables):
    raw_tables["records"].loc[3, "record_id"] = "r2"
    with pytest.raises(DataContractError, match=r"^records row 4, column 'record_id': duplicate key \(record_id\) already on row 2 \(got 'r2'\); fix: keep one row per key$"):
        CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])


def test_header_near_match_gets_a_hint(tmp_path, raw_tables):
    raw_tables["enterprises"] = raw_tables["enterprises"].rename(columns={"credit_code": " credit_code"})
    raw_tables["records"] = raw_tables["records"].rename(columns={"kind": "Kind"})
    problems = _problems(_write(tmp_path / "d", raw_tables))
    assert problems == [
        "enterprises.csv, column 'credit_code': required column is missing; fix: did you mean ' credit_code'? rename that header to 'credit_code'",
        "records.csv, column 'kind': required column is missing; fix: did you mean 'Kind'? rename that header to 'kind'",
    ]


def test_table_file_near_match_gets_a_hint(tmp_path, raw_tables):
    folder = _write(tmp_path / "d", raw_tables)
    (folder / "enterprises.csv").rename(folder / "enterprises.CSV")
    assert _problems(folder) == [
        "enterprises.CSV: looks like the enterprises table but is not named enterprises.csv; the required table is "
        "missing; fix: rename it to enterprises.csv"
    ]


def test_other_files_are_ignored_with_one_info_line(tmp_path, raw_tables, caplog):
    folder = _write(tmp_path / "d", raw_tables)
    (folder / "README.txt").write_text("notes")
    (folder / "inspections_raw.csv").write_text("a\n1\n")
    (folder / "raw").mkdir()
    with caplog.at_level(logging.INFO, logger="credit_risk.data.dataset"):
        ds = load_dataset(folder)
    assert len(ds.records) == 4
    lines = [r.getMessage() for r in caplog.records if "not tables of the contract" in r.getMessage()]
    assert lines == [f"{folder}: ignored 3 file(s) that are not tables of the contract: README.txt, inspections_raw.csv, raw/"]


# -- encodings --------------------------------------------------------------------------------
def _chinese(raw_tables):
    raw_tables["enterprises"]["name"] = ["杭州甲贸易有限公司", "杭州乙食品有限公司", "杭州丙印染有限公司"]
    return raw_tables


def test_gbk_file_without_encoding_gets_one_clear_error_and_loads_with_it(tmp_path, raw_tables):
    folder = _write(tmp_path / "d", _chinese(raw_tables), encoding="gbk")
    problems = _problems(folder)
    assert len(problems) == 1  # records.csv is plain ASCII, hence valid UTF-8; nothing else is reported
    assert problems[0].startswith("enterprises.csv: is not UTF-8 text (byte 0x")
    assert problems[0].endswith("); it looks like GBK; fix: declare `encoding: gbk` in dataset.yaml, or save the file as UTF-8")
    assert not any("required table is missing" in p for p in problems)
    (folder / "dataset.yaml").write_text("encoding: gbk\n")
    ds = load_dataset(folder)
    assert ds.enterprises["name"].iloc[0] == "杭州甲贸易有限公司"
    assert ds.manifest.encoding == "gbk"


def test_utf8_with_bom_loads(tmp_path, raw_tables):
    folder = _write(tmp_path / "d", _chinese(raw_tables), encoding="utf-8-sig")
    assert load_dataset(folder).enterprises["credit_code"].notna().all()
    (folder / "dataset.yaml").write_text("encoding: utf-8-sig\n")
    assert load_dataset(folder).enterprises["name"].iloc[1] == "杭州乙食品有限公司"


def test_declared_gbk_but_utf8_file_says_so(tmp_path, raw_tables):
    folder = _write(tmp_path / "d", _chinese(raw_tables), {"encoding": "gbk"})
    problems = _problems(folder)
    assert problems and all("it looks like UTF-8; fix: declare `encoding: utf-8`" in p for p in problems)


# -- dates ------------------------------------------------------------------------------------
def test_month_without_declared_precision_is_an_error(tmp_path, raw_tables):
    raw_tables["records"].loc[0, ["start", "published_on"]] = ["2016-12", None]
    assert _problems(_write(tmp_path / "d", raw_tables)) == [
        "records.csv row 1, column 'start': a month only written as YYYY-MM, a format not declared for this column "
        "(got '2016-12'); fix: declare it in dataset.yaml: dates: {records.start: {precision: month, formats: [YYYY-MM]}}, "
        "or write YYYY-MM-DD"
    ]


def test_month_precision_is_known_from_the_last_day(tmp_path, raw_tables):
    raw_tables["records"].loc[0, ["start", "published_on"]] = ["2016-12", None]
    raw_tables["records"].loc[1, "start"] = "2016-02-10"
    folder = _write(tmp_path / "d", raw_tables, {"dates": {"records.start": {"precision": "month"}}})
    rec = load_dataset(folder).records.set_index("record_id")
    assert rec.loc["r1", "start"] == pd.Timestamp("2016-12-31")
    assert rec.loc["r1", "published_on"] == pd.Timestamp("2016-12-31")  # known from the end of the month
    assert rec.loc["r2", "start"] == pd.Timestamp("2016-02-29")  # a day written, but only the month is known
    assert rec.loc["r3", "start"] == pd.Timestamp("2021-07-31")


def test_year_precision_and_declared_formats(tmp_path, raw_tables):
    raw_tables["enterprises"]["established_on"] = ["2014", "2015年", "2010"]
    raw_tables["records"]["start"] = ["2022/01/10", "20230301", "2021年7月1日", "2023/9/9"]
    raw_tables["records"]["end"] = [None, None, "2022-01-01", None]
    manifest = {"dates": {
        "enterprises.established_on": {"precision": "year", "formats": ["YYYY", "YYYY年"]},
        "records.start": {"formats": ["YYYY/MM/DD", "YYYYMMDD", "YYYY年MM月DD日", "YYYY/M/D"]},
    }}
    ds = load_dataset(_write(tmp_path / "d", raw_tables, manifest))
    assert ds.enterprises["established_on"].dt.strftime("%Y-%m-%d").tolist() == ["2014-12-31", "2015-12-31", "2010-12-31"]
    assert ds.records["start"].dt.strftime("%Y-%m-%d").tolist() == ["2022-01-10", "2023-03-01", "2021-07-01", "2023-09-09"]


def test_chinese_month_format(tmp_path, raw_tables):
    raw_tables["records"]["period_start"] = ["2016年5月", None, None, None]
    raw_tables["records"]["period_end"] = ["2016年12月", None, None, None]
    spec = {"precision": "month", "formats": ["YYYY年MM月"]}
    ds = load_dataset(_write(tmp_path / "d", raw_tables, {"dates": {"records.period_start": spec, "records.period_end": spec}}))
    r1 = ds.records.set_index("record_id").loc["r1"]
    assert (r1["period_start"], r1["period_end"]) == (pd.Timestamp("2016-05-31"), pd.Timestamp("2016-12-31"))


def test_period_end_before_period_start(raw_tables):
    raw_tables["records"]["period_start"] = ["2022-03-01", None, None, None]
    raw_tables["records"]["period_end"] = ["2022-01-31", None, None, None]
    with pytest.raises(DataContractError, match=r"^records row 1, column 'period_end': 'period_end' is before 'period_start'"):
        CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])


def test_midnight_time_is_accepted_a_time_of_day_is_not(raw_tables):
    raw_tables["records"]["start"] = ["2022-01-10T00:00:00", "2023-03-01 00:00", "2021-07-01T00:00:00.000", "2023-09-09"]
    ds = CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])
    assert ds.records["start"].iloc[0] == pd.Timestamp("2022-01-10")
    raw_tables["records"].loc[0, "start"] = "2022-01-10T09:30:00"
    with pytest.raises(DataContractError, match=r"records row 1, column 'start': has a time of day \(got '2022-01-10T09:30:00'\)"):
        CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])


# -- write_dataset ----------------------------------------------------------------------------
NEWS = {
    "name_zh": "新闻", "description": "News with a tone.", "view": "social", "polarity": "neutral",
    "interval": False, "default_severity": "info", "value": "score",
    "publication_days": {"info": 365, "minor": 365, "general": 365, "serious": 365},
}


def test_write_dataset_round_trips_a_custom_catalogue_and_settings(tmp_path, raw_tables, codes):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "cat.yaml").write_text(
        yaml.safe_dump({"extends": "packaged", "kinds": {"news": NEWS}}, allow_unicode=True), encoding="utf-8"
    )
    raw_tables["records"] = pd.concat([raw_tables["records"], pd.DataFrame(
        {"record_id": ["n1"], "credit_code": [codes[0]], "kind": ["news"], "domain": ["other"],
         "start": ["2023-01-05"], "value": ["-0.4"]})], ignore_index=True)
    raw_tables["enterprises"]["status"] = ["open", "open", "closed"]
    raw_tables["enterprises"]["region"] = ["SF-1", "SF-2", "SF-3"]
    folder = _write(tmp_path / "src", raw_tables, {
        "catalog": "cat.yaml", "region_scheme": "any", "as_of_unsafe": ["status"], "encoding": "utf-8",
        "dates": {"records.start": {"formats": ["YYYY-MM-DD"]}},
    })
    ds = load_dataset(folder)
    written = write_dataset(ds, tmp_path / "out")
    assert {p.name for p in written} == {"enterprises.parquet", "records.parquet", "catalog.yaml", "dataset.yaml"}
    again = load_dataset(tmp_path / "out")
    assert again.catalog == ds.catalog and "news" in again.catalog.kinds
    assert again.manifest == DatasetManifest(
        catalog="catalog.yaml", region_scheme="any", as_of_unsafe=("status",)
    )
    assert again.fingerprint() == ds.fingerprint()


def test_write_dataset_does_not_redeclare_a_resolved_precision(tmp_path, raw_tables):
    raw_tables["records"]["start"] = ["2022-01", "2023-03", "2021-07", "2023-09"]
    raw_tables["records"]["published_on"] = None
    raw_tables["records"]["end"] = [None, None, "2022-01-01", None]
    ds = load_dataset(_write(tmp_path / "src", raw_tables, {"dates": {"records.start": {"precision": "month"}}}))
    write_dataset(ds, tmp_path / "out")
    assert not (tmp_path / "out" / "dataset.yaml").exists()  # nothing left to declare: full dates, Parquet
    again = load_dataset(tmp_path / "out")
    assert again.records["start"].dt.strftime("%Y-%m-%d").tolist() == ["2022-01-31", "2023-03-31", "2021-07-31", "2023-09-30"]
    assert again.fingerprint() == ds.fingerprint()


def test_write_dataset_with_the_packaged_catalogue_writes_no_catalogue(tmp_path, raw_tables):
    ds = CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])
    written = write_dataset(ds, tmp_path)
    assert {p.name for p in written} == {"enterprises.parquet", "records.parquet"}
    assert load_dataset(tmp_path).catalog == load_catalog()


def test_missing_key_column_does_not_flood_other_tables(raw_tables):
    # Without enterprises.credit_code, records cannot be matched: no "not in enterprises" for every record.
    ent = raw_tables["enterprises"].drop(columns=["credit_code"])
    raw_tables["records"].loc[0, "start"] = "soon"
    with pytest.raises(DataContractError) as info:
        CreditDataset.from_frames(ent, raw_tables["records"])
    assert [str(p).split(";")[0] for p in info.value.problems] == [
        "enterprises, column 'credit_code': required column is missing",
        "records row 1, column 'start': not a date (got 'soon')",
    ]


def test_dataset_id_scheme_and_manifest_agree(raw_tables):
    ds = CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])
    assert ds.manifest == DatasetManifest() and ds.id_scheme == "gb32100"
    direct = CreditDataset(enterprises=ds.enterprises, records=ds.records, catalog=ds.catalog, id_scheme="any")
    assert direct.manifest.id_scheme == "any"
    with pytest.raises(ConfigError, match=r"id_scheme 'any' contradicts the manifest's 'gb32100'"):
        CreditDataset(enterprises=ds.enterprises, records=ds.records, catalog=ds.catalog, id_scheme="any",
                      manifest=DatasetManifest())
