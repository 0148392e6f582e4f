"""Shared fixtures: a seeded toy feature matrix with a known ground truth."""

from __future__ import annotations

import pytest

from credit_risk.models.synthetic import toy_feature_matrix


@pytest.fixture(scope="session")
def matrix():
    return toy_feature_matrix(4000, seed=0)
