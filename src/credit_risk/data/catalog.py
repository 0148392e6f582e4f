"""The public credit information catalogue (公共信用信息目录).

The catalogue declares the vocabulary of record kinds: each kind's view
(commercial 商务信用 / compliance 合规信用 / social responsibility 社会责任 / lifecycle),
polarity, default severity, allowed outcomes and publication periods
(``../shared/DOMAIN.md`` §4). A dataset whose records use a kind the catalogue does
not declare is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from credit_risk.config import from_mapping, load_yaml
from credit_risk.exceptions import ConfigError

__all__ = ["Catalog", "KindSpec", "default_catalog_path", "load_catalog"]

View = Literal["commercial", "compliance", "social", "lifecycle"]


def default_catalog_path() -> Path:
    """Path of the catalogue shipped with the package (``configs/catalog.yaml``)."""
    return Path(__file__).resolve().parents[1] / "configs" / "catalog.yaml"


@dataclass(frozen=True)
class KindSpec:
    """One record kind of the catalogue."""

    name_zh: str
    description: str
    view: View
    polarity: Literal["negative", "positive", "neutral"]
    interval: bool
    default_severity: str
    publication_days: dict[str, int | None]
    outcomes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """The catalogue: ordered severities, allowed domains and the kinds.

    Examples
    --------
    >>> cat = load_catalog()
    >>> cat.kinds["penalty"].name_zh
    '行政处罚'
    >>> cat.severity_rank("serious") > cat.severity_rank("minor")
    True
    """

    severities: tuple[str, ...]
    domains: tuple[str, ...]
    kinds: dict[str, KindSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(set(self.severities)) != len(self.severities) or not self.severities:
            raise ConfigError(f"catalog.severities must be distinct and non-empty; got {self.severities}")
        for name, spec in self.kinds.items():
            where = f"catalog.kinds.{name}"
            if spec.default_severity not in self.severities:
                raise ConfigError(
                    f"{where}.default_severity {spec.default_severity!r} is not one of {list(self.severities)}"
                )
            missing = [s for s in self.severities if s not in spec.publication_days]
            extra = [s for s in spec.publication_days if s not in self.severities]
            if missing or extra:
                raise ConfigError(
                    f"{where}.publication_days must give one entry per severity {list(self.severities)}; "
                    f"missing {missing}, unknown {extra}"
                )
            bad = {s: d for s, d in spec.publication_days.items() if d is not None and d < 0}
            if bad:
                raise ConfigError(f"{where}.publication_days must be ≥ 0 or null; got {bad}")

    def severity_rank(self, severity: str) -> int:
        """Position of ``severity`` in the ordered list (0 = least severe)."""
        return self.severities.index(severity)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate a catalogue YAML (default: the packaged ``configs/catalog.yaml``)."""
    path = Path(path) if path is not None else default_catalog_path()
    raw = load_yaml(path)
    if isinstance(raw, dict) and isinstance(raw.get("severities"), list):
        raw = {**raw, "severities": tuple(raw["severities"])}
    return from_mapping(Catalog, raw, where=str(path))
