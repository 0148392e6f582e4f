"""Life cycle 生命周期: age, stage, registration changes, closure signals.

- ``age_years``: (t − established_on) / 365.25, NaN when the cutoff precedes establishment;
- ``lifecycle_stage``: ``decline`` when the subject is closed before ``t`` or its revenue fell
  by more than ``decline_revenue_growth`` between its last two reports known at ``t``;
  otherwise ``startup`` (age < ``startup_years``), ``growth`` (< ``mature_years``) or
  ``mature``; missing before establishment;
- ``closed``: 1.0 when ``closed_on < t`` (the closure is known from its date);
- ``registration_change_count_{w}d``: records of ``change_kinds`` (changes of legal
  representative, address, name, scope and capital) started in the window (per-kind counts
  are spec aggregates); not built when none of those kinds is in the catalogue.

None of these declares a direction: how age or change relates to risk depends on the target
(older firms were riskier for illegal fundraising), so they are not monotone constraints
unless the spec's ``directions:`` declares one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_risk.features.commercial import _growth, report_values
from credit_risk.features.engine import INF, day_numbers
from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.prepared import Prepared
from credit_risk.features.spec import LifecycleParams

__all__ = ["STAGES", "build_lifecycle"]

STAGES: tuple[str, ...] = ("startup", "growth", "mature", "decline")


def build_lifecycle(p: Prepared, params: LifecycleParams) -> list[tuple[FeatureInfo, object]]:
    ent = p.dataset.enterprises
    t = p.cutoff_day
    est = day_numbers(ent["established_on"])[p.cutoff_subj]
    closed_day = (
        day_numbers(ent["closed_on"])[p.cutoff_subj] if "closed_on" in ent else np.full(len(t), INF)
    )
    age = np.where(est < t, (t - est) / 365.25, np.nan)
    closed = (closed_day < t).astype(np.float64)
    r = report_values(p)
    growth = _growth(r["last_revenue"], r["prev_revenue"])
    stage = np.where(
        age < params.startup_years, "startup", np.where(age < params.mature_years, "growth", "mature")
    ).astype(object)
    decline = (closed > 0) | (growth <= params.decline_revenue_growth)
    stage[decline] = "decline"
    stage[np.isnan(age)] = None
    out = [
        (FeatureInfo("age_years", "lifecycle", 0, "years since establishment at t", "成立年限"), age),
        (FeatureInfo("lifecycle_stage", "lifecycle", 0,
                     "life-cycle stage at t: startup, growth, mature or decline", "生命周期阶段", categorical=True),
         pd.Categorical(stage, categories=list(STAGES))),
        (FeatureInfo("closed", "lifecycle", 0, "1 if the subject was closed (deregistered) before t", "已注销或吊销"),
         closed),
    ]
    change_kinds = [k for k in params.change_kinds if k in p.dataset.catalog.kinds]
    if not change_kinds:
        return out
    changes = p.select(kinds=change_kinds)
    for w in params.change_windows:
        out.append(
            (FeatureInfo(f"registration_change_count_{w}d", "lifecycle", 0,
                         f"registration changes (legal representative, address, name, scope, capital) in the last {w} days",
                         f"近{w}天登记事项变更次数"), p.count(changes, w).astype(np.float64))
        )
    return out
