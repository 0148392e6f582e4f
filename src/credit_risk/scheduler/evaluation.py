"""Evaluation by simulation: violations found per visit, and unbiased rates from outcomes.

Two questions, on the synthetic province (where the truth is known) or on any history:

* **Yield** — how many violations does the plan find per visit, against a uniform random
  draw of the same size? Analytically, the plan finds ``Σ π_i v_i`` violations in ``Σ π_i``
  expected visits, the uniform draw ``n · mean(v)``; :func:`compare_yield` also re-draws
  both designs ``n_simulations`` times.
* **Unbiased rate** — because every inclusion probability ``π_i`` is recorded (and ``> 0``
  for every eligible subject), the Horvitz–Thompson estimator ``Σ_drawn y_i / π_i`` of the
  number of violating subjects is unbiased despite the risk-based targeting (selective
  labels, DOMAIN.md §7). Its interval is by default a *score* interval (Wilson's, extended
  to a stratified sum): the variance is evaluated at the stratum rates the outcomes allow
  for each candidate rate, not plugged in from the sample, so it does not collapse to 0
  when a tier's few visits find no violation — the usual case for a low tier drawn at the
  3 % floor, and exactly when the plug-in (Wald) interval is too narrow and too low. On the
  feedback-loop benchmark's 20 plan designs the Wald interval covered the truth in ~93 % of
  re-draws, the score interval in ~96 % (``benchmarks/feedback_loop.py``). By default the
  state found at a visit is itself random (no finite-population correction; see
  ``finite_population``).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy.optimize import brentq

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
    """Horvitz–Thompson estimate of the violation rate among eligible subjects (π > 0).

    ``rate`` is the unbiased HT point estimate; ``[ci_low, ci_high]`` the interval of
    ``method`` (``"score"``: asymmetric, not centred on ``rate``; ``"wald"``: ``rate ± z·se``);
    ``std_error`` is the estimated standard error of ``rate``.
    """

    rate: float
    total: float
    std_error: float
    ci_low: float
    ci_high: float
    confidence: float
    n_outcomes: int
    population: int
    excluded: int
    method: str = "score"

    def covers(self, value: float) -> bool:
        """Whether ``value`` lies in the confidence interval."""
        return self.ci_low <= value <= self.ci_high


@dataclass(frozen=True)
class _Strata:
    """Per variance stratum: size, inclusion probability, expected draws and their variance, outcomes."""

    size: np.ndarray
    prob: np.ndarray
    expected_n: np.ndarray
    var_n: np.ndarray
    n: np.ndarray
    events: np.ndarray
    squares: np.ndarray


def _strata(frame: pd.DataFrame, drawn_mask: np.ndarray, y: np.ndarray,
            variance_strata: Literal["design", "collapsed"]) -> _Strata:
    """Sums per variance stratum over the eligible rows (``π > 0``) of the frame."""
    p_all = frame["inclusion_probability"].to_numpy(dtype=float)
    design = frame["stratum"].cat.codes.to_numpy().astype(np.int64)
    n_design = len(frame["stratum"].cat.categories)
    labels = [str(c) for c in frame["stratum"].cat.categories]
    if variance_strata == "collapsed":  # "B|330102|random" -> "B|random": one inclusion probability
        labels = [f"{c.split('|')[0]}|{c.split('|')[-1]}" for c in labels]
    # a variance stratum holds one inclusion probability (frames built by hand may mix them)
    p_design = np.zeros(n_design)
    p_design[design] = p_all
    key = np.array([f"{lab}#{p!r}" for lab, p in zip(labels, p_design, strict=True)], dtype=object)
    to_var, uniques = pd.factorize(key)
    k = len(uniques)
    eligible = p_all > 0
    codes = to_var[design]
    size_design = np.bincount(design[eligible], minlength=n_design).astype(float)
    # the draw takes floor(N p) or floor(N p) + 1 per design stratum (randomised rounding)
    target = np.round(size_design * p_design, 9)
    frac = target - np.floor(target)
    prob = np.ones(k)
    prob[codes[eligible]] = p_all[eligible]
    h = codes[drawn_mask]
    return _Strata(
        size=np.bincount(codes[eligible], minlength=k).astype(float),
        prob=prob,
        expected_n=np.bincount(to_var, weights=target, minlength=k),
        var_n=np.bincount(to_var, weights=frac * (1 - frac), minlength=k),
        n=np.bincount(h, minlength=k).astype(float),
        events=np.bincount(h, weights=y, minlength=k),
        squares=np.bincount(h, weights=y * y, minlength=k),
    )


def _wald_variance(st: _Strata, finite_population: bool) -> float:
    """Stratified SRS variance of the HT total (``s²`` per stratum; single draws ``y² / π²``)."""
    var = 0.0
    many = st.n >= 2
    if many.any():
        nh, big_n = st.n[many], st.size[many]
        s_sq = (st.squares[many] - st.events[many] ** 2 / nh) / (nh - 1)
        fpc = (1 - nh / big_n) if finite_population else 1.0
        var += float((big_n**2 * fpc * np.maximum(s_sq, 0.0) / nh).sum())
    single = (st.n == 1) & ((st.prob < 1) | (not finite_population))
    if single.any():
        fpc1 = (1 - st.prob[single]) if finite_population else 1.0
        var += float((fpc1 / st.prob[single] ** 2 * st.squares[single]).sum())
    return var


#: Jeffreys pseudo-counts (half an event, half a non-event) in the restricted likelihood.
_JEFFREYS = 0.5


def _score_interval(st: _Strata, estimate: float, population: int, z: float,
                    finite_population: bool) -> tuple[float, float, float]:
    """Score interval ``{r : (r̂ − r)² ≤ z² V(r)}`` of the rate, and the standard error ``√V(r̂)``.

    ``V(r)`` is the variance of the HT rate when the stratum event rates are ``P_h(r)``, the
    maximum of the (Jeffreys-smoothed) binomial likelihood of the outcomes under the
    constraint ``Σ N_h P_h / N = r``; per stratum (``E n_h = N_h π_h`` draws, ``Var n_h`` from
    the randomised rounding)::

        Var(x_h / π_h) = (E n_h · P_h (1 − P_h) · f_h + Var n_h · P_h²) / π_h²

    with ``f_h = 1 − π_h`` for fixed outcomes (``finite_population``), else 1. Strata whose
    variance is 0 (certainty strata with fixed outcomes) are known exactly and keep their
    observed rate.
    """
    w = st.size / population
    f = (1 - st.prob) if finite_population else np.ones_like(st.prob)
    var_weight = st.expected_n * f
    free = (var_weight > 0) | (st.var_n > 0)
    known = float((w[~free] * np.where(st.n[~free] > 0, st.events[~free] / np.maximum(st.n[~free], 1), 0.0)).sum())
    a = st.events[free] + _JEFFREYS
    m = st.n[free] + 2 * _JEFFREYS
    wf, vw, vn, pf = w[free], var_weight[free], st.var_n[free], st.prob[free]
    reach = float(wf.sum())

    def root(events: np.ndarray, b: np.ndarray) -> np.ndarray:  # of b P² − (m + b) P + events = 0 in (0, 1), b ≥ 0
        return 2 * events / ((m + b) + np.sqrt((m + b) ** 2 - 4 * b * events))

    def rates(lam: float) -> tuple[np.ndarray, np.ndarray]:
        """Stratum rates P and 1 − P maximising the Lagrangian (1 − P solves the mirrored equation)."""
        b = lam * wf
        if lam >= 0:
            p = root(a, b)
            return p, 1 - p
        q = root(m - a, -b)
        return 1 - q, q

    def variance(r: float) -> float:
        target = r - known
        if not 0 < target < reach:
            return 0.0
        def g(lam: float) -> float:  # decreasing in lam
            p, q = rates(lam)
            return float((wf * p).sum()) - target if target <= reach / 2 else reach - target - float((wf * q).sum())

        lo, hi = -1.0, 1.0
        while g(lo) < 0:
            lo *= 4
        while g(hi) > 0:
            hi *= 4
        p, q = rates(brentq(g, lo, hi, xtol=1e-14, rtol=1e-12))
        return float(((vw * p * q + vn * p * p) / pf**2).sum()) / population**2

    if not free.any():
        return estimate, estimate, 0.0

    def excess(r: float) -> float:  # > 0 outside the interval
        v = variance(r)
        return (estimate - r) ** 2 - z * z * v

    centre = min(max(estimate, 0.0), 1.0)

    def bound(edge: float) -> float:  # the root of excess between the estimate and 0 or 1
        if excess(edge) <= 0:
            return edge
        start = centre
        if excess(start) >= 0:  # V(r̂) = 0 (no event, or only events): step off the estimate
            start = centre + (1e-9 if edge > centre else -1e-9)
            if not 0 < start < 1 or excess(start) >= 0:
                return centre
        return brentq(excess, min(start, edge), max(start, edge), xtol=1e-10)

    return bound(0.0), bound(1.0), variance(centre) ** 0.5


def horvitz_thompson(
    plan: InspectionPlan | pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    column: str = "problem",
    confidence: float = 0.95,
    interval: Literal["score", "wald"] = "score",
    variance_strata: Literal["design", "collapsed"] = "collapsed",
    finite_population: bool = False,
) -> HTEstimate:
    """Unbiased violation rate from the plan's outcomes, with its confidence interval.

    The point estimate is always the Horvitz–Thompson ``Σ_drawn y_i / π_i / N`` (unbiased);
    the options choose how its uncertainty is estimated.

    Parameters
    ----------
    plan : InspectionPlan or its frame (with ``drawn``)
    outcomes : DataFrame
        ``credit_code`` and ``column`` (0/1 or bool) for every drawn subject; rows for
        subjects not drawn are ignored.
    confidence : float
        Two-sided level of the interval.
    interval : {"score", "wald"}
        ``"score"`` (default): the set of rates ``r`` with ``(r̂ − r)² ≤ z² V(r)``, where
        ``V(r)`` is the variance of the estimate *if the rate were r* — stratum event rates
        from the binomial likelihood restricted to ``r`` (the score interval for a linear
        combination of proportions, Wilson's interval for one stratum), smoothed by Jeffreys'
        half counts so no stratum's variance is 0. It does not shrink when a stratum's few
        draws find no (or only) events — exactly when the plug-in variance collapses and the
        estimate is likely too low — and is asymmetric like the skewed estimate. Needs 0/1
        outcomes. ``"wald"``: ``r̂ ± z·se`` with the plug-in stratified variance (``s²`` per
        stratum, ``y² / π²`` for a single draw); it under-covers when tiers are rare in events.
    variance_strata : {"collapsed", "design"}
        Strata of the variance: ``"collapsed"`` (default) pools the design's regions (tier ×
        kind of selection, one inclusion probability each: the collapsed-strata estimator,
        conservative when regional rates differ), so each holds enough draws; ``"design"``
        keeps tier × region × kind (many county strata hold 0–2 draws; only sensible with
        ``"wald"`` or large regional strata).
    finite_population : bool
        False (default): an outcome is the state found on the day of the visit, itself
        random (states change month to month), so certainty strata (p = 1) still add
        variance. True: outcomes are fixed properties of the subjects; the finite-population
        correction ``1 - n/N`` (``1 - π`` in the score variance) applies and certainty strata
        add none.

    Returns
    -------
    HTEstimate
        The rate is over the eligible population (subjects with ``π > 0``); subjects
        excluded this period (``π = 0``) are counted in ``excluded`` and not covered.

    Raises
    ------
    DataContractError
        Missing columns, a confidence outside (0, 1), outcomes that are not 0/1 under the
        score interval, unknown options.
    """
    if not 0 < confidence < 1:
        raise DataContractError(f"confidence must be in (0, 1); got {confidence}")
    if interval not in ("score", "wald"):
        raise DataContractError(f"interval must be 'score' or 'wald'; got {interval!r}")
    if variance_strata not in ("design", "collapsed"):
        raise DataContractError(f"variance_strata must be 'design' or 'collapsed'; got {variance_strata!r}")
    frame = _frame_of(plan)
    if "drawn" not in frame.columns:
        raise DataContractError("plan frame lacks column 'drawn'; pass an InspectionPlan's frame")
    drawn_mask = frame["drawn"].to_numpy(dtype=bool)
    drawn = frame.loc[drawn_mask]
    y = _aligned(drawn, outcomes, column, "outcomes")
    if interval == "score" and not np.isin(y, (0.0, 1.0)).all():
        bad = float(y[~np.isin(y, (0.0, 1.0))][0])
        raise DataContractError(
            f"outcomes column {column!r} has value {bad!r}; the score interval needs 0/1 outcomes "
            "(pass booleans, or interval='wald' for other values)"
        )
    p = drawn["inclusion_probability"].to_numpy(dtype=float)
    all_p = frame["inclusion_probability"].to_numpy(dtype=float)
    population = int((all_p > 0).sum())
    total = float((y / p).sum())
    rate = total / population if population else float("nan")
    st = _strata(frame, drawn_mask, y, variance_strata)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    if not population:
        low = high = se = float("nan")
    elif interval == "score":
        low, high, se = _score_interval(st, rate, population, z, finite_population)
    else:
        se = _wald_variance(st, finite_population) ** 0.5 / population
        low, high = rate - z * se, rate + z * se
    return HTEstimate(
        rate=rate,
        total=total,
        std_error=se,
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        n_outcomes=len(y),
        population=population,
        excluded=len(frame) - population,
        method=interval,
    )
