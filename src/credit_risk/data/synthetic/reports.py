"""Yearly records: annual reports (and abnormal listings for late ones), tax ratings,
environmental credit ratings, honours and licences.

Each is drawn for all subjects of a year at once from the subject's mean latent risk
that year (:class:`credit_risk.data.synthetic.risk.Truth`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from credit_risk.data.synthetic.config import SyntheticConfig
from credit_risk.data.synthetic.population import NEVER, Population, day_number
from credit_risk.data.synthetic.records import RecordBuffer, days_to_datetime
from credit_risk.data.synthetic.risk import Truth

__all__ = ["Listings", "draw_annual_reports", "draw_yearly_records", "risk_deviation", "uniform_days"]


def uniform_days(rng: np.random.Generator, lo: int, hi: int, size: int) -> np.ndarray:
    """Whole days uniformly in [lo, hi]."""
    return lo + np.floor(rng.random(size) * (hi - lo + 1)).astype(np.int64)


def risk_deviation(config: SyntheticConfig, p: np.ndarray) -> np.ndarray:
    """Latent risk on the logit scale relative to the configured mean (NaN → 0)."""
    ref = logit(config.risk.mean_latent_risk)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = logit(np.clip(p, 1e-6, 1 - 1e-6)) - ref
    return np.nan_to_num(dev, nan=0.0)


def _yearly_risk(truth: Truth, year: int, latent: np.ndarray) -> np.ndarray:
    """Mean monthly latent risk of each subject in ``year`` (the first history year if earlier)."""
    years = truth.month_start.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    rows = np.flatnonzero(years == max(year, int(years[0])))
    block = latent[rows]
    counts = np.sum(~np.isnan(block), axis=0)
    total = np.nansum(block, axis=0, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def _date(year: int, month: int, day: int) -> int:
    return day_number(dt.date(year, month, day))


@dataclass(frozen=True, eq=False)
class Listings:
    """Abnormal and serious listings decided outside the monthly loop (for the regulator's view)."""

    subject: np.ndarray
    start: np.ndarray
    end: np.ndarray
    serious: np.ndarray  # bool: a serious listing (else abnormal)


def serious_end(rng: np.random.Generator, config: SyntheticConfig, start: np.ndarray) -> np.ndarray:
    """End of serious listings: after ``serious_days``, or early after repair; NEVER if after history."""
    ls = config.listings
    early = rng.random(len(start)) < ls.serious_early_removal
    dur = np.where(early, uniform_days(rng, ls.serious_min_days, ls.serious_days, len(start)), ls.serious_days)
    end = start + dur
    return np.where(end <= day_number(config.history_end), end, NEVER)


def draw_annual_reports(
    pop: Population, truth: Truth, config: SyntheticConfig, rng: np.random.Generator, buf: RecordBuffer
) -> tuple[pd.DataFrame, Listings]:
    """Annual reports for every reporting year due inside the history, and late-report listings."""
    ar = config.annual_reports
    ls = config.listings
    end_day = day_number(config.history_end)
    first_year = config.start_date.year - 1
    last_year = config.end_date.year - 1
    n = pop.n
    size = rng.normal(0.0, 0.8, size=n)  # persistent firm size beyond capital
    cap = np.nan_to_num(pop.capital, nan=1.0)
    base_emp = np.exp(0.45 * np.log1p(cap) + 0.3 + size * 0.5)
    frames = []
    lst_subj, lst_start, lst_end, lst_serious = [], [], [], []
    already_serious = np.zeros(n, dtype=bool)
    for year in range(first_year, last_year + 1):
        due = _date(year + 1, 6, 30)
        if due > end_day:
            continue
        dev = risk_deviation(config, _yearly_risk(truth, year, truth.latent))
        eligible = pop.files_annual_report & (pop.established <= _date(year, 12, 31)) & (pop.closed > due)
        rows = np.flatnonzero(eligible)
        d = dev[rows]
        on_time = rng.random(len(rows)) < expit(logit(ar.on_time) - ar.risk_coef * d)
        filed = np.where(
            on_time, _date(year + 1, 1, 1) + np.floor(181 * np.sqrt(rng.random(len(rows)))).astype(np.int64), NEVER
        )
        listed_on = _date(year + 1, 7, 1) + uniform_days(rng, 0, 14, len(rows))
        late = ~on_time & (rng.random(len(rows)) < ar.late_share)
        late_filed = listed_on + uniform_days(rng, ar.late_days[0], ar.late_days[1], len(rows))
        late_ok = late & (late_filed <= end_day) & (late_filed < pop.closed[rows])
        filed = np.where(late_ok, late_filed, filed)
        # Abnormal listing for reports not filed by the due date (still active when listed).
        lst = ~on_time & (listed_on <= end_day) & (listed_on < pop.closed[rows])
        removal = filed + uniform_days(rng, *ls.removal_delay_days, len(rows))
        l_end = np.where(late_ok & (removal <= end_day), removal, NEVER)
        lst_subj.append(rows[lst])
        lst_start.append(listed_on[lst])
        lst_end.append(l_end[lst])
        lst_serious.append(np.zeros(int(lst.sum()), dtype=bool))
        # Three years unremedied → serious list (once per subject).
        s_start = listed_on + ls.serious_after_days
        to_serious = lst & (l_end > s_start) & (s_start <= end_day) & (s_start < pop.closed[rows])
        to_serious &= ~already_serious[rows]
        already_serious[rows[to_serious]] = True
        lst_subj.append(rows[to_serious])
        lst_start.append(s_start[to_serious])
        lst_end.append(serious_end(rng, config, s_start[to_serious]))
        lst_serious.append(np.ones(int(to_serious.sum()), dtype=bool))

        has = filed < NEVER
        r, dd, f = rows[has], d[has], filed[has]
        k = len(r)
        revenue = cap[r] ** 0.8 * np.exp(size[r] + 0.3 * rng.standard_normal(k) - 0.3 * dd) * (1.05 ** (year - first_year))
        margin = 0.05 - 0.04 * dd + 0.08 * rng.standard_normal(k)
        assets = revenue * np.exp(0.5 * rng.standard_normal(k))
        leverage = 1.3 * expit(-0.2 + 0.5 * dd + 0.7 * rng.standard_normal(k))
        employees = np.maximum(1, np.round(base_emp[r] * np.exp(0.2 * rng.standard_normal(k))))
        insured = np.round(employees * expit(1.5 - 0.8 * dd + rng.standard_normal(k)))
        tax_paid = np.maximum(0.0, revenue * 0.03 * np.exp(0.4 * rng.standard_normal(k)) * expit(2 - dd))
        frames.append(pd.DataFrame({
            "subject": r,
            "year": np.full(k, year, dtype=np.int64),
            "filed_on": f,
            "revenue": np.round(revenue, 2),
            "profit": np.round(revenue * margin, 2),
            "assets": np.round(assets, 2),
            "liabilities": np.round(assets * leverage, 2),
            "employees": employees,
            "insured_employees": insured,
            "tax_paid": np.round(tax_paid, 2),
        }))
    reports = pd.concat(frames, ignore_index=True)
    reports = reports.sort_values(["subject", "year"], kind="stable").reset_index(drop=True)
    reports.insert(0, "credit_code", pop.code[reports.pop("subject").to_numpy()].astype(object))
    reports["filed_on"] = days_to_datetime(reports["filed_on"].to_numpy())
    listings = Listings(
        np.concatenate(lst_subj), np.concatenate(lst_start), np.concatenate(lst_end), np.concatenate(lst_serious)
    )
    ab = ~listings.serious
    buf.add("abnormal_listing", listings.subject[ab], listings.start[ab], end=listings.end[ab],
            domain="market", source="market_regulation", outcome="late_annual_report")
    buf.add("serious_listing", listings.subject[~ab], listings.start[~ab], end=listings.end[~ab],
            domain="market", source="market_regulation")
    return reports, listings


def _rank_grades(score: np.ndarray, shares: list[tuple[str, float]]) -> np.ndarray:
    """Grade index by rank of ``score`` (highest first) with the given shares."""
    order = np.argsort(-score, kind="stable")
    cuts = np.round(np.cumsum([s for _, s in shares]) / sum(s for _, s in shares) * len(score)).astype(int)
    grade = np.empty(len(score), dtype=np.int64)
    grade[order] = np.searchsorted(cuts, np.arange(len(score)), side="right")
    return np.minimum(grade, len(shares) - 1)


def draw_yearly_records(
    pop: Population, truth: Truth, config: SyntheticConfig, rng: np.random.Generator, buf: RecordBuffer
) -> None:
    """Tax ratings, environmental ratings, honours (yearly) and licences (five-yearly)."""
    ev = config.events
    end_day = day_number(config.history_end)
    start_day = day_number(config.history_start)
    tax_order = [("A", ev.tax_grade_shares["A"]), ("B", ev.tax_grade_shares["B"]),
                 ("M", max(0.0, 1 - sum(ev.tax_grade_shares.values()))),
                 ("C", ev.tax_grade_shares["C"]), ("D", ev.tax_grade_shares["D"])]
    env_order = sorted(ev.environment_grade_shares.items(), key=lambda kv: ["green", "blue", "yellow", "red", "black"].index(kv[0]))
    tax_codes = np.array([buf.code("outcomes", g) for g, _ in tax_order], dtype=np.int16)
    env_codes = np.array([buf.code("outcomes", g) for g, _ in env_order], dtype=np.int16)
    for year in range(config.start_date.year - 1, config.end_date.year):
        dev = risk_deviation(config, _yearly_risk(truth, year, truth.latent))
        # Tax credit rating, published in April of the next year; M for first-year enterprises.
        pub = _date(year + 1, 4, 1) + uniform_days(rng, 0, 29, pop.n)
        rows = np.flatnonzero(pop.tax_rated & (pop.established <= _date(year, 12, 31)) & (pop.closed > pub) & (pub <= end_day))
        score = -dev[rows] + 0.7 * rng.standard_normal(len(rows))
        grade = tax_codes[_rank_grades(score, tax_order)]
        newborn = pop.established[rows] > _date(year, 1, 1)
        grade = np.where(newborn, buf.code("outcomes", "M"), grade)
        buf.add("tax_rating", rows, pub[rows], domain="tax", source="tax", outcome=grade)
        # Environmental credit rating of polluters, published in June of the next year.
        pub = _date(year + 1, 6, 1) + uniform_days(rng, 0, 29, pop.n)
        rows = np.flatnonzero(pop.is_polluting & (pop.established <= _date(year, 12, 31)) & (pop.closed > pub) & (pub <= end_day))
        env_risk = truth.expand(_yearly_risk(truth, year, truth.latent_environment), "environment", np.nan)
        env_dev = risk_deviation(config, env_risk)
        score = -env_dev[rows] + 0.6 * rng.standard_normal(len(rows))
        grade = env_codes[_rank_grades(score, env_order)]
        buf.add("environmental_rating", rows, pub[rows], domain="environment", source="ecology_environment",
                outcome=grade)
        # Honours (守合同重信用) every other year for low-risk enterprises aged two years or more.
        if year % 2 == 1 and year >= config.start_date.year:
            pub = _date(year, 9, 1) + uniform_days(rng, 0, 29, pop.n)
            rows = np.flatnonzero(pop.tax_rated & (pop.established <= pub - 730) & (pop.closed > pub) & (pub <= end_day))
            score = -dev[rows] + 0.5 * rng.standard_normal(len(rows))
            top = rows[_rank_grades(score, [("y", ev.honour_share), ("n", 1 - ev.honour_share)]) == 0]
            buf.add("honour", top, pub[top], end=np.minimum(pub[top] + 730, pop.closed[top]),
                    domain="market", source="market_regulation")
    # Licences: food business licences and pollutant discharge permits, renewed every few years.
    span = int(round(ev.licence_years * 365.25))
    for mask, domain, source in ((pop.is_food, "food", "market_regulation"),
                                 (pop.is_polluting, "environment", "ecology_environment")):
        rows = np.flatnonzero(mask)
        first = pop.established[rows] + uniform_days(rng, 0, 60, len(rows))
        for k in range(config.max_age_years // max(ev.licence_years, 1) + 2):
            s = first + k * span
            e = np.minimum(s + span, pop.closed[rows])
            keep = (s <= end_day) & (e >= start_day) & (s < pop.closed[rows])
            buf.add("licence", rows[keep], s[keep], end=e[keep], domain=domain, source=source)
