"""A toy feature matrix with a known logistic ground truth, for tests, examples and benchmarks.

Not a data generator for the library's users (that is :mod:`credit_risk.data.synthetic`):
it skips records and features and draws a :class:`FeatureMatrix` directly, so models,
tiers and explanations can be tested and benchmarked without the feature pipeline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.features.matrix import FeatureInfo, FeatureMatrix

__all__ = ["TOY_INFO", "toy_feature_matrix", "toy_latent_logit"]

TOY_INFO = (
    FeatureInfo("penalties_3y", "compliance", 1, "administrative penalties in the last 3 years", "近三年行政处罚次数"),
    FeatureInfo("serious_listing_active", "compliance", 1, "on the serious illegal and dishonest list", "列入严重违法失信名单"),
    FeatureInfo("complaints_1y", "social", 1, "complaints in the last year", "近一年投诉举报次数"),
    FeatureInfo("capital_log", "commercial", -1, "log registered capital", "注册资本（对数）"),
    FeatureInfo("age_years", "lifecycle", -1, "years since establishment", "成立年限"),
    FeatureInfo("related_dishonest_share", "relations", 1, "share of related firms that are dishonest", "关联企业失信比例"),
    FeatureInfo("noise", "commercial", 0, "an uninformative number", "无关数值"),
    FeatureInfo("size_class", "context", 0, "enterprise size class", "企业规模", categorical=True),
)


def toy_latent_logit(X: pd.DataFrame) -> np.ndarray:
    """The ground-truth log-odds of an event."""
    return (
        -2.0
        + 0.6 * X["penalties_3y"].to_numpy()
        + 3.0 * X["serious_listing_active"].to_numpy()
        + 0.35 * X["complaints_1y"].to_numpy()
        - 0.25 * np.nan_to_num(X["capital_log"].to_numpy(), nan=2.0)
        - 0.08 * X["age_years"].to_numpy()
        + 1.5 * X["related_dishonest_share"].to_numpy()
        + np.where(X["size_class"].astype(str).to_numpy() == "micro", 0.5, 0.0)
    )


def toy_feature_matrix(n: int = 4000, seed: int = 0, months: int = 12) -> tuple[FeatureMatrix, np.ndarray, np.ndarray]:
    """A FeatureMatrix, its 0/1 labels and the true event probability.

    Examples
    --------
    >>> fm, y, p = toy_feature_matrix(100, seed=0)
    >>> fm.X.shape, y.shape
    ((100, 8), (100,))
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "penalties_3y": rng.poisson(0.6, n).astype(float),
            "serious_listing_active": (rng.random(n) < 0.03).astype(float),
            "complaints_1y": rng.poisson(0.8, n).astype(float),
            "capital_log": rng.normal(4.0, 1.5, n),
            "age_years": rng.exponential(8.0, n),
            "related_dishonest_share": rng.beta(0.5, 4.0, n),
            "noise": rng.normal(size=n),
            "size_class": pd.Categorical(
                rng.choice(["large", "medium", "small", "micro"], n, p=[0.05, 0.15, 0.4, 0.4]),
                categories=["large", "medium", "small", "micro"],
            ),
        }
    )
    X.loc[rng.random(n) < 0.1, "capital_log"] = np.nan  # missing annual report
    p = 1 / (1 + np.exp(-toy_latent_logit(X)))
    y = (rng.random(n) < p).astype(int)
    dates = pd.date_range("2023-01-01", periods=months, freq="MS")
    keys = pd.DataFrame(
        {
            "credit_code": [f"S{i:07d}" for i in range(n)],
            "as_of": pd.to_datetime(rng.choice(dates, n)).astype("datetime64[ns]"),
        }
    )
    return FeatureMatrix(keys, X, TOY_INFO), y, p
