"""build_features and inspection_outcome on the committed synthetic sample (skipped if absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from credit_risk.data import load_dataset
from credit_risk.features import build_features
from credit_risk.labels import inspection_outcome

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.mark.skipif(not (SAMPLE / "records.parquet").exists(), reason="data/sample not generated")
def test_sample_per_inspection_features_never_see_their_own_day():
    ds = load_dataset(SAMPLE)
    labels = inspection_outcome(ds)
    fm = build_features(ds, labels.cutoffs)
    assert len(fm.X) == len(labels) > 0
    days = fm.X["days_since_inspection"].to_numpy()
    assert np.all(np.isnan(days) | (days > 0))  # nothing published on or after the as-of date
    assert np.all(np.isfinite(labels.sample_weight)) and (labels.sample_weight >= 1).all()
    numeric = [i.name for i in fm.info if not i.categorical]
    assert np.isfinite(fm.X[numeric].to_numpy(float)[~np.isnan(fm.X[numeric].to_numpy(float))]).all()
