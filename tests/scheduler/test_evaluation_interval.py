"""The HT interval when events are rare: the score interval keeps its coverage where the Wald one collapses.

Strata are built directly (one inclusion probability each, the design of
:func:`~credit_risk.scheduler.draw_subjects`); outcomes are Bernoulli draws of each subject's
own violation chance, the truth is the mean chance over the population.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_risk.exceptions import DataContractError
from credit_risk.scheduler import draw_subjects, horvitz_thompson


def _frame(sizes, probs, rates, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A population of strata ``T<h>|330102|random``; subject chances vary around each stratum's rate."""
    rng = np.random.default_rng(seed)
    labels, chance, p = [], [], []
    for h, (size, prob, rate) in enumerate(zip(sizes, probs, rates, strict=True)):
        labels += [f"T{h}|330102|random"] * size
        chance.append(rng.beta(2.0, 2.0 * (1 - rate) / rate, size) if rate > 0 else np.zeros(size))
        p += [prob] * size
    frame = pd.DataFrame({"credit_code": [f"S{i:06d}" for i in range(len(labels))],
                          "stratum": pd.Categorical(labels), "inclusion_probability": p})
    return frame, np.concatenate(chance)


def _coverage(frame: pd.DataFrame, chance: np.ndarray, reps: int, seed: int, **options) -> float:
    truth = chance.mean()
    covered = 0
    for ss in np.random.SeedSequence(seed).spawn(reps):
        rng = np.random.Generator(np.random.PCG64(ss))
        drawn = draw_subjects(frame, rng)
        outcomes = pd.DataFrame({"credit_code": frame["credit_code"], "problem": rng.random(len(frame)) < chance})
        covered += horvitz_thompson(frame.assign(drawn=drawn), outcomes, **options).covers(truth)
    return covered / reps


# A large low tier drawn at 2 % whose ~100 visits usually find 0–4 events (the tier A of a
# risk-based plan), beside riskier tiers drawn more often: the feedback loop's failing case.
RARE_TIER_A = dict(sizes=(5000, 600, 200, 50), probs=(0.02, 0.1, 0.5, 1.0), rates=(0.02, 0.05, 0.15, 0.3))


def test_score_interval_keeps_coverage_where_the_wald_interval_collapses():
    frame, chance = _frame(**RARE_TIER_A, seed=1)
    score = _coverage(frame, chance, 200, seed=2)
    wald = _coverage(frame, chance, 200, seed=2, interval="wald")
    assert 0.93 <= score <= 0.99, score
    assert wald < 0.91, wald  # the plug-in variance is 0 whenever tier A's visits find nothing


@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    strata=st.lists(
        st.tuples(st.integers(300, 2500), st.sampled_from([0.02, 0.04, 0.1, 0.3, 1.0]),
                  st.floats(0.003, 0.12)),
        min_size=2, max_size=5,
    ),
    seed=st.integers(0, 1000),
)
def test_score_interval_covers_near_the_nominal_rate_with_rare_events(strata, seed):
    sizes, probs, rates = zip(*strata, strict=True)
    frame, chance = _frame(sizes, probs, rates, seed=seed)
    expected_events = sum(s * p * r for s, p, r in strata)
    coverage = _coverage(frame, chance, 120, seed=seed + 1)
    # 120 repetitions: a standard error of ~0.02 around the nominal 0.95
    assert 0.89 <= coverage <= 1.0, (coverage, expected_events)


@pytest.mark.parametrize(("events", "draws"), [(0, 20), (3, 50), (20, 20), (17, 40)])
def test_one_stratum_gives_the_wilson_interval_around_the_unbiased_estimate(events, draws):
    size = 1000
    frame = pd.DataFrame({"credit_code": [f"S{i:04d}" for i in range(size)],
                          "stratum": pd.Categorical(["A|330102|random"] * size),
                          "inclusion_probability": draws / size, "drawn": np.arange(size) < draws})
    outcomes = pd.DataFrame({"credit_code": frame["credit_code"], "problem": np.arange(size) < events})
    ht = horvitz_thompson(frame, outcomes)
    z, p = NormalDist().inv_cdf(0.975), events / draws
    centre = (p + z * z / (2 * draws)) / (1 + z * z / draws)
    half = z / (1 + z * z / draws) * np.sqrt(p * (1 - p) / draws + z * z / (4 * draws**2))
    assert ht.rate == pytest.approx(p)  # the point estimate stays Horvitz–Thompson
    assert (ht.ci_low, ht.ci_high) == pytest.approx((max(centre - half, 0.0), min(centre + half, 1.0)), abs=1e-7)
    assert ht.method == "score"
    if events == 0:
        assert ht.ci_high > 0.1  # no event found among 20 visits does not mean a rate known to be 0
    wald = horvitz_thompson(frame, outcomes, interval="wald")
    assert wald.rate == ht.rate and wald.method == "wald"


def test_score_interval_refuses_outcomes_that_are_not_zero_or_one():
    frame = pd.DataFrame({"credit_code": ["a", "b"], "stratum": pd.Categorical(["A|1|random"] * 2),
                          "inclusion_probability": 0.5, "drawn": [True, False]})
    outcomes = pd.DataFrame({"credit_code": ["a", "b"], "problem": [0.4, 0.0]})
    with pytest.raises(DataContractError, match=r"outcomes column 'problem' has value 0\.4; the score interval"):
        horvitz_thompson(frame, outcomes)
    assert horvitz_thompson(frame, outcomes, interval="wald").rate == pytest.approx(0.4)
    with pytest.raises(DataContractError, match=r"interval must be 'score' or 'wald'; got 'exact'"):
        horvitz_thompson(frame, outcomes, interval="exact")
    with pytest.raises(DataContractError, match=r"variance_strata must be 'design' or 'collapsed'; got 'x'"):
        horvitz_thompson(frame, outcomes, interval="wald", variance_strata="x")
