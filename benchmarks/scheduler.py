"""Benchmark: an inspection plan for Zhejiang's scale (3.4 M subjects, 20,000 inspectors).

Run::

    .venv/bin/python benchmarks/scheduler.py                 # full size
    .venv/bin/python benchmarks/scheduler.py --subjects 200000 --inspectors 2000

Builds a synthetic province (11 prefectures, ~90 counties, tiers from a latent risk plus
noise, 0.5 % mandatory subjects, 2 % A-tier with a recent clean visit, conflicts of
interest), writes it to Parquet, then in a fresh process reads it, draws the plan with
:func:`credit_risk.scheduler.plan_inspections` and writes it with
:func:`credit_risk.scheduler.write_plan`, reporting wall time per stage and peak memory
(``ru_maxrss`` of that process, also net of the loaded inputs).

Baseline in the same run (named ``pandas-groupby-sample + per-visit loop``): the
straightforward implementation — ``DataFrame.groupby([tier, region]).sample(frac=share)``
for the subjects and a Python loop that, for each visit and department, filters the pool
for inspectors with capacity left and no conflict and picks ``k`` of them with
``Generator.choice`` — timed on a subset of visits and extrapolated linearly.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from credit_risk.scheduler import compare_yield, load_policy, plan_inspections, write_plan


def make_province(n_subjects: int, n_inspectors: int, seed: int) -> tuple[pd.DataFrame, ...]:
    rng = np.random.default_rng(seed)
    prefectures = [f"33{p:02d}" for p in range(1, 12)]
    counties = [f"{p}{c:02d}" for p in prefectures for c in range(1, 9)] + ["330110", "330111"]
    weights = rng.dirichlet(np.full(len(counties), 3.0))
    region = np.array(counties, dtype=object)[rng.choice(len(counties), n_subjects, p=weights)]
    logit = rng.normal(-3.0, 1.3, n_subjects)
    score = logit + rng.normal(0, 0.7, n_subjects)
    cuts = np.quantile(score, [0.5, 0.8, 0.95])
    tier = np.array(list("ABCD"), dtype=object)[np.searchsorted(cuts, score)]
    combos = np.array(["market", "food;market", "environment;market", "market;safety",
                       "environment;food;market", "environment;market;safety"], dtype=object)
    domains = combos[rng.choice(len(combos), n_subjects, p=[0.55, 0.25, 0.08, 0.07, 0.03, 0.02])]
    codes = np.char.add("9133", np.char.zfill(np.arange(n_subjects).astype(str), 14))
    last = np.where(rng.random(n_subjects) < 0.04,
                    np.datetime64("2025-06-01") + rng.integers(0, 200, n_subjects).astype("timedelta64[D]"),
                    np.datetime64("NaT"))
    subjects = pd.DataFrame(
        {
            "credit_code": codes.astype(object),
            "tier": tier,
            "region": region,
            "industry": rng.choice(np.array(["C13", "H62", "F52", "I65"], dtype=object), n_subjects),
            "domains": domains,
            "established_on": np.datetime64("2010-01-01")
            + rng.integers(0, 365 * 16, n_subjects).astype("timedelta64[D]"),
            "last_inspected_on": last,
            "last_outcome": np.where(rng.random(n_subjects) < 0.8, "pass", "problem").astype(object),
            "serious_listing": rng.random(n_subjects) < 0.003,
            "judgment_defaulter": rng.random(n_subjects) < 0.002,
            "risk": 1 / (1 + np.exp(-logit)),
            "violating": rng.random(n_subjects) < 1 / (1 + np.exp(-logit)),
        }
    )
    # inspectors: departments 60/25/15 %, spread over counties like the subjects,
    # capacity = 1.35 × expected inspector-visits of the department and prefecture
    policy = load_policy()
    prob = pd.Series(tier).map({t: policy.probability_of(t) for t in "ABCD"}).to_numpy()
    dept_domains = {name: set(d.items) for name, d in policy.departments.items()}
    dept_share = {"market_regulation": 0.6, "ecology_environment": 0.25, "emergency_management": 0.15}
    pref = pd.Series(region).str.slice(0, 4).to_numpy()
    rows = []
    for dept, share in dept_share.items():
        covered = pd.Series(domains).map(lambda d, s=dept_domains[dept]: bool(s & set(d.split(";"))))
        demand = pd.Series(prob * covered.to_numpy() * 2).groupby(pref).sum() * 1.35 + 50
        n_dept = int(n_inspectors * share)
        home = np.array(counties, dtype=object)[rng.choice(len(counties), n_dept, p=weights)]
        home_pref = pd.Series(home).str.slice(0, 4)
        per_pref = home_pref.value_counts()
        cap = np.ceil(demand.reindex(home_pref).to_numpy() / per_pref.reindex(home_pref).to_numpy())
        rows.append(pd.DataFrame({
            "inspector_id": [f"{dept[:3].upper()}{i:06d}" for i in range(n_dept)],
            "department": dept, "home_region": home, "capacity": cap.astype(np.int64)}))
    inspectors = pd.concat(rows, ignore_index=True)
    conflicts = pd.DataFrame({
        "inspector_id": inspectors["inspector_id"].to_numpy()[rng.integers(0, len(inspectors), 100_000)],
        "credit_code": subjects["credit_code"].to_numpy()[rng.integers(0, n_subjects, 100_000)],
    }).drop_duplicates()
    return subjects, inspectors, conflicts


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_plan(folder: str, seed: int, queue) -> None:  # in a fresh process
    t0 = time.perf_counter()
    subjects = pd.read_parquet(Path(folder) / "subjects.parquet")
    inspectors = pd.read_parquet(Path(folder) / "inspectors.parquet")
    conflicts = pd.read_parquet(Path(folder) / "conflicts.parquet")
    t_read = time.perf_counter() - t0
    rss_inputs = _rss_mb()
    policy = load_policy()
    t0 = time.perf_counter()
    plan = plan_inspections(subjects.drop(columns=["violating"]), inspectors, policy,
                            period_start="2026-01-01", period_end="2027-01-01", seed=seed,
                            conflicts=conflicts)
    t_plan = time.perf_counter() - t0
    t0 = time.perf_counter()
    hashes = write_plan(plan, Path(folder) / "plan")
    t_write = time.perf_counter() - t0
    t0 = time.perf_counter()
    yc = compare_yield(plan, subjects[["credit_code", "violating"]])
    t_eval = time.perf_counter() - t0
    load = plan.assignments.groupby("inspector_id").size().reindex(inspectors["inspector_id"]).fillna(0)
    cap = inspectors.set_index("inspector_id")["capacity"]
    queue.put({
        "read_s": t_read, "plan_s": t_plan, "write_s": t_write, "yield_s": t_eval,
        "rss_after_inputs_mb": rss_inputs, "rss_peak_mb": _rss_mb(),
        "stats": plan.stats, "plan_sha256": hashes["plan.parquet"],
        "max_utilisation": float((load / cap.reindex(load.index)).max()),
        "utilisation_spread": float((load / cap.reindex(load.index)).std()),
        "yield_ratio": yc.ratio, "plan_per_visit": yc.plan_per_visit,
        "uniform_per_visit": yc.uniform_per_visit,
    })


def baseline(subjects, inspectors, conflicts, policy, seed: int, n_visits_timed: int) -> dict:
    """pandas groupby-sample + per-visit Python loop, timed on a subset and extrapolated."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    share = subjects["tier"].map({t: policy.probability_of(t) for t in policy.tiers})
    parts = [g.sample(frac=float(share.loc[g.index[0]]), random_state=seed)
             for _, g in subjects.groupby(["tier", "region"], sort=False)]
    drawn = pd.concat(parts)
    t_draw = time.perf_counter() - t0
    sub = drawn.iloc[:n_visits_timed]
    left = inspectors.set_index("inspector_id")["capacity"].to_dict()
    pool = {k: g["inspector_id"].tolist()
            for k, g in inspectors.groupby([inspectors["department"],
                                            inspectors["home_region"].str.slice(0, 4)])}
    conflict_set = set(zip(conflicts["inspector_id"], conflicts["credit_code"], strict=True))
    t0 = time.perf_counter()
    for code, region, domains in zip(sub["credit_code"], sub["region"], sub["domains"], strict=True):
        wanted = set(domains.split(";"))
        for dept, rule in policy.departments.items():
            if not wanted & set(rule.items):
                continue
            cands = [i for i in pool.get((dept, region[:4]), [])
                     if left[i] > 0 and (i, code) not in conflict_set]
            for i in rng.choice(np.array(cands, dtype=object), rule.min_inspectors, replace=False):
                left[i] -= 1
    t_loop = time.perf_counter() - t0
    return {"draw_s": t_draw, "loop_s_subset": t_loop, "visits_timed": len(sub),
            "visits_total": len(drawn),
            "extrapolated_total_s": t_draw + t_loop * len(drawn) / max(len(sub), 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=3_400_000)
    ap.add_argument("--inspectors", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--baseline-visits", type=int, default=5_000)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    subjects, inspectors, conflicts = make_province(args.subjects, args.inspectors, args.seed)
    t_gen = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as folder:
        subjects.to_parquet(Path(folder) / "subjects.parquet", index=False)
        inspectors.to_parquet(Path(folder) / "inspectors.parquet", index=False)
        conflicts.to_parquet(Path(folder) / "conflicts.parquet", index=False)
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_run_plan, args=(folder, args.seed, queue))
        proc.start()
        result = queue.get()
        proc.join()
    base = baseline(subjects, inspectors, conflicts, load_policy(), args.seed, args.baseline_visits)
    report = {
        "subjects": args.subjects, "inspectors": len(inspectors), "conflicts": len(conflicts),
        "generate_s": round(t_gen, 2),
        "scheduler": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in result.items()},
        "baseline_pandas_groupby_sample_plus_loop": {k: round(v, 3) if isinstance(v, float) else v
                                                     for k, v in base.items()},
    }
    report["speedup_vs_baseline"] = round(base["extrapolated_total_s"] / result["plan_s"], 1)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
