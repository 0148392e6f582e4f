"""Tiny hand-made runs for the monitoring tests: a dataset of a few subjects, features, contributions and scores, no model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.data import CreditDataset
from credit_risk.data.credit_code import complete
from credit_risk.features.matrix import FeatureInfo, FeatureMatrix
from credit_risk.monitoring import load_run, write_run_record

N = 40
FEATURES = (
    FeatureInfo("penalty_count_365d", "compliance", 1, "penalties in the last 365 days", "近365天行政处罚次数"),
    FeatureInfo("log_capital", "commercial", -1, "log registered capital", "注册资本对数"),
    FeatureInfo("serious_listing_active", "compliance", 1, "on the serious list", "列入严重违法失信名单"),
)


def make_dataset(n: int = N, *, serious_for: str | None = None, listed_on: str = "2025-01-20",
                 region: bool = True) -> CreditDataset:
    codes = [complete(f"91330106MA2H{i:05d}") for i in range(n)]
    enterprises = pd.DataFrame({
        "credit_code": codes,
        "entity_type": ["enterprise"] * n,
        "industry": ["C13" if i % 2 else "F51" for i in range(n)],
        "region": ([("330106" if i % 3 else "330212") for i in range(n)] if region else [None] * n),
        "established_on": [f"{2000 + i % 20}-03-01" for i in range(n)],
    })
    records = pd.DataFrame({"record_id": ["r0"], "credit_code": [codes[0]], "kind": ["penalty"], "domain": ["market"],
                            "start": ["2022-01-10"], "severity": ["general"], "source": ["market_regulation"]})
    if serious_for is not None:
        records = pd.concat([records, pd.DataFrame({
            "record_id": ["planted"], "credit_code": [serious_for], "kind": ["serious_listing"], "domain": ["market"],
            "start": [listed_on], "severity": ["serious"], "source": ["market_regulation"]})], ignore_index=True)
    return CreditDataset.from_frames(enterprises, records, id_scheme="gb32100")


def make_run(tmp_path, dataset: CreditDataset, *, as_of: str, X: pd.DataFrame, contributions: np.ndarray,
             tiers, name: str = "run"):
    """Write a scores file for ``X`` (probability = sigmoid of the contributions' sum) and its run record."""
    codes = dataset.enterprises["credit_code"].astype(str).to_numpy()
    p = 1 / (1 + np.exp(-contributions.sum(axis=1)))
    scores = pd.DataFrame({"credit_code": codes, "as_of": pd.Timestamp(as_of), "probability": p,
                           "tier": np.asarray(tiers, dtype=object)})
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    scores.to_parquet(folder / "scores.parquet")
    fm = FeatureMatrix(pd.DataFrame({"credit_code": codes, "as_of": pd.Timestamp(as_of)}), X, FEATURES)
    path = write_run_record(folder / "scores.parquet", features=fm, dataset=dataset, model_name="m",
                            model_version="1", model_sha256="ab" * 32, contributions=contributions)
    return load_run(path)


