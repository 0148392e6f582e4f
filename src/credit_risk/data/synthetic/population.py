"""The register: who the subjects are (type, industry, region, capital, dates, codes, names).

Everything is drawn vectorised over subjects. Subjects are ordered by credit code, so that
the subject index is also the sort key of every output table. Dates are integer days since
1970-01-01; :data:`NEVER` stands for "no date" (still open, never closed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from credit_risk.data.synthetic.codes import unique_codes
from credit_risk.data.synthetic.config import SyntheticConfig
from credit_risk.data.synthetic.regions import CITIES, COUNTIES, counties_of

__all__ = ["NEVER", "Population", "day_number", "draw_population"]

#: Sentinel day number for "no date".
NEVER = np.int64(10_000_000)
_EPOCH = dt.date(1970, 1, 1)
#: The 2015 registration reform: codes with an ``MA`` body from then on.
_REFORM = (dt.date(2015, 10, 1) - _EPOCH).days

_SYLLABLES = np.array(list("恒瑞华康泰信达丰盛鑫隆安宏远海天祥和永昌新源金宝利嘉明德顺通博创星辰浩佳正美凯"))
_INDUSTRY_WORDS = {
    "A": "农业", "C13": "食品", "C14": "食品", "C15": "酒业", "C17": "纺织", "C18": "服饰",
    "C22": "纸业", "C25": "石化", "C26": "化工", "C29": "塑胶", "C30": "建材", "C31": "钢铁",
    "C32": "金属", "C33": "五金", "C34": "机械", "C38": "电气", "C39": "电子", "D44": "能源",
    "E": "建设", "F51": "贸易", "F52": "商行", "G54": "运输", "H61": "酒店", "H62": "餐饮",
    "I": "网络科技", "K70": "置业", "L72": "商务咨询", "M": "科技", "O": "服务", "P": "教育",
    "Q": "医疗", "R": "文化", "S": "",
}
_SUFFIX = {
    "enterprise": "有限公司", "individual_business": "店", "farmer_cooperative": "专业合作社",
    "social_organisation": "协会", "public_institution": "中心", "government_body": "管理局",
}


def day_number(date: dt.date | str) -> int:
    """Days since 1970-01-01 of a date or ISO string."""
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    return (date - _EPOCH).days


@dataclass(frozen=True, eq=False)
class Population:
    """Static attributes of every subject, as parallel arrays ordered by credit code."""

    code: np.ndarray  # str, 18 characters
    name: np.ndarray  # str
    entity_types: tuple[str, ...]
    entity_type: np.ndarray  # int8 index into entity_types
    industries: tuple[str, ...]
    industry: np.ndarray  # int16 index into industries
    regions: tuple[str, ...]
    region: np.ndarray  # int16 index into regions
    capital: np.ndarray  # float64, 10,000 CNY, NaN when none
    established: np.ndarray  # int64 day number
    closed: np.ndarray  # int64 day number or NEVER
    static_risk: np.ndarray  # float64, logit scale, without the intercept
    is_food: np.ndarray  # bool
    is_polluting: np.ndarray
    is_consumer: np.ndarray
    is_manufacturer: np.ndarray
    files_annual_report: np.ndarray
    tax_rated: np.ndarray

    @property
    def n(self) -> int:
        return len(self.code)

    def take(self, order: np.ndarray) -> Population:
        """The population with every per-subject array reordered by ``order``."""
        fields = {k: v for k, v in self.__dict__.items()}
        for key, value in fields.items():
            if isinstance(value, np.ndarray):
                fields[key] = value[order]
        return Population(**fields)


def _choice(rng: np.random.Generator, shares: dict[str, float], size: int) -> tuple[tuple[str, ...], np.ndarray]:
    keys = tuple(sorted(shares))
    p = np.array([shares[k] for k in keys], dtype=float)
    idx = np.searchsorted(np.cumsum(p / p.sum()), rng.random(size), side="right")
    return keys, np.minimum(idx, len(keys) - 1)


def _effects(rng: np.random.Generator, keys: tuple[str, ...], sd: float, fixed: dict[str, float]) -> np.ndarray:
    """One random effect per key (drawn in sorted key order) plus any configured fixed effect."""
    return rng.normal(0.0, sd, size=len(keys)) + np.array([fixed.get(k, 0.0) for k in keys])


def draw_population(n: int, config: SyntheticConfig, rng: np.random.Generator) -> Population:
    """Draw ``n`` subjects.

    Parameters
    ----------
    n : int
        Number of subjects.
    config : SyntheticConfig
        Shares, capital, closure and static risk parameters.
    rng : numpy.random.Generator
        The only source of randomness.
    """
    types = tuple(sorted(config.entity_types))
    _, etype = _choice(rng, {k: config.entity_types[k].share for k in types}, n)

    # Industries: drawn per entity type from its own shares, indexed in one sorted vocabulary.
    industries = tuple(sorted({i for s in config.entity_types.values() for i in s.industries}))
    ind_pos = {k: i for i, k in enumerate(industries)}
    industry = np.zeros(n, dtype=np.int16)
    for t, name in enumerate(types):
        rows = np.flatnonzero(etype == t)
        keys, idx = _choice(rng, config.entity_types[name].industries, len(rows))
        industry[rows] = np.array([ind_pos[k] for k in keys], dtype=np.int16)[idx]

    # Regions: a city by its share, then a county uniformly within it.
    regions = tuple(sorted(COUNTIES))
    reg_pos = {k: i for i, k in enumerate(regions)}
    cities, city = _choice(rng, config.city_shares, n)
    region = np.zeros(n, dtype=np.int16)
    u = rng.random(n)
    for c, prefix in enumerate(cities):
        rows = np.flatnonzero(city == c)
        counties = np.array([reg_pos[k] for k in counties_of(prefix)], dtype=np.int16)
        region[rows] = counties[np.minimum((u[rows] * len(counties)).astype(int), len(counties) - 1)]

    # Capital: log-normal per entity type; a median of 0 means "no registered capital".
    medians = np.array([config.entity_types[k].capital_median for k in types])
    sigmas = np.array([config.entity_types[k].capital_sigma for k in types])
    z = rng.standard_normal(n)
    with np.errstate(divide="ignore"):
        capital = np.where(medians[etype] > 0, np.round(medians[etype] * np.exp(sigmas[etype] * z), 2), np.nan)
    capital = np.where(medians[etype] > 0, np.maximum(capital, 0.01), np.nan)

    # Static risk (logit scale, without intercept): type, industry, county, capital, individual.
    rk = config.risk
    ind_eff = _effects(rng, industries, rk.industry_sd, rk.industry_effects)
    reg_eff = _effects(rng, regions, rk.region_sd, {})
    type_eff = np.array([config.entity_types[k].risk_effect for k in types])
    log_cap = np.log(np.where(np.isnan(capital), 1.0, capital))
    static = (
        type_eff[etype]
        + ind_eff[industry]
        + reg_eff[region]
        + rk.capital_coef * (log_cap - np.median(log_cap))
        + rng.normal(0.0, rk.individual_sd, size=n)
    )

    # Establishment: ages over max_age_years before history_end, recent years more common.
    end = day_number(config.history_end)
    start = day_number(config.history_start)
    g = config.establishment_growth
    span = float(config.max_age_years)
    v = rng.random(n)
    # Inverse CDF of a density ∝ exp(-g · age) on [0, span].
    age_years = -np.log1p(-v * (1 - np.exp(-g * span))) / g if g > 0 else v * span
    established = end - np.floor(age_years * 365.25).astype(np.int64)

    # Closures: constant hazard from history start (memoryless: the register is the set of
    # subjects alive at some point of the history), scaled by static risk.
    rates = np.array([config.entity_types[k].closure_rate for k in types])[etype]
    hazard = rates * np.exp(rk.closure_risk_coef * (static - static.mean()))
    life_days = rng.exponential(1.0, size=n) / np.maximum(hazard, 1e-9) * 365.25
    closed_at = np.maximum(established, start) + np.ceil(life_days).astype(np.int64)
    closed = np.where(closed_at <= end, closed_at, NEVER)

    # Credit codes: authority + type prefix, the county, a unique body, the check character.
    prefix_choices = [np.array(config.entity_types[k].prefixes) for k in types]
    w = rng.random(n)
    prefix = np.empty(n, dtype="U2")
    for t in range(len(types)):
        rows = np.flatnonzero(etype == t)
        opts = prefix_choices[t]
        prefix[rows] = opts[np.minimum((w[rows] * len(opts)).astype(int), len(opts) - 1)]
    region_arr = np.array(regions)
    code = unique_codes(np.char.add(prefix, region_arr[region]), established >= _REFORM, rng)

    name = _names(rng, types, etype, industries, industry, region_arr[region])

    ind_arr = np.array(industries)
    is_food = np.isin(ind_arr, config.food_industries)[industry]
    is_pol = np.isin(ind_arr, config.polluting_industries)[industry]
    is_cons = np.isin(ind_arr, config.consumer_industries)[industry]
    is_manu = np.char.startswith(ind_arr, config.manufacturing_prefix)[industry]
    files_ar = np.array([config.entity_types[k].files_annual_report for k in types])[etype]
    tax = np.array([config.entity_types[k].tax_rated for k in types])[etype]

    pop = Population(
        code=code, name=name, entity_types=types, entity_type=etype.astype(np.int8),
        industries=industries, industry=industry, regions=regions, region=region,
        capital=capital, established=established, closed=closed, static_risk=static,
        is_food=is_food, is_polluting=is_pol, is_consumer=is_cons, is_manufacturer=is_manu,
        files_annual_report=files_ar, tax_rated=tax,
    )
    return pop.take(np.argsort(code, kind="stable"))


def _names(
    rng: np.random.Generator, types: tuple[str, ...], etype: np.ndarray, industries: tuple[str, ...],
    industry: np.ndarray, region: np.ndarray,
) -> np.ndarray:
    n = len(etype)
    syl = rng.integers(0, len(_SYLLABLES), size=(n, 2))
    trade = np.char.add(_SYLLABLES[syl[:, 0]], _SYLLABLES[syl[:, 1]])
    words = np.array([_INDUSTRY_WORDS.get(k, _INDUSTRY_WORDS.get(k[0], "")) for k in industries])
    suffix = np.array([_SUFFIX.get(k, "") for k in types])
    city_names = np.array([CITIES[r[:4]] for r in sorted(set(region.tolist()))])
    place_key = np.array(sorted(set(region.tolist())))
    place = city_names[np.searchsorted(place_key, region)] if n else np.array([], dtype="U2")
    county_names = np.array([COUNTIES[r] for r in place_key])
    county = county_names[np.searchsorted(place_key, region)] if n else np.array([], dtype="U2")
    local = np.isin(etype, [types.index(t) for t in ("individual_business", "farmer_cooperative", "public_institution", "government_body") if t in types])
    head = np.where(local, county, place)
    return np.char.add(np.char.add(np.char.add(head, trade), words[industry]), suffix[etype])
