"""Fixtures of the monitoring tests (helpers in monitoring_fixtures.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from monitoring_fixtures import N


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
def sample_model(small_sample_model, tmp_path_factory):
    """The shared small model on the committed sample, with a folder of the monitoring tests' own."""
    m = small_sample_model
    return m.dataset, m.path, m.sha, tmp_path_factory.mktemp("warn")
