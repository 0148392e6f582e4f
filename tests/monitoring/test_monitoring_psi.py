"""PSI and its bins: identical runs give 0, and the value matches a plain numpy formula on the same bins."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_risk.exceptions import ConfigError
from credit_risk.monitoring import Bins, csi, psi, reference_bins

values = st.lists(st.one_of(st.none(), st.integers(-3, 20).map(float),
                            st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)), min_size=1, max_size=200)


def numpy_psi(ref: np.ndarray, cur: np.ndarray, bins: Bins, eps: float = 1e-4) -> float:
    """The textbook formula, counting each bin on its own (no shared code with psi())."""
    def shares(x):
        x = np.asarray([np.nan if v is None else v for v in x], dtype=float)
        out = [np.isnan(x).sum()]
        out += [(x == s).sum() for s in bins.specials]
        rest = x[~np.isnan(x) & ~np.isin(x, bins.specials)]
        bounds = [-np.inf, *bins.edges, np.inf]
        out += [((rest > lo) & (rest <= hi)).sum() for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
        out = np.asarray(out, dtype=float)
        return np.maximum(out / out.sum(), eps)
    r, c = shares(ref), shares(cur)
    return float(np.sum((c - r) * np.log(c / r)))


@settings(max_examples=60, deadline=None)
@given(values, st.integers(1, 12), st.lists(st.sampled_from([-1.0, 0.0, 7.0]), max_size=2))
def test_identical_runs_have_zero_psi(ref, n_bins, specials):
    bins = reference_bins(ref, n_bins=n_bins, special_values=specials, categorical=False)
    counts = bins.counts(ref)
    assert counts.sum() == len(ref)
    assert psi(counts, bins.counts(list(ref))) == 0.0


@settings(max_examples=80, deadline=None)
@given(values, values, st.integers(1, 12), st.lists(st.sampled_from([-1.0, 0.0, 7.0]), max_size=2))
def test_psi_matches_the_numpy_formula_on_the_same_bins(ref, cur, n_bins, specials):
    bins = reference_bins(ref, n_bins=n_bins, special_values=specials, categorical=False)
    got = psi(bins.counts(ref), bins.counts(cur))
    assert got == pytest.approx(numpy_psi(np.array(ref, dtype=object), np.array(cur, dtype=object), bins),
                                rel=1e-9, abs=1e-12)
    assert got >= 0


def test_bins_missing_special_quantile_and_categorical():
    b = reference_bins([0, 0, 0, 1, 2, 3, 4, None], n_bins=2, special_values=[0, -1])
    assert b.labels() == ["missing", "=0", "(-inf, 2.5]", "(2.5, inf]"]  # -1 absent from the reference
    assert b.counts([None, 0, 2.5, 2.6, -5]).tolist() == [1, 1, 2, 1]
    c = reference_bins(["x", "y", None, "x"])
    assert c.kind == "categorical" and c.labels() == ["missing", "x", "y", "other"]
    assert c.counts(["z", None, "y"]).tolist() == [1, 0, 1, 1]
    assert Bins.from_mapping(b.to_mapping()) == b
    # a count feature: 0 ends an interval of its own, small moves stay in their bin
    counts = reference_bins(np.r_[np.zeros(80), np.arange(1, 21)], n_bins=10)
    assert counts.edges[0] == 0.5


def test_psi_reacts_to_a_shift_and_csi_to_the_score_it_moves():
    rng = np.random.default_rng(1)
    ref = rng.normal(0, 1, 5000)
    bins = reference_bins(ref)
    assert psi(bins.counts(ref), bins.counts(rng.normal(0, 1, 5000))) < 0.02
    assert psi(bins.counts(ref), bins.counts(rng.normal(1, 1, 5000))) > 0.25
    score = np.linspace(-1, 1, bins.n_bins)
    assert csi(bins.counts(ref), bins.counts(ref), score) == pytest.approx(0.0)
    assert csi(bins.counts(ref), bins.counts(rng.normal(1, 1, 5000)), score) > 0


def test_errors_are_named():
    with pytest.raises(ConfigError, match="psi.bins must be at least 1"):
        reference_bins([1.0, 2.0], n_bins=0)
    with pytest.raises(ConfigError, match="same bins"):
        psi([1, 2], [1, 2, 3])
    assert np.isnan(psi([0, 0], [1, 2]))
