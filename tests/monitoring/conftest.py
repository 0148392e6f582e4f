"""Fixtures of the monitoring tests (helpers in monitoring_fixtures.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from monitoring_fixtures import N

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture
def base_frames():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"penalty_count_365d": rng.poisson(0.5, N).astype(float),
                      "log_capital": rng.normal(4, 1, N),
                      "serious_listing_active": np.zeros(N)})
    X.loc[3, "log_capital"] = np.nan
    contributions = np.column_stack([0.3 * X["penalty_count_365d"], -0.1 * X["log_capital"].fillna(4),
                                     np.zeros(N), np.full(N, -2.0)])
    tiers = np.array(list("ABCD"))[np.minimum(X["penalty_count_365d"].to_numpy(dtype=int), 3)]
    return X, contributions, tiers


@pytest.fixture(scope="session")
def sample_model(tmp_path_factory):
    if not SAMPLE.exists():
        pytest.skip("committed sample not present")
    from credit_risk.data import load_dataset
    from credit_risk.train import load_train_config, train

    tmp = tmp_path_factory.mktemp("warn")
    (tmp / "model.yaml").write_text("n_estimators: 40\nnum_leaves: 7\n", encoding="utf-8")
    (tmp / "train.yaml").write_text("domains: []\nmodel: model.yaml\n", encoding="utf-8")
    config, _ = load_train_config(tmp / "train.yaml")
    dataset = load_dataset(SAMPLE)
    result = train(dataset, config, out_dir=tmp / "models", created_at="2026-01-01T00:00:00")
    path = result.bundles["generic"]
    sha = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))["sha256"]
    return dataset, path, sha, tmp
