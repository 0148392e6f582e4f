"""Property tests of GB 32100 credit codes and their vectorised generation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_risk.data import credit_code
from credit_risk.data.synthetic.codes import complete_many, unique_codes

ALPHABET = credit_code.ALPHABET
bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@given(bodies)
def test_every_completed_code_validates(body):
    code = credit_code.complete(body)
    assert credit_code.is_valid(code)
    assert complete_many(np.array([body])).tolist() == [code]


@given(bodies, st.integers(0, 17), st.integers(1, 30))
def test_any_single_substitution_is_caught(body, position, shift):
    code = credit_code.complete(body)
    wrong = ALPHABET[(ALPHABET.index(code[position]) + shift) % 31]
    mutated = code[:position] + wrong + code[position + 1:]
    assert mutated != code
    assert not credit_code.is_valid(mutated)
    assert credit_code.invalid_mask(pd.Series([mutated], dtype=object)).tolist() == [True]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3000))
def test_generated_codes_validate_and_are_unique(seed, n):
    rng = np.random.default_rng(seed)
    prefixes = np.array(["91330106", "92330782", "93331081"])[rng.integers(0, 3, n)]
    new = rng.random(n) < 0.5
    codes = unique_codes(prefixes, new, rng)
    assert not credit_code.invalid_mask(pd.Series(codes, dtype=object)).any()
    assert len(set(codes[i][8:17] for i in range(n))) == n
    assert all(c[:8] == p for c, p in zip(codes, prefixes, strict=True))
    assert all(c[8:10] == "MA" for c in codes[new])
    old = codes[~new]
    assert all(c[8:16].isdigit() for c in old)


def test_old_bodies_carry_a_valid_gb11714_check():
    codes = unique_codes(np.full(200, "91330100"), np.zeros(200, dtype=bool), np.random.default_rng(1))
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    for code in codes:
        body = code[8:17]
        check = (11 - sum(int(c) * w for c, w in zip(body[:8], weights, strict=True)) % 11) % 11
        assert body[8] == ("X" if check == 10 else str(check))


def test_complete_many_matches_the_worked_example_and_rejects_bad_bodies():
    assert complete_many(np.array(["91110000600037341"])).tolist() == ["91110000600037341L"]
    with pytest.raises(ValueError, match=r"bodies\[1\].*not 17 characters"):
        complete_many(np.array(["91110000600037341", "9111000060003734I"]))


def test_unique_codes_redraws_collisions_deterministically():
    # A tiny body space (old codes, digits only) forces redraws; the result stays a function of the seed.
    a = unique_codes(np.full(5000, "91330100"), np.zeros(5000, dtype=bool), np.random.default_rng(7))
    b = unique_codes(np.full(5000, "91330100"), np.zeros(5000, dtype=bool), np.random.default_rng(7))
    assert (a == b).all()
    assert len(set(a.tolist())) == 5000
