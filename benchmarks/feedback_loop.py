"""The supervision loop on the synthetic province: plan → inspect → feedback → retrain → plan, naive vs weighted.

Run::

    .venv/bin/python benchmarks/feedback_loop.py                  # ~8k subjects, 4 half-year cycles
    .venv/bin/python benchmarks/feedback_loop.py --subjects 20000 --cycles 4

Both loops start from the same province (inspections from the loop's start on removed:
the loop makes its own) and the same initial model, trained on the inspections before the
start weighted by their inverse draw probability. Each cycle (one plan period):

1. **score** every operating subject as of the period's start with the current model and
   cut tiers at 50/30/15/5 % of the population;
2. **plan** with :func:`credit_risk.scheduler.plan_inspections` and publish it with
   :func:`~credit_risk.scheduler.write_plan` (a synthetic inspector roster);
3. **inspect**: a visit finds a problem with the subject's true chance in the period
   (``violating_share`` of the ground truth, :func:`~credit_risk.scheduler.period_truth`);
4. **feedback**: the results go through :func:`credit_risk.monitoring.feedback.ingest_feedback`
   into the dataset's records, each with its draw probability;
5. **retrain** the generic model on the inspections the loop has fed back so far.

The two loops differ in what a risk-based supervisor usually leaves out:

* ``naive`` — a purely risk-based plan (tier A never drawn, no random floor: the policy's
  ``min_probability`` set to 1e-6) whose outcomes are used as they are: the prevalence
  estimate is the share of visits that found a problem, tier rates are the visited
  subjects' rates, and the model is retrained unweighted;
* ``weighted`` — the packaged policy with its random floor kept for everyone (the 无事不扰
  exclusion turned into the floor, so no subject has a zero draw probability), the
  Horvitz–Thompson estimate with its 95 % score interval (:func:`~credit_risk.scheduler.horvitz_thompson`;
  the previous plug-in Wald interval is printed beside it as the baseline),
  Hájek tier rates, and retraining weighted by ``1 / draw_probability``.

Printed per cycle, against the truth: the prevalence estimate (with the interval for the
weighted loop) and the true rate, the tier event rates estimated and true, the mean
predicted probability (calibration), the current model's AUC on the whole population
(truth: in violation at some time in the period), and violations found per visit.

Measured (``--seed 1 2 3 4 5``, 8,000 subjects, 4 half-year cycles, 80 trees, 100 coverage re-draws;
1,546 s on a shared, heavily loaded 2-core machine; 315 s without the re-draws on a quiet one;
estimate − truth and mean predicted − truth averaged over the 20 cycles of each loop)::

    naive     prevalence bias +0.095 (|max| 0.120)  calibration +0.015  AUC 0.664  found/visit 0.197
    weighted  prevalence bias -0.001 (|max| 0.040)  calibration +0.003  AUC 0.653  found/visit 0.172
              HT 95 % score interval covers the truth in 19 of 20 cycles (the previous Wald
              interval: 19 of 20); over 100 re-draws of each cycle's plan and outcomes the score
              interval covers 0.962 of the time (min 0.93 per cycle), the Wald one 0.931 (min 0.89)

    by cycle (mean over seeds)      c1      c2      c3      c4
    naive     estimate − truth    +0.083  +0.105  +0.095  +0.095
              calibration         +0.004  +0.011  +0.022  +0.023
    weighted  estimate − truth    +0.012  -0.013  +0.002  -0.005
              calibration         +0.004  +0.011  -0.006  +0.002

The naive estimate is about twice the truth in every cycle and its model's calibration drifts
upwards cycle after cycle; the weighted estimate is unbiased and its interval covers at the
nominal rate. The one miss (seed 3, cycle 4: 0.054, interval [0.042, 0.082], truth 0.094) is a
draw where tier A's 58 visits found no violation and tier B's 68 found 3: an estimate that
low came up in 1 of 400 re-draws of that cycle (0 of the 100 above), and the interval covers 0.94 of them — a
tail draw, not a broken interval (20 cycles at 95 % all cover with probability 0.95²⁰ ≈ 0.36).
The score interval is ~7 % wider than the Wald one on average (0.068 against 0.063) and
shifted up where few events were found. The naive plan finds ~15 % more per visit because it
never visits tier A, the price of being able to measure the whole population; a uniform draw
finds ~0.10 per visit (the true rate).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from credit_risk.data import CreditDataset, load_dataset, write_dataset
from credit_risk.data.cutoffs import active_cutoffs
from credit_risk.data.synthetic import generate_province
from credit_risk.data.synthetic.roster import synthetic_roster
from credit_risk.evaluation import binary_metrics
from credit_risk.features import build_features, drop_constant, load_feature_spec
from credit_risk.labels import inspection_outcome
from credit_risk.models.generic import GenericRiskModel
from credit_risk.monitoring.feedback import ingest_feedback
from credit_risk.scheduler import (
    draw_subjects,
    horvitz_thompson,
    load_policy,
    period_truth,
    plan_inspections,
    subjects_from_dataset,
    write_plan,
)

TIERS = np.array(list("ABCD"))
TIER_CUTS = (0.50, 0.80, 0.95)


def _policies():
    base = load_policy()
    weighted = dataclasses.replace(base, quiet=dataclasses.replace(base.quiet, action="floor"))
    tiers = dict(base.tiers)
    tiers["A"] = dataclasses.replace(tiers["A"], share=0.0)
    naive = dataclasses.replace(base, min_probability=1e-6, tiers=tiers)
    return {"naive": naive, "weighted": weighted}


def _fit(dataset: CreditDataset, spec, *, end: pd.Timestamp, start: pd.Timestamp | None, weighted: bool,
         trees: int, seed: int):
    labels = inspection_outcome(dataset, start=start, end=end,
                                weight="inverse_draw_probability" if weighted else None)
    fm = build_features(dataset, labels.cutoffs, spec)
    fm, _ = drop_constant(fm)
    model = GenericRiskModel(n_estimators=trees, num_leaves=15, learning_rate=0.05, random_state=seed, n_jobs=2)
    model.fit(fm, labels.y, sample_weight=labels.sample_weight if weighted else None)
    return model, len(labels)


def _tier_rates(tiers: np.ndarray, y: np.ndarray, w: np.ndarray) -> list[float]:
    out = []
    for t in TIERS:
        m = tiers == t
        out.append(float(np.sum(w[m] * y[m]) / np.sum(w[m])) if m.any() and np.sum(w[m]) > 0 else float("nan"))
    return out


def _design_coverage(frame: pd.DataFrame, share: np.ndarray, true_rate: float, estimate: float, reps: int,
                     seed: list[int]) -> dict:
    """Coverage of both intervals over ``reps`` re-draws of this cycle's plan and outcomes (same frame, same truth).

    Also the share of re-draws whose estimate is at least as far below (or above) the truth
    as the realised one: how unusual this cycle's draw was.
    """
    hits = {"score": 0, "wald": 0}
    as_far = 0
    for ss in np.random.SeedSequence(seed).spawn(reps):
        rng = np.random.Generator(np.random.PCG64(ss))
        mask = draw_subjects(frame, rng)
        outcomes = pd.DataFrame({"credit_code": frame["credit_code"], "problem": rng.random(len(frame)) < share})
        framed = frame.assign(drawn=mask)
        ht = horvitz_thompson(framed, outcomes)
        hits["score"] += ht.covers(true_rate)
        hits["wald"] += horvitz_thompson(framed, outcomes, interval="wald", variance_strata="design").covers(true_rate)
        as_far += (ht.rate - true_rate) * np.sign(estimate - true_rate) >= abs(estimate - true_rate)
    return {"design_coverage": hits["score"] / reps, "design_coverage_wald": hits["wald"] / reps,
            "tail_share": as_far / reps}


def run_loop(name: str, province, policy, args, work: Path) -> list[dict]:
    data_dir = work / name / "data"
    ds = province.dataset
    start0 = pd.Timestamp(args.start)
    records = ds.records
    keep = ~((records["kind"].astype(str) == "inspection") & (pd.to_datetime(records["start"]) >= start0))
    ds = CreditDataset(enterprises=ds.enterprises, records=records[keep].reset_index(drop=True), catalog=ds.catalog,
                       annual_reports=ds.annual_reports, relations=ds.relations, id_scheme=ds.id_scheme,
                       manifest=ds.manifest)
    write_dataset(ds, data_dir)
    dataset = load_dataset(data_dir)
    spec = load_feature_spec()
    model, n_train = _fit(dataset, spec, end=start0, start=None, weighted=True, trees=args.trees, seed=args.seed)
    latent = province.truth["latent"]
    rows = []
    periods = pd.date_range(start0, periods=args.cycles + 1, freq=f"{args.months}MS")
    for c, (s, e) in enumerate(zip(periods[:-1], periods[1:], strict=True), start=1):
        t0 = time.perf_counter()
        cut = active_cutoffs(dataset, s)
        fm = build_features(dataset, cut, spec).select(list(model.feature_names_in_))
        p = model.predict_proba(fm)[:, 1]
        tiers = TIERS[np.searchsorted(np.quantile(p, TIER_CUTS), p)]
        table = pd.DataFrame({"credit_code": cut["credit_code"].astype(str), "tier": tiers, "risk": p})
        subjects = subjects_from_dataset(dataset, table, as_of=s, complaint_days=policy.mandatory.complaint_days)
        roster = synthetic_roster(subjects, policy, seed=args.seed + c)
        plan = plan_inspections(subjects, roster, policy, period_start=s, period_end=e, seed=args.seed + c)
        plan_dir = work / name / f"plan_{c}"
        write_plan(plan, plan_dir)
        truth = period_truth(latent, s, e).set_index("credit_code")
        frame = plan.frame
        pi = frame["inclusion_probability"].to_numpy(dtype=float)
        share = truth["violating_share"].reindex(frame["credit_code"].astype(str)).fillna(0.0).to_numpy()
        rng = np.random.Generator(np.random.PCG64([args.seed, c, 0 if name == "naive" else 1]))
        drawn = frame["drawn"].to_numpy(dtype=bool)
        problem = rng.random(len(frame)) < share
        days = (e - s).days
        visited = frame.loc[drawn, ["credit_code"]].assign(
            inspected_on=s + pd.to_timedelta(rng.integers(0, days, int(drawn.sum())), unit="D"),
            outcome=np.where(problem[drawn], "problem", "pass"))
        result = ingest_feedback(plan_dir, visited, data_dir)
        dataset = load_dataset(data_dir)
        # estimates from this cycle's outcomes

        y = problem[drawn].astype(float)
        frame_tiers = frame["tier"].astype(str).to_numpy()
        eligible = pi > 0
        true_rate = float(share[eligible].mean())  # what HT estimates: the rate among subjects that can be drawn
        row = {"loop": name, "cycle": c, "period": f"{s.date()}..{e.date()}", "visits": int(drawn.sum()),
               "true_rate": true_rate, "true_rate_population": float(share.mean()),
               "excluded": int((~eligible).sum()),
               "true_tier_rates": _tier_rates(frame_tiers, share, np.ones(len(share)))}
        if name == "naive":
            row["estimate"] = float(y.mean())
            row["ci"] = None
            row["covers"] = None
            row["est_tier_rates"] = _tier_rates(frame_tiers[drawn], y, np.ones(len(y)))
        else:
            outcomes = pd.DataFrame({"credit_code": frame.loc[drawn, "credit_code"], "problem": y})
            ht = horvitz_thompson(frame, outcomes)
            wald = horvitz_thompson(frame, outcomes, interval="wald", variance_strata="design")  # the old interval
            row["estimate"] = ht.rate
            row["ci"] = [ht.ci_low, ht.ci_high]
            row["covers"] = bool(ht.covers(true_rate))
            row["ci_wald"] = [wald.ci_low, wald.ci_high]
            row["covers_wald"] = bool(wald.covers(true_rate))
            row["eligible"] = ht.population
            if args.coverage_reps:
                row.update(_design_coverage(frame, share, true_rate, ht.rate, args.coverage_reps,
                                            seed=[args.seed, c]))
            row["est_tier_rates"] = _tier_rates(frame_tiers[drawn], y, 1 / pi[drawn])
        ever = truth["violating"].reindex(cut["credit_code"].astype(str)).fillna(False).to_numpy(dtype=float)
        row["population_auc"] = binary_metrics(ever, p)["auc"]
        row["mean_predicted"] = float(p.mean())
        row["violations_per_visit"] = float(y.mean())
        row["fed_back"] = result.added
        # retrain on what the loop has fed back so far
        model, n_train = _fit(dataset, spec, end=e, start=start0, weighted=name == "weighted", trees=args.trees,
                              seed=args.seed)
        row["trained_on"] = n_train
        row["seconds"] = round(time.perf_counter() - t0, 1)
        rows.append(row)
        print(_line(row), flush=True)
    return rows


def _fmt_rates(rates: list[float]) -> str:
    return " ".join("  nan" if not np.isfinite(r) else f"{r:.3f}" for r in rates)


def _line(r: dict) -> str:
    ci = f"[{r['ci'][0]:.3f}, {r['ci'][1]:.3f}]" if r["ci"] else " " * 14
    covers = "" if r["covers"] is None else ("yes" if r["covers"] else "NO")
    if r.get("ci_wald"):
        covers += f" (wald [{r['ci_wald'][0]:.3f}, {r['ci_wald'][1]:.3f}] {'yes' if r['covers_wald'] else 'NO'})"
    if "design_coverage" in r:
        covers += (f" re-drawn: covers {r['design_coverage']:.2f} (wald {r['design_coverage_wald']:.2f}),"
                   f" as far {r['tail_share']:.3f}")
    return (f"{r['loop']:<8} {r['cycle']:>2} {r['period']}  visits {r['visits']:>5}  est {r['estimate']:.3f} {ci} "
            f"truth {r['true_rate']:.3f} (all {r['true_rate_population']:.3f}, {r['excluded']} p=0) {covers:<3}  tiers est {_fmt_rates(r['est_tier_rates'])} | true "
            f"{_fmt_rates(r['true_tier_rates'])}  mean p {r['mean_predicted']:.3f}  AUC {r['population_auc']:.3f}  "
            f"found/visit {r['violations_per_visit']:.3f}  ({r['seconds']} s)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=8000)
    ap.add_argument("--seed", type=int, nargs="+", default=[1],
                    help="one province per seed (several seeds: a summary of coverage and bias at the end)")
    ap.add_argument("--cycles", type=int, default=4)
    ap.add_argument("--months", type=int, default=6, help="months per plan period")
    ap.add_argument("--start", default="2024-01-01", help="the loop's first period start")
    ap.add_argument("--trees", type=int, default=80)
    ap.add_argument("--out", default=None, help="JSON file for the rows")
    ap.add_argument("--coverage-reps", type=int, default=100,
                    help="re-draws of each weighted cycle's plan and outcomes to measure the intervals' coverage "
                         "on that design (0: skip)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = []
    for seed in args.seed:
        province = generate_province(args.subjects, seed=seed)
        print(f"province: {args.subjects:,} subjects, seed {seed} ({time.perf_counter() - t0:.0f} s)")
        print("loop    cyc period                  visits  prevalence estimate [95 % CI]  truth (all subjects, "
              "p=0: capped) covers  tier rates A B C D (estimated | true)  calibration  population AUC  yield")
        with tempfile.TemporaryDirectory() as tmp:
            for name, policy in _policies().items():
                rows += [dict(r, seed=seed) for r in
                         run_loop(name, province, policy, argparse.Namespace(**{**vars(args), "seed": seed}), Path(tmp))]
    print("summary over all cycles and seeds (estimate − truth; mean predicted − truth):")
    for name in ("naive", "weighted"):
        part = [r for r in rows if r["loop"] == name]
        bias = np.array([r["estimate"] - r["true_rate"] for r in part])
        calib = np.array([r["mean_predicted"] - r["true_rate_population"] for r in part])
        tier_err = np.array([np.nanmean(np.abs(np.subtract(r["est_tier_rates"], r["true_tier_rates"]))) for r in part])
        cover = [r["covers"] for r in part if r["covers"] is not None]
        cover_wald = [r["covers_wald"] for r in part if r.get("covers_wald") is not None]
        design = [r["design_coverage"] for r in part if "design_coverage" in r]
        design_wald = [r["design_coverage_wald"] for r in part if "design_coverage_wald" in r]
        print(f"  {name:<8} cycles {len(part):>3}  prevalence bias mean {bias.mean():+.3f} (|max| {np.abs(bias).max():.3f})"
              f"  calibration mean {calib.mean():+.3f}  tier-rate error {tier_err.mean():.3f}"
              f"  AUC {np.mean([r['population_auc'] for r in part]):.3f}"
              f"  found/visit {np.mean([r['violations_per_visit'] for r in part]):.3f}"
              + (f"  HT 95 % interval covers the truth in {sum(cover)} of {len(cover)} cycles"
                 f" (old Wald interval: {sum(cover_wald)} of {len(cover_wald)})" if cover else "")
              + (f"; over {args.coverage_reps} re-draws per cycle it covers {np.mean(design):.3f}"
                 f" (min {np.min(design):.2f}; Wald {np.mean(design_wald):.3f}, min {np.min(design_wald):.2f})"
                 if design else ""))
    print("by cycle, mean over seeds (estimate − truth | mean predicted − truth | found per visit):")
    for name in ("naive", "weighted"):
        cells = []
        for c in range(1, args.cycles + 1):
            part = [r for r in rows if r["loop"] == name and r["cycle"] == c]
            cells.append(f"c{c} {np.mean([r['estimate'] - r['true_rate'] for r in part]):+.3f}"
                         f" | {np.mean([r['mean_predicted'] - r['true_rate_population'] for r in part]):+.3f}"
                         f" | {np.mean([r['violations_per_visit'] for r in part]):.3f}")
        print(f"  {name:<8} " + "   ".join(cells))
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
