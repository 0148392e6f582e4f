"""``credit-risk report``: one page from what earlier commands wrote; wrong input is one line and exit 2."""

from __future__ import annotations

import pytest

from credit_risk.cli import main


def test_report_command_from_bundle_scores_monitoring_and_warnings(sample_run, tmp_path, capsys):
    r = sample_run
    out = tmp_path / "site" / "report.html"
    argv = ["report", "--model", str(r["result"].bundles["generic"]), "--sha256", r["sha"],
            "--scores", str(r["tmp"] / "scores.parquet"), "--monitor", str(r["month"].monitor_dir),
            "--warnings", str(r["month"].warnings_dir), "--title", "Monthly report 月度报告", "--out", str(out)]
    assert main(argv) == 0
    assert f"report → {out}" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert "<title>Monthly report 月度报告</title>" in page
    for sid in ("summary", "map", "tiers", "performance", "subjects", "warnings", "monitoring", "model-card"):
        assert f'<section id="{sid}">' in page
    # a saved bundle keeps no per-row held-out scores: the page says so instead of drawing an empty ROC
    assert "drawn only in the report written by training" in page


@pytest.mark.parametrize(("args", "message"), [
    ([], "report needs at least one of --model, --scores, --plan, --monitor, --warnings"),
    (["--scores", "{scores}", "--out", "{tmp}/report.txt"], "the report is HTML; name the file report.html"),
])
def test_report_command_usage_errors_are_one_line(sample_run, tmp_path, capsys, args, message):
    fill = {"scores": str(sample_run["tmp"] / "scores.parquet"), "tmp": str(tmp_path)}
    argv = ["report", *(a.format(**fill) for a in args)]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "r.html")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
