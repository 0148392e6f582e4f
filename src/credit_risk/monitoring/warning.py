"""``credit-risk warn``: subjects whose risk jumped since the last run, with the reasons of the change (监测预警).

:func:`early_warning` compares two recorded runs of the same subjects and flags a subject when

* its **tier worsened** (``D`` is worse than ``A``; the order is ``migration.tier_order``),
* its **probability rose** by at least ``warning.probability_factor`` and now reaches
  ``warning.min_probability``, or
* it gained a **new serious record** (a negative record of severity ``warning.serious_severity``
  or worse on its kind's scale, counting at the current as-of date and not at the last one).

Each flagged subject carries its top reasons for the *change*: a new serious record first
(the record itself: kind, id, publication date), then the features whose TreeSHAP
contribution rose most between the two runs, each with its value before and after, in
English and Chinese. The list is ranked (new serious record, then tiers worsened, then the
probability ratio) and names the region and the departments responsible (the record's
source department when a record triggered it, else the departments a joint visit to the
subject involves). :func:`by_region` splits it per region for the grid workers
(网格重点走访名单).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from credit_risk.atomic import write_csv
from credit_risk.monitoring.config import MonitoringConfig, load_monitoring_config
from credit_risk.monitoring.migration import tier_steps
from credit_risk.monitoring.runs import CONTRIB_PREFIX, FEATURE_PREFIX, Run

__all__ = ["by_region", "early_warning", "text_cells", "write_warnings"]


def _fmt(value: Any) -> str:
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return "missing"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def _fmt_zh(value: Any) -> str:
    text = _fmt(value)
    return "缺失" if text == "missing" else text


def early_warning(reference: Run, current: Run, *, config: MonitoringConfig | None = None) -> pd.DataFrame:
    """Ranked warning list of the subjects scored in both runs (see the module docstring).

    Returns
    -------
    DataFrame
        ``rank, credit_code, region, department, departments, tier_reference, tier_current,
        tier_steps, p_reference, p_current, p_ratio, tier_worsened, probability_rose,
        new_serious_record`` and per reason ``r`` (1 … ``warning.reasons``):
        ``reason_r_feature, reason_r_change, reason_r_text, reason_r_text_zh``
        (``reason_r_change`` is the rise of the contribution in log-odds, NaN for a record).
        Empty (with these columns) when nobody is flagged.
    """
    config = config if config is not None else load_monitoring_config()
    w = config.warning
    rs, cs = reference.snapshot, current.snapshot
    ref = rs.drop_duplicates("credit_code").set_index("credit_code")
    cur = cs.drop_duplicates("credit_code").set_index("credit_code")
    codes = cur.index[cur.index.isin(ref.index)]
    ref, cur = ref.loc[codes], cur.loc[codes]
    steps = tier_steps(ref["tier"].to_numpy(dtype=object), cur["tier"].to_numpy(dtype=object),
                       config.migration.tier_order)
    p_ref = ref["probability"].to_numpy(dtype=float)
    p_cur = cur["probability"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(p_ref > 0, p_cur / p_ref, np.inf)
    worsened = np.nan_to_num(steps) > 0
    rose = (ratio >= w.probability_factor) & (p_cur >= w.min_probability)
    n_ref = ref["n_serious"].to_numpy(dtype=float) if "n_serious" in ref else np.zeros(len(codes))
    n_cur = cur["n_serious"].to_numpy(dtype=float) if "n_serious" in cur else np.zeros(len(codes))
    id_ref = ref["serious_record_id"].astype(object).to_numpy() if "serious_record_id" in ref else np.full(len(codes), None)
    id_cur = cur["serious_record_id"].astype(object).to_numpy() if "serious_record_id" in cur else np.full(len(codes), None)
    new_serious = (n_cur > n_ref) | np.array([c is not None and c == c and c != r for r, c in zip(id_ref, id_cur, strict=True)],
                                             dtype=bool)
    flagged = np.flatnonzero(worsened | rose | new_serious)
    k = w.reasons
    columns = ["rank", "credit_code", "region", "department", "departments", "tier_reference", "tier_current",
               "tier_steps", "p_reference", "p_current", "p_ratio", "tier_worsened", "probability_rose",
               "new_serious_record"]
    for r in range(1, k + 1):
        columns += [f"reason_{r}_feature", f"reason_{r}_change", f"reason_{r}_text", f"reason_{r}_text_zh"]
    if not len(flagged):
        return pd.DataFrame(columns=columns)

    features = [f for f in reference.features if CONTRIB_PREFIX + f in rs.columns and CONTRIB_PREFIX + f in cs.columns]
    meta = current.meta["features"]
    kind_names = current.meta.get("kind_names", {})
    if features:
        delta = (cur.iloc[flagged][[CONTRIB_PREFIX + f for f in features]].to_numpy(dtype=float)
                 - ref.iloc[flagged][[CONTRIB_PREFIX + f for f in features]].to_numpy(dtype=float))
    rows = []
    for n, i in enumerate(flagged):
        code = codes[i]
        row: dict[str, Any] = {
            "credit_code": code, "region": cur["region"].iloc[i] if "region" in cur else None,
            "departments": cur["departments"].iloc[i] if "departments" in cur else None,
            "tier_reference": ref["tier"].iloc[i], "tier_current": cur["tier"].iloc[i],
            "tier_steps": steps[i], "p_reference": p_ref[i], "p_current": p_cur[i], "p_ratio": ratio[i],
            "tier_worsened": bool(worsened[i]), "probability_rose": bool(rose[i]),
            "new_serious_record": bool(new_serious[i]),
        }
        source = cur["serious_source"].iloc[i] if new_serious[i] and "serious_source" in cur else None
        row["department"] = source if isinstance(source, str) and source else (
            str(row["departments"]).split(";")[0] if isinstance(row["departments"], str) and row["departments"] else None)
        reasons: list[tuple[str, float, str, str]] = []
        if new_serious[i]:
            kind = str(cur["serious_kind"].iloc[i])
            rid = str(cur["serious_record_id"].iloc[i])
            when = pd.Timestamp(cur["serious_on"].iloc[i])
            day = "" if pd.isna(when) else when.date().isoformat()
            name_zh = kind_names.get(kind, kind)
            reasons.append((f"record:{rid}", float("nan"),
                            f"new serious record: {kind} {rid}" + (f", published {day}" if day else ""),
                            f"新增严重记录：{name_zh}（{rid}" + (f"，{day}公布" if day else "") + "）"))
        if features:
            d = delta[n]
            order = np.argsort(-np.nan_to_num(d, nan=-np.inf), kind="stable")
            for j in order[: k - len(reasons)]:
                if not d[j] > 0:
                    break
                name = features[j]
                before = ref[FEATURE_PREFIX + name].iloc[i] if FEATURE_PREFIX + name in ref else None
                after = cur[FEATURE_PREFIX + name].iloc[i] if FEATURE_PREFIX + name in cur else None
                info = meta.get(name, {})
                reasons.append((name, float(d[j]),
                                f"{info.get('description', name)}: {_fmt(before)} → {_fmt(after)} "
                                f"(raises risk by {d[j]:.2f} log-odds)",
                                f"{info.get('description_zh', name)}：{_fmt_zh(before)} → {_fmt_zh(after)}"
                                f"（推高风险，对数几率 +{d[j]:.2f}）"))
        for r in range(1, k + 1):
            feature, change, text, text_zh = reasons[r - 1] if r <= len(reasons) else (None, np.nan, None, None)
            row.update({f"reason_{r}_feature": feature, f"reason_{r}_change": change, f"reason_{r}_text": text,
                        f"reason_{r}_text_zh": text_zh})
        rows.append(row)
    out = pd.DataFrame(rows)
    out["_ratio"] = np.log(np.clip(out["p_ratio"].to_numpy(dtype=float), 1e-12, 1e12))
    out = out.sort_values(["new_serious_record", "tier_steps", "_ratio", "credit_code"],
                          ascending=[False, False, False, True], kind="stable", na_position="last")
    out = out.drop(columns="_ratio").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[columns]


def by_region(warnings: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The warning list per region (网格重点走访名单), each ranked within its region."""
    region = warnings["region"].astype(object).where(warnings["region"].notna(), "(unknown)").astype(str)
    out = {}
    for value in sorted(region.unique()):
        part = warnings[region.to_numpy() == value].copy()
        part.insert(1, "region_rank", np.arange(1, len(part) + 1))
        out[value] = part.reset_index(drop=True)
    return out


def text_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing text cells as empty strings (the same CSV; ``write_csv`` trips on an all-missing text column)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col].dtype) or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].astype(object).where(out[col].notna(), "")
    return out


def write_warnings(warnings: pd.DataFrame, folder: str | Path) -> list[Path]:
    """``warnings.csv`` and ``by_region/<region>.csv``, written atomically; returns the paths."""
    warnings = text_cells(warnings)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "warnings.csv"]
    write_csv(warnings, written[0])
    for region, part in by_region(warnings).items():
        safe = re.sub(r"[^\w.-]+", "_", region, flags=re.UNICODE).strip("._") or "region"
        path = out / "by_region" / f"{safe}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(part, path)
        written.append(path)
    return written

