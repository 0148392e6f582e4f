"""Social responsibility 社会责任: what the spec cannot say.

Complaints (verified or not), arrears counts, environmental violations and ratings and
honours are spec aggregates (``configs/features.yaml``). This module adds the amount of
social-insurance arrears still outstanding at ``t`` and the share of complaints verified.
"""

from __future__ import annotations

import numpy as np

from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.prepared import Prepared

__all__ = ["build_social"]


def build_social(p: Prepared, params=None) -> list[tuple[FeatureInfo, object]]:
    arrears = p.total(p.select(kinds=["social_insurance_arrears"]))
    verified = p.count(p.select(kinds=["complaint"], outcomes=["verified"]), 1095).astype(float)
    total = p.count(p.select(kinds=["complaint"]), 1095).astype(float)
    share = np.full(len(total), np.nan)
    ok = total > 0
    share[ok] = verified[ok] / total[ok]
    return [
        (FeatureInfo("social_insurance_arrears_amount", "social", 1,
                     "amount of social-insurance arrears outstanding at t (CNY; 0 if none)", "当前社保欠缴金额"),
         arrears),
        (FeatureInfo("complaint_verified_share_1095d", "social", 1,
                     "share of complaints in the last 1095 days that were verified (missing if none)",
                     "近1095天投诉举报核实比例"), share),
    ]
