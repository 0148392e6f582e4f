"""The declarative feature spec (``configs/features.yaml``).

A spec lists *aggregate groups*: a filter over records (kinds, domains, severities,
outcomes) crossed with windows and aggregations. Each group expands into one feature per
(aggregation, window), named ``{prefix}_{aggregation}`` (window-free aggregations) or
``{prefix}_{aggregation}_{window}d``. It also holds the parameters of the hand-written
builders (one section per view), the subject attributes that become features
(``attributes:``) and per-feature direction overrides (``directions:``).

A declared direction (``direction`` of a group or an attribute, or an entry of
``directions``) is a *rule*: more of the feature never lowers (1) or never raises (-1) the
risk, and the generic model enforces it as a monotone constraint. Leave it 0 (undeclared)
for anything that is only an expectation: :func:`credit_risk.features.directions.check_directions`
reports the declared directions the training labels contradict.

A spec file may start with ``extends: packaged`` (or a file next to it) and then add groups,
override every base group of a prefix by giving groups with that prefix, drop groups with
``remove_groups: [prefix, ...]`` and attributes with ``remove_attributes: [column, ...]``;
``builders`` sections are merged key by key, ``directions`` entry by entry.

Every number in the shipped spec is a default a deployment may change (``DOMAIN.md``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from credit_risk.config import from_mapping, load_yaml, packaged
from credit_risk.exceptions import ConfigError
from credit_risk.features.matrix import VIEWS, FeatureInfo

__all__ = [
    "checked_spec",
    "AGGREGATIONS",
    "AggregateGroup",
    "AttributeSpec",
    "BuilderParams",
    "FeatureSpec",
    "NOT_ACTIONABLE",
    "RecordFilter",
    "default_actionable",
    "default_spec_path",
    "load_feature_spec",
    "spec_mapping",
]

logger = logging.getLogger(__name__)

Aggregation = Literal[
    "count", "sum", "mean", "max_severity", "decayed_count", "adverse_share", "trend", "active",
    "active_count", "last", "days_since_last", "last_value",
]

#: Aggregations that take a window; the others look at every record that counts at ``t``.
WINDOWED: frozenset[str] = frozenset({"count", "sum", "mean", "max_severity", "decayed_count", "adverse_share"})
AGGREGATIONS: tuple[str, ...] = (
    "count", "sum", "mean", "max_severity", "decayed_count", "adverse_share", "trend", "active",
    "active_count", "last", "days_since_last", "last_value",
)

#: Features a subject cannot change by what it does, by name prefix [I]: its age, size, stage or
#: closure, business results (growth, margins), the regulator's own visits and the conduct of
#: related subjects. With the whole ``context`` view (its city, industry, type and their rates)
#: they are never shown to a subject as a reason (:func:`default_actionable`); a spec's
#: ``actionable:`` mapping (feature name → true/false) overrides this per feature.
NOT_ACTIONABLE: tuple[str, ...] = (
    "age_years", "closed", "lifecycle_stage", "log_employees", "log_registered_capital", "revenue_growth",
    "employee_growth", "profit_margin", "related_", "inspection_count_", "days_since_inspection",
    "licence_active_count",
)


def default_actionable(info: FeatureInfo) -> bool:
    """Whether a reason from this feature is one the subject can act on (see :data:`NOT_ACTIONABLE`).

    Examples
    --------
    >>> default_actionable(FeatureInfo("penalty_count_365d", "compliance", 1, "penalties", "处罚"))
    True
    >>> default_actionable(FeatureInfo("region_city", "context", 0, "prefecture city", "地市"))
    False
    """
    return info.view != "context" and not info.name.startswith(NOT_ACTIONABLE)


#: ``extends:`` chains longer than this are refused (almost certainly a cycle).
MAX_EXTENDS_DEPTH = 8

_AGG_TEXT = {
    # aggregation: (English, Chinese, direction multiplier; 0 = undeclared)
    "count": ("number of {d} that count at t, started in the last {w} days", "近{w}天{z}数量", 1),
    "sum": ("sum of the value of {d} that count at t, started in the last {w} days", "近{w}天{z}金额合计", 1),
    "mean": (
        "mean value of {d} that count at t, started in the last {w} days (missing if none has a value)",
        "近{w}天{z}平均值", 1,
    ),
    "max_severity": (
        "highest severity (rank on the kind's scale, 0 = least severe) of {d} that count at t, "
        "started in the last {w} days",
        "近{w}天{z}最高严重程度", 1,
    ),
    "adverse_share": (
        "share of {d} with a result in the last {w} days whose result is adverse (the catalogue's "
        "adverse_outcomes; no-contact results left out; missing if none)",
        "近{w}天{z}不利结果占比", 1,
    ),
    "decayed_count": (
        "exponentially decayed count (time constant {tau} days) of {d} started in the last {w} days",
        "近{w}天{z}指数衰减计数(时间常数{tau}天)", 1,
    ),
    "trend": (
        "annualised rate of {d} in the last {w1} days minus the rate in the {w1}–{w2} days before",
        "{z}近{w1}天年化频率减去此前{w1}至{w2}天年化频率", 1,
    ),
    "active_count": ("number of {d} that count at t (whenever they started)", "当前有效{z}数量", 1),
    "active": ("1 if at least one of {d} counts at t (listed, not removed, repaired or expired)", "当前存在有效{z}", 1),
    "last": ("outcome of the most recent of {d} known before t, if it still counts", "最近一次{z}结果", 0),
    "last_value": (
        "value of the most recent of {d} with a value known before t, if it still counts (missing if none)",
        "最近一次{z}数值", 1,
    ),
    "days_since_last": (
        "days from the most recent of {d} known before t to t, if it still counts (else missing)",
        "距最近一次{z}天数", -1,
    ),
}


@dataclass(frozen=True)
class RecordFilter:
    """Which records a group aggregates; ``None`` means no restriction.

    ``adverse: true`` keeps the records whose outcome is one of their kind's
    ``adverse_outcomes`` in the catalogue (e.g. inspections that found a problem), so a spec
    never needs to name an outcome; it excludes ``outcomes``.
    """

    kinds: tuple[str, ...]
    domains: tuple[str, ...] | None = None
    severities: tuple[str, ...] | None = None
    outcomes: tuple[str, ...] | None = None
    adverse: bool = False

    def outcomes_in(self, catalog) -> tuple[str, ...] | None:
        """The outcome restriction with ``adverse`` resolved against ``catalog``."""
        if not self.adverse:
            return self.outcomes
        found: list[str] = []
        for k in self.kinds:
            found += [o for o in catalog.kinds[k].adverse_outcomes if o not in found]
        return tuple(found)


@dataclass(frozen=True)
class AggregateGroup:
    """One filter × windows × aggregations block of the spec.

    Attributes
    ----------
    prefix : str
        Stem of the generated names, e.g. ``penalty_serious``.
    view : str
        One of :data:`credit_risk.features.matrix.VIEWS`.
    direction : {1, -1, 0}
        Declared direction of the counts, a rule enforced as a monotone constraint (1: more
        records never lower the risk; 0: undeclared). ``days_since_last`` gets the opposite
        sign, ``last`` none.
    description, description_zh : str
        Short noun phrase naming the filtered records, e.g. "administrative penalties" / "行政处罚".
    filter : RecordFilter
    windows : tuple of int
        Window lengths in days for the windowed aggregations.
    aggregations : tuple of str
        Subset of :data:`AGGREGATIONS`.
    trend_windows : tuple of two ints, optional
        ``(w1, w2)`` for ``trend``; default the first two windows.
    """

    prefix: str
    view: str
    direction: int
    description: str
    description_zh: str
    filter: RecordFilter
    aggregations: tuple[Aggregation, ...]
    windows: tuple[int, ...] = ()
    trend_windows: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        where = f"features.aggregates[{self.prefix}]"
        if self.view not in VIEWS:
            raise ConfigError(f"{where}.view {self.view!r} is not one of {VIEWS}")
        if self.direction not in (-1, 0, 1):
            raise ConfigError(f"{where}.direction must be -1, 0 or 1; got {self.direction!r}")
        if any(w <= 0 for w in self.windows):
            raise ConfigError(f"{where}.windows must be positive day counts; got {list(self.windows)}")
        if any(a in WINDOWED for a in self.aggregations) and not self.windows:
            raise ConfigError(f"{where}: aggregations {sorted(WINDOWED & set(self.aggregations))} need windows; add e.g. windows: [365]")
        if self.trend_windows is not None and len(self.trend_windows) != 2:
            raise ConfigError(f"{where}.trend_windows must be two windows [w1, w2]; got {list(self.trend_windows)}")
        if self.filter.adverse and self.filter.outcomes is not None:
            raise ConfigError(f"{where}.filter: give either outcomes or adverse: true, not both")
        if "adverse_share" in self.aggregations and (self.filter.outcomes is not None or self.filter.adverse):
            raise ConfigError(
                f"{where}: adverse_share reads the outcomes from the catalogue; drop filter.outcomes or the aggregation"
            )
        if "trend" in self.aggregations:
            w1, w2 = self.trend_pair
            if not 0 < w1 < w2:
                raise ConfigError(f"{where}.trend_windows must be two increasing windows; got {(w1, w2)}")

    @property
    def trend_pair(self) -> tuple[int, int]:
        if self.trend_windows is not None:
            return (self.trend_windows[0], self.trend_windows[1])
        if len(self.windows) < 2:
            raise ConfigError(f"features.aggregates[{self.prefix}]: trend needs trend_windows or two windows")
        return tuple(sorted(self.windows)[:2])  # type: ignore[return-value]

    def feature_name(self, aggregation: str, window: int | None = None) -> str:
        if aggregation == "trend":
            w1, w2 = self.trend_pair
            return f"{self.prefix}_trend_{w1}d_{w2}d"
        return f"{self.prefix}_{aggregation}" if window is None else f"{self.prefix}_{aggregation}_{window}d"

    def expand(self, tau_days: float) -> list[tuple[str, int | None, FeatureInfo]]:
        """(aggregation, window, info) for every feature of the group, in spec order."""
        out = []
        for agg in self.aggregations:
            en, zh, sign = _AGG_TEXT[agg]
            windows: list[int | None] = list(self.windows) if agg in WINDOWED else [None]
            for w in windows:
                w1, w2 = self.trend_pair if agg == "trend" else (0, 0)
                fmt = dict(d=self.description, z=self.description_zh, w=w, tau=int(tau_days), w1=w1, w2=w2)
                direction = self.direction * sign
                out.append(
                    (
                        agg,
                        w,
                        FeatureInfo(
                            name=self.feature_name(agg, w),
                            view=self.view,
                            direction=direction,  # type: ignore[arg-type]
                            description=en.format(**fmt),
                            description_zh=zh.format(**fmt),
                            categorical=agg == "last",
                        ),
                    )
                )
        return out


AttributeType = Literal["numeric", "categorical", "flag", "date", "group_size"]


def feature_stem(column: str) -> str:
    """A feature-name stem from a column name: lower case, runs of other characters → ``_``.

    Examples
    --------
    >>> feature_stem("Business Type")
    'business_type'
    """
    stem = re.sub(r"[^0-9a-z]+", "_", str(column).strip().lower()).strip("_")
    return stem or "attribute"


@dataclass(frozen=True)
class AttributeSpec:
    """An ``enterprises`` column used as a feature (主体属性).

    Attributes
    ----------
    column : str
        Column of the ``enterprises`` table. ``closed_on`` and the dataset's ``as_of_unsafe``
        columns are refused: they may describe the future of the as-of date.
    type : {"numeric", "categorical", "flag", "date", "group_size"}
        ``numeric``: a number; ``categorical``: levels with fewer than ``min_level_count``
        subjects are grouped into ``(other)``; ``flag``: 1/0, true/false, yes/no, 是/否;
        ``date``: the age in years at the as-of date (missing when the date is not before it);
        ``group_size``: how many subjects known before the as-of date share the value (text
        compared case- and space-insensitively), the subject included — e.g. the ``name``
        column gives the size of a chain or of a group's branches (连锁/分支机构).
    view : str, optional
        One of :data:`credit_risk.features.matrix.VIEWS`; default ``lifecycle`` for dates,
        ``context`` otherwise.
    direction : {0, 1, -1}
        0 (default): undeclared; a declared direction is a rule (a monotone constraint).
    description, description_zh : str
        What the column holds; generated from the column name when empty.
    name : str, optional
        Feature name; default the column name in lower case (``_age_years`` added for dates).
    min_level_count : int, optional
        Categorical only; default the spec's ``min_level_count``.
    """

    column: str
    type: AttributeType
    view: str | None = None
    direction: int = 0
    description: str = ""
    description_zh: str = ""
    name: str | None = None
    min_level_count: int | None = None

    def __post_init__(self) -> None:
        where = f"features.attributes[{self.column}]"
        if self.view is not None and self.view not in VIEWS:
            raise ConfigError(f"{where}.view {self.view!r} is not one of {VIEWS}")
        if self.direction not in (-1, 0, 1):
            raise ConfigError(f"{where}.direction must be -1, 0 or 1; got {self.direction!r}")
        if self.type == "categorical" and self.direction != 0:
            raise ConfigError(f"{where}: a categorical attribute has no direction; set direction: 0")
        if self.min_level_count is not None and self.min_level_count < 1:
            raise ConfigError(f"{where}.min_level_count must be at least 1; got {self.min_level_count}")
        if self.name is not None and not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ConfigError(f"{where}.name {self.name!r} must be lower-case letters, digits and _; rename it")

    @property
    def feature_view(self) -> str:
        if self.view is not None:
            return self.view
        return "lifecycle" if self.type == "date" else "context"

    @property
    def feature_name(self) -> str:
        if self.name is not None:
            return self.name
        stem = feature_stem(self.column)
        return {"date": f"{stem}_age_years", "group_size": f"{stem}_group_size"}.get(self.type, stem)

    def info(self) -> FeatureInfo:
        if self.type == "group_size":
            text = (f"subjects known before t that share this subject's '{self.column}' (itself included)",
                    f"同{self.column}主体数(截至评价日已知,含本主体)")
        else:
            unit = " (years since that date at t)" if self.type == "date" else ""
            text = (f"enterprises column '{self.column}'{unit}",
                    f"主体属性 {self.column}" + ("(距今年数)" if self.type == "date" else ""))
        return FeatureInfo(
            name=self.feature_name,
            view=self.feature_view,
            direction=self.direction,  # type: ignore[arg-type]
            description=self.description or text[0],
            description_zh=self.description_zh or text[1],
            categorical=self.type == "categorical",
        )


@dataclass(frozen=True)
class CommercialParams:
    """Annual reports: the filing deadline is June 30 of the following year [C].

    ``capital_change_kind`` is the kind whose signed ``value`` changes the registered capital.
    """

    report_deadline_month: int = 6
    report_deadline_day: int = 30
    late_window_years: int = 3
    history_years: int = 5
    capital_change_kind: str = "capital_change"


@dataclass(frozen=True)
class ComplianceParams:
    """Inspection history, sampling failures and listing duration.

    The kinds are parameters; what their outcomes mean comes from the catalogue
    (``adverse_outcomes``, ``no_contact_outcomes``). A feature whose kind is null or not in the
    catalogue (or declares no adverse outcome, for the rates) is not built.
    """

    inspection_window_days: int = 1825
    sampling_window_days: int = 1825
    inspection_kind: str | None = "inspection"
    sampling_kind: str | None = "product_sampling"
    listing_kind: str | None = "abnormal_listing"


@dataclass(frozen=True)
class SocialParams:
    """Arrears still outstanding and the share of complaints with an adverse (verified) outcome.

    A kind that is null or not in the catalogue leaves its feature out.
    """

    arrears_kind: str | None = "social_insurance_arrears"
    complaint_kind: str | None = "complaint"
    complaint_window_days: int = 1095


@dataclass(frozen=True)
class LifecycleParams:
    """Stage thresholds in years of age [I]; ``decline_*`` signals mark a declining subject."""

    startup_years: float = 3.0
    mature_years: float = 8.0
    change_windows: tuple[int, ...] = (365, 1095)
    decline_revenue_growth: float = -0.2
    change_kinds: tuple[str, ...] = (
        "legal_rep_change", "address_change", "name_change", "scope_change", "capital_change",
    )


@dataclass(frozen=True)
class RelationsParams:
    """Which records make a related subject "seriously negative" at t."""

    serious_kinds: tuple[str, ...] = ("serious_listing", "judgment_defaulter")
    serious_severity: str = "serious"


@dataclass(frozen=True)
class ContextParams:
    """Base rates of a kind per industry section and prefecture city, smoothed by a prior.

    ``hierarchy``: add the industry and region levels as categorical features (GB/T 4754
    section, division, class; GB/T 2260 province, city, county; the raw value under
    ``industry_scheme: any`` / ``region_scheme: any``). ``groups``: which of industry and
    region get base rates and levels (drop one the data does not have); ``entity_type``: add
    the entity type.
    """

    kinds: tuple[str, ...] = ("penalty",)
    window_days: int = 365
    prior_strength: float = 20.0
    hierarchy: bool = True
    groups: tuple[Literal["industry", "region"], ...] = ("industry", "region")
    entity_type: bool = True


@dataclass(frozen=True)
class BuilderParams:
    """Parameters of the hand-written builders; ``enabled`` lists the views whose builder runs."""

    commercial: CommercialParams = field(default_factory=CommercialParams)
    compliance: ComplianceParams = field(default_factory=ComplianceParams)
    social: SocialParams = field(default_factory=SocialParams)
    lifecycle: LifecycleParams = field(default_factory=LifecycleParams)
    relations: RelationsParams = field(default_factory=RelationsParams)
    context: ContextParams = field(default_factory=ContextParams)
    enabled: tuple[str, ...] = VIEWS

    def __post_init__(self) -> None:
        bad = [v for v in self.enabled if v not in VIEWS]
        if bad:
            raise ConfigError(f"features.builders.enabled: unknown view(s) {bad}; use some of {list(VIEWS)}")


@dataclass(frozen=True)
class FeatureSpec:
    """A whole feature spec: aggregate groups, builders, attributes, direction overrides.

    Attributes
    ----------
    aggregates : tuple of AggregateGroup
    decay_tau_days : float
        Time constant of ``decayed_count``.
    views : tuple of str
        Views built by default.
    builders : BuilderParams
    attributes : tuple of AttributeSpec
        ``enterprises`` columns used as features.
    directions : dict
        Feature name → declared direction (-1, 0, 1), overriding what the builders and groups
        declare (e.g. ``{age_years: -1}`` to enforce "older is safer" as a rule).
    actionable : dict
        Feature name → whether a reason from it may be shown to the subject, overriding
        :func:`default_actionable` (:meth:`is_actionable`).
    min_level_count : int
        Levels of a categorical attribute or of the industry/region hierarchy held by fewer
        subjects of the ``enterprises`` table are grouped into ``(other)`` [I] (rare levels of
        a hierarchy overfit: ``configs/features.yaml``). The table is not time-dependent, so the
        levels are the same for every as-of date.

    Examples
    --------
    >>> spec = load_feature_spec()
    >>> "penalty_count_365d" in spec.aggregate_names()
    True
    """

    aggregates: tuple[AggregateGroup, ...] = ()
    decay_tau_days: float = 365.0
    views: tuple[str, ...] = VIEWS
    builders: BuilderParams = field(default_factory=BuilderParams)
    attributes: tuple[AttributeSpec, ...] = ()
    directions: dict[str, int] = field(default_factory=dict)
    actionable: dict[str, bool] = field(default_factory=dict)
    min_level_count: int = 100
    source: str = field(default="feature spec", init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.decay_tau_days < 30:
            raise ConfigError(
                f"features.decay_tau_days must be at least 30 days (numerical range); got {self.decay_tau_days}"
            )
        bad = [v for v in self.views if v not in VIEWS]
        if bad:
            raise ConfigError(f"features.views: unknown view(s) {bad}; use some of {list(VIEWS)}")
        names = self.aggregate_names() + [a.feature_name for a in self.attributes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"features.aggregates/attributes: duplicate feature names {dup}; change a prefix or name")
        bad_dir = {k: v for k, v in self.directions.items() if v not in (-1, 0, 1)}
        if bad_dir:
            raise ConfigError(f"features.directions: directions must be -1, 0 or 1; got {bad_dir}")
        if self.min_level_count < 1:
            raise ConfigError(f"features.min_level_count must be at least 1; got {self.min_level_count}")

    @classmethod
    def from_catalog(cls, catalog, enterprises_columns=(), manifest=None, **kwargs) -> FeatureSpec:
        """Standard aggregates for every kind of ``catalog`` (see :func:`credit_risk.features.derive.spec_from_catalog`).

        Examples
        --------
        >>> from credit_risk.data import load_catalog
        >>> spec = FeatureSpec.from_catalog(load_catalog(), ["cuisine"])
        >>> [a.column for a in spec.attributes], "penalty_count_365d" in spec.aggregate_names()
        (['cuisine'], True)
        """
        from credit_risk.features.derive import spec_from_catalog

        return spec_from_catalog(catalog, enterprises_columns, manifest, **kwargs)

    def is_actionable(self, info: FeatureInfo) -> bool:
        """Whether reasons from this feature may be shown to the subject (the ``actionable:`` entry, else the default)."""
        return bool(self.actionable.get(info.name, default_actionable(info)))

    def aggregate_names(self) -> list[str]:
        return [info.name for g in self.aggregates for _, _, info in g.expand(self.decay_tau_days)]

    def check_catalog(self, catalog) -> None:
        """Raise :class:`ConfigError` if a filter names a kind, domain, severity or outcome the catalogue lacks.

        A group with ``adverse_share`` needs every kind of its filter to declare adverse outcomes.
        """
        outcomes = {o for s in catalog.kinds.values() for o in s.outcomes}
        severities = set(getattr(catalog, "severity_values", catalog.severities))
        problems: list[str] = []
        offending: list[str] = []
        for g in self.aggregates:
            f = g.filter
            where = f"aggregates[{g.prefix}].filter"
            for what, values, allowed in (
                ("kinds", f.kinds, set(catalog.kinds)),
                ("domains", f.domains or (), set(catalog.domains)),
                ("severities", f.severities or (), severities),
                ("outcomes", f.outcomes or (), outcomes),
            ):
                bad = [v for v in values if v not in allowed]
                if bad:
                    problems.append(f"{where}.{what}: {bad} not in the catalogue")
                    offending.append(g.prefix)
            if "adverse_share" in g.aggregations or f.adverse:
                for k in f.kinds:
                    if k in catalog.kinds and not catalog.kinds[k].adverse_outcomes:
                        problems.append(f"aggregates[{g.prefix}] uses adverse outcomes but kind {k!r} declares no "
                                        "adverse_outcomes (add them to the catalogue or drop the group)")
                        offending.append(g.prefix)
        if problems:
            groups = sorted(set(offending))
            raise ConfigError(
                f"{self.source}: {len(problems)} group(s) do not fit the catalogue: " + "; ".join(problems)
                + f"; fix the catalogue, or write a spec with extends: and remove_groups: {groups}"
            )

    def check_dataset(self, dataset) -> None:
        """Raise :class:`ConfigError` for attribute columns missing from or unsafe in ``dataset``."""
        unsafe = {"closed_on", *unsafe_columns(dataset)}
        columns = set(dataset.enterprises.columns)
        for a in self.attributes:
            if a.column in unsafe:
                raise ConfigError(
                    f"{self.source}: attributes[{a.column}] is refused as a feature: the dataset marks "
                    f"'{a.column}' as_of_unsafe (it may describe the future of the as-of date); remove it "
                    "from attributes"
                )
            if a.column not in columns:
                raise ConfigError(
                    f"{self.source}: attributes[{a.column}]: the enterprises table has no column "
                    f"'{a.column}'; add the column to the data or remove the attribute"
                )


def unsafe_columns(dataset) -> tuple[str, ...]:
    """``closed_on`` and the manifest's ``as_of_unsafe`` columns of ``dataset``."""
    manifest = getattr(dataset, "manifest", None)
    return ("closed_on", *tuple(getattr(manifest, "as_of_unsafe", ()) or ()))


def default_spec_path() -> Path:
    """Path of the spec shipped with the package (``configs/features.yaml``)."""
    return packaged("features.yaml")


def _contained(base_dir: Path, value: Any, where: str) -> Path:
    try:
        from credit_risk.config import contained_path
    except ImportError:
        contained_path = None
    if contained_path is not None:
        return contained_path(base_dir, value, where)
    rel = Path(str(value))
    path = (base_dir / rel).resolve()
    if rel.is_absolute() or not path.is_relative_to(base_dir.resolve()) or not path.is_file():
        raise ConfigError(f"{where}: {value!r} must name a file inside {base_dir}; move the file into that folder")
    return path


def _merge_section(base: Any, own: Any, where: str) -> Any:
    """Deep merge of mappings (``own`` wins); anything else is replaced."""
    if isinstance(base, Mapping) and isinstance(own, Mapping):
        out = dict(base)
        for k, v in own.items():
            out[k] = _merge_section(base.get(k), v, f"{where}.{k}") if k in base else v
        return out
    return own


def _names(items: Any, where: str) -> list[str]:
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        raise ConfigError(f"{where}: expected a list of names, got {items!r}")
    return items


def spec_mapping(path: str | Path, depth: int = 0) -> dict[str, Any]:
    """The raw mapping of a spec file with its ``extends:`` chain resolved (not yet validated)."""
    path = Path(path)
    raw = load_yaml(path)
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: expected a mapping of keys, got a {type(raw).__name__}; write aggregates: [...]")
    raw = dict(raw)
    base_ref = raw.pop("extends", None)
    removals = {k: raw.pop(k) for k in ("remove_groups", "remove_attributes") if k in raw}
    if base_ref is None:
        if removals:
            raise ConfigError(f"{path}: {sorted(removals)} need extends: (packaged or a file); add it or drop them")
        return raw
    if depth >= MAX_EXTENDS_DEPTH:
        raise ConfigError(f"{path}: extends: chain is longer than {MAX_EXTENDS_DEPTH} files (a cycle?); shorten it")
    if not isinstance(base_ref, str):
        raise ConfigError(f"{path}.extends: expected 'packaged' or a file name, got {base_ref!r}")
    base_path = default_spec_path() if base_ref == "packaged" else _contained(path.parent, base_ref, f"{path}.extends")
    base = spec_mapping(base_path, depth + 1)
    groups = list(base.get("aggregates") or [])
    attributes = list(base.get("attributes") or [])
    prefixes = {g.get("prefix") for g in groups if isinstance(g, Mapping)}
    if "remove_groups" in removals:
        drop = _names(removals["remove_groups"], f"{path}.remove_groups")
        unknown = [p for p in drop if p not in prefixes]
        if unknown:
            raise ConfigError(f"{path}.remove_groups: {unknown} are not group prefixes of {base_path.name}; use some of {sorted(prefixes)}")
        groups = [g for g in groups if g.get("prefix") not in drop]
    if "remove_attributes" in removals:
        drop = _names(removals["remove_attributes"], f"{path}.remove_attributes")
        columns = {a.get("column") for a in attributes if isinstance(a, Mapping)}
        unknown = [c for c in drop if c not in columns]
        if unknown:
            raise ConfigError(f"{path}.remove_attributes: {unknown} are not attributes of {base_path.name}; use some of {sorted(columns)}")
        attributes = [a for a in attributes if a.get("column") not in drop]
    merged = {k: v for k, v in base.items() if k not in ("aggregates", "attributes")}
    for key, value in raw.items():
        if key == "aggregates":
            if not isinstance(value, list):
                raise ConfigError(f"{path}.aggregates: expected a list of groups, got {value!r}")
            own = {g.get("prefix") for g in value if isinstance(g, Mapping)}
            groups = [g for g in groups if g.get("prefix") not in own] + list(value)
        elif key == "attributes":
            if not isinstance(value, list):
                raise ConfigError(f"{path}.attributes: expected a list of attributes, got {value!r}")
            own = {a.get("column") for a in value if isinstance(a, Mapping)}
            attributes = [a for a in attributes if a.get("column") not in own] + list(value)
        elif key in ("builders", "directions", "actionable"):
            merged[key] = _merge_section(base.get(key), value, f"{path}.{key}")
        else:
            merged[key] = value
    merged["aggregates"] = groups
    if attributes:
        merged["attributes"] = attributes
    return merged


def load_feature_spec(path: str | Path | None = None) -> FeatureSpec:
    """Load and validate a feature spec YAML (default: the packaged ``configs/features.yaml``).

    ``extends: packaged`` (or a file name relative to this file, inside its folder) starts
    from that spec (see the module docstring for how groups and sections merge).

    Raises
    ------
    ConfigError
        Unknown or missing keys, unknown views or aggregations, duplicate names, an
        ``extends:`` outside the folder or a chain that does not end.
    """
    path = Path(path) if path is not None else default_spec_path()
    spec = from_mapping(FeatureSpec, spec_mapping(path), where=str(path))
    object.__setattr__(spec, "source", str(path))
    return spec


def checked_spec(dataset, spec: FeatureSpec | None, views) -> tuple[FeatureSpec, tuple[str, ...]]:
    """The spec (packaged by default) checked against ``dataset``, and the views to build (every engine's first step)."""
    spec = spec if spec is not None else load_feature_spec()
    spec.check_catalog(dataset.catalog)
    spec.check_dataset(dataset)
    views = tuple(views) if views is not None else spec.views
    bad = [v for v in views if v not in VIEWS]
    if bad:
        raise ConfigError(f"build_features: unknown view(s) {bad}; use some of {list(VIEWS)}")
    return spec, views
