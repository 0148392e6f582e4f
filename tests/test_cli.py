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


# --------------------------------------------------------------------------- --configs DIR


def _write_dataset(folder, raw_tables):
    folder.mkdir()
    for name, frame in raw_tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_validate_uses_the_catalog_of_configs(tmp_path, raw_tables, capsys):
    import yaml

    from credit_risk.config import packaged

    data = _write_dataset(tmp_path / "data", raw_tables)
    catalog = yaml.safe_load(packaged("catalog.yaml").read_text(encoding="utf-8"))
    del catalog["kinds"]["complaint"]
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "catalog.yaml").write_text(yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8")
    assert main(["validate", str(data)]) == 0
    assert main(["validate", str(data), "--configs", str(configs)]) == 1
    assert "unknown kind (got 'complaint')" in capsys.readouterr().out
    (configs / "catalog.yaml").unlink()  # a folder without catalog.yaml: the dataset's own catalogue
    assert main(["validate", str(data), "--configs", str(configs)]) == 0


def test_train_settings_take_each_file_from_configs_first(tmp_path):
    from credit_risk.cli import load_train_settings
    from credit_risk.config import packaged

    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "tiers.yaml").write_text(packaged("tiers.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    config, text = load_train_settings(None, configs)
    assert text == packaged("train.yaml").read_text(encoding="utf-8")
    assert config.path(config.tiers) == (configs / "tiers.yaml").resolve()
    assert config.features is None and config.model is None and config.domains_dir is None  # packaged defaults
    (configs / "train.yaml").write_text("tiers: tiers.yaml\ndomains: []\n", encoding="utf-8")
    config, _ = load_train_settings(None, configs)
    assert config.base_dir == str(configs.resolve()) and config.domains == ()
    explicit = tmp_path / "mine.yaml"
    explicit.write_text("domains: []\n", encoding="utf-8")
    config, _ = load_train_settings(explicit, configs)  # --config wins over --configs
    assert config.base_dir == str(tmp_path.resolve()) and config.tiers is None


def test_configs_files_are_read_before_any_work(tmp_path, raw_tables, capsys):
    data = _write_dataset(tmp_path / "data", raw_tables)
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "tiers.yaml").write_text("sharez: 1\n", encoding="utf-8")
    (configs / "inspection_policy.yaml").write_text("bogus: 1\n", encoding="utf-8")
    (configs / "synthetic.yaml").write_text("contagon: 1\n", encoding="utf-8")
    runs = {
        "tiers.yaml": ["train", "--data", str(data), "--out", str(tmp_path / "m"), "--tracking-uri",
                       f"sqlite:///{tmp_path / 'mlflow.db'}"],
        "synthetic.yaml": ["sample", "--seed", "1", "--out", str(tmp_path / "p")],
    }
    for name, argv in runs.items():
        capsys.readouterr()
        assert main([*argv, "--configs", str(configs)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {configs / name}") and "unknown key(s)" in err, err
    assert not (tmp_path / "m").exists() and not (tmp_path / "mlflow.db").exists() and not (tmp_path / "p").exists()


def test_plan_reads_the_policy_of_configs(tmp_path, raw_tables, codes, capsys):
    import pandas as pd

    data = _write_dataset(tmp_path / "data", raw_tables)
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "inspection_policy.yaml").write_text("bogus: 1\n", encoding="utf-8")
    scores = tmp_path / "scores.parquet"
    pd.DataFrame({"credit_code": codes, "tier": ["A", "B", "D"]}).to_parquet(scores)
    roster = tmp_path / "roster.csv"
    roster.write_text("inspector_id,department,home_region,capacity\ni1,market,330106,5\n", encoding="utf-8")
    argv = ["plan", "--scores", str(scores), "--data", str(data), "--inspectors", str(roster), "--start",
            "2024-01-01", "--end", "2024-07-01", "--seed", "1", "--out", str(tmp_path / "plan"), "--configs", str(configs)]
    assert main(argv) == 2
    assert f"{configs / 'inspection_policy.yaml'}: unknown key(s) ['bogus']" in capsys.readouterr().err


def test_roster_writes_an_example_roster_that_plan_accepts(tmp_path, raw_tables, codes, capsys):
    """credit-risk plan works on synthetic data as the README shows: roster, then plan."""
    import pandas as pd

    data = _write_dataset(tmp_path / "data", raw_tables)
    scores = tmp_path / "scores.parquet"
    pd.DataFrame({"credit_code": codes, "tier": ["A", "B", "D"]}).to_parquet(scores)
    roster = tmp_path / "roster.csv"
    assert main(["roster", "--scores", str(scores), "--data", str(data), "--start", "2024-01-01",
                 "--out", str(roster)]) == 0
    assert "wrote a synthetic roster of" in capsys.readouterr().out
    frame = pd.read_csv(roster, dtype=str)
    assert list(frame.columns) == ["inspector_id", "department", "home_region", "capacity"] and len(frame) > 0
    assert main(["plan", "--scores", str(scores), "--data", str(data), "--inspectors", str(roster), "--start",
                 "2024-01-01", "--end", "2024-07-01", "--seed", "1", "--out", str(tmp_path / "plan")]) == 0
    assert (tmp_path / "plan" / "plan.parquet").exists()


# --------------------------------------------------------------------------- init, score --cutoffs


def test_init_writes_configs_that_validate(tmp_path, raw_tables, capsys):
    data = _write_dataset(tmp_path / "data", raw_tables)
    configs = tmp_path / "configs"
    assert main(["init", "--data", str(data), "--out", str(configs)]) == 0
    out = capsys.readouterr().out
    assert "wrote 5 starter config(s)" in out and f"--configs {configs}" in out
    assert {p.name for p in configs.iterdir()} >= {"catalog.yaml", "features.yaml", "tiers.yaml", "train.yaml"}
    assert main(["validate", str(data), "--configs", str(configs)]) == 0
    assert main(["init", "--data", str(data), "--out", str(configs)]) == 2
    assert "already holds ['catalog.yaml'" in capsys.readouterr().err
    assert main(["init", "--data", str(data), "--out", str(configs), "--force"]) == 0


class _Recorder:
    """Stands in for the scoring functions: records the call, writes a one-column result."""

    def __init__(self):
        self.calls = []

    def resolve(self, model, uri, cache, **kwargs):
        return "bundle", "credit_risk_generic", "7", "abc"

    def writer(self, name):
        def write(bundle, dataset, *args, out, **kwargs):
            import pandas as pd

            self.calls.append((name, args, kwargs))
            pd.DataFrame({"tier": ["A", "D"]}).to_parquet(out)
            return out

        return write


def test_score_cutoffs_and_as_of_reach_their_scoring_functions(tmp_path, raw_tables, codes, capsys, monkeypatch):
    import pandas as pd

    from credit_risk import scoring

    data = _write_dataset(tmp_path / "data", raw_tables)
    rec = _Recorder()
    monkeypatch.setattr(scoring, "resolve_model", rec.resolve)
    monkeypatch.setattr(scoring, "score_cutoffs", rec.writer("cutoffs"))
    monkeypatch.setattr(scoring, "score_dataset", rec.writer("as_of"))
    cutoffs = tmp_path / "cutoffs.csv"
    pd.DataFrame({"credit_code": [codes[0], codes[1]], "as_of": ["2023-01-01", "2024-06-30"]}).to_csv(cutoffs, index=False)
    common = ["score", "--model", str(tmp_path / "bundle"), "--data", str(data), "--reasons", "0", "--quiet",
              "--no-record"]  # the fakes write no run record
    assert main([*common, "--cutoffs", str(cutoffs), "--out", str(tmp_path / "a.parquet")]) == 0
    assert "scored 2 rows at 2 as-of dates with credit_risk_generic 7" in capsys.readouterr().out
    name, args, kwargs = rec.calls[-1]
    assert name == "cutoffs" and kwargs["k"] == 0 and kwargs["model_sha256"] == "abc"
    frame = args[0]
    assert frame["as_of"].tolist() == [pd.Timestamp("2023-01-01"), pd.Timestamp("2024-06-30")]
    assert frame["credit_code"].tolist() == codes[:2]
    assert main([*common, "--as-of", "2024-01-01", "--out", str(tmp_path / "b.parquet")]) == 0
    assert rec.calls[-1][0] == "as_of" and rec.calls[-1][2]["as_of"] == "2024-01-01"


def test_train_labels_file_is_checked_first_and_reaches_training(tmp_path, raw_tables, codes, capsys, monkeypatch):
    import pandas as pd

    import credit_risk.train

    data = _write_dataset(tmp_path / "data", raw_tables)
    seen = {}

    def fake_train_and_track(dataset, config, **kwargs):
        seen.update(kwargs)
        return None, []

    monkeypatch.setattr(credit_risk.train, "train_and_track", fake_train_and_track)
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"credit_code": codes, "as_of": ["2024-01-01"] * 3, "label": [0, 1, 0]}).to_csv(labels, index=False)
    argv = ["train", "--data", str(data), "--out", str(tmp_path / "m"), "--tracking-uri",
            f"sqlite:///{tmp_path / 'mlflow.db'}", "--labels", str(labels)]
    assert main(argv) == 0
    assert seen["labels"]["label"].tolist() == [0, 1, 0] and seen["tracking_uri"].startswith("sqlite:///")
    labels.write_text("credit_code,as_of,label\nx,2024-01-01,maybe\n", encoding="utf-8")
    seen.clear()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "labels.csv" in err and "row 1" in err and err.count("\n") == 1, err
    assert not seen
