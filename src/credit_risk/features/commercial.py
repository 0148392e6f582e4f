"""Commercial credit 商务信用: annual reports, growth, leverage, insurance coverage, capital.

An annual report for year ``y`` is known from its ``filed_on`` date: at ``t`` only reports
with ``filed_on < t`` exist. Reports are due by June 30 of ``y + 1`` (configurable); the
*expected* reports at ``t`` are the years whose deadline is before ``t`` and not before the
year of establishment. The tax rating (last rating still published) comes from the spec.

One report is a noisy reading of a subject's standing; the persistent part shows in the
*history*. The ``*_mean_{h}y`` features average a ratio over the reports of report years
``year(t) - h`` … ``year(t) - 1`` filed before ``t`` (reports whose ratio is undefined are
skipped; NaN when none is left).

Registered capital as of ``t`` is the current ``registered_capital`` minus the signed
``capital_change`` records not yet known at ``t`` (``published_on >= t``): a capital change
is the only way the register changes capital, so this rebuilds the value known at ``t``.
"""

from __future__ import annotations

import numpy as np

from credit_risk.features.engine import INF, OFFSET, day_numbers, interval_last, interval_sum
from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.prepared import Prepared
from credit_risk.features.spec import CommercialParams

__all__ = ["build_commercial"]


def _info(name, direction, en, zh) -> FeatureInfo:
    return FeatureInfo(name, "commercial", direction, en, zh)


def _year_of(day: np.ndarray) -> np.ndarray:
    return (day - OFFSET).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _deadline_day(year: np.ndarray, params: CommercialParams) -> np.ndarray:
    """Day number of the filing deadline of report year ``year``."""
    base = (np.asarray(year, dtype=np.int64) + 1 - 1970).astype("datetime64[Y]").astype("datetime64[M]")
    month = base + np.timedelta64(params.report_deadline_month - 1, "M")
    return month.astype("datetime64[D]").astype(np.int64) + params.report_deadline_day - 1 + OFFSET


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = a / b
    out[~np.isfinite(out)] = np.nan
    return out


def _growth(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (new - old) / np.abs(old)
    out[~np.isfinite(out)] = np.nan
    return out


def report_values(p: Prepared) -> dict[str, np.ndarray]:
    """Values of the last and previous-year reports known at each cutoff (NaN when absent)."""
    if "report_values" in p.cache:
        return p.cache["report_values"]
    p.cache["report_values"] = out = _report_values(p)
    return out


def _report_values(p: Prepared) -> dict[str, np.ndarray]:
    n = len(p.cutoff_day)
    ar = p.dataset.annual_reports
    cols = ("revenue", "employees", "assets", "liabilities", "insured_employees", "tax_paid")
    out: dict[str, np.ndarray] = {f"last_{c}": np.full(n, np.nan) for c in cols}
    out.update({f"prev_{c}": np.full(n, np.nan) for c in ("revenue", "employees")})
    out["last_year"] = np.full(n, np.nan)
    if ar is None or len(ar) == 0:
        return out
    subj = p.report_subj
    year = ar["year"].to_numpy(dtype=np.int64)
    filed = day_numbers(ar["filed_on"])
    pos = interval_last(subj, filed, np.full(len(ar), INF), year, p.q)
    ok = pos >= 0
    out["last_year"][ok] = year[pos[ok]]
    for c in cols:
        if c in ar:
            v = ar[c].to_numpy(dtype=np.float64, na_value=np.nan)
            out[f"last_{c}"][ok] = v[pos[ok]]
    # previous year's report, if it was already filed before t
    key = subj * 10_000 + year
    order = np.argsort(key, kind="stable")
    want = p.cutoff_subj * 10_000 + (out["last_year"] - 1)
    want = np.where(ok, want, -1).astype(np.int64)
    at = np.minimum(np.searchsorted(key[order], want), len(key) - 1)
    found = ok & (key[order][at] == want) & (filed[order][at] < p.cutoff_day)
    for c in ("revenue", "employees"):
        if c in ar:
            v = ar[c].to_numpy(dtype=np.float64, na_value=np.nan)[order]
            out[f"prev_{c}"][found] = v[at[found]]
    return out


def _timeliness(p: Prepared, params: CommercialParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(missing reports, late reports, days overdue of the latest expected report)."""
    n = len(p.cutoff_day)
    t = p.cutoff_day
    ty = _year_of(t)
    # latest report year whose deadline has passed before t
    last_expected = np.where(_deadline_day(ty - 1, params) < t, ty - 1, ty - 2)
    est_year = _year_of(day_numbers(p.dataset.enterprises["established_on"]))[p.cutoff_subj]
    ar = p.dataset.annual_reports
    missing = np.zeros(n)
    late = np.zeros(n)
    overdue = np.full(n, np.nan)
    if ar is not None and len(ar):
        subj = p.report_subj
        key = subj * 10_000 + ar["year"].to_numpy(dtype=np.int64)
        order = np.argsort(key, kind="stable")
        skey = key[order]
        filed = day_numbers(ar["filed_on"])[order]
    else:
        skey = np.zeros(0, dtype=np.int64)
        filed = np.zeros(0, dtype=np.int64)
    for k in range(params.late_window_years):  # loop over a handful of report years, not subjects
        y = last_expected - k
        expected = y >= est_year
        want = p.cutoff_subj * 10_000 + y
        if len(skey):
            at = np.minimum(np.searchsorted(skey, want), len(skey) - 1)
            present = (skey[at] == want) & (filed[at] < t)
            is_late = present & (filed[at] > _deadline_day(y, params))
        else:
            present = np.zeros(n, bool)
            is_late = np.zeros(n, bool)
        missing += expected & ~present
        late += expected & is_late
        if k == 0:
            overdue = np.where(expected, np.where(present, 0.0, t - _deadline_day(y, params)), np.nan)
    never = last_expected < est_year
    missing[never] = np.nan
    late[never] = np.nan
    return missing, late, overdue


#: Ratios averaged over the report history: (name, numerator, denominator, direction, English, Chinese).
_HISTORY_RATIOS = (
    ("liability_ratio", "liabilities", "assets", 1, "liabilities / assets", "资产负债率"),
    ("insured_employee_ratio", "insured_employees", "employees", -1, "insured employees / employees",
     "参保人数占从业人数比例"),
    ("tax_to_revenue", "tax_paid", "revenue", -1, "tax paid / revenue", "纳税额占营业收入比例"),
    ("profit_margin", "profit", "revenue", -1, "profit / revenue", "营业利润率"),
)


def _history_means(p: Prepared, years: int) -> dict[str, np.ndarray]:
    """Mean of each history ratio over the reports of the last ``years`` report years filed before t."""
    n = len(p.cutoff_day)
    sums = {name: np.zeros(n) for name, *_ in _HISTORY_RATIOS}
    counts = {name: np.zeros(n) for name, *_ in _HISTORY_RATIOS}
    ar = p.dataset.annual_reports
    if ar is not None and len(ar):
        key = p.report_subj * 10_000 + ar["year"].to_numpy(dtype=np.int64)
        order = np.argsort(key, kind="stable")
        skey = key[order]
        filed = day_numbers(ar["filed_on"])[order]
        ratios = {}
        for name, num, den, *_ in _HISTORY_RATIOS:
            if num in ar and den in ar:
                ratios[name] = _ratio(ar[num].to_numpy(dtype=np.float64, na_value=np.nan)[order],
                                      ar[den].to_numpy(dtype=np.float64, na_value=np.nan)[order])
        ty = _year_of(p.cutoff_day)
        for k in range(1, years + 1):  # a handful of report years, not subjects
            want = p.cutoff_subj * 10_000 + (ty - k)
            at = np.minimum(np.searchsorted(skey, want), len(skey) - 1)
            present = (skey[at] == want) & (filed[at] < p.cutoff_day)
            for name, v in ratios.items():
                x = np.where(present, v[at], np.nan)
                ok = np.isfinite(x)
                sums[name][ok] += x[ok]
                counts[name][ok] += 1
    return {name: np.where(counts[name] > 0, sums[name] / np.maximum(counts[name], 1), np.nan) for name in sums}


def capital_at(p: Prepared, kind: str = "capital_change") -> np.ndarray:
    """Registered capital as known at each cutoff (10,000 CNY), NaN when unknown.

    ``kind``: the record kind whose signed ``value`` is a change of registered capital.
    """
    cap = p.dataset.enterprises["registered_capital"].to_numpy(dtype=np.float64, na_value=np.nan)[p.cutoff_subj]
    rs = p.select(kinds=[kind])
    if len(rs.subj) == 0:
        return cap
    pub = day_numbers(p.dataset.records["published_on"].iloc[rs.rows])
    # Σ value of changes with published_on >= t = total − Σ with published_on < t
    known = interval_sum(rs.subj, pub, np.full(len(pub), INF), rs.value, p.q)
    total = np.bincount(rs.subj, weights=np.nan_to_num(rs.value), minlength=p.n_subjects)[p.cutoff_subj]
    return cap - (total - known)


def build_commercial(p: Prepared, params: CommercialParams) -> list[tuple[FeatureInfo, object]]:
    r = report_values(p)
    missing, late, overdue = _timeliness(p, params)
    w = params.late_window_years
    cap = capital_at(p, params.capital_change_kind)
    h = params.history_years
    means = _history_means(p, h)
    with np.errstate(invalid="ignore"):
        log_cap = np.log1p(np.where(cap >= 0, cap, np.nan))
    return [
        (_info(f"annual_report_missing_{w}y", 1, f"annual reports due in the last {w} report years not filed before t",
               f"近{w}个年度未报送年报数"), missing),
        (_info(f"annual_report_late_{w}y", 1, f"annual reports of the last {w} report years filed after the deadline",
               f"近{w}个年度逾期报送年报数"), late),
        (_info("annual_report_overdue_days", 1, "days past the deadline of the latest due annual report still not filed (0 if filed)",
               "最近应报年报逾期天数"), overdue),
        (_info("revenue_growth", -1, "revenue growth between the last two consecutive annual reports known at t",
               "营业收入增长率"), _growth(r["last_revenue"], r["prev_revenue"])),
        (_info("employee_growth", -1, "employee growth between the last two consecutive annual reports known at t",
               "从业人数增长率"), _growth(r["last_employees"], r["prev_employees"])),
        (_info("liability_ratio", 1, "liabilities / assets in the last annual report known at t", "资产负债率"),
         _ratio(r["last_liabilities"], r["last_assets"])),
        (_info("insured_employee_ratio", -1, "insured employees / employees in the last annual report known at t",
               "参保人数占从业人数比例"), _ratio(r["last_insured_employees"], r["last_employees"])),
        (_info("tax_to_revenue", -1, "tax paid / revenue in the last annual report known at t", "纳税额占营业收入比例"),
         _ratio(r["last_tax_paid"], r["last_revenue"])),
        (_info("log_employees", 0, "log(1 + employees) in the last annual report known at t", "从业人数(对数)"),
         np.log1p(np.where(r["last_employees"] >= 0, r["last_employees"], np.nan))),
        (_info("log_registered_capital", 0, "log(1 + registered capital in 10,000 CNY) as registered at t",
               "注册资本(万元,对数)"), log_cap),
    ] + [
        (_info(f"{name}_mean_{h}y", direction,
               f"mean {en} over the annual reports of the last {h} report years known at t (missing if none)",
               f"近{h}个年度年报平均{zh}"), means[name])
        for name, _, _, direction, en, zh in _HISTORY_RATIOS
    ]
