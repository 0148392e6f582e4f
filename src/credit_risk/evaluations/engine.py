"""Evaluating an approved rule set: indicator values point in time, then points, levels, vetoes.

:func:`indicator_values` reads every indicator of a rule set from a dataset as of a date (the
same point-in-time rule as the features: a record counts iff published strictly before
``as_of``, started before it, and not ended, expired or repaired by then); :func:`score_rules`
turns any table of indicator values into points per indicator and group, the total, the
level by points and the final level after vetoes, with the rule engine of
:mod:`credit_risk.models._rules` (the one the expert scorecard and the tier overrides use).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from credit_risk.data.publication import counts_at
from credit_risk.evaluations.ruleset import CountSpec, RuleSet
from credit_risk.exceptions import ConfigError, DataContractError
from credit_risk.models._rules import band_index, bin_points, cap_by_vetoes

__all__ = ["evaluate_rule_set", "indicator_values", "population_of", "score_rules"]

logger = logging.getLogger(__name__)


class _Records:
    """The records of a dataset as of one date, with the subjects' positions (computed once)."""

    def __init__(self, dataset, as_of: pd.Timestamp, codes: pd.Index):
        rec = dataset.records
        self.t = as_of
        self.n = len(codes)
        self.row = codes.get_indexer(rec["credit_code"].astype(str))
        self.live = counts_at(rec, dataset.catalog, as_of) & (self.row >= 0)
        self.start = pd.to_datetime(rec["start"]).to_numpy(dtype="datetime64[ns]")
        self.columns = {c: rec[c].astype(object).to_numpy() for c in ("kind", "outcome", "severity", "domain")}
        self.catalog = dataset.catalog

    def count(self, spec: CountSpec, where: str) -> np.ndarray:
        unknown = [k for k in spec.kinds if k not in self.catalog.kinds]
        if unknown:
            raise ConfigError(f"{where}: kinds {unknown} are not in the catalogue; use some of {sorted(self.catalog.kinds)}")
        mask = self.live & np.isin(self.columns["kind"], list(spec.kinds))
        for attr, col in (("outcomes", "outcome"), ("severities", "severity"), ("domains", "domain")):
            wanted = getattr(spec, attr)
            if wanted:
                mask &= np.isin(self.columns[col], list(wanted))
        if spec.window_days is not None:
            since = np.datetime64(self.t - pd.Timedelta(days=spec.window_days), "ns")
            mask &= self.start >= since
        return np.bincount(self.row[mask], minlength=self.n).astype(float)


def population_of(dataset, rule_set: RuleSet, as_of) -> pd.Index:
    """Credit codes evaluated by ``rule_set`` as of ``as_of``: operating, of its entity types,
    with a record counting under its population condition (e.g. an environmental permit)."""
    t = pd.Timestamp(as_of).normalize()
    ent = dataset.enterprises
    established = pd.to_datetime(ent["established_on"])
    closed = pd.to_datetime(ent["closed_on"])
    keep = (~(established >= t) & ~(closed < t)).to_numpy()
    pop = rule_set.population
    if pop.entity_types:
        keep = keep & ent["entity_type"].astype(object).isin(list(pop.entity_types)).to_numpy()
    codes = pd.Index(ent["credit_code"].astype(str))
    if pop.count is not None:
        counted = _Records(dataset, t, codes).count(pop.count, f"rule set {rule_set.name!r}: population")
        keep = keep & (counted > 0)
    return pd.Index(codes[keep], name="credit_code")


def indicator_values(dataset, rule_set: RuleSet, as_of, codes=None) -> pd.DataFrame:
    """The raw value of every indicator of ``rule_set`` for ``codes`` (default: its population).

    Returns
    -------
    DataFrame
        Indexed by ``credit_code``, one float column per indicator (counts, or the attribute;
        a missing attribute is NaN and earns the indicator's ``missing`` points).
    """
    t = pd.Timestamp(as_of).normalize()
    codes = population_of(dataset, rule_set, t) if codes is None else pd.Index(pd.Series(codes).astype(str),
                                                                                name="credit_code")
    ent = dataset.enterprises.assign(credit_code=dataset.enterprises["credit_code"].astype(str)).set_index("credit_code")
    missing = codes.difference(ent.index)
    if len(missing):
        raise DataContractError(f"{len(missing):,} subject(s) to evaluate are not in enterprises, e.g. {missing[0]!r}")
    recs = _Records(dataset, t, codes)
    out = {}
    for ind in rule_set.indicators:
        where = f"rule set {rule_set.name!r}: indicator {ind.name!r}"
        if ind.count is not None:
            out[ind.name] = recs.count(ind.count, where)
        elif ind.attribute == "age_years":
            est = pd.to_datetime(ent["established_on"]).reindex(codes)
            age = (t - est).dt.days.to_numpy(dtype=float) / 365.25
            out[ind.name] = np.where(age > 0, age, np.nan)
        else:
            out[ind.name] = pd.to_numeric(ent[ind.attribute].reindex(codes), errors="coerce").to_numpy(dtype=float)
    return pd.DataFrame(out, index=codes)


def score_rules(values: pd.DataFrame, rule_set: RuleSet) -> pd.DataFrame:
    """Points per indicator and group, total, level by points, final level and the veto applied.

    Parameters
    ----------
    values : DataFrame
        One column per indicator of the rule set (any index; kept).
    rule_set : RuleSet

    Returns
    -------
    DataFrame
        ``points_<indicator>`` …, ``group_<group>`` …, ``points``, ``level_by_points``, ``level``,
        ``veto`` (the veto that set the level, "" where none), indexed like ``values``.
    """
    absent = [i.name for i in rule_set.indicators if i.name not in values.columns]
    if absent:
        raise DataContractError(f"rule set {rule_set.name!r}: indicator values lack columns {absent}")
    out = {}
    groups = dict.fromkeys(rule_set.groups, 0.0)
    group_points = {g: np.zeros(len(values)) for g in groups}
    for ind in rule_set.indicators:
        pts = bin_points(values[ind.name].to_numpy(), [b.upper for b in ind.bins[:-1]],
                         [b.points for b in ind.bins], ind.missing)
        out[f"points_{ind.name}"] = pts
        group_points[ind.group] = group_points[ind.group] + pts
    for g, pts in group_points.items():
        out[f"group_{g}"] = np.minimum(pts, rule_set.groups[g])
    total = np.clip(np.sum([out[f"group_{g}"] for g in groups], axis=0), 0.0, rule_set.max_points)
    grades = np.asarray(rule_set.grades, dtype=object)
    idx = band_index(total, [lv.min_points for lv in rule_set.levels])
    rank = {g: i for i, g in enumerate(rule_set.grades)}
    final, veto = cap_by_vetoes(values, idx, [(v.name, v.indicator, v.op, v.value, rank[v.grade])
                                              for v in rule_set.vetoes])
    out["points"] = total
    out["level_by_points"] = grades[idx]
    out["level"] = grades[final]
    out["veto"] = veto
    return pd.DataFrame(out, index=values.index)


def evaluate_rule_set(dataset, rule_set: RuleSet, as_of, codes=None) -> pd.DataFrame:
    """Indicator values and their scoring for the rule set's population as of ``as_of``."""
    values = indicator_values(dataset, rule_set, as_of, codes)
    scored = score_rules(values, rule_set)
    logger.info("rule set %s as of %s: %s subject(s)", rule_set.name, pd.Timestamp(as_of).date(), f"{len(values):,}")
    return pd.concat([values, scored], axis=1)
