"""Compliance credit 合规信用: what the spec cannot say about inspections, samplings, listings.

Penalties by severity and domain, listing flags and licences are spec aggregates
(``configs/features.yaml``). This module adds ratios and "most recent" features; the kinds
are parameters (:class:`~credit_risk.features.spec.ComplianceParams`) and what their outcomes
mean comes from the catalogue, never from names written here:

- inspection history: adverse share over the inspections with a result in the window (the
  kind's ``adverse_outcomes`` over every outcome but its ``no_contact_outcomes``), result of the
  last inspection and days since it (NaN when none counts);
- product sampling adverse (failure) share, same rule;
- days listed: days since the start of the most recent listing still active.

A feature whose kind is not in the catalogue is not built (a rate also needs the kind to
declare adverse outcomes): a missing kind is missing information, not a rate of 0.

Past abnormal listings that were removed do not count against the subject after removal
(DOMAIN.md §4): there is no "ever listed" feature, only the active ones.
"""

from __future__ import annotations

import logging

from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.prepared import Prepared
from credit_risk.features.spec import ComplianceParams
from credit_risk.features.windows import adverse_share

__all__ = ["build_compliance"]

logger = logging.getLogger(__name__)


def build_compliance(p: Prepared, params: ComplianceParams) -> list[tuple[FeatureInfo, object]]:
    wi, ws = params.inspection_window_days, params.sampling_window_days
    kinds = p.dataset.catalog.kinds
    out: list[tuple[FeatureInfo, object]] = []
    ik, sk, lk = params.inspection_kind, params.sampling_kind, params.listing_kind
    if ik is not None and ik in kinds:
        spec = kinds[ik]
        if spec.adverse_outcomes:
            bad = "/".join(spec.adverse_outcomes)
            out.append(
                (FeatureInfo(f"inspection_problem_rate_{wi}d", "compliance", 1,
                             f"share of inspections ({ik}) with a result in the last {wi} days whose result was "
                             f"adverse ({bad})", f"近{wi}天监督检查问题发现率"),
                 adverse_share(p, [ik], wi))
            )
        else:
            logger.info("compliance: kind %r declares no adverse_outcomes; inspection_problem_rate not built", ik)
        insp = p.select(kinds=[ik])
        last = p.last(insp)
        out += [
            (FeatureInfo("days_since_inspection", "compliance", 0,
                         f"days since the most recent inspection ({ik}) still published (missing if none)",
                         "距最近一次监督检查天数"), p.days_since(insp, last)),
            (FeatureInfo("inspection_last_outcome", "compliance", 0,
                         f"result of the most recent inspection ({ik}) still published", "最近一次监督检查结果",
                         categorical=True), p.outcome_of(insp, last, list(spec.outcomes))),
        ]
    if sk is not None and sk in kinds and kinds[sk].adverse_outcomes:
        bad = "/".join(kinds[sk].adverse_outcomes)
        out.append(
            (FeatureInfo(f"sampling_fail_rate_{ws}d", "compliance", 1,
                         f"share of product samplings ({sk}) with a result in the last {ws} days that were "
                         f"adverse ({bad})", f"近{ws}天产品抽检不合格率"),
             adverse_share(p, [sk], ws))
        )
    if lk is not None and lk in kinds:
        listed = p.select(kinds=[lk])
        out.append(
            (FeatureInfo("abnormal_days_listed", "compliance", 1,
                         f"days since the start of the most recent listing ({lk}) still active (missing if none)",
                         "当前经营异常名录已列入天数"), p.days_since(listed, p.last(listed)))
        )
    return out
