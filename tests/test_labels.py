"""Training targets: inspection outcomes and events within a horizon."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_risk.data import CreditDataset
from credit_risk.exceptions import ConfigError, LeakageError
from credit_risk.features import build_features
from credit_risk.labels import Labels, event_within, inspection_outcome


@pytest.fixture
def dataset() -> CreditDataset:
    ent = pd.DataFrame(
        {
            "credit_code": ["a", "b"],
            "name": ["A", "B"],
            "entity_type": ["enterprise", "enterprise"],
            "industry": ["C13", "F52"],
            "region": ["330106", "330106"],
            "registered_capital": [10.0, 20.0],
            "established_on": ["2015-01-01", "2016-01-01"],
        }
    )
    rec = pd.DataFrame(
        {
            "record_id": ["i1", "i2", "i3", "i4", "p1", "p2"],
            "credit_code": ["a", "a", "b", "b", "a", "b"],
            "kind": ["inspection"] * 4 + ["penalty"] * 2,
            "domain": ["food", "market", "food", "food", "food", "market"],
            "start": ["2022-01-10", "2023-05-01", "2022-03-01", "2023-07-01", "2022-01-20", "2023-09-01"],
            "published_on": ["2022-01-20", "2023-05-10", "2022-03-05", "2023-07-02", "2022-02-01", "2023-09-01"],
            "outcome": ["problem", "pass", "unreachable", "problem", None, None],
            "draw_probability": [0.25, 0.5, 0.1, None, None, None],
        }
    )
    return CreditDataset.from_frames(ent, rec, id_scheme="any")


def test_inspection_outcome_labels_and_weights(dataset, caplog):
    with caplog.at_level("INFO", logger="credit_risk.labels"):
        lab = inspection_outcome(dataset)
    assert isinstance(lab, Labels) and len(lab) == 3
    assert lab.cutoffs["credit_code"].tolist() == ["a", "a", "b"]
    assert lab.cutoffs["as_of"].tolist() == pd.to_datetime(["2022-01-10", "2023-05-01", "2023-07-01"]).tolist()
    assert lab.y.tolist() == [1, 0, 1]
    assert lab.sample_weight.tolist() == [4.0, 2.0, 1.0]
    assert lab.meta["n_unreachable"] == 1
    assert "excluded 1 unreachable" in caplog.text


def test_inspection_outcome_options(dataset):
    lab = inspection_outcome(dataset, unreachable="problem", weight=None)
    assert lab.y.tolist() == [1, 0, 1, 1] and (lab.sample_weight == 1).all()
    lab = inspection_outcome(dataset, domains=["food"], start="2022-02-01", end="2024-01-01")
    assert lab.meta["record_ids"].tolist() == ["i4"]
    with pytest.raises(ConfigError, match="unknown domain"):
        inspection_outcome(dataset, domains=["space"])
    with pytest.raises(ConfigError, match="unreachable must be"):
        inspection_outcome(dataset, unreachable="drop")


def test_inspection_result_is_invisible_to_its_own_features(dataset):
    lab = inspection_outcome(dataset)
    fm = build_features(dataset, lab.cutoffs, views=["compliance"])
    # the first inspection of 'a' is its own cutoff: no inspection is known yet
    assert np.isnan(fm.X["days_since_inspection"].iloc[0])
    assert fm.X["inspection_problem_count_1825d"].tolist()[0] == 0
    # as of the second inspection, the first (published 2022-01-20) is known
    assert fm.X["inspection_problem_count_1825d"].tolist()[1] == 1


def test_event_within(dataset):
    cut = pd.DataFrame({"credit_code": ["a", "a", "b", "b"],
                        "as_of": pd.to_datetime(["2022-01-01", "2022-01-21", "2023-06-01", "2023-09-01"])})
    lab = event_within(dataset, cut, ["penalty"], 30, allow_censored=True)
    assert lab.y.tolist() == [1, 0, 0, 1]  # start in [as_of, as_of + 30): day 19 yes, day -1 no
    lab = event_within(dataset, cut.iloc[:2], ["penalty"], 30, domains=["market"])
    assert lab.y.tolist() == [0, 0]


def test_event_within_censoring(dataset):
    cut = pd.DataFrame({"credit_code": ["a", "b"], "as_of": pd.to_datetime(["2022-01-01", "2023-09-01"])})
    with pytest.raises(LeakageError, match=r"cutoffs row 2: as_of 2023-09-01 \+ 30 days passes the end of the data"):
        event_within(dataset, cut, ["penalty"], 30)
    lab = event_within(dataset, cut, ["penalty"], 30, allow_censored=True)
    assert lab.meta["n_censored"] == 1
    with pytest.raises(ConfigError, match="unknown kind"):
        event_within(dataset, cut, ["fine"], 30)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), horizon=st.integers(1, 400))
def test_event_within_equals_a_plain_loop(seed, horizon):
    rng = np.random.default_rng(seed)
    ent = pd.DataFrame({"credit_code": ["a", "b", "c"], "name": ["A", "B", "C"], "entity_type": "enterprise",
                        "industry": "C13", "region": "330106", "registered_capital": 1.0,
                        "established_on": "2015-01-01"})
    n = int(rng.integers(0, 30))
    rec = pd.DataFrame({"record_id": [f"r{i}" for i in range(n)], "credit_code": rng.choice(["a", "b", "c"], n),
                        "kind": rng.choice(["penalty", "wage_arrears"], n), "domain": "market",
                        "start": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")})
    ds = CreditDataset.from_frames(ent, rec, id_scheme="any")
    cut = pd.DataFrame({"credit_code": rng.choice(["a", "b", "c"], 20),
                        "as_of": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 700, 20), unit="D")})
    lab = event_within(ds, cut, ["penalty"], horizon, allow_censored=True)
    pen = ds.records[ds.records["kind"] == "penalty"]
    want = [
        int(((pen["credit_code"] == c) & (pen["start"] >= t) & (pen["start"] < t + pd.Timedelta(days=horizon))).any())
        for c, t in zip(cut["credit_code"], cut["as_of"], strict=True)
    ]
    assert lab.y.tolist() == want


# -- the catalogue decides what a positive is -----------------------------------------------------
CITY_CATALOG = """
extends: packaged
kinds:
  inspection:
    outcomes: [pass, fail, pass_with_conditions, closed_on_visit]
    adverse_outcomes: [fail]
    no_contact_outcomes: [closed_on_visit]
  visit:
    name_zh: 走访
    description: A visit with a result but no declared adverse outcome.
    view: compliance
    polarity: neutral
    interval: false
    default_severity: info
    outcomes: [ok, not_ok]
    publication_days: {info: null, minor: null, general: null, serious: null}
"""


@pytest.fixture
def city(tmp_path) -> CreditDataset:
    from credit_risk.data import load_catalog

    path = tmp_path / "catalog.yaml"
    path.write_text(CITY_CATALOG, encoding="utf-8")
    ent = pd.DataFrame({"credit_code": ["a", "b"], "name": ["A", "B"]})
    outcomes = ["pass", "fail", "pass_with_conditions", "closed_on_visit", "fail", None]
    rec = pd.DataFrame({
        "record_id": [f"i{i}" for i in range(6)] + ["v1"],
        "credit_code": ["a", "a", "b", "b", "b", "a", "b"],
        "kind": ["inspection"] * 6 + ["visit"],
        "domain": "food",
        "start": ["2022-01-10", "2022-06-01", "2022-03-01", "2022-07-01", "2023-01-05", "2023-02-01", "2023-03-01"],
        "outcome": outcomes + ["not_ok"],
    })
    return CreditDataset.from_frames(ent, rec, catalog=load_catalog(path), id_scheme="any")


def test_pass_fail_vocabulary_gives_the_adverse_outcomes_as_positives(city):
    lab = inspection_outcome(city)
    # pass, fail, pass_with_conditions, fail (closed_on_visit = no contact, None = no outcome: excluded)
    assert lab.y.tolist() == [0, 1, 0, 1]
    assert lab.meta["adverse_outcomes"] == ["fail"] and lab.meta["n_unreachable"] == 1
    counted = inspection_outcome(city, unreachable="problem")
    assert counted.y.tolist() == [0, 1, 0, 1, 1]


def test_a_kind_without_adverse_outcomes_is_refused_as_a_target(city):
    with pytest.raises(ConfigError, match=r"kind 'visit' declares no adverse_outcomes; add them to the catalogue"):
        inspection_outcome(city, kind="visit")
    with pytest.raises(ConfigError, match=r"inspection_outcome: unknown kind\(s\) \['tasting'\]"):
        inspection_outcome(city, kind="tasting")
