"""The measures config (``configs/measures.yaml``): lists and grades → lawful measures.

A *trigger* is a list or grade (失信被执行人, 严重违法失信名单, environmental red, tax rating D,
red list, tier A …): records of one catalogue kind, optionally restricted to some outcomes,
or a risk tier. A *measure* (惩戒措施 / 激励措施) says which department applies it, whether it
restricts (失信惩戒) or rewards (守信激励), how long it lasts and on which legal basis. A
measure without a legal basis is refused at load, naming the measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from credit_risk.config import from_mapping, load_yaml, packaged
from credit_risk.data.catalog import Catalog
from credit_risk.exceptions import ConfigError

__all__ = ["Measure", "MeasuresConfig", "Trigger", "default_measures_path", "load_measures"]


@dataclass(frozen=True)
class Trigger:
    """A list or grade: records of ``kind`` (with one of ``outcomes`` when given), or a ``tier``."""

    name_zh: str
    side: Literal["punishment", "reward"]
    kind: str | None = None
    outcomes: tuple[str, ...] = ()
    tier: str | None = None

    def __post_init__(self) -> None:
        if (self.kind is None) == (self.tier is None):
            raise ConfigError(f"trigger {self.name_zh!r}: give exactly one of kind or tier")
        if self.tier is not None and self.outcomes:
            raise ConfigError(f"trigger {self.name_zh!r}: outcomes apply to a record kind, not to a tier")


@dataclass(frozen=True)
class Measure:
    """One measure: ``triggers`` put a subject under it; ``department`` applies it.

    ``duration_days`` caps how long it lasts after the listing starts (None = while the
    trigger record counts); ``deadline_days`` is the time the department has to apply it
    after the listing is pushed (known).
    """

    name: str
    name_zh: str
    triggers: tuple[str, ...]
    type: Literal["restriction", "incentive"]
    department: str
    legal_basis: str = ""
    duration_days: int | None = None
    deadline_days: int = 30

    def __post_init__(self) -> None:
        if not str(self.legal_basis).strip():
            raise ConfigError(
                f"measure {self.name!r} ({self.name_zh}) cites no legal_basis; add the law, regulation "
                "or memorandum that requires it, or remove the measure"
            )
        if not self.triggers:
            raise ConfigError(f"measure {self.name!r}: triggers is empty; name at least one list or grade")
        if self.duration_days is not None and self.duration_days < 1:
            raise ConfigError(f"measure {self.name!r}: duration_days must be ≥ 1 or null; got {self.duration_days}")
        if self.deadline_days < 0:
            raise ConfigError(f"measure {self.name!r}: deadline_days must be ≥ 0; got {self.deadline_days}")
        if not str(self.department).strip():
            raise ConfigError(f"measure {self.name!r}: department is empty; name the department that applies it")


@dataclass(frozen=True)
class MeasuresConfig:
    """The whole file: named triggers and the measures they set off."""

    triggers: dict[str, Trigger] = field(default_factory=dict)
    measures: tuple[Measure, ...] = ()

    def __post_init__(self) -> None:
        names = [m.name for m in self.measures]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"measures {dup} are declared more than once; give each measure one entry")
        for m in self.measures:
            unknown = [t for t in m.triggers if t not in self.triggers]
            if unknown:
                raise ConfigError(
                    f"measure {m.name!r}: triggers {unknown} are not declared under triggers "
                    f"{sorted(self.triggers)}; declare them or correct the names"
                )

    def check_catalog(self, catalog: Catalog) -> None:
        """Refuse triggers on kinds or outcomes the dataset's catalogue does not declare."""
        for name, t in self.triggers.items():
            if t.kind is None:
                continue
            if t.kind not in catalog.kinds:
                raise ConfigError(
                    f"measures trigger {name!r}: kind {t.kind!r} is not in the catalogue; use one of "
                    f"{sorted(catalog.kinds)}"
                )
            allowed = catalog.kinds[t.kind].outcomes
            stray = [o for o in t.outcomes if allowed and o not in allowed]
            if stray:
                raise ConfigError(
                    f"measures trigger {name!r}: outcomes {stray} are not outcomes of kind {t.kind!r} "
                    f"{list(allowed)}; correct them"
                )


def default_measures_path() -> Path:
    """Path of the packaged ``configs/measures.yaml``."""
    return packaged("measures.yaml")


def load_measures(path: str | Path | None = None) -> MeasuresConfig:
    """Load a measures config (default: the packaged one); every measure must cite a legal basis.

    Raises
    ------
    ConfigError
        Unknown or missing keys, a measure without a legal basis (named), unknown triggers.

    Examples
    --------
    >>> config = load_measures()
    >>> m = next(m for m in config.measures if m.name == "restrict_high_consumption")
    >>> m.department, m.type
    ('court', 'restriction')
    """
    path = default_measures_path() if path is None else Path(path)
    return from_mapping(MeasuresConfig, load_yaml(path), str(path))
