"""Chunked batch output: a crash leaves no output file; a re-run resumes to identical bytes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_risk.atomic import sha256_file
from credit_risk.chunked import write_chunked


def _compute(start: int, stop: int) -> pd.DataFrame:
    idx = np.arange(start, stop)
    return pd.DataFrame(
        {"row": idx, "score": np.sqrt(idx.astype(float)), "tier": np.where(idx % 2, "A", "B")}
    )


def test_clean_run_equals_one_frame(tmp_path):
    out = write_chunked(
        1003, _compute, tmp_path / "scores.parquet", chunk_size=100, fingerprint="x"
    )
    got = pd.read_parquet(out)
    pd.testing.assert_frame_equal(got, _compute(0, 1003))
    assert not (tmp_path / "scores.parquet.parts").exists()


def test_crash_leaves_no_output_and_resume_is_identical(tmp_path):
    clean = write_chunked(
        1003, _compute, tmp_path / "clean.parquet", chunk_size=100, fingerprint="x"
    )
    calls = []

    def crashing(start, stop):
        calls.append(start)
        if start >= 500:
            raise KeyboardInterrupt("killed")
        return _compute(start, stop)

    out = tmp_path / "scores.parquet"
    with pytest.raises(KeyboardInterrupt):
        write_chunked(1003, crashing, out, chunk_size=100, fingerprint="x")
    assert not out.exists()
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    calls.clear()
    write_chunked(1003, _recording(calls), out, chunk_size=100, fingerprint="x")
    assert calls == list(range(500, 1003, 100))  # only the unfinished chunks were recomputed
    assert sha256_file(out) == sha256_file(clean)


def _recording(calls):
    def compute(start, stop):
        calls.append(start)
        return _compute(start, stop)

    return compute


def test_parts_of_other_inputs_are_not_reused(tmp_path):
    out = tmp_path / "scores.parquet"

    def crashing(start, stop):
        if start >= 200:
            raise RuntimeError("boom")
        return _compute(start, stop).assign(score=-1.0)

    with pytest.raises(RuntimeError):
        write_chunked(1003, crashing, out, chunk_size=100, fingerprint="old")
    write_chunked(1003, _compute, out, chunk_size=100, fingerprint="new")
    assert (pd.read_parquet(out)["score"] >= 0).all()


def test_bad_chunk_size(tmp_path):
    with pytest.raises(ValueError, match="chunk_size must be ≥ 1"):
        write_chunked(10, _compute, tmp_path / "x.parquet", chunk_size=0, fingerprint="x")


def test_config_fixed_length_tuples():
    from dataclasses import dataclass

    from credit_risk.config import from_mapping

    @dataclass(frozen=True)
    class Range:
        bounds: tuple[float, int]

    assert from_mapping(Range, {"bounds": [0.5, 3]}).bounds == (0.5, 3)


def test_atomic_outputs_are_world_readable(tmp_path):
    import os

    from credit_risk.atomic import write_text

    write_text(tmp_path / "x.txt", "hi")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "x.txt").stat().st_mode & 0o777 == 0o666 & ~umask
