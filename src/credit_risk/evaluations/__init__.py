"""Sector evaluations on approved rule sets (one rule engine, ``credit_risk.models._rules``).

- :mod:`~credit_risk.evaluations.environment` — the enterprise environmental credit evaluation
  (企业环境信用评价): four indicator groups, green / blue / yellow / red, one-vote vetoes, results
  written back as ``environmental_rating`` records.
- :mod:`~credit_risk.evaluations.public_credit` — the Zhejiang public credit evaluation of five
  subject types (五类主体公共信用评价), 1000 points, excellent / good / fair / poor.

A rule set (:class:`RuleSet`) is read from YAML; :func:`indicator_values` reads its indicators
point in time from the records and :func:`score_rules` gives points, levels and vetoes.
"""

from credit_risk.evaluations.engine import (
    evaluate_rule_set,
    indicator_values,
    population_of,
    score_rules,
)
from credit_risk.evaluations.environment import (
    RATING_KIND,
    evaluate_environment,
    load_environment_rules,
    rating_records,
    with_ratings,
)
from credit_risk.evaluations.public_credit import evaluate_public_credit, load_public_credit_rules
from credit_risk.evaluations.ruleset import (
    Bin,
    CountSpec,
    Level,
    Population,
    RuleIndicator,
    RuleSet,
    RuleSetCollection,
    RuleVeto,
    load_rule_set,
    load_rule_sets,
)

__all__ = [
    "RATING_KIND",
    "Bin",
    "CountSpec",
    "Level",
    "Population",
    "RuleIndicator",
    "RuleSet",
    "RuleSetCollection",
    "RuleVeto",
    "evaluate_environment",
    "evaluate_public_credit",
    "evaluate_rule_set",
    "indicator_values",
    "load_environment_rules",
    "load_public_credit_rules",
    "load_rule_set",
    "load_rule_sets",
    "population_of",
    "rating_records",
    "score_rules",
    "with_ratings",
]
