"""Settings of monitoring, early warning and feedback (``configs/monitoring.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from credit_risk.config import find_config, from_mapping, load_yaml
from credit_risk.exceptions import ConfigError

__all__ = [
    "MigrationSettings",
    "MonitoringConfig",
    "OutcomeSettings",
    "PsiSettings",
    "RunSettings",
    "SegmentSettings",
    "WarningSettings",
    "load_monitoring_config",
]


@dataclass(frozen=True)
class RunSettings:
    quantiles: tuple[float, ...] = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
    contributions: bool = True


@dataclass(frozen=True)
class PsiSettings:
    bins: int = 10
    special_values: tuple[float, ...] = ()
    epsilon: float = 1e-4
    watch: float = 0.10
    act: float = 0.25
    csi_watch: float = 0.05
    csi_act: float = 0.15


@dataclass(frozen=True)
class SegmentSettings:
    min_count: int = 30
    region_digits: int = 4
    vintage_years: tuple[int, ...] = (1, 3, 5, 10)


@dataclass(frozen=True)
class MigrationSettings:
    tier_order: tuple[str, ...] = ("A", "B", "C", "D")
    watch_share: float = 0.01
    act_share: float = 0.03


@dataclass(frozen=True)
class OutcomeSettings:
    kind: str = "inspection"
    horizon_days: int = 365
    min_events: int = 10
    bootstrap: int = 200
    confidence: float = 0.95
    seed: int = 0
    auc_watch: float = 0.70
    auc_act: float = 0.60


@dataclass(frozen=True)
class WarningSettings:
    probability_factor: float = 2.0
    min_probability: float = 0.02
    serious_severity: str = "serious"
    reasons: int = 3


@dataclass(frozen=True)
class MonitoringConfig:
    """All settings; every field has the packaged default."""

    runs: RunSettings = field(default_factory=RunSettings)
    psi: PsiSettings = field(default_factory=PsiSettings)
    segments: SegmentSettings = field(default_factory=SegmentSettings)
    migration: MigrationSettings = field(default_factory=MigrationSettings)
    outcomes: OutcomeSettings = field(default_factory=OutcomeSettings)
    warning: WarningSettings = field(default_factory=WarningSettings)

    def __post_init__(self) -> None:
        p = self.psi
        checks = [
            (p.bins >= 1, "psi.bins", p.bins, "at least 1"),
            (0 < p.epsilon < 0.01, "psi.epsilon", p.epsilon, "in (0, 0.01)"),
            (0 < p.watch <= p.act, "psi.watch/act", (p.watch, p.act), "0 < watch <= act"),
            (0 < p.csi_watch <= p.csi_act, "psi.csi_watch/csi_act", (p.csi_watch, p.csi_act), "0 < watch <= act"),
            (self.segments.min_count >= 1, "segments.min_count", self.segments.min_count, "at least 1"),
            (0 <= self.segments.region_digits <= 12, "segments.region_digits", self.segments.region_digits,
             "in [0, 12] (0 = the whole region value)"),
            (len(set(self.migration.tier_order)) == len(self.migration.tier_order) >= 2, "migration.tier_order",
             list(self.migration.tier_order), "at least two distinct tiers"),
            (0 <= self.migration.watch_share <= self.migration.act_share <= 1, "migration.watch_share/act_share",
             (self.migration.watch_share, self.migration.act_share), "0 <= watch <= act <= 1"),
            (self.outcomes.horizon_days >= 1, "outcomes.horizon_days", self.outcomes.horizon_days, "at least 1"),
            (self.outcomes.bootstrap >= 0, "outcomes.bootstrap", self.outcomes.bootstrap, "at least 0"),
            (0 < self.outcomes.confidence < 1, "outcomes.confidence", self.outcomes.confidence, "in (0, 1)"),
            (0 < self.outcomes.auc_act <= self.outcomes.auc_watch <= 1, "outcomes.auc_act/auc_watch",
             (self.outcomes.auc_act, self.outcomes.auc_watch), "0 < act <= watch <= 1"),
            (self.warning.probability_factor > 1, "warning.probability_factor", self.warning.probability_factor,
             "above 1"),
            (0 <= self.warning.min_probability < 1, "warning.min_probability", self.warning.min_probability,
             "in [0, 1)"),
            (self.warning.reasons >= 1, "warning.reasons", self.warning.reasons, "at least 1"),
            (all(0 < q < 1 for q in self.runs.quantiles), "runs.quantiles", list(self.runs.quantiles),
             "each in (0, 1)"),
        ]
        for ok, key, value, rule in checks:
            if not ok:
                raise ConfigError(f"monitoring config: {key} = {value} must be {rule}; fix it in monitoring.yaml")


def load_monitoring_config(path: str | Path | None = None, configs_dir: str | Path | None = None) -> MonitoringConfig:
    """Read ``monitoring.yaml`` strictly (``path``, else ``configs_dir/monitoring.yaml``, else packaged)."""
    where = Path(path) if path is not None else find_config("monitoring.yaml", configs_dir)
    return from_mapping(MonitoringConfig, load_yaml(where), where=str(where.name))
