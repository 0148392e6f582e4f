"""Compliance credit 合规信用: what the spec cannot say about inspections, samplings, listings.

Penalties by severity and domain, listing flags and licences are spec aggregates
(``configs/features.yaml``). This module adds ratios and "most recent" features:

- inspection history: problem rate over inspections with a result (pass or problem) in the
  window, outcome of the last inspection and days since it (NaN when none counts);
- product sampling failure rate;
- days listed: days since the start of the most recent abnormal listing still active.

Past abnormal listings that were removed do not count against the subject after removal
(DOMAIN.md §4): there is no "ever listed" feature, only the active ones.
"""

from __future__ import annotations

import numpy as np

from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.prepared import Prepared
from credit_risk.features.spec import ComplianceParams

__all__ = ["build_compliance"]


def _rate(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(len(num), np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def build_compliance(p: Prepared, params: ComplianceParams) -> list[tuple[FeatureInfo, object]]:
    wi, ws = params.inspection_window_days, params.sampling_window_days
    insp = p.select(kinds=["inspection"])
    problem = p.count(p.select(kinds=["inspection"], outcomes=["problem"]), wi)
    concluded = p.count(p.select(kinds=["inspection"], outcomes=["problem", "pass"]), wi)
    last = p.last(insp)
    outcomes = list(p.dataset.catalog.kinds["inspection"].outcomes) if "inspection" in p.dataset.catalog.kinds else []
    sampling_fail = p.count(p.select(kinds=["product_sampling"], outcomes=["fail"]), ws)
    sampling_all = p.count(p.select(kinds=["product_sampling"]), ws)
    abnormal = p.select(kinds=["abnormal_listing"])
    return [
        (FeatureInfo(f"inspection_problem_rate_{wi}d", "compliance", 1,
                     f"share of inspections with a result (pass or problem) in the last {wi} days that found a problem",
                     f"近{wi}天监督检查问题发现率"), _rate(problem, concluded)),
        (FeatureInfo("days_since_inspection", "compliance", 0,
                     "days since the most recent inspection still published (missing if none)",
                     "距最近一次监督检查天数"), p.days_since(insp, last)),
        (FeatureInfo("inspection_last_outcome", "compliance", 0,
                     "result of the most recent inspection still published", "最近一次监督检查结果",
                     categorical=True), p.outcome_of(insp, last, outcomes)),
        (FeatureInfo(f"sampling_fail_rate_{ws}d", "compliance", 1,
                     f"share of product samplings in the last {ws} days that failed", f"近{ws}天产品抽检不合格率"),
         _rate(sampling_fail, sampling_all)),
        (FeatureInfo("abnormal_days_listed", "compliance", 1,
                     "days since the start of the most recent abnormal-operation listing still active (missing if none)",
                     "当前经营异常名录已列入天数"), p.days_since(abnormal, p.last(abnormal))),
    ]
