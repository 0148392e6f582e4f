"""Shared by the supervision-loop tests (measures, repair, evaluations): subjects in Hangzhou and the records a test gives."""

from __future__ import annotations

import pandas as pd
import pytest

from credit_risk.data import CreditDataset
from credit_risk.data.credit_code import complete


@pytest.fixture
def codes() -> list[str]:
    return [complete(f"91330106MA2H0001{i}") for i in range(5)]


@pytest.fixture
def make_dataset(codes):
    def make(records: list[dict]) -> CreditDataset:
        ent = pd.DataFrame({
            "credit_code": codes,
            "region": ["330106", "330106", "330102", "330102", "330105"],
            "industry": "C26",
            "entity_type": "enterprise",
            "established_on": "2010-01-01",
        })
        rows = []
        for i, r in enumerate(records):
            row = {"record_id": f"r{i + 1}", "domain": "market", "end": None, **r}
            rows.append(row)
        return CreditDataset.from_frames(ent, pd.DataFrame(rows))

    return make
