"""credit-risk score writes run records; monitor, warn and feedback read them (exit codes 0/1/2)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from test_monitoring_feedback import planned  # noqa: F401 (fixture)

from credit_risk.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def test_score_records_runs_that_monitor_and_warn_compare(sample_model, tmp_path, capsys):
    _, path, sha, _ = sample_model
    runs = []
    for day in ("2025-01-01", "2025-03-01"):
        out = tmp_path / f"scores-{day}.parquet"
        code = main(["score", "--model", str(path), "--sha256", sha, "--data", str(SAMPLE), "--as-of", day,
                     "--out", str(out), "--quiet"])
        assert code == 0
        printed = capsys.readouterr().out
        assert "run record →" in printed
        runs.append(sorted((tmp_path / "runs").glob(f"{day}_*"))[0])
    meta = json.loads((runs[0] / "run.json").read_text(encoding="utf-8"))
    assert meta["model"]["sha256"] == sha and meta["scores"]["file"] == "scores-2025-01-01.parquet"
    code = main(["monitor", "--reference", str(runs[0]), "--current", str(runs[1]), "--data", str(SAMPLE),
                 "--out", str(tmp_path / "monitor")])
    printed = capsys.readouterr().out
    assert code == 0 and "score PSI" in printed and "AUC" in printed
    checks = pd.read_csv(tmp_path / "monitor" / "checks.csv")
    assert set(checks["verdict"]) <= {"stable", "watch", "act"}
    code = main(["warn", "--reference", str(runs[0]), "--current", str(runs[1]), "--out", str(tmp_path / "warn"),
                 "--chinese"])
    printed = capsys.readouterr().out
    assert code == 0 and "subject(s) flagged" in printed
    assert (tmp_path / "warn" / "warnings.csv").exists() and any((tmp_path / "warn" / "by_region").iterdir())
    # --no-record writes the scores only
    assert main(["score", "--model", str(path), "--sha256", sha, "--data", str(SAMPLE), "--as-of", "2025-04-01",
                 "--out", str(tmp_path / "x" / "s.parquet"), "--quiet", "--no-record"]) == 0
    assert "run record" not in capsys.readouterr().out and not (tmp_path / "x" / "runs").exists()
    # a folder that is not a run: a usage error
    assert main(["monitor", "--reference", str(tmp_path), "--current", str(runs[1])]) == 2
    assert "holds no run.json" in capsys.readouterr().err


def test_feedback_command_is_idempotent(planned, tmp_path, capsys):  # noqa: F811
    data, plan_dir, _, results = planned
    file = tmp_path / "results.csv"
    results.to_csv(file, index=False)
    args = ["feedback", "--plan", str(plan_dir), "--results", str(file), "--data", str(data)]
    assert main(args) == 0
    assert f"{len(results):,} inspection record(s) added" in capsys.readouterr().out
    assert main(args) == 0
    assert "0 inspection record(s) added" in capsys.readouterr().out
    results.assign(outcome="great").to_csv(file, index=False)
    assert main(args) == 1
    assert "is not an outcome of kind 'inspection'" in capsys.readouterr().err
