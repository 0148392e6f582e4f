"""Evaluation by simulation: violations found per visit, and unbiased rates from outcomes.

Two questions, on the synthetic province (where the truth is known) or on any history:

* **Yield** — how many violations does the plan find per visit, against a uniform random
  draw of the same size? Analytically, the plan finds ``Σ π_i v_i`` violations in ``Σ π_i``
  expected visits, the uniform draw ``n · mean(v)``; :func:`compare_yield` also re-draws
  both designs ``n_simulations`` times.
* **Unbiased rate** — because every inclusion probability ``π_i`` is recorded (and ``> 0``
  for every eligible subject), the Horvitz–Thompson estimator ``Σ_drawn y_i / π_i`` of the
  number of violating subjects is unbiased despite the risk-based targeting (selective
  labels, DOMAIN.md §7). Its variance is estimated stratum by stratum as for simple random
  sampling (the design of :func:`~credit_risk.scheduler.draw_subjects`), by default without
  the finite-population correction because the state found at a visit is itself random
  (see ``finite_population``); strata with a single draw use ``y² / π²``.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from credit_risk.exceptions import DataContractError
from credit_risk.scheduler.sampling import draw_subjects

if TYPE_CHECKING:
    from credit_risk.scheduler.planner import InspectionPlan

__all__ = [
    "HTEstimate",
    "YieldComparison",
    "compare_yield",
    "horvitz_thompson",
    "period_truth",
    "simulate_outcomes",
]


def _frame_of(plan: InspectionPlan | pd.DataFrame) -> pd.DataFrame:
    frame = plan if isinstance(plan, pd.DataFrame) else plan.frame
    need = ("credit_code", "stratum", "inclusion_probability")
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataContractError(
            f"plan frame lacks column(s) {missing}; pass an InspectionPlan or its frame.parquet"
        )
    if not isinstance(frame["stratum"].dtype, pd.CategoricalDtype):
        frame = frame.assign(stratum=pd.Categorical(frame["stratum"].astype(str)))
    return frame


def _aligned(frame: pd.DataFrame, table: pd.DataFrame, column: str, name: str) -> np.ndarray:
    if "credit_code" not in table.columns or column not in table.columns:
        raise DataContractError(
            f"{name} table needs columns ['credit_code', {column!r}]; got {list(table.columns)}"
        )
    pos = pd.Index(table["credit_code"].astype(str)).get_indexer(frame["credit_code"].astype(str))
    if (pos < 0).any():
        raise DataContractError(
            f"{name} table has no row for {int((pos < 0).sum()):,} subject(s) of the plan, e.g. "
            f"{frame['credit_code'].iloc[int(np.argmax(pos < 0))]!r}; give one row per subject"
        )
    return table[column].to_numpy()[pos].astype(float)


def period_truth(latent: pd.DataFrame, period_start: object, period_end: object) -> pd.DataFrame:
    """Collapse a monthly truth table to the period.

    ``latent`` has ``credit_code, month, latent_risk, violating`` (as the synthetic
    generator's ``truth/latent.parquet``). Returns one row per subject active in
    ``[period_start, period_end)``:

    ``violating_share``
        share of its months in violation: the chance that a visit on a random day of the
        period finds it violating (the truth to compare plans on);
    ``violating``
        in violation in at least one month;
    ``latent_risk``
        mean over the months (the chance a visit finds a problem).
    """
    start, end = pd.Timestamp(period_start), pd.Timestamp(period_end)
    month = pd.to_datetime(latent["month"])
    part = latent.loc[(month >= start) & (month < end)]
    if part.empty:
        raise DataContractError(
            f"truth table has no month in [{start.date()}, {end.date()}); pick a period it covers"
        )
    g = part.assign(violating=part["violating"].astype(float)).groupby("credit_code", sort=True)
    out = pd.DataFrame({"violating_share": g["violating"].mean()})
    out["violating"] = out["violating_share"] > 0
    if "latent_risk" in part.columns:
        out["latent_risk"] = g["latent_risk"].mean().astype(float)
    return out.reset_index()


@dataclass(frozen=True)
class YieldComparison:
    """Violations found per visit: the plan against a uniform draw of the same size."""

    expected_visits: float
    plan_per_visit: float
    uniform_per_visit: float
    ratio: float
    simulated_plan_per_visit: float | None = None
    simulated_uniform_per_visit: float | None = None
    simulated_ratio: float | None = None
    n_simulations: int = 0


def compare_yield(
    plan: InspectionPlan | pd.DataFrame,
    truth: pd.DataFrame,
    *,
    column: str = "violating",
    n_simulations: int = 0,
    seed: int = 0,
) -> YieldComparison:
    """Expected (and optionally simulated) violations per visit, plan vs uniform draw.

    Parameters
    ----------
    plan : InspectionPlan or its frame
    truth : DataFrame
        ``credit_code`` and ``column`` (true state in the period, 0/1) for every subject.
    n_simulations : int
        Re-draws of both designs; each uniform draw has the plan draw's realised size.
    seed : int
        Seed of the simulations.
    """
    frame = _frame_of(plan)
    v = _aligned(frame, truth, column, "truth")
    p = frame["inclusion_probability"].to_numpy(dtype=float)
    n = p.sum()
    plan_pv = float((p * v).sum() / n) if n > 0 else float("nan")
    uni_pv = float(v.mean()) if len(v) else float("nan")
    result = {
        "expected_visits": float(n),
        "plan_per_visit": plan_pv,
        "uniform_per_visit": uni_pv,
        "ratio": plan_pv / uni_pv if uni_pv > 0 else float("inf"),
    }
    if n_simulations > 0:
        found_plan = found_uni = visits = 0.0
        for ss in np.random.SeedSequence(seed).spawn(n_simulations):
            rng = np.random.Generator(np.random.PCG64(ss))
            mask = draw_subjects(frame, rng)
            k = int(mask.sum())
            found_plan += v[mask].sum()
            found_uni += v[rng.choice(len(v), size=k, replace=False)].sum()
            visits += k
        sp, su = found_plan / visits, found_uni / visits
        result.update(
            simulated_plan_per_visit=float(sp),
            simulated_uniform_per_visit=float(su),
            simulated_ratio=float(sp / su) if su > 0 else float("inf"),
            n_simulations=n_simulations,
        )
    return YieldComparison(**result)


def simulate_outcomes(
    plan: InspectionPlan,
    truth: pd.DataFrame,
    *,
    column: str = "violating",
    detection: float = 1.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Simulated outcomes of the plan's visits.

    ``truth[column]`` is read as the probability that a visit finds a violation (a boolean
    state is probability 0 or 1; ``violating_share`` or ``latent_risk`` of
    :func:`period_truth` are probabilities); inspectors find it with probability
    ``detection``. Returns ``credit_code, problem`` (bool) for every visited subject.
    """
    if not 0.0 <= detection <= 1.0:
        raise DataContractError(f"detection must be in [0, 1]; got {detection}")
    frame = plan.frame
    drawn = frame.loc[frame["drawn"].to_numpy(), ["credit_code"]].reset_index(drop=True)
    prob = _aligned(drawn, truth, column, "truth") * detection
    rng = np.random.Generator(np.random.PCG64(seed))
    return drawn.assign(problem=rng.random(len(prob)) < prob)


@dataclass(frozen=True)
class HTEstimate:
    """Horvitz–Thompson estimate of the violation rate among eligible subjects (π > 0)."""

    rate: float
    total: float
    std_error: float
    ci_low: float
    ci_high: float
    confidence: float
    n_outcomes: int
    population: int
    excluded: int

    def covers(self, value: float) -> bool:
        """Whether ``value`` lies in the confidence interval."""
        return self.ci_low <= value <= self.ci_high


def horvitz_thompson(
    plan: InspectionPlan | pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    column: str = "problem",
    confidence: float = 0.95,
    variance_strata: Literal["design", "collapsed"] = "design",
    finite_population: bool = False,
) -> HTEstimate:
    """Unbiased violation rate from the plan's outcomes, with a normal confidence interval.

    Parameters
    ----------
    plan : InspectionPlan or its frame (with ``drawn``)
    outcomes : DataFrame
        ``credit_code`` and ``column`` (0/1 or bool) for every drawn subject; rows for
        subjects not drawn are ignored.
    confidence : float
        Two-sided level of the interval.
    variance_strata : {"design", "collapsed"}
        Strata of the variance estimate: the design's (tier × region × kind) or collapsed
        over regions (tier × kind; inclusion probabilities are equal there, and the
        variance estimate is steadier when regional strata hold few draws).
    finite_population : bool
        False (default): an outcome is the state found on the day of the visit, itself
        random (states change month to month), so strata are treated as sampled with
        replacement and certainty strata (p = 1) still add variance. True: outcomes are
        fixed properties of the subjects; the finite-population correction ``1 - n/N``
        applies and certainty strata add none.

    Returns
    -------
    HTEstimate
        The rate is over the eligible population (subjects with ``π > 0``); subjects
        excluded this period (``π = 0``) are counted in ``excluded`` and not covered.
    """
    if not 0 < confidence < 1:
        raise DataContractError(f"confidence must be in (0, 1); got {confidence}")
    frame = _frame_of(plan)
    if "drawn" not in frame.columns:
        raise DataContractError("plan frame lacks column 'drawn'; pass an InspectionPlan's frame")
    drawn_mask = frame["drawn"].to_numpy(dtype=bool)
    drawn = frame.loc[drawn_mask]
    y = _aligned(drawn, outcomes, column, "outcomes")
    p = drawn["inclusion_probability"].to_numpy(dtype=float)
    all_p = frame["inclusion_probability"].to_numpy(dtype=float)
    population = int((all_p > 0).sum())
    total = float((y / p).sum())

    codes_all = frame["stratum"].cat.codes.to_numpy()
    if variance_strata == "collapsed":  # "B|330102|random" -> "B|random"
        labels = [f"{c.split('|')[0]}|{c.split('|')[-1]}" for c in frame["stratum"].cat.categories]
        merged, merged_uniques = pd.factorize(np.array(labels, dtype=object))
        codes_all = merged[codes_all]
        n_strata = len(merged_uniques)
    else:
        n_strata = len(frame["stratum"].cat.categories)
    size = np.bincount(codes_all, minlength=n_strata).astype(float)
    h = codes_all[drawn_mask]
    n_h = np.bincount(h, minlength=n_strata).astype(float)
    s1 = np.bincount(h, weights=y, minlength=n_strata)
    s2 = np.bincount(h, weights=y * y, minlength=n_strata)
    p_h = np.ones(n_strata)
    p_h[h] = p
    var = 0.0
    many = n_h >= 2
    if many.any():
        nh, big_n = n_h[many], size[many]
        s_sq = (s2[many] - s1[many] ** 2 / nh) / (nh - 1)
        fpc = (1 - nh / big_n) if finite_population else 1.0
        var += float((big_n**2 * fpc * np.maximum(s_sq, 0.0) / nh).sum())
    single = (n_h == 1) & ((p_h < 1) | (not finite_population))
    if single.any():
        fpc1 = (1 - p_h[single]) if finite_population else 1.0
        var += float((fpc1 / p_h[single] ** 2 * s2[single]).sum())
    se_total = var**0.5
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    rate = total / population if population else float("nan")
    se = se_total / population if population else float("nan")
    return HTEstimate(
        rate=rate,
        total=total,
        std_error=se,
        ci_low=rate - z * se,
        ci_high=rate + z * se,
        confidence=confidence,
        n_outcomes=len(y),
        population=population,
        excluded=len(frame) - population,
    )
