"""Approved rule sets on the one rule engine: speed at 1,000,000 subjects, and validity on truth.

1. **Engine speed.** The environmental credit rule set and the Zhejiang enterprise rule set
   scored by :func:`credit_risk.evaluations.score_rules` (``models/_rules.py``: bin points,
   group sums, levels, one-vote vetoes) on ``--rows`` subjects (default 1,000,000) of drawn
   indicator values, beside a **plain pandas baseline** of the same rules (``pd.cut`` per
   indicator, column sums, ``pd.cut`` on the total, boolean masks for the vetoes). Both must
   give identical points and levels; the best of ``--repeats`` runs is reported.
2. **Validity.** On a synthetic province (``--subjects``, default 300,000, seed 7) the
   environmental credit evaluation of the key pollutant-discharging units as of each
   ``--as-of`` date, against the ground truth: the share of the following 12 months in which
   the unit was violating environmental rules (``truth.latent.violating_environment``) and the
   share of units violating in at least one of them, by level. Expected: green < blue <
   yellow < red.

    .venv/bin/python benchmarks/evaluations.py
    .venv/bin/python benchmarks/evaluations.py --rows 200000 --subjects 50000   # quicker

Writes ``benchmarks/out/evaluations.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from credit_risk.data.synthetic import generate_province
from credit_risk.evaluations import (
    evaluate_environment,
    load_environment_rules,
    load_rule_sets,
    score_rules,
)

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "out"
LEVEL_ORDER = ("green", "blue", "yellow", "red", "black")


def draw_values(rule_set, rows: int, seed: int) -> pd.DataFrame:
    """Indicator values: Poisson counts (rate 0.05–0.6), attributes 0–30 with 2 % missing."""
    rng = np.random.default_rng(seed)
    out = {}
    for ind in rule_set.indicators:
        if ind.count is not None:
            out[ind.name] = rng.poisson(rng.uniform(0.05, 0.6), rows).astype(float)
        else:
            v = rng.uniform(0, 30, rows)
            v[rng.random(rows) < 0.02] = np.nan
            out[ind.name] = v
    return pd.DataFrame(out)


def pandas_baseline(values: pd.DataFrame, rule_set) -> pd.DataFrame:
    """The same rules in plain pandas: pd.cut per indicator, sums, pd.cut on the total, masks."""
    points = pd.DataFrame(index=values.index)
    for ind in rule_set.indicators:
        edges = [-np.inf, *[b.upper for b in ind.bins[:-1]], np.inf]
        codes = pd.cut(values[ind.name], bins=edges, right=False, labels=False)
        pts = pd.Series([b.points for b in ind.bins], dtype=float)
        points[ind.name] = codes.map(pts).fillna(ind.missing)
    groups = pd.DataFrame({g: points[[i.name for i in rule_set.indicators if i.group == g]].sum(axis=1).clip(upper=cap)
                           for g, cap in rule_set.groups.items()})
    total = groups.sum(axis=1).clip(0, rule_set.max_points)
    levels = list(rule_set.levels)[::-1]  # worst → best for pd.cut
    edges = [-np.inf, *[lv.min_points for lv in levels[1:]], np.inf]
    by_points = pd.cut(total, bins=edges, right=False, labels=[lv.grade for lv in levels]).astype(object)
    rank = {g: i for i, g in enumerate(rule_set.grades)}
    level = by_points.map(rank)
    for v in rule_set.vetoes:
        x = values[v.indicator]
        hit = {">": x > v.value, ">=": x >= v.value, "<": x < v.value, "<=": x <= v.value,
               "==": x == v.value, "!=": x != v.value}[v.op] & x.notna()
        level = level.where(~hit | (level >= rank[v.grade]), rank[v.grade])
    grades = pd.Series(rule_set.grades)
    return pd.DataFrame({"points": total, "level_by_points": by_points, "level": level.map(grades)})


def time_best(fn, repeats: int) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def engine_speed(rows: int, repeats: int) -> list[dict]:
    rule_sets = {"environment": load_environment_rules()}
    rule_sets.update({f"zhejiang_{k}": v for k, v in load_rule_sets("zhejiang_public_credit.yaml").rule_sets.items()
                      if k == "enterprise"})
    out = []
    for name, rs in rule_sets.items():
        values = draw_values(rs, rows, seed=1)
        t_engine, ours = time_best(lambda rs=rs, values=values: score_rules(values, rs), repeats)
        t_pandas, base = time_best(lambda rs=rs, values=values: pandas_baseline(values, rs), repeats)
        same = bool(np.allclose(ours["points"], base["points"]) and (ours["level"] == base["level"]).all()
                    and (ours["level_by_points"] == base["level_by_points"]).all())
        counts = ours["level"].value_counts().to_dict()
        out.append({"rule_set": name, "rows": rows, "indicators": len(rs.indicators), "vetoes": len(rs.vetoes),
                    "engine_s": round(t_engine, 3), "pandas_s": round(t_pandas, 3), "identical": same,
                    "levels": {k: int(v) for k, v in counts.items()}})
        print(f"{name:<22} {rows:>10,} rows  engine {t_engine:6.2f} s   pandas baseline {t_pandas:6.2f} s   "
              f"identical: {same}")
    return out


def violation_by_level(subjects: int, seed: int, dates: list[str]) -> dict:
    start = time.perf_counter()
    province = generate_province(subjects, seed=seed)
    generated = time.perf_counter() - start
    latent = province.truth["latent"]
    tables = {}
    for as_of in dates:
        t = pd.Timestamp(as_of)
        start = time.perf_counter()
        res = evaluate_environment(province.dataset, t)
        seconds = time.perf_counter() - start
        window = latent.loc[(latent["month"] >= t) & (latent["month"] < t + pd.DateOffset(years=1))
                            & latent["credit_code"].isin(res.index), ["credit_code", "violating_environment"]]
        per_unit = window.groupby("credit_code")["violating_environment"].agg(["mean", "max"])
        joined = res[["level"]].join(per_unit, how="inner")
        table = joined.groupby("level").agg(units=("mean", "size"), month_rate=("mean", "mean"),
                                            any_rate=("max", "mean"))
        table = table.reindex([lv for lv in LEVEL_ORDER if lv in table.index])
        rising = bool(np.all(np.diff(table["month_rate"].to_numpy()) > 0))
        tables[as_of] = {"units": len(res), "seconds": round(seconds, 2), "rising": rising,
                         "vetoes": {k: int(v) for k, v in res["veto"].value_counts().items() if k},
                         "table": {lv: {"units": int(r.units), "month_rate": round(float(r.month_rate), 4),
                                        "any_rate": round(float(r.any_rate), 4)} for lv, r in table.iterrows()}}
        print(f"\nenvironmental credit as of {as_of}: {len(res):,} key pollutant-discharging units "
              f"({seconds:.1f} s), rising green < blue < yellow < red: {rising}")
        print(f"  {'level':<8}{'units':>8}{'violating months':>18}{'any month':>12}")
        for lv, r in table.iterrows():
            print(f"  {lv:<8}{int(r.units):>8,}{r.month_rate:>18.1%}{r.any_rate:>12.1%}")
    return {"subjects": subjects, "seed": seed, "generate_s": round(generated, 1), "dates": tables}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--subjects", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--as-of", nargs="+", default=["2023-01-01", "2024-01-01", "2025-01-01"])
    args = ap.parse_args()
    result = {"engine": engine_speed(args.rows, args.repeats),
              "violation_by_level": violation_by_level(args.subjects, args.seed, args.as_of)}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "evaluations.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwrote {OUT / 'evaluations.json'}")


if __name__ == "__main__":
    main()
