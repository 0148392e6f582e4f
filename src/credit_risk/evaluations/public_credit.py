"""Zhejiang public credit evaluation of five subject types (五类主体公共信用评价, DOMAIN.md §6).

Enterprises, natural persons, social organisations, public institutions and government bodies
are each scored on their own indicators (``configs/evaluations/zhejiang_public_credit.yaml``),
on a 1000-point scale with grades excellent / good / fair / poor and one-vote vetoes — each
subject type a rule set on the same engine as the environmental credit evaluation.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from credit_risk.evaluations.engine import evaluate_rule_set, population_of
from credit_risk.evaluations.ruleset import RuleSetCollection, load_rule_sets
from credit_risk.exceptions import ConfigError

__all__ = ["evaluate_public_credit", "load_public_credit_rules"]


def load_public_credit_rules(path: str | Path | None = None) -> RuleSetCollection:
    """The five subject types' rule sets (default: the packaged ``zhejiang_public_credit.yaml``)."""
    return load_rule_sets(path if path is not None else "zhejiang_public_credit.yaml")


def evaluate_public_credit(dataset, as_of, rules: RuleSetCollection | None = None) -> pd.DataFrame:
    """Score every subject of every subject type as of ``as_of``.

    Returns
    -------
    DataFrame
        Indexed by ``credit_code``: ``subject_type``, ``points``, ``level_by_points``, ``level``,
        ``veto`` and the group points (``group_*``; NaN for groups another type does not have).

    Raises
    ------
    ConfigError
        When two subject types' populations overlap (a subject would get two scores).
    """
    rules = rules if rules is not None else load_public_credit_rules()
    seen: dict[str, str] = {}
    parts = []
    for name, rule_set in rules.rule_sets.items():
        codes = population_of(dataset, rule_set, as_of)
        clash = [c for c in codes[:100_000] if c in seen]
        if clash:
            raise ConfigError(
                f"{rules.name}: subject {clash[0]!r} falls under both {seen[clash[0]]!r} and {name!r}; "
                "make the subject types' populations disjoint"
            )
        seen.update(dict.fromkeys(codes, name))
        result = evaluate_rule_set(dataset, rule_set, as_of, codes)
        keep = ["points", "level_by_points", "level", "veto", *[c for c in result.columns if c.startswith("group_")]]
        parts.append(result[keep].assign(subject_type=name))
    out = pd.concat(parts)
    return out[["subject_type", *[c for c in out.columns if c != "subject_type"]]]
