"""Observed base rates of a generated province, to compare with ``targets`` in the config."""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.data.dataset import CreditDataset
from credit_risk.data.synthetic.config import SyntheticConfig

__all__ = ["base_rates", "rates_outside_targets"]


def _active_per_year(ent: pd.DataFrame, years: range, mask: np.ndarray | None = None) -> dict[int, np.ndarray]:
    est = ent["established_on"].to_numpy()
    closed = ent["closed_on"].to_numpy()
    out = {}
    for y in years:
        a, b = np.datetime64(f"{y}-01-01", "ns"), np.datetime64(f"{y}-12-31", "ns")
        act = (est <= b) & ~(closed < a)
        out[y] = act if mask is None else act & mask
    return out


def _share_with(records: pd.DataFrame, ent: pd.DataFrame, active: dict[int, np.ndarray]) -> float:
    """Mean over years of the share of active subjects with at least one of ``records`` that year."""
    codes = pd.Index(ent["credit_code"])
    pos = codes.get_indexer(records["credit_code"])
    year = records["start"].dt.year.to_numpy()
    shares = []
    for y, act in active.items():
        hit = np.zeros(len(codes), dtype=bool)
        hit[pos[year == y]] = True
        if act.sum():
            shares.append((hit & act).sum() / act.sum())
    return float(np.mean(shares)) if shares else float("nan")


def base_rates(dataset: CreditDataset, config: SyntheticConfig) -> dict[str, float]:
    """The base rates named in ``config.targets``, measured on the dataset's records.

    ``annual_penalty_rate``: share of active subjects penalised in a year (mean over history
    years); ``inspection_problem_rate``: share of inspections finding a problem;
    ``random_inspection_rate``: share of active market subjects drawn at random a year
    (general double-random draws, market domain);
    ``annual_abnormal_listing_rate``: share of active market subjects newly listed a year;
    ``annual_report_on_time_rate``: reports filed by 30 June among those due;
    ``annual_judgment_defaulter_rate``: share of active market subjects newly listed by a court.
    """
    ent, rec = dataset.enterprises, dataset.records
    years = range(config.start_date.year, config.end_date.year + 1)
    reporting = [k for k, v in config.entity_types.items() if v.files_annual_report]
    market = ent["entity_type"].isin(reporting).to_numpy()
    active = _active_per_year(ent, years)
    active_market = _active_per_year(ent, years, market)
    kind = rec["kind"]
    insp = rec[kind == "inspection"]
    out = {
        "annual_penalty_rate": _share_with(rec[kind == "penalty"], ent, active),
        "inspection_problem_rate": float((insp["outcome"] == "problem").mean()) if len(insp) else float("nan"),
        "random_inspection_rate": _share_with(
            insp[insp["draw_probability"].notna() & (insp["domain"] == "market")], ent, active_market
        ),
        "annual_abnormal_listing_rate": _share_with(rec[kind == "abnormal_listing"], ent, active_market),
        "annual_judgment_defaulter_rate": _share_with(rec[kind == "judgment_defaulter"], ent, active_market),
    }
    ar = dataset.annual_reports
    if ar is not None:
        due = pd.to_datetime((ar["year"] + 1).astype(str) + "-06-30").to_numpy()
        filed_in_time = (ar["filed_on"].to_numpy() <= due)
        # Reports due: eligible subject-years (established by year end, open at the due date).
        est, closed = ent["established_on"].to_numpy(), ent["closed_on"].to_numpy()
        due_total = 0
        for y in sorted(ar["year"].unique()):
            d = np.datetime64(f"{y + 1}-06-30", "ns")
            due_total += int((market & (est <= np.datetime64(f"{y}-12-31", "ns")) & ~(closed <= d)).sum())
        out["annual_report_on_time_rate"] = float(filed_in_time.sum() / due_total) if due_total else float("nan")
    return {k: out[k] for k in config.targets if k in out}


def rates_outside_targets(dataset: CreditDataset, config: SyntheticConfig) -> dict[str, tuple[float, tuple[float, float]]]:
    """Base rates outside their configured range: name → (observed, range); empty when all fit."""
    rates = base_rates(dataset, config)
    return {
        k: (v, config.targets[k].range)
        for k, v in rates.items()
        if not config.targets[k].range[0] <= v <= config.targets[k].range[1]
    }
