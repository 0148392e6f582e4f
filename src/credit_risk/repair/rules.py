"""Credit repair rules per record kind and severity (``configs/repair.yaml``, DOMAIN.md §4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from credit_risk.config import from_mapping, load_yaml, packaged
from credit_risk.data.catalog import Catalog
from credit_risk.exceptions import ConfigError

__all__ = ["EVIDENCE", "KindRepairRule", "RepairRules", "default_repair_rules_path", "load_repair_rules"]

#: The evidence flags an application may carry.
EVIDENCE = ("penalty_paid", "corrected", "commitment_signed")
Evidence = Literal["penalty_paid", "corrected", "commitment_signed"]


@dataclass(frozen=True)
class KindRepairRule:
    """How records of one kind are repaired.

    ``min_days[severity]``: days after the record's start before a repair may be approved (a
    severity not listed is not repairable); ``evidence``: obligations the applicant must show;
    ``no_repeat_days``: no new record of the same kind within this many days before applying.
    """

    legal_basis: str
    min_days: dict[str, int]
    evidence: tuple[Evidence, ...] = ()
    no_repeat_days: int = 0

    def __post_init__(self) -> None:
        if not str(self.legal_basis).strip():
            raise ConfigError("repair rule: legal_basis is empty; cite the regulation that allows the repair")
        bad = {s: d for s, d in self.min_days.items() if isinstance(d, bool) or d < 0}
        if bad:
            raise ConfigError(f"repair rule min_days must be ≥ 0; got {bad}")
        if self.no_repeat_days < 0:
            raise ConfigError(f"repair rule no_repeat_days must be ≥ 0; got {self.no_repeat_days}")


@dataclass(frozen=True)
class RepairRules:
    """The whole file: one rule per repairable kind."""

    kinds: dict[str, KindRepairRule] = field(default_factory=dict)

    def check_catalog(self, catalog: Catalog, where: str = "repair rules") -> None:
        """Refuse kinds or severities the catalogue does not declare."""
        for kind, rule in self.kinds.items():
            if kind not in catalog.kinds:
                raise ConfigError(f"{where}: kind {kind!r} is not in the catalogue; use one of {sorted(catalog.kinds)}")
            scale = catalog.scale(kind)
            stray = [s for s in rule.min_days if s not in scale]
            if stray:
                raise ConfigError(f"{where}: kinds.{kind}.min_days severities {stray} are not on the kind's scale {list(scale)}")


def default_repair_rules_path() -> Path:
    """Path of the packaged ``configs/repair.yaml``."""
    return packaged("repair.yaml")


def load_repair_rules(path: str | Path | None = None) -> RepairRules:
    """Load repair rules (default: the packaged ``configs/repair.yaml``).

    Examples
    --------
    >>> rules = load_repair_rules()
    >>> rules.kinds["environmental_violation"].min_days["serious"]
    365
    >>> "judgment_defaulter" in rules.kinds   # only the court removes a judgment defaulter
    False
    """
    path = default_repair_rules_path() if path is None else Path(path)
    return from_mapping(RepairRules, load_yaml(path), str(path))
