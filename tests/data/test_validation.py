"""Every kind of bad input gets its own clear error naming table, row, column, value and fix."""

from __future__ import annotations

import pandas as pd
import pytest

from credit_risk.data import CreditDataset, load_catalog, load_dataset
from credit_risk.exceptions import ConfigError, DataContractError


def _build(raw_tables, **kw):
    return CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"], **kw)


def test_valid_tables_are_typed_and_defaults_applied(raw_tables):
    ds = _build(raw_tables)
    rec = ds.records
    assert str(rec["start"].dtype) == "datetime64[ns]"
    # published_on defaults to start, severity to the kind's default severity.
    r2 = rec.set_index("record_id").loc["r2"]
    assert r2["published_on"] == pd.Timestamp("2023-03-01")
    assert r2["severity"] == "info"
    assert rec.set_index("record_id").loc["r1", "published_on"] == pd.Timestamp("2022-02-01")
    assert ds.enterprises["registered_capital"].tolist() == [100.0, 50.5, 1000.0]
    assert ds.n_subjects == 3


def _error(raw_tables, **kw) -> str:
    with pytest.raises(DataContractError) as info:
        _build(raw_tables, **kw)
    return str(info.value)


def test_missing_required_column(raw_tables):
    raw_tables["records"] = raw_tables["records"].drop(columns=["domain"])
    with pytest.raises(DataContractError, match=r"records, column 'domain': required column is missing.*add a 'domain' column"):
        _build(raw_tables)


def test_missing_value_in_required_column(raw_tables):
    raw_tables["records"].loc[1, "kind"] = None
    with pytest.raises(DataContractError, match=r"records row 2, column 'kind': value is missing"):
        _build(raw_tables)


def test_enterprise_name_may_be_missing(raw_tables):
    # Issue 10: only credit_code is required of enterprises; other columns may be empty or absent.
    raw_tables["enterprises"].loc[1, "name"] = None
    assert _build(raw_tables).enterprises["name"].isna().tolist() == [False, True, False]


def test_bad_date(raw_tables):
    raw_tables["records"].loc[2, "start"] = "2021-02-30"
    with pytest.raises(DataContractError, match=r"records row 3, column 'start': not a date \(got '2021-02-30'\); fix: write dates as YYYY-MM-DD"):
        _build(raw_tables)


def test_bad_number(raw_tables):
    raw_tables["enterprises"].loc[0, "registered_capital"] = "1,000 万"
    with pytest.raises(DataContractError, match=r"enterprises row 1, column 'registered_capital': not a number \(got '1,000 万'\)"):
        _build(raw_tables)


def test_duplicate_key(raw_tables, codes):
    raw_tables["records"].loc[3, "record_id"] = "r1"
    with pytest.raises(DataContractError, match=r"records row 4, column 'record_id': duplicate key \(record_id\)"):
        _build(raw_tables)


def test_end_before_start(raw_tables):
    raw_tables["records"].loc[2, "end"] = "2021-06-30"
    with pytest.raises(DataContractError, match=r"records row 3, column 'end': 'end' is before 'start' \(got '2021-06-30'\)"):
        _build(raw_tables)


def test_closed_before_established(raw_tables):
    raw_tables["enterprises"].loc[2, "closed_on"] = "2009-12-31"
    with pytest.raises(DataContractError, match=r"enterprises row 3, column 'closed_on': 'closed_on' is before 'established_on'"):
        _build(raw_tables)


def test_record_for_unknown_subject(raw_tables):
    raw_tables["records"].loc[0, "credit_code"] = "91330106MA2H0000XX"
    with pytest.raises(DataContractError, match=r"records row 1, column 'credit_code': refers to a subject that is not in enterprises"):
        _build(raw_tables)


def test_unknown_kind_is_an_error(raw_tables):
    raw_tables["records"].loc[1, "kind"] = "gossip"
    with pytest.raises(DataContractError, match=r"records row 2, column 'kind': unknown kind \(got 'gossip'\).*declare it in the catalogue"):
        _build(raw_tables)


def test_unknown_domain_severity_and_outcome(raw_tables):
    raw_tables["records"].loc[0, "domain"] = "astrology"
    raw_tables["records"].loc[0, "severity"] = "catastrophic"
    raw_tables["records"].loc[1, "outcome"] = "meh"
    text = _error(raw_tables)
    assert "records row 1, column 'domain': unknown domain (got 'astrology')" in text
    assert "records row 1, column 'severity': unknown severity (got 'catastrophic')" in text
    assert "records row 2, column 'outcome': not an outcome of kind 'inspection' (got 'meh'); fix: use one of ['pass', 'problem', 'unreachable']" in text


def test_check_character(raw_tables, codes):
    bad = codes[0][:-1] + ("0" if codes[0][-1] != "0" else "1")
    raw_tables["enterprises"].loc[0, "credit_code"] = bad
    raw_tables["records"].loc[0, "credit_code"] = bad
    with pytest.raises(DataContractError, match=rf"enterprises row 1, column 'credit_code': fails the GB 32100 check \(got '{bad}'\); fix: the check character should be '{codes[0][-1]}'"):
        _build(raw_tables)


def test_other_id_scheme_loads_with_any(raw_tables):
    raw_tables["enterprises"]["credit_code"] = ["SF-1", "SF-2", "SF-3"]
    raw_tables["records"]["credit_code"] = ["SF-1", "SF-2", "SF-2", "SF-3"]
    with pytest.raises(DataContractError, match="id_scheme: any"):
        _build(raw_tables)
    ds = _build(raw_tables, id_scheme="any")
    assert ds.id_scheme == "any"


def test_bad_entity_type_region_industry(raw_tables):
    raw_tables["enterprises"].loc[0, "entity_type"] = "company"
    raw_tables["enterprises"].loc[1, "region"] = "3301"
    raw_tables["enterprises"].loc[2, "industry"] = "X99"
    text = _error(raw_tables)
    assert "enterprises row 1, column 'entity_type': unknown entity type (got 'company')" in text
    assert "enterprises row 2, column 'region': not a GB/T 2260 six-digit region code (got '3301')" in text
    assert "enterprises row 3, column 'industry': not a GB/T 4754 industry code (got 'X99')" in text


def test_all_problems_reported_at_once(raw_tables):
    raw_tables["enterprises"].loc[0, "region"] = "1"
    raw_tables["records"].loc[1, "kind"] = "gossip"
    raw_tables["records"].loc[2, "start"] = "yesterday"
    with pytest.raises(DataContractError) as info:
        _build(raw_tables)
    assert len(info.value.problems) == 3
    assert str(info.value).startswith("3 data contract problem(s)")


def test_many_bad_rows_are_capped_with_a_count(raw_tables):
    records = pd.concat([raw_tables["records"]] * 30, ignore_index=True)
    records["record_id"] = [f"r{i}" for i in range(len(records))]
    records["kind"] = "gossip"
    with pytest.raises(DataContractError) as info:
        CreditDataset.from_frames(raw_tables["enterprises"], records)
    assert "70 more rows with the same problem" in str(info.value.problems[-1])


def test_relations_and_annual_reports_are_checked(raw_tables, codes):
    relations = pd.DataFrame(
        {"credit_code": [codes[0], codes[1]], "related_code": [codes[0], "nobody"],
         "relation": ["shareholder", "cousin"], "start": ["2020-01-01", "2020-01-01"]}
    )
    reports = pd.DataFrame(
        {"credit_code": [codes[0], codes[0]], "year": ["2022", "2022"], "filed_on": ["2023-05-01", "2023-05-02"]}
    )
    with pytest.raises(DataContractError) as info:
        _build(raw_tables, relations=relations, annual_reports=reports)
    text = str(info.value)
    assert "relations row 1, column 'related_code': links a subject to itself" in text
    assert "relations row 2, column 'relation': unknown relation (got 'cousin')" in text
    assert "relations row 2, column 'related_code': refers to a subject that is not in enterprises (got 'nobody')" in text
    assert "annual_reports row 2: duplicate key (credit_code, year)" in text


def test_fractional_year(raw_tables, codes):
    reports = pd.DataFrame({"credit_code": [codes[0]], "year": ["2022.5"], "filed_on": ["2023-05-01"]})
    with pytest.raises(DataContractError, match=r"annual_reports row 1, column 'year': not an integer \(got '2022.5'\)"):
        _build(raw_tables, annual_reports=reports)


def test_load_dataset_from_csv_folder(tmp_path, raw_tables):
    for name, frame in raw_tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    ds = load_dataset(tmp_path)
    assert len(ds.records) == 4
    assert ds.files == {"enterprises": "enterprises.csv", "records": "records.csv"}


def test_load_dataset_names_the_file(tmp_path, raw_tables):
    raw_tables["records"].loc[0, "start"] = "soon"
    for name, frame in raw_tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    with pytest.raises(DataContractError, match=r"records\.csv row 1, column 'start': not a date \(got 'soon'\)"):
        load_dataset(tmp_path)


def test_load_dataset_missing_table_and_unknown_file(tmp_path, raw_tables, caplog):
    # Issue 10: files that are not tables of the contract are ignored with one logged line.
    raw_tables["enterprises"].to_csv(tmp_path / "enterprises.csv", index=False)
    (tmp_path / "penalties.csv").write_text("a\n1\n")
    with caplog.at_level("INFO", logger="credit_risk.data.dataset"), pytest.raises(DataContractError) as info:
        load_dataset(tmp_path)
    assert str(info.value) == "records: required table is missing; fix: add records.csv or records.parquet"
    ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert len(ignored) == 1 and ignored[0].endswith("ignored 1 file(s) that are not tables of the contract: penalties.csv")


def test_load_dataset_manifest_rejects_unknown_keys(tmp_path, raw_tables):
    for name, frame in raw_tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    (tmp_path / "dataset.yaml").write_text("id_schema: any\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['id_schema'\]"):
        load_dataset(tmp_path)


def test_parquet_roundtrip(tmp_path, raw_tables):
    from credit_risk.data import write_dataset

    ds = _build(raw_tables)
    write_dataset(ds, tmp_path)
    again = load_dataset(tmp_path)
    assert again.fingerprint() == ds.fingerprint()


def test_missing_folder(tmp_path):
    with pytest.raises(DataContractError, match="does not exist"):
        load_dataset(tmp_path / "nowhere")


def test_catalog_rejects_bad_config(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "severities: [minor, serious]\ndomains: [market]\nkinds:\n  penalty:\n    name_zh: 行政处罚\n"
        "    description: x\n    view: compliance\n    polarity: negative\n    interval: false\n"
        "    default_severity: general\n    publication_days: {minor: 90, serious: 1095}\n"
    )
    with pytest.raises(ConfigError, match=r"catalog.kinds.penalty.default_severity 'general' is not one of \['minor', 'serious'\]"):
        load_catalog(path)
    path.write_text(path.read_text().replace("default_severity: general", "default_severity: minor\n    colour: red"))
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['colour'\]"):
        load_catalog(path)


def test_draw_probability_must_be_a_number(raw_tables):
    raw_tables["records"]["draw_probability"] = [None, "25%", None, None]
    with pytest.raises(DataContractError, match=r"records row 2, column 'draw_probability': not a number \(got '25%'\)"):
        _build(raw_tables)
