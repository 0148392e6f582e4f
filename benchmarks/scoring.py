"""Batch scoring benchmark: probability + tier + top-5 reasons for 1,000,000 subjects.

Trains the models on a synthetic province (inspection outcomes, out-of-time split), then
scores ``--subjects`` rows resampled from that province's real feature rows (so the 78
features have realistic distributions), in chunks, through
:meth:`TrainedModels.iter_scores`: calibrated probability, tier with overrides, the per-view
portrait and the top-5 reasons with English and Chinese text. Reports subjects per second
and peak memory (process RSS), and in the same run the named baseline: ``shap.TreeExplainer``
on a subset, extrapolated to all subjects.

    .venv/bin/python benchmarks/scoring.py                     # 1,000,000 subjects
    .venv/bin/python benchmarks/scoring.py --subjects 100000   # quicker
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from credit_risk.data.synthetic import generate_province
from credit_risk.features import FeatureMatrix, build_features
from credit_risk.labels import inspection_outcome
from credit_risk.models.training import fit_models, load_model_params

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--train-subjects", type=int, default=20_000)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--baseline-rows", type=int, default=50_000)
    parser.add_argument("--no-text", action="store_true", help="skip the EN/ZH reason sentences")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    # ---- train on a synthetic province
    t0 = time.perf_counter()
    province = generate_province(args.train_subjects, seed=0)
    labels = inspection_outcome(province.dataset)
    features = build_features(province.dataset, labels.cutoffs)
    params = load_model_params() | {"n_jobs": args.threads}
    models = fit_models(features, labels, enterprises=province.dataset.enterprises, model_params=params)
    train_s = time.perf_counter() - t0

    # ---- a 1,000,000-row feature matrix resampled from real rows
    rng = np.random.default_rng(0)
    rows = rng.integers(0, len(features.X), args.subjects)
    X = features.X.iloc[rows].reset_index(drop=True)
    keys = pd.DataFrame({
        "credit_code": pd.Series(np.char.add("S", np.arange(args.subjects).astype(str)), dtype=object),
        "as_of": pd.Timestamp("2026-01-01"),
    }).astype({"as_of": "datetime64[ns]"})
    big = FeatureMatrix(keys, X, features.info)
    rss_before = peak_rss_mb()

    # ---- ours: probability + tier + top-k reasons, chunked
    t0, c0 = time.perf_counter(), time.process_time()
    n_scored = n_reasons = 0
    tiers = pd.Series(dtype="int64")
    for scores, reasons in models.iter_scores(big, k=args.k, text=not args.no_text, chunk_size=args.chunk_size):
        n_scored += len(scores)
        n_reasons += len(reasons)
        tiers = tiers.add(scores["tier"].value_counts(), fill_value=0)
    ours_s, ours_cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_after = peak_rss_mb()

    # ---- baseline: shap.TreeExplainer on a subset (contributions only), extrapolated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shap import-time and LightGBM-format notices
        import shap

        sub = big.X.iloc[: args.baseline_rows][list(models.generic.feature_names_in_)]
        Xa = models.generic._check(sub)
        explainer = shap.TreeExplainer(models.generic.booster_)
        # same rows, alternating runs, best of two: the machine is shared, so take the
        # least-disturbed timing of each
        shap_s = contrib_s = float("inf")
        for _ in range(2):
            t0 = time.perf_counter()
            phi = explainer.shap_values(Xa)
            shap_s = min(shap_s, time.perf_counter() - t0)
            t0 = time.perf_counter()
            ours_phi = models.generic.raw_contributions(sub)[:, :-1]
            contrib_s = min(contrib_s, time.perf_counter() - t0)
    result = {
        "subjects": n_scored,
        "features": len(models.generic.feature_names_in_),
        "trees": models.generic.best_iteration_,
        "k": args.k,
        "text": not args.no_text,
        "chunk_size": args.chunk_size,
        "train_seconds": round(train_s, 1),
        "ours_seconds": round(ours_s, 1),
        "ours_subjects_per_s": round(n_scored / ours_s),
        "ours_cpu_seconds": round(ours_cpu, 1),
        "ours_subjects_per_cpu_s": round(n_scored / ours_cpu),
        "ours_contributions_only_subjects_per_s": round(args.baseline_rows / contrib_s),
        "reasons_rows": n_reasons,
        "peak_rss_mb_before_scoring": round(rss_before),
        "peak_rss_mb_after_scoring": round(rss_after),
        "tier_counts": {str(k): int(v) for k, v in tiers.items()},
        "baseline": "shap.TreeExplainer(booster).shap_values, contributions only",
        "baseline_rows": args.baseline_rows,
        "baseline_subjects_per_s": round(args.baseline_rows / shap_s),
        "baseline_extrapolated_seconds": round(shap_s * n_scored / args.baseline_rows, 1),
        "max_abs_diff_vs_shap": float(np.abs(np.asarray(phi) - ours_phi).max()),
    }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return result


if __name__ == "__main__":
    main()
