"""The one rule engine shared by tier overrides and scorecard vetoes."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit_risk.exceptions import ConfigError
from credit_risk.models import _rules
from credit_risk.models._rules import OPS, check_op, logit, rule_hits, sigmoid


def test_unknown_operator_is_named_with_the_rule():
    with pytest.raises(ConfigError, match=r"scorecard veto 'defaulter': op '=>' is not one of \['>', '>='"):
        check_op("=>", "scorecard veto 'defaulter'")


@pytest.mark.parametrize("op", sorted(OPS))
def test_missing_and_text_values_never_match(op):
    frame = pd.DataFrame({"x": [1.0, None, "n/a", 3]})
    hits = rule_hits(frame, "x", op, 1)
    assert not hits[1] and not hits[2]
    assert hits[0] == OPS[op](1.0, 1) and hits[3] == OPS[op](3.0, 1)


@given(st.floats(min_value=1e-5, max_value=1 - 1e-5))
def test_sigmoid_inverts_logit(p):
    assert sigmoid(logit(np.array([p])))[0] == pytest.approx(p, rel=1e-9, abs=1e-12)


def test_sigmoid_does_not_overflow_and_logit_clips():
    assert sigmoid(np.array([-1e6, 1e6])).tolist() == pytest.approx([0.0, 1.0])
    assert np.isfinite(logit(np.array([0.0, 1.0]))).all()
    assert logit(np.array([0.0]), eps=1e-9)[0] < logit(np.array([0.0]))[0]


def test_tiers_and_scorecard_use_this_engine():
    from credit_risk.models import scorecard, tiers

    for module in (tiers, scorecard):
        assert not hasattr(module, "_OPS") and not hasattr(module, "_logit") and not hasattr(module, "_sigmoid")
        assert module.check_op is _rules.check_op
    assert tiers.rule_hits is _rules.rule_hits  # overrides
    assert scorecard.cap_by_vetoes is _rules.cap_by_vetoes  # vetoes (through rule_hits)
