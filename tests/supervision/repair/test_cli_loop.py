"""``credit-risk repair`` and ``credit-risk measures`` on a dataset folder: the loop, exit codes."""

from __future__ import annotations

import pandas as pd

from credit_risk.cli import EXIT_DATA, EXIT_OK, EXIT_USAGE, main
from credit_risk.data import write_dataset
from credit_risk.measures import read_tasks
from credit_risk.repair import read_repair_log


def test_repair_then_measures_lifts_the_repaired_listing(make_dataset, codes, tmp_path, capsys):
    ds = make_dataset([
        {"credit_code": codes[0], "kind": "serious_listing", "start": "2023-01-10"},
        {"credit_code": codes[1], "kind": "judgment_defaulter", "domain": "court", "start": "2024-02-01"},
    ])
    data = tmp_path / "data"
    write_dataset(ds, data)
    tasks, log = tmp_path / "tasks.parquet", tmp_path / "repairs.parquet"
    args = ["measures", "--data", str(data), "--as-of", "2024-03-01", "--tasks", str(tasks)]
    assert main(args) == EXIT_OK
    first = read_tasks(tasks)
    assert main(args) == EXIT_OK  # idempotent
    assert len(read_tasks(tasks)) == len(first) and "0 new" in capsys.readouterr().out

    apps = tmp_path / "applications.csv"
    pd.DataFrame({"application_id": ["a1", "a2"], "credit_code": [codes[0], codes[1]], "record_id": ["r1", "r2"],
                  "applied_on": ["2024-03-15", "2024-03-15"], "penalty_paid": ["true", "true"],
                  "corrected": ["true", "true"], "commitment_signed": ["true", "true"]}).to_csv(apps, index=False)
    out = tmp_path / "decisions.csv"
    assert main(["repair", "--data", str(data), "--applications", str(apps), "--log", str(log),
                 "--out", str(out)]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "1 approved, 0 rejected, 1 not_repairable" in printed and "has no repair rule" in printed
    assert read_repair_log(log)["record_id"].tolist() == ["r1"]
    assert pd.read_csv(out)["decision"].tolist() == ["approved", "not_repairable"]

    feedback = tmp_path / "feedback.csv"
    pd.DataFrame({"task_id": ["r2:restrict_high_consumption"], "status": ["done"], "reported_on": ["2024-02-10"],
                  "reason": [""]}).to_csv(feedback, index=False)
    assert main(["measures", "--data", str(data), "--as-of", "2024-04-01", "--tasks", str(tasks),
                 "--repairs", str(log), "--feedback", str(feedback), "--rates-by", "department", "measure"]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "execution rate" in printed and "by measure" in printed
    final = read_tasks(tasks).set_index("task_id")
    r1 = final.loc[final["record_id"] == "r1"]
    assert set(r1["status"]) == {"lifted"} and set(r1["closed_on"]) == {pd.Timestamp("2024-03-15")}
    assert final.loc["r2:restrict_high_consumption", "status"] == "done"


def test_bad_feedback_exits_1_and_a_bad_date_exits_2(make_dataset, codes, tmp_path, capsys):
    ds = make_dataset([{"credit_code": codes[1], "kind": "judgment_defaulter", "domain": "court",
                        "start": "2024-02-01"}])
    data = tmp_path / "data"
    write_dataset(ds, data)
    feedback = tmp_path / "feedback.csv"
    pd.DataFrame({"task_id": ["r1:restrict_high_consumption"], "status": ["not_applicable"],
                  "reported_on": ["2024-02-10"], "reason": [""]}).to_csv(feedback, index=False)
    tasks = tmp_path / "tasks.parquet"
    assert main(["measures", "--data", str(data), "--as-of", "2024-03-01", "--tasks", str(tasks),
                 "--feedback", str(feedback)]) == EXIT_DATA
    assert "column 'reason': is empty for a not_applicable report" in capsys.readouterr().err
    assert not tasks.exists()
    assert main(["measures", "--data", str(data), "--as-of", "2024-13-01", "--tasks", str(tasks)]) == EXIT_USAGE
    assert main(["measures", "--data", str(data), "--as-of", "2024-03-01", "--since", "2024-04-01",
                 "--tasks", str(tasks)]) == EXIT_USAGE
    assert "--since 2024-04-01 is after --as-of 2024-03-01" in capsys.readouterr().err
    assert main(["measures", "--data", str(data), "--as-of", "2024-03-01", "--since", "2024-02-15",
                 "--tasks", str(tasks)]) == EXIT_OK
    assert read_tasks(tasks) is not None and len(read_tasks(tasks)) == 0  # the listing was pushed on 1 Feb
