"""Monthly events: inspections, penalties, complaints, listings, court and labour records,
registration changes and product sampling, all driven by the true state of each month.

One pass over the months, vectorised over subjects. The regulator only sees what has
been recorded: random inspections are drawn with probabilities from an *observed* tier
(listings, recent penalties and complaints), recorded in ``draw_probability``. Whatever
an inspection finds follows the truth of that month: ``unreachable`` if the subject cannot
be found, ``problem`` iff it is violating in the inspected domain, else ``pass``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from credit_risk.data.synthetic.config import SyntheticConfig
from credit_risk.data.synthetic.population import NEVER, Population, day_number
from credit_risk.data.synthetic.records import RecordBuffer
from credit_risk.data.synthetic.reports import Listings, risk_deviation, serious_end, uniform_days
from credit_risk.data.synthetic.risk import Truth

__all__ = ["simulate_events"]

_PAST = np.int64(-10_000_000)


@dataclass(eq=False)
class _Observed:
    """What the regulator knows about each subject, updated as records appear."""

    n: int
    abnormal_until: np.ndarray = field(init=False)
    serious_until: np.ndarray = field(init=False)
    defaulter_until: np.ndarray = field(init=False)
    unreachable_listed_until: np.ndarray = field(init=False)
    last_penalty: np.ndarray = field(init=False)
    last_complaint: np.ndarray = field(init=False)
    last_negative: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        for name in ("abnormal_until", "serious_until", "defaulter_until", "unreachable_listed_until",
                     "last_penalty", "last_complaint", "last_negative"):
            setattr(self, name, np.full(self.n, _PAST, dtype=np.int64))

    def listed(self, rows: np.ndarray, start: np.ndarray, end: np.ndarray, attr: str) -> None:
        np.maximum.at(getattr(self, attr), rows, end)
        np.maximum.at(self.last_negative, rows, start)


class _Month:
    """Per-month helpers: random days inside each subject's active part of the month."""

    def __init__(self, pop: Population, a: int, b: int, rng: np.random.Generator):
        self.pop, self.a, self.b, self.rng = pop, a, b, rng

    def days(self, rows: np.ndarray) -> np.ndarray:
        lo = np.maximum(self.a, self.pop.established[rows])
        hi = np.minimum(self.b, self.pop.closed[rows])
        return lo + np.floor(self.rng.random(len(rows)) * (hi - lo + 1)).astype(np.int64)

    def begin(self, buf: RecordBuffer, obs: _Observed, dom_src: np.ndarray, unreachable: np.ndarray, states) -> None:
        """Set the month's truth; reset the findings (rows, day, domain) and unreachable finds."""
        self.buf, self.obs, self.dom_src, self.unr, self.states = buf, obs, dom_src, unreachable, states
        self.findings: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.unreachable_found: list[tuple[np.ndarray, np.ndarray]] = []

    def inspect(self, rows: np.ndarray, domain_codes: np.ndarray, draw: np.ndarray | None = None) -> None:
        """Record inspections of ``rows``; outcomes follow the month's truth in each domain."""
        if len(rows) == 0:
            return
        buf = self.buf
        day = self.days(rows)
        state = np.zeros(len(rows), dtype=bool)
        for code, st in self.states:
            sel = domain_codes == code
            state[sel] = st[rows[sel]]
        gone = self.unr[rows]
        outcome = np.where(gone, buf.code("outcomes", "unreachable"),
                           np.where(state, buf.code("outcomes", "problem"), buf.code("outcomes", "pass")))
        buf.add("inspection", rows, day, domain=domain_codes, source=self.dom_src[domain_codes],
                outcome=outcome.astype(np.int16), draw_probability=draw)
        found = state & ~gone
        self.findings.append((rows[found], day[found], domain_codes[found]))
        lost = gone & (self.obs.unreachable_listed_until[rows] < self.a)
        self.unreachable_found.append((rows[lost], day[lost]))


def _hazard(rate: float, coef: float, dev: np.ndarray) -> np.ndarray:
    """Monthly probability from a yearly rate scaled by exp(coef × risk deviation)."""
    return 1 - np.exp(-rate / 12 * np.exp(coef * dev))


def simulate_events(
    pop: Population,
    truth: Truth,
    config: SyntheticConfig,
    rng: np.random.Generator,
    buf: RecordBuffer,
    listings: Listings,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Append every monthly record to ``buf``."""
    insp, pen, ls, ev = config.inspections, config.penalties, config.listings, config.events
    n, m = pop.n, truth.n_months
    end_day = day_number(config.history_end)
    obs = _Observed(n)
    market = pop.files_annual_report
    rates = insp.random_rate_by_tier
    tier_rate = np.array([rates["A"], rates["B"], rates["C"], rates["D"]]) / 12
    src = {d: buf.code("sources", s) for d, s in insp.sources.items()}
    dom_src = np.array([buf.code("sources", insp.sources.get(d, "market_regulation")) for d in buf.domains], dtype=np.int8)
    dom = {d: buf.code("domains", d) for d in buf.domains}
    weights = {d: w for d, w in sorted(pen.domain_weights.items())}
    w_dom = np.array([dom[d] for d in weights], dtype=np.int8)
    w_cum = np.cumsum(list(weights.values())) / sum(weights.values())
    sev_names = ("minor", "general", "serious")
    sev_base = np.array([pen.severity_shares[s] for s in sev_names])
    sev_code = np.array([buf.code("severities", s) for s in sev_names], dtype=np.int8)
    target = config.targets["annual_penalty_rate"].target
    # Pre-drawn listings (late annual reports) enter the regulator's view in their start month.
    l_order = np.argsort(listings.start, kind="stable")
    l_subj, l_start, l_end, l_ser = (listings.subject[l_order], listings.start[l_order],
                                     listings.end[l_order], listings.serious[l_order])
    l_pos = 0

    for t in range(m):
        a, b = int(truth.month_start[t]), int(truth.month_end[t])
        mo = _Month(pop, a, b, rng)
        act = truth.active[t]
        v, unr = truth.violating[t], truth.unreachable[t]
        vf = truth.expand(truth.violating_food[t], "food")
        ve = truth.expand(truth.violating_environment[t], "environment")
        dev = risk_deviation(config, truth.latent[t])
        nxt = np.searchsorted(l_start, b, side="right")
        if nxt > l_pos:
            s = slice(l_pos, nxt)
            ab = ~l_ser[s]
            obs.listed(l_subj[s][ab], l_start[s][ab], l_end[s][ab], "abnormal_until")
            obs.listed(l_subj[s][~ab], l_start[s][~ab], l_end[s][~ab], "serious_until")
            l_pos = nxt

        # The regulator's observed tier (0 = A … 3 = D) sets the random draw probability.
        age = a - pop.established
        tier = np.where(
            (obs.serious_until >= a) | (obs.defaulter_until >= a), 3,
            np.where((obs.abnormal_until >= a) | (obs.unreachable_listed_until >= a)
                     | (obs.last_penalty >= a - 730) | (obs.last_complaint >= a - 365), 2,
                     np.where((age >= 1095) & (obs.last_negative < a - 1095), 0, 1)))

        mo.begin(buf, obs, dom_src, unr, ((dom["market"], v), (dom["food"], vf), (dom["environment"], ve)))
        findings, unreachable_found = mo.findings, mo.unreachable_found
        # Double-random draws: general (by tier), food businesses, polluters.
        for mask, p, d in (
            (act & market, tier_rate[tier], dom["market"]),
            (act & pop.is_food, np.full(n, insp.food_random_rate / 12), dom["food"]),
            (act & pop.is_polluting, np.full(n, insp.environment_random_rate / 12), dom["environment"]),
        ):
            drawn = np.flatnonzero(mask & (rng.random(n) < p))
            mo.inspect(drawn, np.full(len(drawn), d, np.int8), draw=p[drawn])
        # Targeted inspections (tips), more likely while violating.
        for mask, st, d in ((act & market, v, dom["market"]), (act & pop.is_food, vf, dom["food"]),
                            (act & pop.is_polluting, ve, dom["environment"])):
            p = (insp.targeted_rate + insp.targeted_violation_rate * st) / 12
            rows = np.flatnonzero(mask & (rng.random(n) < p))
            mo.inspect(rows, np.full(len(rows), d, np.int8))
        # Complaints from the public; verified ones are often followed by an inspection.
        st = np.where(pop.is_food, vf, v)
        p = (ev.complaint_rate + ev.complaint_violation_rate * st) / 12
        rows = np.flatnonzero(act & pop.is_consumer & (rng.random(n) < p))
        verified = st[rows] & (rng.random(len(rows)) < ev.complaint_verified)
        c_dom = np.where(pop.is_food[rows], dom["food"], dom["market"]).astype(np.int8)
        c_day = mo.days(rows)
        buf.add("complaint", rows, c_day, domain=c_dom, source="market_regulation",
                outcome=np.where(verified, buf.code("outcomes", "verified"), buf.code("outcomes", "unverified")).astype(np.int16))
        np.maximum.at(obs.last_complaint, rows[verified], c_day[verified])
        follow = rows[verified & (rng.random(len(rows)) < insp.complaint_followup)]
        mo.inspect(follow, np.where(pop.is_food[follow], dom["food"], dom["market"]).astype(np.int8))
        # Product sampling: food businesses (food) and other manufacturers (quality).
        for mask, st, d, rate in ((pop.is_food, vf, dom["food"], ev.food_sampling_rate),
                                  (pop.is_manufacturer & ~pop.is_food, v, dom["quality"], ev.quality_sampling_rate)):
            rows = np.flatnonzero(act & mask & (rng.random(n) < rate / 12))
            fail = st[rows] & (rng.random(len(rows)) < ev.sampling_sensitivity)
            day = mo.days(rows)
            buf.add("product_sampling", rows, day, domain=d, source="market_regulation",
                    outcome=np.where(fail, buf.code("outcomes", "fail"), buf.code("outcomes", "pass")).astype(np.int16))
            findings.append((rows[fail], day[fail], np.full(int(fail.sum()), d, np.int8)))

        # Penalties: from findings, then from other sources, calibrated to the target rate.
        f_rows = np.concatenate([f[0] for f in findings])
        f_day = np.concatenate([f[1] for f in findings])
        f_dom = np.concatenate([f[2] for f in findings])
        pick = rng.random(len(f_rows)) < insp.penalty_given_problem
        p_rows, p_day, p_dom = f_rows[pick], f_day[pick] + uniform_days(rng, *pen.decision_delay_days, int(pick.sum())), f_dom[pick]
        n_active = int(act.sum())
        needed = target / 12 * n_active - len(p_rows)
        cand = act & (v | vf | ve)
        n_cand = int(cand.sum())
        h = min(max(needed / n_cand, 0.0), 0.5) if n_cand else 0.0
        other = np.flatnonzero(cand & (rng.random(n) < h))
        u = rng.random(len(other))
        o_dom = w_dom[np.minimum(np.searchsorted(w_cum, rng.random(len(other)), side="right"), len(w_dom) - 1)]
        o_dom = np.where(ve[other] & ((u < pen.environment_share) | ~v[other]), dom["environment"], o_dom)
        o_dom = np.where(vf[other] & ((u < pen.food_share) | ~v[other]), dom["food"], o_dom)
        p_rows = np.concatenate([p_rows, other])
        p_day = np.concatenate([p_day, mo.days(other)])
        p_dom = np.concatenate([p_dom, o_dom]).astype(np.int8)
        _penalties(p_rows, p_day, p_dom, dev, pop, config, rng, buf, obs, sev_base, sev_code, dom, dom_src, end_day)

        # Unreachable addresses: found by an inspection or otherwise → abnormal listing.
        rows_u = np.concatenate([r for r, _ in unreachable_found] + [np.empty(0, np.int64)])
        day_u = np.concatenate([d for _, d in unreachable_found] + [np.empty(0, np.int64)])
        other_u = np.flatnonzero(unr & (obs.unreachable_listed_until < a) & (rng.random(n) < insp.unreachable_discovery))
        rows_u = np.concatenate([rows_u, other_u])
        day_u = np.concatenate([day_u, mo.days(other_u)])
        rows_u, first = np.unique(rows_u, return_index=True)
        day_u = day_u[first]
        if len(rows_u):
            later = truth.unreachable[t + 1:, rows_u] | ~truth.active[t + 1:, rows_u]
            back = ~later
            has = back.any(axis=0)
            back_month = t + 1 + (np.argmax(back, axis=0) if t + 1 < m else np.zeros(len(rows_u), np.int64))
            removal = np.where(
                has, truth.month_start[np.minimum(back_month, m - 1)] + uniform_days(rng, *ls.removal_delay_days, len(rows_u)), NEVER
            )
            removal = np.where(removal <= end_day, removal, NEVER)
            buf.add("abnormal_listing", rows_u, day_u, end=removal, domain="market", source="market_regulation",
                    outcome="unreachable_address")
            obs.listed(rows_u, day_u, removal, "unreachable_listed_until")
            s_start = day_u + ls.serious_after_days
            ser = (removal > s_start) & (s_start <= end_day) & (s_start < pop.closed[rows_u]) & (obs.serious_until[rows_u] < a)
            s_end = serious_end(rng, config, s_start[ser])
            buf.add("serious_listing", rows_u[ser], s_start[ser], end=s_end, domain="market", source="market_regulation")
            np.maximum.at(obs.serious_until, rows_u[ser], s_end)

        # Court: judgment defaulters.
        rate, coef = ev.judgment_defaulter
        rows = np.flatnonzero(act & market & (obs.defaulter_until < a) & (rng.random(n) < _hazard(rate, coef, dev)))
        day = mo.days(rows)
        stop = day + np.ceil(rng.exponential(ev.judgment_months * 30.44, size=len(rows))).astype(np.int64)
        stop = np.where(stop <= end_day, stop, NEVER)
        buf.add("judgment_defaulter", rows, day, end=stop, domain="court", source="court")
        obs.listed(rows, day, stop, "defaulter_until")
        # Labour: wage and social-insurance arrears.
        rate, coef = ev.wage_arrears
        rows = np.flatnonzero(act & market & (rng.random(n) < _hazard(rate, coef, dev)))
        buf.add("wage_arrears", rows, mo.days(rows), domain="labour", source=src["labour"],
                value=np.round(50_000 * np.exp(rng.standard_normal(len(rows))), -2))
        rate, coef = ev.social_insurance_arrears
        rows = np.flatnonzero(act & market & (rng.random(n) < _hazard(rate, coef, dev)))
        day = mo.days(rows)
        stop = day + np.ceil(rng.exponential(ev.arrears_months * 30.44, size=len(rows))).astype(np.int64)
        buf.add("social_insurance_arrears", rows, day, end=np.where(stop <= end_day, stop, NEVER), domain="labour",
                source=src["labour"], value=np.round(30_000 * np.exp(rng.standard_normal(len(rows))), -2))
        # Registration changes, more frequent for risky subjects.
        for kind, (rate, coef) in sorted(ev.changes.items()):
            rows = np.flatnonzero(act & (rng.random(n) < _hazard(rate, coef, dev)))
            value = None
            if kind == "capital_change":
                value = np.round(np.nan_to_num(pop.capital[rows], nan=0.0) * (np.exp(0.5 * rng.standard_normal(len(rows))) - 1), 2)
            buf.add(kind, rows, mo.days(rows), domain="market", source="market_regulation", value=value)
        if progress is not None:
            progress(m + t + 1, 2 * m)


def _penalties(rows, day, domain, dev, pop, config, rng, buf, obs, sev_base, sev_code, dom, dom_src, end_day) -> None:
    """Penalty decisions (with severity, fine, late publication and repair) and their side records."""
    pen = config.penalties
    k = len(rows)
    day = np.minimum(day, pop.closed[rows])
    s = pen.severity_risk_coef * dev[rows]
    w = sev_base[None, :] * np.exp(np.stack([-s, np.zeros(k), s], axis=1))
    cum = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    sev = np.minimum((rng.random(k)[:, None] > cum).sum(axis=1), 2)
    fine = np.round(np.array([pen.fine_median[x] for x in ("minor", "general", "serious")])[sev]
                    * np.exp(pen.fine_sigma * rng.standard_normal(k)), -2)
    late = rng.random(k) < pen.late_publication_share
    published = day + np.where(late, uniform_days(rng, *pen.late_publication_days, k), 0)
    repair_p = np.array([0.0, pen.repair_probability.get("general", 0.0), pen.repair_probability.get("serious", 0.0)])[sev]
    repaired = rng.random(k) < repair_p
    repair_at = np.where(sev == 2, published + uniform_days(rng, 365, 1095, k), published + uniform_days(rng, 90, 365, k))
    end = np.where(repaired & (repair_at <= end_day), repair_at, NEVER)
    keep = published <= end_day  # decisions not yet published are unknown today
    rows, day, domain, sev, fine, published, end = (x[keep] for x in (rows, day, domain, sev, fine, published, end))
    buf.add("penalty", rows, day, end=end, published=published, domain=domain, source=dom_src[domain],
            severity=sev_code[sev], value=fine)
    np.maximum.at(obs.last_penalty, rows, day)
    np.maximum.at(obs.last_negative, rows, day)
    env = domain == dom["environment"]
    buf.add("environmental_violation", rows[env], day[env], end=end[env], published=published[env],
            domain="environment", source="ecology_environment", severity=sev_code[sev[env]])
    ser = (sev == 2) & (rng.random(len(rows)) < pen.serious_listing_share) & (obs.serious_until[rows] < published)
    ser &= published < pop.closed[rows]
    s_start = published[ser]
    s_end = serious_end(rng, config, s_start)
    buf.add("serious_listing", rows[ser], s_start, end=s_end, domain="market", source="market_regulation")
    np.maximum.at(obs.serious_until, rows[ser], s_end)
