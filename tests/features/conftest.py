"""Fixtures of the feature tests (the factories live in feature_factories.py)."""

from __future__ import annotations

import pytest
from feature_factories import make_dataset

from credit_risk.data import CreditDataset


@pytest.fixture(scope="session")
def small_dataset() -> CreditDataset:
    return make_dataset(0, n_subjects=30, n_records=600)
