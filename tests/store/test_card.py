"""The run description and the model card, from what a run logs."""

from __future__ import annotations

import pandas as pd

from credit_risk.store.card import dataset_summary, model_card, run_description


def _datasets():
    frame = pd.DataFrame({"as_of": pd.to_datetime(["2024-01-01", "2024-06-01", "2025-01-01"]), "label": [0, 1, 1]})
    return {"train": frame.iloc[:2], "test": frame.iloc[2:]}


def test_dataset_summary_counts_rows_events_and_the_period_per_split():
    summary = dataset_summary(_datasets(), "label")
    assert summary.to_dict("records") == [
        {"split": "train", "rows": 2, "events": 1, "event_rate": 0.5, "as_of_from": "2024-01-01", "as_of_to": "2024-06-01"},
        {"split": "test", "rows": 1, "events": 1, "event_rate": 1.0, "as_of_from": "2025-01-01", "as_of_to": "2025-01-01"},
    ]


def test_model_card_has_every_section_and_defines_each_number():
    features = pd.DataFrame({"name": ["a", "b"], "view": ["compliance", "context"], "direction": [1, 0],
                             "categorical": [False, True], "description": ["x", "y"], "description_zh": ["甲", "乙"]})
    groups = pd.DataFrame({"group": ["region"], "value": ["3301"], "n": [10], "events": [25.0], "auc": [0.7]})
    card = model_card(name="generic", registered_name="credit_risk_generic", description="Generic risk model.",
                      summary=dataset_summary(_datasets(), "label"), data_source="/data/province",
                      data_fingerprint="f" * 64, code_version="0.1.0+abc", features=features,
                      headline={"test_auc": 0.71, "test_brier": 0.09}, groups=groups, decision="alias moved")
    for section in ("# Model card: credit_risk_generic", "## Data", "## Features", "## Metrics", "## Intended use",
                    "## Limits", "## Fairness by group"):
        assert section in card
    assert "| test_auc | 0.71 | area under the ROC curve on the out-of-time test slice" in card
    assert "2 features: compliance 1, context 1." in card and "| b | context | 0 | yes | y | 乙 |" in card
    assert "`events` can exceed `n`" in card and "| region | 3301 | 10 | 25 | 0.7 |" in card
    assert "`/data/province`" in card and "2024-01-01" in card
    domain = model_card(name="food", registered_name="credit_risk_food", description="", summary=pd.DataFrame(),
                        data_source="", data_fingerprint="", code_version="", features=features.iloc[:0],
                        headline={}, groups=None)
    assert "The food domain model" in domain and "No group table for this model" in domain


def test_run_description_names_the_model_data_and_headline():
    text = run_description(name="generic", registered_name="credit_risk_generic", description="Generic risk model.",
                           summary=dataset_summary(_datasets(), "label"), headline={"test_auc": 0.7123},
                           data_source="/data/province")
    assert text.splitlines()[0] == "**credit_risk_generic** — Generic risk model."
    assert "Trained on 3 labelled rows from `/data/province`, as-of dates 2024-01-01 – 2025-01-01." in text
    assert "test_auc = 0.7123." in text
