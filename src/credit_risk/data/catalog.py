"""The public credit information catalogue (公共信用信息目录).

The catalogue declares the vocabulary of record kinds: each kind's view
(commercial 商务信用 / compliance 合规信用 / social responsibility 社会责任 / lifecycle),
polarity, default severity, allowed outcomes and what they mean (``adverse_outcomes``,
``no_contact_outcomes``), an optional severity scale of its own, what ``records.value``
means for it, and its publication periods (``../shared/DOMAIN.md`` §4). A dataset whose
records use a kind the catalogue does not declare is rejected.

A catalogue file may extend another instead of copying it::

    extends: packaged          # or a file next to this one, e.g. base_catalog.yaml
    remove_kinds: [tax_rating]
    kinds:
      inspection:              # an existing kind: only the fields given change
        outcomes: [pass, fail, pass_with_conditions]
        adverse_outcomes: [fail]
        no_contact_outcomes: []
      news:                    # a new kind: every required field
        name_zh: 新闻
        ...
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from credit_risk.config import contained_path, from_mapping, load_yaml, packaged
from credit_risk.exceptions import ConfigError

__all__ = ["Catalog", "KindSpec", "ValueMeaning", "default_catalog_path", "load_catalog"]

View = Literal["commercial", "compliance", "social", "lifecycle"]
#: What ``records.value`` means for a kind (a fine's amount, a count, a news tone score, a share).
ValueMeaning = Literal["none", "amount", "count", "score", "share"]

#: ``extends:`` chains longer than this are refused (they are almost certainly a cycle).
MAX_EXTENDS_DEPTH = 8


def default_catalog_path() -> Path:
    """Path of the catalogue shipped with the package (``configs/catalog.yaml``)."""
    return packaged("catalog.yaml")


@dataclass(frozen=True)
class KindSpec:
    """One record kind of the catalogue.

    Attributes
    ----------
    name_zh, description : str
        Chinese name and an English description.
    view : {"commercial", "compliance", "social", "lifecycle"}
    polarity : {"negative", "positive", "neutral"}
    interval : bool
        Whether records of the kind last from ``start`` to ``end``.
    default_severity : str
        Filled in where a record gives none; on the kind's scale.
    publication_days : dict
        Days a record stays published per severity of the kind's scale (None = until its end).
    outcomes : tuple of str
        Allowed ``records.outcome`` values (empty = anything).
    adverse_outcomes : tuple of str
        Outcomes that are a finding against the subject (a subset of ``outcomes``).
    no_contact_outcomes : tuple of str
        Outcomes meaning the subject could not be examined (e.g. ``unreachable``).
    severity_scale : tuple of str or None
        The kind's own ordered severities (least → most severe); None = the catalogue's.
    value : {"none", "amount", "count", "score", "share"}
        What ``records.value`` means for the kind.
    """

    name_zh: str
    description: str
    view: View
    polarity: Literal["negative", "positive", "neutral"]
    interval: bool
    default_severity: str
    publication_days: dict[str, int | None]
    outcomes: tuple[str, ...] = ()
    adverse_outcomes: tuple[str, ...] = ()
    no_contact_outcomes: tuple[str, ...] = ()
    severity_scale: tuple[str, ...] | None = None
    value: ValueMeaning = "amount"


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
    >>> cat.adverse("inspection")
    ('problem',)
    """

    severities: tuple[str, ...]
    domains: tuple[str, ...]
    kinds: dict[str, KindSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(set(self.severities)) != len(self.severities) or not self.severities:
            raise ConfigError(f"catalog.severities must be distinct and non-empty; got {list(self.severities)}")
        for name, spec in self.kinds.items():
            _check_kind(name, spec, self.severities)

    # -- severities ---------------------------------------------------------------------------
    def scale(self, kind: str | None = None) -> tuple[str, ...]:
        """The ordered severities of ``kind`` (its own ``severity_scale``, else the catalogue's)."""
        if kind is None:
            return self.severities
        spec = self.kinds.get(kind)
        if spec is None:
            raise ConfigError(f"unknown kind {kind!r}; use one of {sorted(self.kinds)} or declare it in the catalogue")
        return spec.severity_scale if spec.severity_scale is not None else self.severities

    @property
    def severity_values(self) -> tuple[str, ...]:
        """Every severity any kind may carry: the catalogue's first, then kind-scale values in order."""
        values = list(self.severities)
        for spec in self.kinds.values():
            for s in spec.severity_scale or ():
                if s not in values:
                    values.append(s)
        return tuple(values)

    def severity_rank(self, severity: str, kind: str | None = None) -> int:
        """Position of ``severity`` in ``kind``'s scale (0 = least severe; the catalogue's without a kind)."""
        scale = self.scale(kind)
        if severity not in scale:
            where = f"kind {kind!r}" if kind is not None else "the catalogue"
            raise ConfigError(f"severity {severity!r} is not on the scale of {where}; use one of {list(scale)}")
        return scale.index(severity)

    def severity_ranks(self, kinds, severities) -> np.ndarray:
        """Vectorised :meth:`severity_rank`: float ranks within each record's kind scale, NaN when unknown.

        Examples
        --------
        >>> cat = load_catalog()
        >>> cat.severity_ranks(["penalty", "penalty", "gossip"], ["serious", None, "minor"]).tolist()
        [3.0, nan, nan]
        """
        names = list(self.kinds)
        values = list(self.severity_values)
        lookup = np.full((len(names) + 1, len(values) + 1), np.nan)  # last row/column: unknown
        for i, name in enumerate(names):
            for rank, sev in enumerate(self.scale(name)):
                lookup[i, values.index(sev)] = rank
        k = codes_of(kinds, names)
        v = codes_of(severities, values)
        return lookup[np.where(k < 0, len(names), k), np.where(v < 0, len(values), v)]

    # -- outcomes -----------------------------------------------------------------------------
    def adverse(self, kind: str) -> tuple[str, ...]:
        """The adverse outcomes of ``kind``; :class:`ConfigError` when it declares none."""
        if kind not in self.kinds:
            raise ConfigError(f"unknown kind {kind!r}; use one of {sorted(self.kinds)} or declare it in the catalogue")
        adverse = self.kinds[kind].adverse_outcomes
        if not adverse:
            raise ConfigError(
                f"kind {kind!r} declares no adverse_outcomes; add them to the catalogue "
                f"(e.g. adverse_outcomes: [{', '.join(self.kinds[kind].outcomes[:1]) or 'fail'}])"
            )
        return adverse

    def no_contact(self, kind: str) -> tuple[str, ...]:
        """The no-contact outcomes of ``kind`` (possibly empty)."""
        if kind not in self.kinds:
            raise ConfigError(f"unknown kind {kind!r}; use one of {sorted(self.kinds)} or declare it in the catalogue")
        return self.kinds[kind].no_contact_outcomes

    # -- serialisation ------------------------------------------------------------------------
    def to_mapping(self) -> dict[str, Any]:
        """A plain mapping (lists, dicts, str, int, bool, None) that :func:`load_catalog` reads back equal."""
        kinds = {}
        for name, spec in self.kinds.items():
            entry: dict[str, Any] = {}
            for f in dataclasses.fields(KindSpec):
                v = getattr(spec, f.name)
                if f.name == "severity_scale" and v is None:
                    continue
                if isinstance(v, tuple):
                    v = list(v)
                elif isinstance(v, dict):
                    v = dict(v)
                entry[f.name] = v
            kinds[name] = entry
        return {"severities": list(self.severities), "domains": list(self.domains), "kinds": kinds}


def _check_kind(name: str, spec: KindSpec, severities: tuple[str, ...]) -> None:
    where = f"catalog.kinds.{name}"
    if spec.severity_scale is not None:
        scale = tuple(spec.severity_scale)
        if not scale or len(set(scale)) != len(scale):
            raise ConfigError(f"{where}.severity_scale must be distinct and non-empty; got {list(scale)}")
    else:
        scale = severities
    if spec.default_severity not in scale:
        raise ConfigError(f"{where}.default_severity {spec.default_severity!r} is not one of {list(scale)}")
    missing = [s for s in scale if s not in spec.publication_days]
    extra = [s for s in spec.publication_days if s not in scale]
    if missing or extra:
        raise ConfigError(
            f"{where}.publication_days must give one entry per severity {list(scale)}; "
            f"missing {missing}, unknown {extra}"
        )
    bad = {s: d for s, d in spec.publication_days.items() if d is not None and (isinstance(d, bool) or d < 0)}
    if bad:
        raise ConfigError(f"{where}.publication_days must be ≥ 0 or null; got {bad}")
    if len(set(spec.outcomes)) != len(spec.outcomes):
        raise ConfigError(f"{where}.outcomes must be distinct; got {list(spec.outcomes)}")
    for attr in ("adverse_outcomes", "no_contact_outcomes"):
        values = getattr(spec, attr)
        stray = [o for o in values if o not in spec.outcomes]
        if stray:
            raise ConfigError(
                f"{where}.{attr} {stray} are not among the kind's outcomes {list(spec.outcomes)}; "
                "add them to outcomes or correct the names"
            )
    both = sorted(set(spec.adverse_outcomes) & set(spec.no_contact_outcomes))
    if both:
        raise ConfigError(f"{where}: {both} cannot be both adverse_outcomes and no_contact_outcomes")
    if spec.value not in get_args(ValueMeaning):
        raise ConfigError(f"{where}.value {spec.value!r} is not one of {list(get_args(ValueMeaning))}")


def codes_of(values, categories) -> np.ndarray:
    """Position of each value in ``categories`` (-1 when missing or unknown), vectorised.

    The distinct values are looked up once (a categorical's categories, else
    ``pd.factorize``), so a column of millions of records is never turned into Python objects.

    Examples
    --------
    >>> codes_of(pd.Series(["b", None, "z", "a"], dtype="category"), ["a", "b"]).tolist()
    [1, -1, -1, 0]
    """
    lookup = pd.Index(list(categories), dtype=object)
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        cat = values.array if isinstance(values, pd.Series | pd.Index) else values
        found = lookup.get_indexer(pd.Index(np.asarray(cat.categories, dtype=object)))
        return np.append(found, -1)[np.asarray(cat.codes)].astype(np.intp)
    if not isinstance(values, pd.Series | pd.Index | np.ndarray):
        values = np.asarray(values, dtype=object)
    codes, uniques = pd.factorize(values)
    found = lookup.get_indexer(pd.Index(np.asarray(uniques, dtype=object)))
    return np.append(found, -1)[codes].astype(np.intp)


# -- reading ----------------------------------------------------------------------------------
def _raw_catalog(path: Path, depth: int = 0) -> dict[str, Any]:
    """The catalogue mapping of ``path`` with its ``extends:`` chain resolved (not yet validated)."""
    raw = load_yaml(path)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: expected a mapping of keys, got a {type(raw).__name__}; write severities, domains and kinds")
    raw = dict(raw)
    base_ref = raw.pop("extends", None)
    remove = raw.pop("remove_kinds", None)
    if base_ref is None:
        if remove is not None:
            raise ConfigError(f"{path}: remove_kinds needs extends: (packaged or a file); add it or drop remove_kinds")
        return raw
    if depth >= MAX_EXTENDS_DEPTH:
        raise ConfigError(f"{path}: extends: chain is longer than {MAX_EXTENDS_DEPTH} files (a cycle?); shorten it")
    if not isinstance(base_ref, str):
        raise ConfigError(f"{path}.extends: expected 'packaged' or a file name, got {base_ref!r}")
    base_path = (
        default_catalog_path() if base_ref == "packaged"
        else contained_path(path.parent, base_ref, f"{path}: extends")
    )
    base = _raw_catalog(base_path, depth + 1)
    merged: dict[str, Any] = {k: v for k, v in base.items() if k != "kinds"}
    kinds = dict(base.get("kinds") or {})
    if remove is not None:
        if not isinstance(remove, list) or not all(isinstance(k, str) for k in remove):
            raise ConfigError(f"{path}.remove_kinds: expected a list of kind names, got {remove!r}")
        unknown = [k for k in remove if k not in kinds]
        if unknown:
            raise ConfigError(f"{path}.remove_kinds: {unknown} are not kinds of {base_path.name}; use some of {sorted(kinds)}")
        for k in remove:
            kinds.pop(k)
    for key, value in raw.items():
        if key != "kinds":
            merged[key] = value
    own = raw.get("kinds") or {}
    if not isinstance(own, Mapping):
        raise ConfigError(f"{path}.kinds: expected a mapping of kinds, got {own!r}")
    for name, fields in own.items():
        if not isinstance(fields, Mapping):
            raise ConfigError(f"{path}.kinds.{name}: expected a mapping of fields, got {fields!r}")
        kinds[name] = {**kinds[name], **fields} if isinstance(kinds.get(name), Mapping) else dict(fields)
    merged["kinds"] = kinds
    return merged


def catalog_from_mapping(raw: Any, where: str = "catalog") -> Catalog:
    """Build a :class:`Catalog` from a mapping such as :meth:`Catalog.to_mapping` returns."""
    if isinstance(raw, Mapping) and isinstance(raw.get("severities"), list):
        raw = {**raw, "severities": tuple(raw["severities"])}
    return from_mapping(Catalog, raw, where=where)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate a catalogue YAML (default: the packaged ``configs/catalog.yaml``).

    ``extends: packaged`` (or a file name relative to this file, inside its folder) starts from
    that catalogue; ``remove_kinds`` drops kinds; a kind given again overrides only the fields
    it names; ``severities`` or ``domains`` given replace the base's.

    Raises
    ------
    ConfigError
        Unknown or missing keys, inconsistent kinds, or an ``extends:`` outside the folder.
    """
    path = Path(path) if path is not None else default_catalog_path()
    if path.is_dir():
        raise ConfigError(f"catalogue {path} is a folder; name its catalog.yaml file")
    return catalog_from_mapping(_raw_catalog(path), where=str(path))
