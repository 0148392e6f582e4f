"""The latent risk: a per-subject, per-month probability of violating, and the violations.

For subject *i* in month *t* the risk on the logit scale is::

    intercept + static_i + young(age) + distress(months to closure)
              + drift_it + shocks_it + industry_t + region_t + contagion_it

``static`` holds the entity-type, industry, county, capital and individual effects
(:mod:`credit_risk.data.synthetic.population`); the drift is an AR(1) process, shocks jump
and decay, industries and counties share AR(1) cycles, and contagion adds a share of the
related parties' dynamic risk of the previous month. The intercept is calibrated so that
the mean latent risk of active subjects is ``risk.mean_latent_risk``.

``latent_risk`` is the probability that an inspection that month finds a problem. Whether
the subject *is* violating is drawn with a Gaussian copula whose noise is AR(1) over
months, so violations persist while ``P(violating) = latent_risk`` holds every month.
Food businesses and polluters carry domain-specific states the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, ndtri

from credit_risk.data.synthetic.config import SyntheticConfig
from credit_risk.data.synthetic.population import NEVER, Population
from credit_risk.data.synthetic.relations import Links

__all__ = ["Truth", "month_grid", "simulate_risk"]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def month_grid(config: SyntheticConfig) -> tuple[np.ndarray, np.ndarray]:
    """First and last day number of every month of the history."""
    first = np.arange(
        np.datetime64(config.history_start, "M"), np.datetime64(config.history_end, "M") + 1
    )
    starts = first.astype("datetime64[D]").astype(np.int64)
    ends = (first + 1).astype("datetime64[D]").astype(np.int64) - 1
    return starts, ends


@dataclass(frozen=True, eq=False)
class Truth:
    """The ground truth, month-major arrays of shape (months, subjects)."""

    month_start: np.ndarray  # (M,) day numbers
    month_end: np.ndarray
    intercept: float
    active: np.ndarray  # bool
    latent: np.ndarray  # float32, NaN when inactive
    violating: np.ndarray  # bool
    food: np.ndarray  # (F,) indices of food businesses
    latent_food: np.ndarray  # (M, F) float32, NaN when inactive
    violating_food: np.ndarray  # (M, F) bool
    environment: np.ndarray  # (E,) indices of polluters
    latent_environment: np.ndarray  # (M, E) float32
    violating_environment: np.ndarray  # (M, E) bool
    unreachable: np.ndarray  # bool: the subject cannot be found at its address

    @property
    def n_months(self) -> int:
        return len(self.month_start)

    @property
    def n_subjects(self) -> int:
        return self.active.shape[1]

    def expand(self, values: np.ndarray, domain: str, fill=False) -> np.ndarray:
        """A domain array over its subjects (last axis) → the same over all subjects, ``fill`` elsewhere."""
        rows = self.food if domain == "food" else self.environment
        out = np.full((*values.shape[:-1], self.n_subjects), fill, dtype=values.dtype)
        out[..., rows] = values
        return out


def _life_cycle(pop: Population, config: SyntheticConfig, mid_day: np.ndarray | int) -> np.ndarray:
    rk = config.risk
    age = np.maximum(mid_day - pop.established, 0) / 365.25
    young = rk.young_boost * np.exp(-age / rk.young_decay_years)
    to_close = (pop.closed - mid_day) / 30.44
    ramp = np.clip(1.0 - to_close / max(rk.distress_months, 1), 0.0, 1.0)
    distress = np.where(pop.closed < NEVER, rk.distress * ramp, 0.0)
    return young + distress


def _calibrate_intercept(pop: Population, config: SyntheticConfig, rng: np.random.Generator) -> float:
    """Intercept giving mean latent risk ``risk.mean_latent_risk`` over subjects active mid-history."""
    rk = config.risk
    starts, ends = month_grid(config)
    mid = int((starts[0] + ends[-1]) // 2)
    step = max(1, pop.n // 200_000)
    idx = np.arange(0, pop.n, step)
    active = (pop.established[idx] <= mid) & (pop.closed[idx] > mid)
    idx = idx[active] if active.any() else idx
    base = pop.static_risk[idx] + _life_cycle(pop, config, mid)[idx]
    sd = np.sqrt(rk.ar_sd**2 + rk.industry_time_sd**2 + rk.region_time_sd**2)
    noisy = base + sd * rng.standard_normal(len(idx))
    lo, hi = -20.0, 20.0
    for _ in range(60):
        b = 0.5 * (lo + hi)
        if expit(b + noisy).mean() > rk.mean_latent_risk:
            hi = b
        else:
            lo = b
    return 0.5 * (lo + hi)


def simulate_risk(
    pop: Population,
    links: Links,
    config: SyntheticConfig,
    rng: np.random.Generator,
    *,
    progress: Progress | None = None,
) -> Truth:
    """Simulate the latent risk and the true violation states month by month."""
    rk = config.risk
    starts, ends = month_grid(config)
    n, m = pop.n, len(starts)
    intercept = _calibrate_intercept(pop, config, rng)
    logger.debug("calibrated latent-risk intercept %.3f", intercept)

    active = np.zeros((m, n), dtype=bool)
    latent = np.full((m, n), np.nan, dtype=np.float32)
    violating = np.zeros((m, n), dtype=bool)
    food = np.flatnonzero(pop.is_food)
    env = np.flatnonzero(pop.is_polluting)
    lat_food = np.full((m, len(food)), np.nan, dtype=np.float32)
    vio_food = np.zeros((m, len(food)), dtype=bool)
    lat_env = np.full((m, len(env)), np.nan, dtype=np.float32)
    vio_env = np.zeros((m, len(env)), dtype=bool)
    unreach = np.zeros((m, n), dtype=bool)
    market = pop.files_annual_report
    n_ind, n_reg = len(pop.industries), len(pop.regions)
    src, dst = links.undirected()
    link_start = np.concatenate([links.start, links.start])
    link_end = np.concatenate([links.end, links.end])

    drift = rng.normal(0.0, rk.ar_sd, size=n)
    shock = np.zeros(n)
    ind_cycle = rng.normal(0.0, rk.industry_time_sd, size=n_ind)
    reg_cycle = rng.normal(0.0, rk.region_time_sd, size=n_reg)
    g = rng.standard_normal(n)
    g_food = rng.standard_normal(len(food))
    g_env = rng.standard_normal(len(env))
    state_unreach = np.zeros(n, dtype=bool)
    dyn_prev = drift + shock

    rho, inno = rk.ar_rho, np.sqrt(1 - rk.ar_rho**2)
    trho, tinno = rk.time_rho, np.sqrt(1 - rk.time_rho**2)
    vrho, vinno = rk.violation_persistence, np.sqrt(1 - rk.violation_persistence**2)
    shock_p = 1 - np.exp(-rk.shock_rate / 12)
    ref = np.log(rk.mean_latent_risk / (1 - rk.mean_latent_risk))
    ls = config.listings
    onset_base = ls.unreachable_rate / 12

    for t in range(m):
        a, b = starts[t], ends[t]
        act = (pop.established <= b) & (pop.closed >= a)
        active[t] = act
        mid = (a + b) // 2

        drift = rho * drift + rk.ar_sd * inno * rng.standard_normal(n)
        jumps = rng.random(n) < shock_p
        shock = rk.shock_decay * shock + np.where(jumps, rng.exponential(rk.shock_mean, size=n), 0.0)
        ind_cycle = trho * ind_cycle + rk.industry_time_sd * tinno * rng.standard_normal(n_ind)
        reg_cycle = trho * reg_cycle + rk.region_time_sd * tinno * rng.standard_normal(n_reg)

        contagion = np.zeros(n)
        if len(src) and rk.contagion:
            live = (link_start <= b) & (link_end >= a)
            s, d = src[live], dst[live]
            total = np.bincount(d, weights=dyn_prev[s], minlength=n)
            count = np.bincount(d, minlength=n)
            contagion = rk.contagion * total / np.maximum(count, 1)

        logit = (
            intercept + pop.static_risk + _life_cycle(pop, config, mid) + drift + shock
            + ind_cycle[pop.industry] + reg_cycle[pop.region] + contagion
        )
        dyn_prev = drift + shock
        p = expit(logit)
        g = vrho * g + vinno * rng.standard_normal(n)
        latent[t] = np.where(act, p, np.nan)
        violating[t] = act & (g < ndtri(p))

        if len(food):
            pf = expit(logit[food] + rk.food_offset)
            g_food = vrho * g_food + vinno * rng.standard_normal(len(food))
            lat_food[t] = np.where(act[food], pf, np.nan)
            vio_food[t] = act[food] & (g_food < ndtri(pf))
        if len(env):
            pe = expit(logit[env] + rk.environment_offset)
            g_env = vrho * g_env + vinno * rng.standard_normal(len(env))
            lat_env[t] = np.where(act[env], pe, np.nan)
            vio_env[t] = act[env] & (g_env < ndtri(pe))

        onset = onset_base * np.exp(ls.unreachable_risk_coef * (logit - ref))
        u = rng.random(n)
        state_unreach = np.where(state_unreach, u >= ls.unreachable_recovery, u < onset) & market
        unreach[t] = state_unreach & act
        if progress is not None:
            progress(t + 1, 2 * m)

    return Truth(
        month_start=starts, month_end=ends, intercept=float(intercept), active=active,
        latent=latent, violating=violating, food=food, latent_food=lat_food, violating_food=vio_food,
        environment=env, latent_environment=lat_env, violating_environment=vio_env, unreachable=unreach,
    )
