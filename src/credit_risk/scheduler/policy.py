"""The inspection policy: tier shares, floors, mandatory subjects, departments and items.

Loaded strictly from YAML (``configs/inspection_policy.yaml``) into frozen dataclasses by
:func:`credit_risk.config.from_mapping`; unknown keys fail loudly. Every number is a default
(``DOMAIN.md`` §2–3, §7). Only the "≥ 2 inspectors for food" rule is law and is enforced here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from credit_risk.config import from_mapping, load_yaml, packaged
from credit_risk.exceptions import ConfigError

__all__ = [
    "AssignmentRule",
    "DepartmentRule",
    "DisclosureRule",
    "InspectionPolicy",
    "MandatoryRule",
    "NewSubjectRule",
    "QuietRule",
    "TierRule",
    "default_policy_path",
    "load_policy",
]

#: Columns that may never appear in the public disclosure (inspectors are secret before the visit).
SECRET_COLUMNS = frozenset({"inspector_ids", "inspectors", "inspector_id"})
#: Columns the disclosure may contain.
DISCLOSABLE_COLUMNS = (
    "visit_id",
    "credit_code",
    "name",
    "region",
    "industry",
    "tier",
    "departments",
    "items",
    "reason",
    "inclusion_probability",
    "period_start",
    "period_end",
)
#: Food inspections need at least two inspectors (SAMR Order 49, 2021) [C].
LAW_MIN_INSPECTORS = {"food": 2}


def default_policy_path() -> Path:
    """Path of the policy shipped with the package (``configs/inspection_policy.yaml``)."""
    return packaged("inspection_policy.yaml")


@dataclass(frozen=True)
class TierRule:
    """Draw share of one tier in a period, its allowed range and the yearly visit cap."""

    share: float
    # tuple[float, ...]: config.from_mapping mis-converts fixed-length tuples (reported)
    share_range: tuple[float, ...] = (0.0, 1.0)
    max_visits_per_year: int | None = None

    def __post_init__(self) -> None:
        if len(self.share_range) != 2:
            raise ConfigError(f"share_range must be [low, high]; got {list(self.share_range)}")
        lo, hi = self.share_range
        if not 0.0 <= lo <= hi <= 1.0:
            raise ConfigError(f"share_range must satisfy 0 ≤ low ≤ high ≤ 1; got {self.share_range}")
        if not lo <= self.share <= hi:
            raise ConfigError(f"share {self.share} lies outside share_range {list(self.share_range)}")
        if self.max_visits_per_year is not None and self.max_visits_per_year < 1:
            raise ConfigError(
                f"max_visits_per_year must be ≥ 1 or null; got {self.max_visits_per_year}"
            )


@dataclass(frozen=True)
class MandatoryRule:
    """Subjects always drawn (p = 1): boolean flag columns, a free-text reason column, and
    full-coverage cycles (``{domain: days}``: a subject of the domain whose last inspection is
    more than ``days`` before the period's end, or who was never inspected, is drawn)."""

    flags: tuple[str, ...] = ("serious_listing", "judgment_defaulter", "verified_complaint")
    reason_column: str | None = "mandatory_reason"
    coverage_days: dict[str, int] = field(default_factory=dict)
    #: A complaint verified within this many days before the period makes the subject mandatory [I].
    complaint_days: int = 90
    #: The regulation requiring each mandatory inclusion (flag → citation); published in the
    #: plan's manifest with the rest of the policy. Every flag must have one.
    legal_basis: dict[str, str] = field(default_factory=lambda: {
        "serious_listing": "SAMR Order 44 (2021), key supervision targets",
        "judgment_defaulter": "SPC provisions on dishonest judgment defaulters (2017); joint punishment",
        "verified_complaint": "SAMR complaint and report handling measures (inspection with cause)",
    })

    def __post_init__(self) -> None:
        bad = {d: v for d, v in self.coverage_days.items() if v < 1}
        if bad:
            raise ConfigError(f"mandatory.coverage_days must be ≥ 1 day; got {bad}")
        if self.complaint_days < 1:
            raise ConfigError(f"mandatory.complaint_days must be ≥ 1 day; got {self.complaint_days}")
        uncited = [f for f in self.flags if not str(self.legal_basis.get(f, "")).strip()]
        if uncited:
            raise ConfigError(
                f"mandatory.legal_basis: flags {uncited} cite no legal basis; add the regulation "
                "requiring each mandatory inclusion"
            )


@dataclass(frozen=True)
class QuietRule:
    """无事不扰: tiers not visited proactively after a recent clean inspection."""

    tiers: tuple[str, ...] = ("A",)
    clean_lookback_days: int = 365
    clean_outcomes: tuple[str, ...] = ("pass",)
    action: Literal["exclude", "floor"] = "exclude"

    def __post_init__(self) -> None:
        if self.clean_lookback_days < 0:
            raise ConfigError(f"clean_lookback_days must be ≥ 0; got {self.clean_lookback_days}")


@dataclass(frozen=True)
class NewSubjectRule:
    """Observation period: subjects younger than ``observation_days`` use another tier's rate."""

    observation_days: int = 365
    treat_as_tier: str | None = "B"

    def __post_init__(self) -> None:
        if self.observation_days < 0:
            raise ConfigError(f"observation_days must be ≥ 0; got {self.observation_days}")


@dataclass(frozen=True)
class DepartmentRule:
    """A department, the domains it inspects (the keys of ``items``) and its item lists."""

    items: dict[str, tuple[str, ...]]
    name_zh: str = ""
    min_inspectors: int = 2

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(self.items)


@dataclass(frozen=True)
class AssignmentRule:
    """How inspectors are drawn: pool by region prefix, optional home-region recusal."""

    pool_level: Literal[0, 2, 4, 6] = 4
    exclude_home_region: bool = False
    home_region_level: Literal[2, 4, 6] = 6
    max_repair_rounds: int = 60


@dataclass(frozen=True)
class DisclosureRule:
    """Columns of the public disclosure file."""

    columns: tuple[str, ...] = (
        "visit_id",
        "credit_code",
        "region",
        "departments",
        "items",
        "period_start",
        "period_end",
    )

    def __post_init__(self) -> None:
        secret = sorted(SECRET_COLUMNS.intersection(self.columns))
        if secret:
            raise ConfigError(
                f"disclosure.columns {secret} would publish inspectors before the visit; remove them"
            )
        unknown = [c for c in self.columns if c not in DISCLOSABLE_COLUMNS]
        if unknown:
            raise ConfigError(
                f"disclosure.columns {unknown} are not plan columns; choose from {list(DISCLOSABLE_COLUMNS)}"
            )


@dataclass(frozen=True)
class InspectionPolicy:
    """The whole policy.

    Examples
    --------
    >>> policy = load_policy()
    >>> policy.tiers["D"].max_visits_per_year is None
    True
    >>> policy.probability_of("A") >= policy.min_probability
    True
    """

    tiers: dict[str, TierRule]
    departments: dict[str, DepartmentRule]
    min_probability: float = 0.03
    region_level: Literal[2, 4, 6] = 6
    #: ``gb2260``: regions are 6-digit GB/T 2260 codes cut to the ``*_level`` prefixes;
    #: ``any``: free-form regions (postal codes, district names), strata and pools by the full value.
    region_scheme: Literal["gb2260", "any"] = "gb2260"
    mandatory: MandatoryRule = field(default_factory=MandatoryRule)
    quiet: QuietRule = field(default_factory=QuietRule)
    new_subjects: NewSubjectRule = field(default_factory=NewSubjectRule)
    default_domains: tuple[str, ...] = ("market",)
    assignment: AssignmentRule = field(default_factory=AssignmentRule)
    disclosure: DisclosureRule = field(default_factory=DisclosureRule)

    def __post_init__(self) -> None:
        if not 0.0 < self.min_probability <= 1.0:
            raise ConfigError(
                f"min_probability must be in (0, 1] so no subject is un-inspectable; got {self.min_probability}"
            )
        if not self.tiers:
            raise ConfigError("tiers must declare at least one tier, e.g. A, B, C, D")
        for name, rule in self.tiers.items():
            p = max(rule.share, self.min_probability)
            if p > rule.share_range[1] + 1e-12:
                raise ConfigError(
                    f"tiers.{name}: the floor min_probability={self.min_probability} exceeds the tier's "
                    f"maximum share {rule.share_range[1]}; lower the floor or widen share_range"
                )
        for where, tier in (
            ("quiet.tiers", None),
            ("new_subjects.treat_as_tier", self.new_subjects.treat_as_tier),
        ):
            tiers = self.quiet.tiers if tier is None else (tier,)
            bad = [t for t in tiers if t is not None and t not in self.tiers]
            if bad:
                raise ConfigError(f"{where}: unknown tier(s) {bad}; declared tiers are {list(self.tiers)}")
        if not self.departments:
            raise ConfigError("departments must declare at least one department with items")
        owner: dict[str, str] = {}
        for name, dept in self.departments.items():
            if dept.min_inspectors < 1:
                raise ConfigError(f"departments.{name}.min_inspectors must be ≥ 1; got {dept.min_inspectors}")
            for domain, items in dept.items.items():
                if not items:
                    raise ConfigError(f"departments.{name}.items.{domain} is empty; list its inspection items")
                if domain in owner:
                    raise ConfigError(
                        f"domain {domain!r} is inspected by both {owner[domain]!r} and {name!r}; "
                        "give each domain one department"
                    )
                owner[domain] = name
                law = LAW_MIN_INSPECTORS.get(domain, 0)
                if dept.min_inspectors < law:
                    raise ConfigError(
                        f"departments.{name}.min_inspectors={dept.min_inspectors} but {domain} "
                        f"inspections need at least {law} inspectors by law; raise it"
                    )
        missing = [d for d in self.default_domains if d not in owner]
        if missing:
            raise ConfigError(
                f"default_domains {missing} have no department; add them to a department's items"
            )

    # ------------------------------------------------------------------ helpers
    def probability_of(self, tier: str) -> float:
        """Draw probability of a non-mandatory subject in ``tier``: its share, floored."""
        return max(self.tiers[tier].share, self.min_probability)

    def department_of(self, domain: str) -> str | None:
        """The department inspecting ``domain``, or None if no department covers it."""
        for name, dept in self.departments.items():
            if domain in dept.items:
                return name
        return None

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data (for the manifest)."""
        return _plain(dataclasses.asdict(self))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def load_policy(path: str | Path | None = None) -> InspectionPolicy:
    """Load and validate an inspection policy (default: the packaged ``configs/inspection_policy.yaml``).

    Raises
    ------
    ConfigError
        Unknown or missing keys, shares outside their range, a floor above a tier's maximum,
        food departments with fewer than two inspectors, secret columns in the disclosure.
    """
    path = Path(path) if path is not None else default_policy_path()
    try:
        return from_mapping(InspectionPolicy, load_yaml(path), where=str(path))
    except ConfigError as exc:
        if str(path) in str(exc):
            raise
        raise ConfigError(f"{path}: {exc}") from None
