"""Against a real MLflow tracking server (SQLite backend) on 127.0.0.1: train, register, load back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_risk.cli import run_training
from credit_risk.data import load_dataset
from credit_risk.features import build_features
from credit_risk.scoring import active_cutoffs, bundle_feature_spec, resolve_model
from credit_risk.tracking import bundle_probability

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path):
    port = _free_port()
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed in the finaliser below
    proc = subprocess.Popen(
        [str(mlflow_bin), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
         "--artifacts-destination", str(tmp_path / "artifacts")],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "MLFLOW_TRACKING_URI": ""},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"mlflow server did not start: {(tmp_path / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_train_against_a_real_server_and_load_from_its_registry(mlflow_server, tmp_path):
    results = run_training(str(SAMPLE), None, str(tmp_path / "models"), mlflow_server, None)
    assert [r.registered_name for r in results] == ["credit_risk_generic", "credit_risk_environment", "credit_risk_food"]
    assert all(r.alias_moved for r in results)
    bundle, name, version, _ = resolve_model("models:/credit_risk_generic@champion", mlflow_server, tmp_path / "cache")
    assert (name, version) == ("credit_risk_generic", "1")
    ds = load_dataset(SAMPLE)
    fm = build_features(ds, active_cutoffs(ds, pd.Timestamp("2025-01-01")).head(200), bundle_feature_spec(bundle))
    p = bundle_probability(bundle, fm.X)
    assert p.shape == (200,) and np.all((p > 0) & (p < 1))
    food, *_ = resolve_model("models:/credit_risk_food@champion", mlflow_server, tmp_path / "cache2")
    assert food.config["output"] == "food"
