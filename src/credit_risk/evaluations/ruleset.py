"""Approved rule sets: indicators with points, groups, levels and one-vote vetoes.

A rule set is the configuration a sector approves for evaluating its own subjects (the
environmental credit evaluation 企业环境信用评价, the Zhejiang public credit evaluation
五类主体公共信用评价). Every indicator is read point in time from the records (a count of
records of some kinds, outcomes, severities and domains that count as of the evaluation
date, optionally within a window) or from a subject attribute, and earns points by value
range; points add up per group (each group capped by the points the config gives it) to a
total, the total gives a level, and vetoes force a level whatever the points.

The engine is :mod:`credit_risk.models._rules`, the one the expert scorecard and the tier
overrides use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from credit_risk.config import from_mapping, load_yaml, packaged
from credit_risk.exceptions import ConfigError
from credit_risk.models._rules import check_op

__all__ = [
    "Bin",
    "CountSpec",
    "Level",
    "Population",
    "RuleIndicator",
    "RuleSet",
    "RuleSetCollection",
    "RuleVeto",
    "load_rule_set",
    "load_rule_sets",
]


@dataclass(frozen=True)
class CountSpec:
    """Records counting as of the evaluation date: of ``kinds`` (and, when given, of these
    ``outcomes``, ``severities``, ``domains``), started within ``window_days`` (None = any time)."""

    kinds: tuple[str, ...]
    outcomes: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    window_days: int | None = None

    def __post_init__(self) -> None:
        if not self.kinds:
            raise ConfigError("count.kinds is empty; name at least one record kind")
        if self.window_days is not None and self.window_days < 1:
            raise ConfigError(f"count.window_days must be ≥ 1 or null; got {self.window_days}")


@dataclass(frozen=True)
class Bin:
    """Values below ``upper`` (and not in an earlier bin) earn ``points``; ``upper: null`` = ∞."""

    upper: float | None
    points: float


@dataclass(frozen=True)
class RuleIndicator:
    """One indicator: a count of records or a subject attribute, value ranges → points."""

    name: str
    group: str
    bins: tuple[Bin, ...] = (Bin(None, 0.0),)
    count: CountSpec | None = None
    attribute: Literal["age_years", "registered_capital"] | None = None
    missing: float = 0.0
    name_zh: str = ""

    def __post_init__(self) -> None:
        if (self.count is None) == (self.attribute is None):
            raise ConfigError(f"indicator {self.name!r}: give exactly one of count or attribute")
        uppers = [b.upper for b in self.bins]
        if not self.bins or uppers[-1] is not None or any(u is None for u in uppers[:-1]):
            raise ConfigError(
                f"indicator {self.name!r}: bins must end with one 'upper: null' bin (values above every "
                "bound) and only that one"
            )
        if any(np.diff(np.asarray(uppers[:-1], dtype=float)) <= 0):
            raise ConfigError(f"indicator {self.name!r}: bin uppers must increase; got {uppers}")

    @property
    def top(self) -> float:
        """The most points the indicator can earn."""
        return max([b.points for b in self.bins] + [self.missing])


@dataclass(frozen=True)
class Level:
    """Level ``grade`` for totals of at least ``min_points``."""

    grade: str
    min_points: float
    name_zh: str = ""


@dataclass(frozen=True)
class RuleVeto:
    """One-vote veto (一票否决): where ``indicator op value`` holds the level is at most ``grade``."""

    name: str
    indicator: str
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: float
    grade: str
    reason_zh: str = ""


@dataclass(frozen=True)
class Population:
    """Who is evaluated: subjects of these ``entity_types`` (empty = any) with at least one
    record counting under ``count`` (None = no such condition)."""

    entity_types: tuple[str, ...] = ()
    count: CountSpec | None = None


@dataclass(frozen=True)
class RuleSet:
    """An approved rule set; see the module docstring."""

    name: str
    max_points: float
    groups: dict[str, float]
    indicators: tuple[RuleIndicator, ...]
    levels: tuple[Level, ...]
    vetoes: tuple[RuleVeto, ...] = ()
    population: Population = field(default_factory=Population)
    name_zh: str = ""

    def __post_init__(self) -> None:
        where = f"rule set {self.name!r}"
        if not self.indicators:
            raise ConfigError(f"{where}: no indicators; add at least one")
        names = [i.name for i in self.indicators]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"{where}: indicators {dup} are declared more than once")
        for ind in self.indicators:
            if ind.group not in self.groups:
                raise ConfigError(
                    f"{where}: indicator {ind.name!r} is in group {ind.group!r}, not one of {sorted(self.groups)}"
                )
        for group, cap in self.groups.items():
            top = sum(i.top for i in self.indicators if i.group == group)
            if top > cap + 1e-9:
                raise ConfigError(
                    f"{where}: the indicators of group {group!r} can earn {top:g} points, more than its {cap:g}; "
                    "lower their points"
                )
        if abs(sum(self.groups.values()) - self.max_points) > 1e-9:
            raise ConfigError(
                f"{where}: the groups' points add up to {sum(self.groups.values()):g}, not max_points "
                f"{self.max_points:g}; make them agree"
            )
        mins = [lv.min_points for lv in self.levels]
        if not self.levels or any(np.diff(mins) >= 0) or mins[-1] > 0:
            raise ConfigError(
                f"{where}: levels must go from best to worst with strictly decreasing min_points ending at 0 "
                f"or below; got {[(lv.grade, lv.min_points) for lv in self.levels]}"
            )
        grades = [lv.grade for lv in self.levels]
        for v in self.vetoes:
            if v.grade not in grades:
                raise ConfigError(f"{where}: veto {v.name!r} forces grade {v.grade!r}, not one of {grades}")
            if v.indicator not in names:
                raise ConfigError(f"{where}: veto {v.name!r} reads indicator {v.indicator!r}, not one of {names}")
            check_op(v.op, f"{where}: veto {v.name!r}")

    @property
    def grades(self) -> tuple[str, ...]:
        """Level names from best to worst."""
        return tuple(lv.grade for lv in self.levels)


@dataclass(frozen=True)
class RuleSetCollection:
    """Several rule sets applied side by side, one per subject type (populations must not overlap)."""

    name: str
    rule_sets: dict[str, RuleSet]
    name_zh: str = ""

    def __post_init__(self) -> None:
        if not self.rule_sets:
            raise ConfigError(f"rule set collection {self.name!r}: rule_sets is empty")


def load_rule_set(path: str | Path) -> RuleSet:
    """Load one rule set (``name`` inside ``configs/evaluations/`` or a path).

    Examples
    --------
    >>> rules = load_rule_set("environment.yaml")
    >>> rules.grades
    ('green', 'blue', 'yellow', 'red')
    """
    path = _resolve(path)
    return from_mapping(RuleSet, load_yaml(path), str(path))


def load_rule_sets(path: str | Path) -> RuleSetCollection:
    """Load a collection of rule sets, one per subject type (e.g. ``zhejiang_public_credit.yaml``)."""
    path = _resolve(path)
    return from_mapping(RuleSetCollection, load_yaml(path), str(path))


def _resolve(path: str | Path) -> Path:
    p = Path(path)
    if p.exists() or p.is_absolute() or len(p.parts) > 1:
        return p
    return packaged("evaluations") / p
