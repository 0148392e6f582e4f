"""Shared fixtures: a tiny valid dataset in raw (string) form; a small model trained once on the committed sample."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from credit_risk.data.credit_code import complete


@pytest.fixture
def codes() -> list[str]:
    """Three valid GB 32100 codes in Hangzhou Xihu district (330106)."""
    return [complete(f"91330106MA2H0000{i}") for i in range(3)]


@pytest.fixture
def raw_tables(codes) -> dict[str, pd.DataFrame]:
    """Raw tables as a CSV reader would give them (all text)."""
    enterprises = pd.DataFrame(
        {
            "credit_code": codes,
            "name": ["Hangzhou A Trading Co.", "Hangzhou B Foods Co.", "Hangzhou C Dyeing Co."],
            "entity_type": ["enterprise", "enterprise", "enterprise"],
            "industry": ["F51", "C14", "C17"],
            "region": ["330106", "330106", "330106"],
            "registered_capital": ["100", "50.5", "1000"],
            "established_on": ["2015-03-01", "2018-06-15", "2010-01-20"],
            "closed_on": [None, None, "2024-05-01"],
        }
    )
    records = pd.DataFrame(
        {
            "record_id": ["r1", "r2", "r3", "r4"],
            "credit_code": [codes[0], codes[1], codes[1], codes[2]],
            "kind": ["penalty", "inspection", "abnormal_listing", "complaint"],
            "domain": ["market", "food", "market", "environment"],
            "start": ["2022-01-10", "2023-03-01", "2021-07-01", "2023-09-09"],
            "end": [None, None, "2022-01-01", None],
            "published_on": ["2022-02-01", None, None, None],
            "severity": ["general", None, None, None],
            "value": ["5000", None, None, None],
            "outcome": [None, "problem", "late_annual_report", "verified"],
            "source": ["market_regulation", "food_safety", "market_regulation", "hotline_12345"],
        }
    )
    return {"enterprises": enterprises, "records": records}


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="session")
def small_sample_model(tmp_path_factory):
    """The committed sample trained once per test run (generic model only, 40 trees of 7 leaves).

    Returns ``dataset``, ``result`` (the :class:`TrainResult`), ``path`` and ``sha`` of the generic
    bundle. Tests that write files make their own folder; the bundle's folder is read-only to them.
    """
    if not SAMPLE.exists():
        pytest.skip("committed sample data/sample not present")
    from credit_risk.data import load_dataset
    from credit_risk.train import load_train_config, train

    tmp = tmp_path_factory.mktemp("small_sample_model")
    (tmp / "model.yaml").write_text("n_estimators: 40\nnum_leaves: 7\n", encoding="utf-8")
    (tmp / "train.yaml").write_text("domains: []\nmodel: model.yaml\n", encoding="utf-8")
    config, _ = load_train_config(tmp / "train.yaml")
    dataset = load_dataset(SAMPLE)
    result = train(dataset, config, out_dir=tmp / "models", created_at="2026-01-01T00:00:00")
    path = result.bundles["generic"]
    sha = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))["sha256"]
    return SimpleNamespace(dataset=dataset, result=result, path=path, sha=sha)
