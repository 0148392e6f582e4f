"""A feature spec derived from a catalogue: standard aggregates per kind, attributes per column.

:func:`spec_from_catalog` (also :meth:`FeatureSpec.from_catalog`) writes, for every kind, the
features a person would write first, reading what the catalogue says the kind means:

- ``{kind}``: count in each window; ``active`` and ``active_count`` for interval kinds;
  ``max_severity`` for negative kinds or a kind with its own severity scale — direction 1 for
  a negative kind, else 0;
- ``{kind}`` (recency): days since the last record, ``last`` outcome when the kind has
  outcomes — direction 0;
- ``{kind}_adverse``: count of adverse outcomes in each window, and ``{kind}_adverse_share``
  in the longest window — direction 1;
- ``{kind}_{severity}``: count per severity above the lowest of the kind's own
  ``severity_scale`` — as ``{kind}``;
- ``{kind}_amount`` / ``{kind}_value``: ``sum`` of the value for ``amount`` / ``count`` — as
  ``{kind}``; ``{kind}_score`` / ``{kind}_share``: ``mean`` of the value in each window and
  the ``last_value`` (of the most recent record with a value) — direction 0.

A direction is declared only where it is a rule (more records of a negative kind, more
adverse outcomes never lower the risk); everything else is left to the model and checked
with :func:`credit_risk.features.check_directions`.

Enterprise columns beyond the contract become ``attributes:`` (``closed_on`` and the
manifest's ``as_of_unsafe`` columns never do). The hand-written builders run for the views
whose data exists (``commercial`` needs ``annual_reports``, ``relations`` the ``relations``
table) and read only the kinds derived; the context builder's base rates use the negative
kinds.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Mapping
from typing import Any

from credit_risk.data.schema import TABLES
from credit_risk.exceptions import ConfigError
from credit_risk.features.spec import (
    AggregateGroup,
    AttributeSpec,
    BuilderParams,
    ComplianceParams,
    ContextParams,
    FeatureSpec,
    LifecycleParams,
    RecordFilter,
    SocialParams,
    feature_stem,
)

__all__ = ["DEFAULT_WINDOWS", "spec_from_catalog", "spec_to_mapping"]

logger = logging.getLogger(__name__)

#: Windows (days) of the derived counts [I].
DEFAULT_WINDOWS: tuple[int, ...] = (365, 1095)
#: At most this many negative kinds feed the context builder's base rates.
MAX_BASE_RATE_KINDS = 3

_ATTRIBUTE_VIEW = {"date": "lifecycle", "numeric": "context", "categorical": "context", "flag": "context",
                   "group_size": "context"}


def _words(kind: str) -> str:
    return kind.replace("_", " ")


def _kind_groups(name: str, spec, windows: tuple[int, ...], *, valued: bool = True,
                 adverse_seen: bool = True) -> list[AggregateGroup]:
    view = spec.view
    zh = spec.name_zh
    sign = 1 if spec.polarity == "negative" else 0
    en = f"{_words(name)} records"
    aggs: list[str] = ["count"]
    if spec.interval:
        aggs += ["active", "active_count"]
    if spec.polarity == "negative" or spec.severity_scale is not None:
        aggs.append("max_severity")
    recency = ["days_since_last"] + (["last"] if spec.outcomes else [])
    groups = [
        AggregateGroup(name, view, sign, en, zh, RecordFilter(kinds=(name,)), tuple(aggs), windows),  # type: ignore[arg-type]
        # how recent the last record is: an observation, not a rule (no direction)
        AggregateGroup(name, view, 0, en, zh, RecordFilter(kinds=(name,)), tuple(recency)),  # type: ignore[arg-type]
    ]
    if spec.adverse_outcomes and adverse_seen:
        adverse = tuple(spec.adverse_outcomes)
        groups.append(AggregateGroup(
            f"{name}_adverse", view, 1, f"{_words(name)} records with an adverse outcome ({'/'.join(adverse)})",
            f"{zh}(不利结果)", RecordFilter(kinds=(name,), adverse=True), ("count",), windows,
        ))
        groups.append(AggregateGroup(
            name, view, 1, en, zh, RecordFilter(kinds=(name,)), ("adverse_share",), (max(windows),),
        ))
    if spec.severity_scale is not None:
        for sev in spec.severity_scale[1:]:
            groups.append(AggregateGroup(
                f"{name}_{feature_stem(sev)}", view, sign, f"{_words(name)} records of severity {sev}",
                f"{zh}({sev})", RecordFilter(kinds=(name,), severities=(sev,)), ("count",), windows,
            ))
    value = getattr(spec, "value", "amount") if valued else "none"
    if value in ("amount", "count"):
        stem = "amount" if value == "amount" else "value"
        groups.append(AggregateGroup(
            f"{name}_{stem}", view, sign, f"{_words(name)} records ({value})", zh,
            RecordFilter(kinds=(name,)), ("sum",), (max(windows),),
        ))
    elif value in ("score", "share"):
        groups.append(AggregateGroup(
            f"{name}_{value}", view, 0, f"{_words(name)} records ({value})", zh,
            RecordFilter(kinds=(name,)), ("mean", "last_value"), windows,
        ))
    return groups


def _attributes(columns, unsafe: set[str]) -> list[AttributeSpec]:
    contract = set(TABLES["enterprises"].names)
    typed = dict(columns) if isinstance(columns, Mapping) else {c: "categorical" for c in columns}
    out = []
    for column, kind in typed.items():
        if (column in contract and kind != "group_size") or column in unsafe:
            continue
        if kind not in _ATTRIBUTE_VIEW:
            raise ConfigError(
                f"from_catalog: column {column!r} has type {kind!r}; use one of {sorted(_ATTRIBUTE_VIEW)}"
            )
        out.append(AttributeSpec(column=str(column), type=kind, view=_ATTRIBUTE_VIEW[kind]))
    names = [a.feature_name for a in out]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ConfigError(f"from_catalog: enterprise columns give the same feature name {clashes}; rename a column")
    return out


def spec_from_catalog(
    catalog,
    enterprises_columns: Collection[str] | Mapping[str, str] = (),
    manifest=None,
    *,
    tables: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
    windows: tuple[int, ...] = DEFAULT_WINDOWS,
    valued_kinds: Collection[str] | None = None,
    adverse_kinds: Collection[str] | None = None,
) -> FeatureSpec:
    """A feature spec with the standard aggregates of every kind of ``catalog``.

    Parameters
    ----------
    catalog : Catalog
    enterprises_columns : sequence of str or mapping of str to type
        Columns of the ``enterprises`` table; those beyond the contract become attributes
        (a mapping gives each column's type — numeric, categorical, flag, date or group_size; a plain
        sequence makes them categorical).
    manifest : DatasetManifest, optional
        Its ``as_of_unsafe`` columns (and ``closed_on``) never become attributes.
    tables : collection of str, optional
        Tables the data has; the commercial builder needs ``annual_reports`` and the relations
        builder ``relations`` (default: every builder runs).
    kinds : collection of str, optional
        Derive groups for these kinds only (default: every kind of the catalogue).
    windows : tuple of int
        Windows of the derived counts.
    valued_kinds, adverse_kinds : collection of str, optional
        Kinds whose records carry a value / an adverse outcome in the data (default: all);
        the value and adverse-outcome groups of the others would be constant and are left out.

    Returns
    -------
    FeatureSpec

    Examples
    --------
    >>> from credit_risk.data import load_catalog
    >>> spec = spec_from_catalog(load_catalog(), kinds=["inspection"])
    >>> [n for n in spec.aggregate_names() if "adverse" in n]
    ['inspection_adverse_count_365d', 'inspection_adverse_count_1095d', 'inspection_adverse_share_1095d']
    """
    names = list(catalog.kinds) if kinds is None else [k for k in catalog.kinds if k in set(kinds)]
    unknown = sorted(set(kinds or ()) - set(catalog.kinds))
    if unknown:
        raise ConfigError(f"from_catalog: kinds {unknown} are not in the catalogue; use some of {sorted(catalog.kinds)}")
    windows = tuple(sorted(set(int(w) for w in windows)))
    if not windows or windows[0] <= 0:
        raise ConfigError(f"from_catalog: windows must be positive day counts; got {list(windows)}")
    groups = [
        g for k in names for g in _kind_groups(
            k, catalog.kinds[k], windows,
            valued=valued_kinds is None or k in set(valued_kinds),
            adverse_seen=adverse_kinds is None or k in set(adverse_kinds),
        )
    ]
    unsafe = {"closed_on", *tuple(getattr(manifest, "as_of_unsafe", ()) or ())}
    attributes = _attributes(enterprises_columns, unsafe)
    enabled = ["compliance", "social", "lifecycle", "context"]
    if tables is None or "annual_reports" in tables:
        enabled.append("commercial")
    if tables is None or "relations" in tables:
        enabled.append("relations")
    negative = [k for k in names if catalog.kinds[k].polarity == "negative"][:MAX_BASE_RATE_KINDS]
    present = set(names)

    def kind(default):
        return default if default in present else None

    c, so, lc = ComplianceParams(), SocialParams(), LifecycleParams()
    builders = BuilderParams(
        compliance=ComplianceParams(inspection_kind=kind(c.inspection_kind), sampling_kind=kind(c.sampling_kind),
                                    listing_kind=kind(c.listing_kind)),
        social=SocialParams(arrears_kind=kind(so.arrears_kind), complaint_kind=kind(so.complaint_kind)),
        lifecycle=LifecycleParams(change_kinds=tuple(k for k in lc.change_kinds if k in present)),
        context=ContextParams(kinds=tuple(negative)),
        enabled=tuple(v for v in ("commercial", "compliance", "social", "lifecycle", "relations", "context") if v in enabled),
    )
    spec = FeatureSpec(aggregates=tuple(groups), builders=builders, attributes=tuple(attributes))
    logger.info("derived a feature spec: %d groups over %d kinds, %d attributes", len(groups), len(names), len(attributes))
    return spec


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _drop_none(mapping: dict) -> dict:
    return {k: v for k, v in mapping.items() if v is not None}


def spec_to_mapping(spec: FeatureSpec) -> dict[str, Any]:
    """A plain mapping of ``spec`` that :func:`load_feature_spec` reads back equal."""
    out = _plain(spec)
    out["aggregates"] = [
        {**_drop_none({k: v for k, v in g.items() if k != "filter"}),
         "filter": {k: v for k, v in g["filter"].items() if v is not None and v is not False}}
        for g in out["aggregates"]
    ]
    out["attributes"] = [{k: v for k, v in a.items() if v not in (None, "")} for a in out["attributes"]]
    if not out["attributes"]:
        del out["attributes"]
    if not out["directions"]:
        del out["directions"]
    return out
