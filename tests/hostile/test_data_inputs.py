"""Issue 12, data items: every bad data input gets one clean problem (or a logged warning where it is
possible but implausible), never a traceback or a silent rewrite.

Items covered: 3 (non-finite numbers), 7 (dates outside pandas' range, timezone offsets,
``id_scheme: foo``, ``catalog:`` a folder or outside the dataset), 13 (``draw_probability``), 14
(non-ASCII digits in regions), 15 (impossible and implausible values, loose date formats, time of
day, timezone-aware Parquet), 18 (header and file near-matches, numpy scalars in messages).
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pytest

from credit_risk.data import CreditDataset, load_dataset
from credit_risk.exceptions import ConfigError, CreditRiskError, DataContractError


@pytest.fixture
def refused(record, request):
    """``refused(call, exc_type, match)``: the call raises one clean library error; counted for the summary."""

    def check(call, match: str, exc_type=DataContractError):
        try:
            call()
        except CreditRiskError as exc:
            record(request.node.name, "clean error")
            assert isinstance(exc, exc_type), exc
            assert re.search(match, str(exc)), f"{match!r} not in {exc}"
            return exc
        except Exception:
            record(request.node.name, "traceback")
            raise
        record(request.node.name, "accepted")
        pytest.fail("accepted a bad input")

    return check


def _build(raw_tables, **kw):
    return lambda: CreditDataset.from_frames(
        raw_tables["enterprises"], raw_tables["records"],
        annual_reports=raw_tables.get("annual_reports"), **kw,
    )


def _folder(tmp_path, raw_tables, manifest: str | None = None):
    for name, frame in raw_tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    if manifest is not None:
        (tmp_path / "dataset.yaml").write_text(manifest, encoding="utf-8")
    return tmp_path


# -- item 3: non-finite numbers ---------------------------------------------------------------
@pytest.mark.parametrize("text", ["inf", "1e400", "-inf", "NaN", "nan", "Infinity"])
def test_non_finite_registered_capital(raw_tables, refused, text):
    raw_tables["enterprises"].loc[1, "registered_capital"] = text
    refused(_build(raw_tables),
            rf"^enterprises row 2, column 'registered_capital': not a finite number \(got '{text}'\); fix: write a finite number")


@pytest.mark.parametrize("text", ["inf", "-1e400"])
def test_non_finite_record_value(raw_tables, refused, text):
    raw_tables["records"].loc[0, "value"] = text
    refused(_build(raw_tables), rf"^records row 1, column 'value': not a finite number \(got '{text}'\)")


def test_non_finite_in_parquet(tmp_path, raw_tables, refused):
    ds = CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])
    ent = ds.enterprises.copy()
    ent.loc[0, "registered_capital"] = np.inf
    ent.to_parquet(tmp_path / "enterprises.parquet")
    ds.records.to_parquet(tmp_path / "records.parquet")
    refused(lambda: load_dataset(tmp_path),
            r"^enterprises.parquet row 1, column 'registered_capital': not a finite number \(got inf\)")


def test_non_finite_annual_report(raw_tables, codes, refused):
    raw_tables["annual_reports"] = pd.DataFrame(
        {"credit_code": [codes[0]], "year": ["2022"], "filed_on": ["2023-05-01"], "revenue": ["inf"]}
    )
    refused(_build(raw_tables), r"^annual_reports row 1, column 'revenue': not a finite number")


# -- item 7: dates pandas cannot hold, timezones, schemes, catalogue paths ---------------------
@pytest.mark.parametrize("text", ["1500-01-01", "9999-12-31", "2262-05-01"])
def test_date_outside_pandas_range(raw_tables, refused, text):
    raw_tables["records"].loc[2, "end"] = text
    refused(_build(raw_tables),
            rf"^records row 3, column 'end': year outside 1678–2261 \(got '{text}'\); fix: correct the date, or leave it empty if it means 'never'")


def test_date_outside_pandas_range_in_parquet(tmp_path, raw_tables, refused):
    ds = CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])
    ent = ds.enterprises.copy()
    ent["established_on"] = ent["established_on"].astype("datetime64[s]")
    ent.loc[0, "established_on"] = pd.Timestamp("1500-01-01").as_unit("s")
    ent.to_parquet(tmp_path / "enterprises.parquet")
    ds.records.to_parquet(tmp_path / "records.parquet")
    refused(lambda: load_dataset(tmp_path),
            r"^enterprises.parquet row 1, column 'established_on': date outside 1677-09-22…2262-04-11 \(got '1500-01-01")


@pytest.mark.parametrize("text", ["2022-01-10T00:00+08:00", "2022-01-10T08:00:00Z", "2022-01-10 10:00:00-0500"])
def test_timezone_offset_in_csv_date(raw_tables, refused, text):
    raw_tables["records"].loc[0, "start"] = text
    refused(_build(raw_tables), rf"^records row 1, column 'start': has a timezone offset \(got '{re.escape(text)}'\)")


def test_unknown_id_scheme_in_manifest(tmp_path, raw_tables, refused):
    folder = _folder(tmp_path, raw_tables, "id_scheme: foo\n")
    refused(lambda: load_dataset(folder), r"dataset.yaml.*id_scheme.*'foo' is not one of \['gb32100', 'any'\]", ConfigError)


def test_unknown_id_scheme_as_argument(tmp_path, raw_tables, refused):
    folder = _folder(tmp_path, raw_tables)
    refused(lambda: load_dataset(folder, id_scheme="foo"), r"id_scheme must be one of \['gb32100', 'any'\]; got 'foo'", ConfigError)
    refused(_build(raw_tables, id_scheme="foo"), r"id_scheme must be one of \['gb32100', 'any'\]; got 'foo'", ConfigError)


def test_catalog_pointing_at_a_folder(tmp_path, raw_tables, refused):
    (tmp_path / "cats").mkdir()
    folder = _folder(tmp_path, raw_tables, "catalog: cats\n")
    refused(lambda: load_dataset(folder), r"dataset.yaml: catalog: 'cats' is a folder", ConfigError)


@pytest.mark.parametrize("value", ["../../../../etc/passwd", "/dev/zero", "/etc/passwd"])
def test_catalog_outside_the_dataset_folder(tmp_path, raw_tables, refused, value):
    folder = _folder(tmp_path, raw_tables, f"catalog: {value}\n")
    exc = refused(lambda: load_dataset(folder), r"dataset.yaml: catalog: .*(leads outside|absolute path)", ConfigError)
    assert "root:" not in str(exc)  # never shows the file it refused to read


# -- item 13: draw_probability ----------------------------------------------------------------
@pytest.mark.parametrize("text", ["0", "-0.5", "7", "1.0000001"])
def test_draw_probability_outside_0_1(raw_tables, refused, text):
    raw_tables["records"]["draw_probability"] = [None, text, None, None]
    refused(_build(raw_tables),
            rf"^records row 2, column 'draw_probability': is not a probability in \(0, 1\] \(got '{text}'\)")


def test_draw_probability_of_one_is_fine(raw_tables):
    raw_tables["records"]["draw_probability"] = [None, "1", None, None]
    assert CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"]).records["draw_probability"].iloc[1] == 1.0


# -- item 14: ASCII digits only in regions -----------------------------------------------------
@pytest.mark.parametrize("text", ["３３０１０６", "٣٣٠١٠٦", "33O106"])
def test_region_with_non_ascii_digits(raw_tables, refused, text):
    raw_tables["enterprises"].loc[0, "region"] = text
    refused(_build(raw_tables), rf"^enterprises row 1, column 'region': not a GB/T 2260 six-digit region code \(got '{text}'\)")


def test_industry_with_full_width_digits(raw_tables, refused):
    raw_tables["enterprises"].loc[0, "industry"] = "C１３"
    refused(_build(raw_tables), r"^enterprises row 1, column 'industry': not a GB/T 4754 industry code")


# -- item 15: impossible values are errors, implausible ones warnings --------------------------
@pytest.mark.parametrize("text, message", [
    ("1800-01-01", "is before 1900, impossible for this data"),
    ("2200-01-01", "is after 2100, impossible for a record of the past"),
])
def test_established_on_impossible(raw_tables, refused, text, message):
    raw_tables["enterprises"].loc[0, "established_on"] = text
    refused(_build(raw_tables), rf"enterprises row 1, column 'established_on': {message} \(got '{text}'\)")


def test_established_on_long_after_the_latest_record_is_a_warning(raw_tables, caplog, record):
    raw_tables["enterprises"].loc[0, "established_on"] = "2025-01-01"  # the register may be newer than the records
    with caplog.at_level(logging.WARNING, logger="credit_risk.data.validation"):
        _build(raw_tables)()
    record("established-after-the-records", "warning")
    assert [r.getMessage() for r in caplog.records if "established_on" in r.getMessage()][0] == (
        "enterprises, column 'established_on': 1 row(s) are more than a year after the latest record (2023-09-09) "
        "(accepted as possible; check them), e.g. row(s) 1"
    )


def test_record_start_in_2200(raw_tables, refused):
    raw_tables["records"].loc[1, "start"] = "2200-01-01"
    refused(_build(raw_tables), r"records row 2, column 'start': is after 2100, impossible for a record of the past")


def test_event_published_before_it_happened(raw_tables, refused):
    raw_tables["records"].loc[0, "published_on"] = "2021-12-31"
    refused(_build(raw_tables),
            r"^records row 1, column 'published_on': is before 'start': an event cannot be published before it happened \(got '2021-12-31'\)")


def test_interval_record_published_before_its_start_is_a_warning(raw_tables, caplog, record):
    raw_tables["records"].loc[2, "published_on"] = "2021-06-01"  # an abnormal listing decided before it applies
    with caplog.at_level(logging.WARNING, logger="credit_risk.data.validation"):
        CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])
    record("interval-published-early", "warning")
    assert [r.getMessage() for r in caplog.records] == [
        "records, column 'published_on': 1 row(s) of interval kinds were published before they started "
        "(accepted as possible; check them), e.g. row(s) 3"
    ]


def test_record_before_establishment_is_a_warning(raw_tables, caplog, record):
    raw_tables["records"].loc[0, "start"] = "2014-01-10"
    raw_tables["records"].loc[0, "published_on"] = None
    with caplog.at_level(logging.WARNING, logger="credit_risk.data.validation"):
        CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])
    record("record-before-establishment", "warning")
    assert any("1 row(s) are dated before their subject's established_on" in r.getMessage() and "row(s) 1" in r.getMessage()
               for r in caplog.records)


@pytest.mark.parametrize("year, filed, message", [
    ("9999", "2023-05-01", r"column 'year': is outside 1900–2100 \(got '9999'\)"),
    ("1850", "2023-05-01", r"column 'year': is outside 1900–2100 \(got '1850'\)"),
    ("2023", "2023-05-01", r"column 'filed_on': is before the report year ended \(got '2023-05-01'\)"),
])
def test_annual_report_year_impossible(raw_tables, codes, refused, year, filed, message):
    raw_tables["annual_reports"] = pd.DataFrame({"credit_code": [codes[0]], "year": [year], "filed_on": [filed]})
    refused(_build(raw_tables), rf"^annual_reports row 1, {message}")


@pytest.mark.parametrize("column", ["employees", "assets", "insured_employees", "liabilities"])
def test_negative_counts_and_assets(raw_tables, codes, refused, column):
    raw_tables["annual_reports"] = pd.DataFrame(
        {"credit_code": [codes[0]], "year": ["2022"], "filed_on": ["2023-05-01"], column: ["-3"]}
    )
    refused(_build(raw_tables), rf"^annual_reports row 1, column '{column}': is negative \(got '-3'\)")


def test_negative_registered_capital(raw_tables, refused):
    raw_tables["enterprises"].loc[2, "registered_capital"] = "-1"
    refused(_build(raw_tables), r"^enterprises row 3, column 'registered_capital': is negative")


def test_negative_profit_is_fine_negative_revenue_a_warning(raw_tables, codes, caplog, record):
    raw_tables["annual_reports"] = pd.DataFrame(
        {"credit_code": [codes[0]], "year": ["2022"], "filed_on": ["2023-05-01"], "profit": ["-50"], "revenue": ["-2"]}
    )
    with caplog.at_level(logging.WARNING, logger="credit_risk.data.validation"):
        ds = _build(raw_tables)()
    record("negative-revenue", "warning")
    assert ds.annual_reports["profit"].iloc[0] == -50.0
    assert [r.getMessage() for r in caplog.records] == [
        "annual_reports, column 'revenue': 1 row(s) are negative (accepted as possible; check them), e.g. row(s) 1"
    ]


@pytest.mark.parametrize("text, fmt", [
    ("2020/02/01", "YYYY/MM/DD"), ("2020-1-5", "YYYY-M-D"), ("20200201", "YYYYMMDD"), ("2014", "YYYY"),
    ("2016-12", "YYYY-MM"), ("2016年12月", "YYYY年MM月"),
])
def test_loose_date_formats_need_a_declaration(raw_tables, refused, text, fmt):
    raw_tables["records"].loc[0, "start"] = text
    refused(_build(raw_tables),
            rf"^records row 1, column 'start': .* written as {fmt}, a format not declared for this column "
            rf"\(got '{text}'\); fix: declare it in dataset.yaml: dates: \{{records.start: \{{.*formats: \[{fmt}\]\}}\}}")


def test_time_of_day_in_csv(raw_tables, refused):
    raw_tables["records"].loc[0, "start"] = "2022-01-10 14:30"
    refused(_build(raw_tables), r"^records row 1, column 'start': has a time of day \(got '2022-01-10 14:30'\)")


def test_time_of_day_in_parquet(tmp_path, raw_tables, refused):
    ds = CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])
    rec = ds.records.copy()
    rec.loc[1, "start"] = pd.Timestamp("2023-03-01 14:30")
    ds.enterprises.to_parquet(tmp_path / "enterprises.parquet")
    rec.to_parquet(tmp_path / "records.parquet")
    refused(lambda: load_dataset(tmp_path),
            r"^records.parquet row 2, column 'start': has a time of day \(got '2023-03-01 14:30:00'\)")


def test_timezone_aware_parquet(tmp_path, raw_tables, refused):
    ds = CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])
    rec = ds.records.copy()
    rec["start"] = rec["start"].dt.tz_localize("Asia/Shanghai")
    ds.enterprises.to_parquet(tmp_path / "enterprises.parquet")
    rec.to_parquet(tmp_path / "records.parquet")
    refused(lambda: load_dataset(tmp_path), r"^4 data contract problem.*\nrecords.parquet row 1, column 'start': is timezone-aware")


# -- item 18: near-matches and plain values in messages ----------------------------------------
@pytest.mark.parametrize("header", [" credit_code", "Credit_Code", "CREDIT CODE", "credit_code "])
def test_header_near_match(tmp_path, raw_tables, refused, header):
    raw_tables["enterprises"] = raw_tables["enterprises"].rename(columns={"credit_code": header})
    folder = _folder(tmp_path, raw_tables)
    refused(lambda: load_dataset(folder),
            rf"^enterprises.csv, column 'credit_code': required column is missing; fix: did you mean '{header}'\? "
            "rename that header to 'credit_code'$")


def test_table_file_name_near_match(tmp_path, raw_tables, refused):
    folder = _folder(tmp_path, raw_tables)
    (folder / "enterprises.csv").rename(folder / "enterprises.CSV")
    refused(lambda: load_dataset(folder),
            r"^enterprises.CSV: looks like the enterprises table but is not named enterprises.csv; the required table is missing; "
            r"fix: rename it to enterprises.csv$")


def test_values_print_plainly_not_as_numpy_scalars(tmp_path, raw_tables, codes, refused):
    ds = CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])
    ds.enterprises.to_parquet(tmp_path / "enterprises.parquet")
    ds.records.to_parquet(tmp_path / "records.parquet")
    pd.DataFrame({"credit_code": [codes[0], codes[0]], "year": np.array([2022, 2022], dtype="int64"),
                  "filed_on": pd.to_datetime(["2023-05-01", "2023-05-02"]),
                  "employees": np.array([-4, 3], dtype="int64")}).to_parquet(tmp_path / "annual_reports.parquet")
    exc = refused(lambda: load_dataset(tmp_path), r"annual_reports.parquet row 1, column 'employees': is negative \(got -4\)")
    assert f"duplicate key (credit_code, year) already on row 1 (got '{codes[0]}, 2022')" in str(exc)
    assert "np." not in str(exc) and "Timestamp(" not in str(exc)
