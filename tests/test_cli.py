"""The command line: validate reports every problem at once and exits non-zero."""

from __future__ import annotations

from credit_risk.cli import main


def test_validate_ok(tmp_path, raw_tables, capsys):
    for name, frame in raw_tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    assert main(["validate", str(tmp_path)]) == 0
    assert "valid — 3 subjects, 4 records" in capsys.readouterr().out


def test_validate_reports_all_problems(tmp_path, raw_tables, capsys):
    raw_tables["records"].loc[0, "kind"] = "gossip"
    raw_tables["enterprises"].loc[1, "region"] = "33"
    for name, frame in raw_tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "2 problem(s)" in out
    assert "records.csv row 1, column 'kind': unknown kind (got 'gossip')" in out
    assert "enterprises.csv row 2, column 'region'" in out


def test_sample_writes_a_valid_province(tmp_path, capsys):
    out = tmp_path / "province"
    assert main(["sample", "--subjects", "1000", "--seed", "3", "--out", str(out), "--quiet"]) == 0
    assert "wrote 1,000 subjects" in capsys.readouterr().out
    assert (out / "truth" / "latent.parquet").exists()
    assert main(["validate", str(out)]) == 0
