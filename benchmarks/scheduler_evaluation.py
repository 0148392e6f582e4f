"""Evaluation by simulation on the synthetic province: plan vs uniform draw, HT coverage.

Run::

    .venv/bin/python benchmarks/scheduler_evaluation.py --subjects 50000 --reps 200

Generates a province with :func:`credit_risk.data.synthetic.generate_province`, builds the
subjects table point-in-time at the plan's start with
:func:`credit_risk.scheduler.subjects_from_dataset` (domains from licences, last
inspections, serious listings, judgment defaulters, verified complaints), and — until the
tier model is wired in — tiers from the truth's latent risk plus noise:
``score = logit(mean latent risk in the period) + N(0, noise)``, cut at 50/30/15/5 %.

For each noise level it reports, against the truth of the period (``violating_share``:
the chance a visit on a random day finds the subject violating):

* violations found per visit by the plan and by a uniform draw of the same size,
  analytically and over ``--reps`` re-draws;
* the Horvitz–Thompson estimate of the violation rate from one plan's simulated outcomes,
  and the share of ``--reps`` seeds whose 95 % interval covers the true rate — the default
  score interval, and the previous plug-in Wald interval on the design strata as the
  baseline (``ht_95ci_coverage_wald_baseline``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import pandas as pd

from credit_risk.data.synthetic import generate_province
from credit_risk.scheduler import (
    compare_yield,
    draw_subjects,
    horvitz_thompson,
    inclusion_frame,
    load_policy,
    period_truth,
    subjects_from_dataset,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--start", default="2025-01-01")
    ap.add_argument("--end", default="2026-01-01")
    ap.add_argument("--noise", type=float, nargs="+", default=[0.0, 0.3, 0.6, 1.0])
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    province = generate_province(args.subjects, seed=args.seed)
    truth = period_truth(province.truth["latent"], args.start, args.end)
    t_gen = time.perf_counter() - t0
    policy = load_policy()
    dataset = province.dataset
    codes = dataset.enterprises["credit_code"].astype(str)
    latent = truth.set_index("credit_code")["latent_risk"].reindex(codes)
    latent = latent.fillna(latent.median()).to_numpy()
    results = []
    for noise in args.noise:
        rng = np.random.default_rng(args.seed)
        score = np.log(latent / (1 - latent)) + rng.normal(0, noise, len(latent))
        cuts = np.quantile(score, [0.50, 0.80, 0.95])
        tiers = pd.DataFrame({"credit_code": codes,
                              "tier": np.array(list("ABCD"))[np.searchsorted(cuts, score)]})
        subjects = subjects_from_dataset(dataset, tiers, as_of=args.start)
        frame = inclusion_frame(subjects, policy, period_start=args.start, period_end=args.end)
        share = truth.set_index("credit_code")["violating_share"].reindex(frame["credit_code"])
        share = share.fillna(0.0).to_numpy()
        t_here = pd.DataFrame({"credit_code": frame["credit_code"], "violating_share": share})
        yc = compare_yield(frame, t_here, column="violating_share", n_simulations=args.reps,
                           seed=args.seed)
        eligible = frame["inclusion_probability"].to_numpy() > 0
        true_rate = float(share[eligible].mean())
        covered, covered_wald, estimates, widths = 0, 0, [], []
        for ss in np.random.SeedSequence(args.seed + 1).spawn(args.reps):
            r = np.random.Generator(np.random.PCG64(ss))
            drawn = draw_subjects(frame, r)
            outcomes = pd.DataFrame({"credit_code": frame["credit_code"],
                                     "problem": r.random(len(frame)) < share})
            ht = horvitz_thompson(frame.assign(drawn=drawn), outcomes)
            covered += ht.covers(true_rate)
            covered_wald += horvitz_thompson(frame.assign(drawn=drawn), outcomes, interval="wald",
                                             variance_strata="design").covers(true_rate)
            estimates.append(ht.rate)
            widths.append(ht.ci_high - ht.ci_low)
        naive = float((share * frame["inclusion_probability"]).sum()
                      / frame["inclusion_probability"].sum())
        results.append({
            "tier_noise": noise,
            "subjects_in_frame": len(frame),
            "excluded_quiet_or_cap": int((~eligible).sum()),
            "mandatory": int((frame["selection"] == "mandatory").sum()),
            "expected_visits": round(yc.expected_visits, 1),
            "plan_per_visit": round(yc.plan_per_visit, 4),
            "uniform_per_visit": round(yc.uniform_per_visit, 4),
            "ratio": round(yc.ratio, 3),
            "simulated_ratio": round(yc.simulated_ratio, 3),
            "true_rate_eligible": round(true_rate, 4),
            "naive_rate_among_visited": round(naive, 4),
            "ht_mean_over_reps": round(float(np.mean(estimates)), 4),
            "ht_mean_ci_width": round(float(np.mean(widths)), 4),
            "ht_95ci_coverage": round(covered / args.reps, 3),
            "ht_95ci_coverage_wald_baseline": round(covered_wald / args.reps, 3),
        })
    print(json.dumps({"subjects": args.subjects, "seed": args.seed, "reps": args.reps,
                      "generate_s": round(t_gen, 1), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
