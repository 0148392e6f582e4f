"""Social responsibility 社会责任: what the spec cannot say.

Complaints (verified or not), arrears counts, environmental violations and ratings and
honours are spec aggregates (``configs/features.yaml``). This module adds the amount of
social-insurance arrears still outstanding at ``t`` and the share of complaints with an
adverse outcome (packaged catalogue: ``verified``). The kinds are parameters
(:class:`~credit_risk.features.spec.SocialParams`); a kind absent from the catalogue, or a
complaint kind without adverse outcomes, leaves its feature out.
"""

from __future__ import annotations

import numpy as np

from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.prepared import Prepared
from credit_risk.features.spec import SocialParams
from credit_risk.features.windows import adverse_share

__all__ = ["build_social"]


def build_social(p: Prepared, params: SocialParams | None = None) -> list[tuple[FeatureInfo, object]]:
    params = params if params is not None else SocialParams()
    kinds = p.dataset.catalog.kinds
    out: list[tuple[FeatureInfo, object]] = []
    if params.arrears_kind is not None and params.arrears_kind in kinds:
        out.append(
            (FeatureInfo("social_insurance_arrears_amount", "social", 1,
                         f"amount of {params.arrears_kind} records outstanding at t (0 if none)", "当前社保欠缴金额"),
             p.total(p.select(kinds=[params.arrears_kind])))
        )
    ck, w = params.complaint_kind, params.complaint_window_days
    if ck is not None and ck in kinds and kinds[ck].adverse_outcomes:
        out.append(
            (FeatureInfo(f"complaint_verified_share_{w}d", "social", 1,
                         f"share of complaints ({ck}) with a result in the last {w} days whose result was adverse "
                         f"({'/'.join(kinds[ck].adverse_outcomes)}) (missing if none)",
                         f"近{w}天投诉举报核实比例"), adverse_share(p, [ck], w))
        )
    return [(i, np.asarray(v, dtype=np.float64)) for i, v in out]
