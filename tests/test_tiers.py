from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.models import ModelNotFittedError
from credit_risk.tiers import ObservationPeriod, OverrideRule, RiskTiers, load_tier_config

RNG = np.random.default_rng(0)
P = RNG.beta(1, 12, 5000)
Y = (RNG.random(5000) < P).astype(int)


def test_packaged_config_loads_and_fits():
    config = load_tier_config()
    tiers = RiskTiers.from_config(config).fit(P)
    assert config.method == "shares"
    shares = pd.Series(tiers.predict(P)).value_counts(normalize=True).sort_index()
    np.testing.assert_allclose(shares.to_numpy(), [0.40, 0.40, 0.15, 0.05], atol=0.01)


def test_probability_cutoffs_boundary_goes_up():
    tiers = RiskTiers(method="probability", cutoffs=(0.1, 0.2, 0.3)).fit(P)
    assert tiers.predict([0.0999, 0.1, 0.2, 0.3, 0.99]).tolist() == ["A", "B", "C", "D", "D"]


def test_event_rate_cutoffs_give_rising_rates():
    tiers = RiskTiers(method="event_rate", event_rates=(0.03, 0.08, 0.2)).fit(P, Y)
    t = tiers.predict(P)
    rates = pd.Series(Y).groupby(t).mean()
    assert list(rates.index) == ["A", "B", "C", "D"]
    assert rates.is_monotonic_increasing
    assert rates["A"] < 0.05


def test_overrides_and_observation():
    tiers = RiskTiers(
        method="probability",
        cutoffs=(0.1, 0.2, 0.3),
        overrides=(OverrideRule("serious", "serious_listing_active", ">", 0, "D", "listed", "列入", legal_basis="SAMR Order 44"),),
        observation=ObservationPeriod("age_years", 1.0, "B"),
    ).fit(P)
    features = pd.DataFrame({"serious_listing_active": [1, 0, 0, np.nan], "age_years": [5, 0.5, 5, 0.2]})
    out = tiers.assign([0.01, 0.01, 0.01, 0.25], features=features)
    assert out["tier"].tolist() == ["D", "B", "A", "C"]
    assert out["model_tier"].tolist() == ["A", "A", "A", "C"]
    assert out["override"].tolist() == ["serious", "observation", "", ""]
    assert out.loc[0, "override_reason_zh"] == "列入"


def test_hysteresis_keeps_tier_near_boundary_but_not_far():
    tiers = RiskTiers(method="probability", cutoffs=(0.1, 0.2, 0.3), hysteresis=0.3).fit(P)
    keys = pd.DataFrame({"credit_code": ["a", "b", "c", "d", "new"]})
    previous = pd.DataFrame({"credit_code": ["a", "b", "c", "d"], "tier": ["A", "A", "C", "B"]})
    # a: just above 0.1 -> stays A; b: far above -> C; c: just below 0.2 -> stays C; d: far below -> A
    out = tiers.assign([0.105, 0.28, 0.195, 0.02, 0.105], keys=keys, previous=previous)
    assert out["tier"].tolist() == ["A", "C", "C", "A", "B"]
    assert out["kept_previous"].tolist() == [True, False, True, False, False]


def test_an_expired_override_does_not_linger_through_hysteresis():
    tiers = RiskTiers(
        method="probability", cutoffs=(0.1, 0.2, 0.3), hysteresis=0.3,
        overrides=(OverrideRule("serious", "serious_listing_active", ">", 0, "D", legal_basis="SAMR Order 44"),),
    ).fit(P)
    keys = pd.DataFrame({"credit_code": ["x"]})
    # Last month: model said C, the listing forced D. Now the listing is gone and the score sits
    # just below the D cut-off: the subject is held at its model tier C, not at the forced D.
    previous = pd.DataFrame({"credit_code": ["x"], "model_tier": ["C"], "tier": ["D"]})
    out = tiers.assign([0.29], keys=keys, previous=previous, features=pd.DataFrame({"serious_listing_active": [0]}))
    assert out.loc[0, "tier"] == "C" and out.loc[0, "override"] == ""


def test_unfitted_raises():
    with pytest.raises(ModelNotFittedError, match="RiskTiers instance is not fitted"):
        RiskTiers().predict([0.1])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"method": "quantile"}, "tiers.method 'quantile' is not one of"),
        ({"shares": (0.5, 0.5, 0.1, 0.1)}, "tiers.shares must give one positive share per tier"),
        ({"method": "probability", "cutoffs": (0.3, 0.2, 0.1)}, "tiers.cutoffs must be 3 strictly increasing"),
        ({"method": "event_rate", "event_rates": (0.1, 0.2)}, "tiers.event_rates must be 3 strictly"),
        ({"labels": ("A", "A")}, "at least two distinct labels"),
        ({"hysteresis": -1.0}, "tiers.hysteresis must be a margin >= 0"),
        ({"overrides": (OverrideRule("x", "f", ">", 0, "E", legal_basis="x"),)}, "at_least 'E' is not one of the labels"),
    ],
)
def test_bad_tier_config_raises(params, message):
    with pytest.raises(ConfigError, match=message):
        RiskTiers(**params).fit(P, Y)


def test_bad_tier_yaml_raises(tmp_path):
    path = tmp_path / "tiers.yaml"
    path.write_text("method: shares\nsharez: [0.5, 0.5]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['sharez'\]"):
        load_tier_config(path)


def test_override_feature_missing_raises():
    tiers = RiskTiers(overrides=(OverrideRule("jd", "judgment_defaulter_active", ">", 0, "D", legal_basis="SPC 2017"),)).fit(P)
    with pytest.raises(ModelError, match="needs feature 'judgment_defaulter_active'"):
        tiers.assign([0.1], features=pd.DataFrame({"other": [1]}))
    with pytest.raises(ModelError, match="no features were given"):
        tiers.assign([0.1])


def test_event_rate_needs_labels():
    with pytest.raises(ModelError, match="needs the validation labels y"):
        RiskTiers(method="event_rate").fit(P)


def test_override_without_legal_basis_is_refused():
    tiers = RiskTiers(overrides=(OverrideRule("jd", "judgment_defaulter_active", ">", 0, "D"),))
    with pytest.raises(ConfigError, match="tiers override 'jd' cites no legal_basis"):
        tiers.fit(P)


def test_tied_scores_give_four_non_empty_tiers():
    """Issue 11: tree models tie; cut-offs at actual scores left tier D empty."""
    tiers = RiskTiers(method="shares").fit(np.repeat([0.1, 0.2, 0.3, 0.4], 25))
    np.testing.assert_allclose(tiers.cutoffs_, [0.15, 0.25, 0.35])
    np.testing.assert_allclose(tiers.realised_shares_, [0.25, 0.25, 0.25, 0.25])
    assert tiers.predict([0.1, 0.2, 0.3, 0.4]).tolist() == ["A", "B", "C", "D"]


def test_realised_shares_follow_weights_and_targets():
    tiers = RiskTiers(method="shares").fit(P)
    np.testing.assert_allclose(tiers.realised_shares_, [0.40, 0.40, 0.15, 0.05], atol=0.001)
    w = np.where(np.median(P) < P, 3.0, 1.0)
    weighted = RiskTiers(method="shares").fit(P, sample_weight=w)
    t = weighted.predict(P)
    realised = pd.Series(w).groupby(t).sum() / w.sum()
    np.testing.assert_allclose(realised.to_numpy(), weighted.realised_shares_)
    np.testing.assert_allclose(weighted.realised_shares_, [0.40, 0.40, 0.15, 0.05], atol=0.001)


def test_fewer_distinct_scores_than_tiers_leaves_the_top_tiers_empty(caplog):
    tiers = RiskTiers(method="shares").fit(np.repeat([0.1, 0.2], 25))
    assert np.all(np.diff(tiers.cutoffs_) > 0)
    np.testing.assert_allclose(tiers.realised_shares_, [0.5, 0.5, 0, 0])
    assert "hold no fitted score" in caplog.text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=4, max_size=200))
def test_share_cutoffs_lie_between_distinct_scores(values):
    s = np.asarray(values, dtype=float) / 12
    tiers = RiskTiers(method="shares").fit(s)
    assert np.all(np.diff(tiers.cutoffs_) > 0)
    assert not np.isin(tiers.cutoffs_, s).any()  # no score sits on a cut-off
    t = tiers.predict(s)
    assert pd.Series(t).groupby(s).nunique().max() == 1  # tied scores share a tier
    assert tiers.realised_shares_.sum() == pytest.approx(1)
    if len(np.unique(s)) >= 4:
        assert (tiers.realised_shares_ > 0).all()


def test_event_rate_cutoffs_lie_between_distinct_scores():
    s = np.round(P, 2)
    tiers = RiskTiers(method="event_rate", event_rates=(0.03, 0.08, 0.2)).fit(s, Y)
    assert not np.isin(tiers.cutoffs_, s).any()
