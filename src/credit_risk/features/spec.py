"""The declarative feature spec (``configs/features.yaml``).

A spec lists *aggregate groups*: a filter over records (kinds, domains, severities,
outcomes) crossed with windows and aggregations. Each group expands into one feature per
(aggregation, window), named ``{prefix}_{aggregation}`` (window-free aggregations) or
``{prefix}_{aggregation}_{window}d``. It also holds the parameters of the hand-written
builders (one section per view).

Every number in the shipped spec is a default a deployment may change (``DOMAIN.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from credit_risk.config import from_mapping, load_yaml
from credit_risk.exceptions import ConfigError
from credit_risk.features.matrix import VIEWS, FeatureInfo

__all__ = [
    "AGGREGATIONS",
    "AggregateGroup",
    "BuilderParams",
    "FeatureSpec",
    "RecordFilter",
    "default_spec_path",
    "load_feature_spec",
]

Aggregation = Literal[
    "count", "sum", "max_severity", "decayed_count", "trend", "active", "active_count", "last",
    "days_since_last",
]

#: Aggregations that take a window; the others look at every record that counts at ``t``.
WINDOWED: frozenset[str] = frozenset({"count", "sum", "max_severity", "decayed_count"})
AGGREGATIONS: tuple[str, ...] = (
    "count", "sum", "max_severity", "decayed_count", "trend", "active", "active_count", "last",
    "days_since_last",
)

_AGG_TEXT = {
    # aggregation: (English, Chinese, direction multiplier; 0 = undeclared)
    "count": ("number of {d} that count at t, started in the last {w} days", "近{w}天{z}数量", 1),
    "sum": ("sum of the value of {d} that count at t, started in the last {w} days", "近{w}天{z}金额合计", 1),
    "max_severity": (
        "highest severity (0 info … 3 serious) of {d} that count at t, started in the last {w} days",
        "近{w}天{z}最高严重程度", 1,
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
    "days_since_last": (
        "days from the most recent of {d} known before t to t, if it still counts (else missing)",
        "距最近一次{z}天数", -1,
    ),
}


@dataclass(frozen=True)
class RecordFilter:
    """Which records a group aggregates; ``None`` means no restriction."""

    kinds: tuple[str, ...]
    domains: tuple[str, ...] | None = None
    severities: tuple[str, ...] | None = None
    outcomes: tuple[str, ...] | None = None


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
        Direction of the counts (1: more records, more risk). ``days_since_last`` gets the
        opposite sign, ``last`` none.
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


@dataclass(frozen=True)
class CommercialParams:
    """Annual reports: the filing deadline is June 30 of the following year [C]."""

    report_deadline_month: int = 6
    report_deadline_day: int = 30
    late_window_years: int = 3
    history_years: int = 5


@dataclass(frozen=True)
class ComplianceParams:
    inspection_window_days: int = 1825
    sampling_window_days: int = 1825


@dataclass(frozen=True)
class LifecycleParams:
    """Stage thresholds in years of age [I]; ``decline_*`` signals mark a declining subject."""

    startup_years: float = 3.0
    mature_years: float = 8.0
    change_windows: tuple[int, ...] = (365, 1095)
    decline_revenue_growth: float = -0.2


@dataclass(frozen=True)
class RelationsParams:
    """Which records make a related subject "seriously negative" at t."""

    serious_kinds: tuple[str, ...] = ("serious_listing", "judgment_defaulter")
    serious_severity: str = "serious"


@dataclass(frozen=True)
class ContextParams:
    """Base rates of a kind per industry section and prefecture city, smoothed by a prior."""

    kinds: tuple[str, ...] = ("penalty",)
    window_days: int = 365
    prior_strength: float = 20.0


@dataclass(frozen=True)
class BuilderParams:
    commercial: CommercialParams = field(default_factory=CommercialParams)
    compliance: ComplianceParams = field(default_factory=ComplianceParams)
    lifecycle: LifecycleParams = field(default_factory=LifecycleParams)
    relations: RelationsParams = field(default_factory=RelationsParams)
    context: ContextParams = field(default_factory=ContextParams)


@dataclass(frozen=True)
class FeatureSpec:
    """A whole feature spec: aggregate groups, decay constant, builders to run and their parameters.

    Examples
    --------
    >>> spec = load_feature_spec()
    >>> "penalty_count_365d" in spec.aggregate_names()
    True
    """

    aggregates: tuple[AggregateGroup, ...]
    decay_tau_days: float = 365.0
    views: tuple[str, ...] = VIEWS
    builders: BuilderParams = field(default_factory=BuilderParams)

    def __post_init__(self) -> None:
        if self.decay_tau_days < 30:
            raise ConfigError(
                f"features.decay_tau_days must be at least 30 days (numerical range); got {self.decay_tau_days}"
            )
        bad = [v for v in self.views if v not in VIEWS]
        if bad:
            raise ConfigError(f"features.views: unknown view(s) {bad}; use some of {list(VIEWS)}")
        names = self.aggregate_names()
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"features.aggregates: duplicate feature names {dup}; change a prefix")

    def aggregate_names(self) -> list[str]:
        return [info.name for g in self.aggregates for _, _, info in g.expand(self.decay_tau_days)]

    def check_catalog(self, catalog) -> None:
        """Raise :class:`ConfigError` if a filter names a kind, domain, severity or outcome the catalogue lacks."""
        outcomes = {o for s in catalog.kinds.values() for o in s.outcomes}
        for g in self.aggregates:
            f = g.filter
            where = f"features.aggregates[{g.prefix}].filter"
            for what, values, allowed in (
                ("kinds", f.kinds, set(catalog.kinds)),
                ("domains", f.domains or (), set(catalog.domains)),
                ("severities", f.severities or (), set(catalog.severities)),
                ("outcomes", f.outcomes or (), outcomes),
            ):
                bad = [v for v in values if v not in allowed]
                if bad:
                    raise ConfigError(f"{where}.{what}: {bad} not in the catalogue; use some of {sorted(allowed)}")


def default_spec_path() -> Path:
    """Path of the spec shipped with the package (``configs/features.yaml``)."""
    return Path(__file__).resolve().parents[1] / "configs" / "features.yaml"


def load_feature_spec(path: str | Path | None = None) -> FeatureSpec:
    """Load and validate a feature spec YAML (default: the packaged ``configs/features.yaml``).

    Raises
    ------
    ConfigError
        Unknown or missing keys, unknown views or aggregations, duplicate names.
    """
    path = Path(path) if path is not None else default_spec_path()
    return from_mapping(FeatureSpec, load_yaml(path), where=str(path))
