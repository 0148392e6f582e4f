"""The end-to-end job on the sample (what `make demo` runs), the plan command, and the notebook."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from credit_risk.cli import main
from credit_risk.tracking import local_tracking_uri

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    uri = local_tracking_uri(root)
    assert main(["demo", "--data", str(SAMPLE), "--out", str(root / "out"), "--tracking-uri", uri]) == 0
    return root


def test_demo_writes_every_output(demo, capsys):
    out = demo / "out"
    for path in ("report.md", "scores.parquet", "plan/plan.parquet", "plan/disclosure.csv", "plan/manifest.json"):
        assert (out / path).exists(), path
    for name in ("generic", "food", "environment"):  # one fresh folder per training run
        assert len(list(out.glob(f"models/run-*/{name}/model.joblib"))) == 1, name
    report = (out / "report.md").read_text(encoding="utf-8")
    for heading in ("## Models (out of time, test slice)", "### Domain models", "### Registry",
                    "## Inspection plan", "## Back-test of the plan on the ground truth"):
        assert heading in report
    assert "violations found per visit: plan" in report
    # the supervision loop (issue 15): tasks, execution rates, repairs and their effect on tiers
    assert "## Supervision loop" in report and "Execution rate of restrictions" in report
    assert "Effect of the approved repairs" in report
    for name in ("tasks.parquet", "repair_log.parquet", "repair_decisions.csv", "execution_rate.csv"):
        assert (out / "supervision" / name).exists(), name
    manifest = json.loads((out / "plan" / "manifest.json").read_text())
    assert manifest["seed"] == 2026
    disclosure = pd.read_csv(out / "plan" / "disclosure.csv")
    assert not any("inspector" in c for c in disclosure.columns)


def test_monitor_and_warn_commands_run_on_the_two_demo_runs(demo, tmp_path, capsys):
    """The demo scores two months and records both runs; monitor and warn compare them (issue 14)."""
    out = demo / "out"
    assert (out / "monitoring" / "checks.csv").exists() and (out / "warnings" / "warnings.csv").exists()
    runs = sorted(p.parent for p in (out / "runs").glob("*/run.json"))
    assert len(runs) == 2 and runs[0].name < runs[1].name  # the month before, then the as-of month
    capsys.readouterr()
    assert main(["monitor", "--reference", str(runs[0]), "--current", str(runs[1]), "--data", str(SAMPLE),
                 "--out", str(tmp_path / "monitor")]) == 0
    assert "score PSI" in capsys.readouterr().out
    checks = pd.read_csv(tmp_path / "monitor" / "checks.csv")
    assert checks.equals(pd.read_csv(out / "monitoring" / "checks.csv"))  # what make demo wrote
    assert main(["warn", "--reference", str(runs[0]), "--current", str(runs[1]),
                 "--out", str(tmp_path / "warn")]) == 0
    assert "subject(s) flagged" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "warn" / "warnings.csv")) == len(pd.read_csv(out / "warnings" / "warnings.csv"))


def test_plan_command_is_reproducible(demo, tmp_path):
    from credit_risk.data import load_dataset
    from credit_risk.demo import synthetic_roster
    from credit_risk.scheduler import load_policy, subjects_from_dataset

    scores = demo / "out" / "scores.parquet"
    subjects = subjects_from_dataset(load_dataset(SAMPLE), pd.read_parquet(scores)[["credit_code", "tier"]],
                                     as_of=pd.Timestamp("2026-01-01"))
    roster = tmp_path / "roster.csv"
    synthetic_roster(subjects, load_policy(), seed=1).to_csv(roster, index=False)
    args = ["plan", "--scores", str(scores), "--data", str(SAMPLE), "--inspectors", str(roster),
            "--start", "2026-01-01", "--end", "2027-01-01", "--seed", "11"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    for name in ("plan.parquet", "disclosure.csv", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert main([*args[:-1], "12", "--out", str(tmp_path / "c")]) == 0
    assert (tmp_path / "a" / "plan.parquet").read_bytes() != (tmp_path / "c" / "plan.parquet").read_bytes()


def test_walkthrough_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "notebooks" / "walkthrough.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
