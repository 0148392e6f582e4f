"""Configuration of the synthetic province (``configs/synthetic.yaml``).

The YAML file is the single source of defaults: every section below is required there,
and unknown keys are rejected (:func:`credit_risk.config.from_mapping`). Override a few
values with ``load_synthetic_config(overrides={...})``, which deep-merges a mapping into
the YAML before validation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credit_risk.config import from_mapping, load_yaml, packaged
from credit_risk.data.schema import ENTITY_TYPES
from credit_risk.data.synthetic.regions import CITIES
from credit_risk.exceptions import ConfigError

__all__ = [
    "SyntheticConfig",
    "Target",
    "default_synthetic_config_path",
    "load_synthetic_config",
]


def default_synthetic_config_path() -> Path:
    """Path of the packaged ``configs/synthetic.yaml``."""
    return packaged("synthetic.yaml")


def _check_pair(value: tuple, where: str) -> None:
    # Fixed-length pairs are declared as variadic tuples and checked here.
    if len(value) != 2 or value[0] > value[1]:
        raise ConfigError(f"synthetic config: {where} must be a pair [low, high] with low ≤ high; got {list(value)}")


@dataclass(frozen=True)
class EntityTypeSpec:
    share: float
    prefixes: tuple[str, ...]
    capital_median: float
    capital_sigma: float
    closure_rate: float
    risk_effect: float
    files_annual_report: bool
    tax_rated: bool
    industries: dict[str, float]


@dataclass(frozen=True)
class RiskSpec:
    mean_latent_risk: float
    individual_sd: float
    industry_sd: float
    industry_effects: dict[str, float]
    region_sd: float
    capital_coef: float
    young_boost: float
    young_decay_years: float
    distress: float
    distress_months: int
    ar_rho: float
    ar_sd: float
    shock_rate: float
    shock_mean: float
    shock_decay: float
    time_rho: float
    industry_time_sd: float
    region_time_sd: float
    contagion: float
    violation_persistence: float
    food_offset: float
    environment_offset: float
    closure_risk_coef: float


@dataclass(frozen=True)
class RelationSpec:
    shareholder_rate: float
    legal_representative_rate: float
    same_address_rate: float
    same_city_share: float


@dataclass(frozen=True)
class InspectionSpec:
    random_rate_by_tier: dict[str, float]
    food_random_rate: float
    environment_random_rate: float
    targeted_rate: float
    targeted_violation_rate: float
    complaint_followup: float
    penalty_given_problem: float
    unreachable_discovery: float
    sources: dict[str, str]


@dataclass(frozen=True)
class PenaltySpec:
    domain_weights: dict[str, float]
    food_share: float
    environment_share: float
    severity_shares: dict[str, float]
    severity_risk_coef: float
    fine_median: dict[str, float]
    fine_sigma: float
    late_publication_share: float
    late_publication_days: tuple[int, ...]
    repair_probability: dict[str, float]
    serious_listing_share: float
    decision_delay_days: tuple[int, ...]


@dataclass(frozen=True)
class ListingSpec:
    unreachable_rate: float
    unreachable_risk_coef: float
    unreachable_recovery: float
    removal_delay_days: tuple[int, ...]
    serious_after_days: int
    serious_days: int
    serious_min_days: int
    serious_early_removal: float


@dataclass(frozen=True)
class AnnualReportSpec:
    on_time: float
    risk_coef: float
    late_share: float
    late_days: tuple[int, ...]


@dataclass(frozen=True)
class EventSpec:
    changes: dict[str, tuple[float, ...]]
    complaint_rate: float
    complaint_violation_rate: float
    complaint_verified: float
    judgment_defaulter: tuple[float, ...]
    judgment_months: float
    wage_arrears: tuple[float, ...]
    social_insurance_arrears: tuple[float, ...]
    arrears_months: float
    food_sampling_rate: float
    quality_sampling_rate: float
    sampling_sensitivity: float
    licence_years: int
    honour_share: float
    tax_grade_shares: dict[str, float]
    environment_grade_shares: dict[str, float]


@dataclass(frozen=True)
class Target:
    """A base rate the generated province should show: a target and an acceptable range."""

    target: float
    range: tuple[float, ...]

    def __post_init__(self) -> None:
        _check_pair(self.range, "targets.*.range")
        lo, hi = self.range
        if not lo <= self.target <= hi:
            raise ConfigError(f"target {self.target} lies outside its range [{lo}, {hi}]; fix one of them")


@dataclass(frozen=True)
class SyntheticConfig:
    """Every parameter of the synthetic province (see ``configs/synthetic.yaml`` for meanings).

    Examples
    --------
    >>> cfg = load_synthetic_config()
    >>> cfg.start_date, cfg.end_date
    (datetime.date(2019, 1, 1), datetime.date(2025, 12, 31))
    >>> cfg.targets["inspection_problem_rate"].range
    (0.1, 0.2)
    """

    history_start: str
    history_end: str
    max_age_years: int
    establishment_growth: float
    entity_types: dict[str, EntityTypeSpec]
    city_shares: dict[str, float]
    food_industries: tuple[str, ...]
    polluting_industries: tuple[str, ...]
    consumer_industries: tuple[str, ...]
    manufacturing_prefix: str
    risk: RiskSpec
    relations: RelationSpec
    inspections: InspectionSpec
    penalties: PenaltySpec
    listings: ListingSpec
    annual_reports: AnnualReportSpec
    events: EventSpec
    targets: dict[str, Target]

    def __post_init__(self) -> None:
        for key in ("history_start", "history_end"):
            value = getattr(self, key)
            try:
                dt.date.fromisoformat(value)
            except (TypeError, ValueError):
                raise ConfigError(f"synthetic config: {key} {value!r} is not a date; write YYYY-MM-DD") from None
        start, end = dt.date.fromisoformat(self.history_start), dt.date.fromisoformat(self.history_end)
        if start.day != 1 or end < start or (end + dt.timedelta(days=1)).day != 1:
            raise ConfigError(
                f"synthetic config: history must run from the first day of a month to the last day of a "
                f"month, with end after start; got {self.history_start} → {self.history_end}"
            )
        unknown = sorted(set(self.entity_types) - set(ENTITY_TYPES))
        if unknown:
            raise ConfigError(f"synthetic config: entity_types {unknown} are not in {list(ENTITY_TYPES)}")
        bad_cities = sorted(set(self.city_shares) - set(CITIES))
        if bad_cities:
            raise ConfigError(f"synthetic config: city_shares {bad_cities} are not Zhejiang cities {sorted(CITIES)}")
        for name, shares in (
            ("entity_types.*.share", {k: v.share for k, v in self.entity_types.items()}),
            ("city_shares", self.city_shares),
            *((f"entity_types.{k}.industries", v.industries) for k, v in self.entity_types.items()),
        ):
            if any(v < 0 for v in shares.values()) or sum(shares.values()) <= 0:
                raise ConfigError(f"synthetic config: {name} must be ≥ 0 with a positive sum; got {shares}")
        if set(self.inspections.random_rate_by_tier) != {"A", "B", "C", "D"}:
            raise ConfigError("synthetic config: inspections.random_rate_by_tier needs tiers A, B, C and D")
        if not 0 < self.risk.mean_latent_risk < 1:
            raise ConfigError(f"synthetic config: risk.mean_latent_risk must be in (0, 1); got {self.risk.mean_latent_risk}")
        pairs = {
            "penalties.late_publication_days": self.penalties.late_publication_days,
            "penalties.decision_delay_days": self.penalties.decision_delay_days,
            "listings.removal_delay_days": self.listings.removal_delay_days,
            "annual_reports.late_days": self.annual_reports.late_days,
            "events.judgment_defaulter": self.events.judgment_defaulter,
            "events.wage_arrears": self.events.wage_arrears,
            "events.social_insurance_arrears": self.events.social_insurance_arrears,
        }
        for name, value in pairs.items():
            if len(value) != 2:
                raise ConfigError(f"synthetic config: {name} must have two numbers; got {list(value)}")
        for name, value in self.events.changes.items():
            if len(value) != 2:
                raise ConfigError(f"synthetic config: events.changes.{name} must be [rate, risk_coef]; got {list(value)}")
        if self.history_days < 365:
            raise ConfigError("synthetic config: the history must cover at least one year")

    @property
    def start_date(self) -> dt.date:
        return dt.date.fromisoformat(self.history_start)

    @property
    def end_date(self) -> dt.date:
        return dt.date.fromisoformat(self.history_end)

    @property
    def history_days(self) -> int:
        return (self.end_date - self.start_date).days + 1


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        out = dict(base)
        for key, value in override.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    return override


def load_synthetic_config(
    path: str | Path | None = None, *, overrides: Mapping[str, Any] | None = None
) -> SyntheticConfig:
    """Load ``configs/synthetic.yaml`` (or ``path``), deep-merging ``overrides`` first.

    Parameters
    ----------
    path : path, optional
        A YAML file with every section; default the packaged one.
    overrides : mapping, optional
        Nested keys to replace, e.g. ``{"risk": {"contagion": 0.0}}``.

    Raises
    ------
    ConfigError
        Naming the file and key path of an unknown, missing or mistyped key.
    """
    path = Path(path) if path is not None else default_synthetic_config_path()
    raw = load_yaml(path)
    if overrides:
        raw = _merge(raw, overrides)
    return from_mapping(SyntheticConfig, raw, where=str(path))
