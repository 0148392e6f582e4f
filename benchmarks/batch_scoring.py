"""End-to-end batch scoring benchmark: features + probability + tier + top-5 reasons → Parquet.

What the monthly job does (``credit-risk score --reasons-for all``; its default explains tiers
C and D only, measured with the whole job in ``benchmarks/province.py``) on a synthetic province of ``--subjects``
subjects (default 1,000,000, seven years of records): point-in-time features for every active
subject in one pass, the generic model's calibrated probability, the domain models, tiers with
overrides, the credit portrait per view and the top-5 reasons in English and Chinese, written
in chunks through the resumable atomic writer.

Steps, each in its own process so that peak memory (RSS) is that step's alone:

1. generate the province to ``benchmarks/out/province-N`` (skipped when already there);
2. train the models on a 20,000-subject province of the same generator (``--train-subjects``);
3. score the big province with :func:`credit_risk.scoring.score_dataset` — timed.

Named baseline, in the same run: the same scoring with the reasons computed by
``shap.TreeExplainer`` (the textbook way) instead of LightGBM's built-in TreeSHAP, timed on a
``--baseline-rows`` subset and extrapolated to all subjects.

    .venv/bin/python benchmarks/batch_scoring.py                      # 1,000,000 subjects
    .venv/bin/python benchmarks/batch_scoring.py --subjects 100000    # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"


def _child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; return its JSON result plus its peak RSS."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"step failed:\n{proc.stderr[-4000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - start
    result["children_peak_rss_mb"] = usage.ru_maxrss / 1024
    return result


GENERATE = """
import json, sys
from credit_risk.data.synthetic import generate_province, write_province
n, out = int(sys.argv[1]), sys.argv[2]
write_province(generate_province(n, seed=int(sys.argv[3])), out, write_truth=False)
print(json.dumps({}))
"""

TRAIN = """
import json, sys
from credit_risk.data.synthetic import generate_province
from credit_risk.train import load_train_config, train
config, _ = load_train_config()
province = generate_province(int(sys.argv[1]), seed=1)
train(province.dataset, config, out_dir=sys.argv[2], created_at="benchmark")
print(json.dumps({}))
"""

SCORE = """
import json, resource, sys, time
import pandas as pd
from credit_risk.data import load_dataset
from credit_risk.models.bundle import load_bundle
from credit_risk.scoring import score_dataset
t0 = time.perf_counter()
dataset = load_dataset(sys.argv[1])
t1 = time.perf_counter()
bundle = load_bundle(sys.argv[2], sha256=json.loads(open(sys.argv[2] + ".json").read())["sha256"])  # written by us
out = score_dataset(bundle, dataset, as_of="2026-01-01", out=sys.argv[3], model_name="bench",
                    model_version="0", chunk_size=int(sys.argv[4]), threads=int(sys.argv[5]), reasons_for=sys.argv[6])
t2 = time.perf_counter()
n = len(pd.read_parquet(out, columns=["credit_code"]))
print(json.dumps({"load_s": t1 - t0, "score_s": t2 - t1, "rows": n,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

BASELINE = """
import json, sys, time, warnings
import numpy as np
from credit_risk.data import load_dataset
from credit_risk.features import build_features
from credit_risk.models.bundle import load_bundle
from credit_risk.scoring import active_cutoffs, bundle_feature_spec
dataset = load_dataset(sys.argv[1])
bundle = load_bundle(sys.argv[2], sha256=json.loads(open(sys.argv[2] + ".json").read())["sha256"])  # written by us
rows = int(sys.argv[3])
cut = active_cutoffs(dataset, "2026-01-01").head(rows)
fm = build_features(dataset, cut, bundle_feature_spec(bundle)).select(bundle.feature_names)
g = bundle.model.generic
X = g._encode(fm.X[list(g.feature_names_in_)], reset=False)
import shap
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    explainer = shap.TreeExplainer(g.booster_)
    t0 = time.perf_counter()
    values = explainer.shap_values(X)
    top = np.argsort(-np.abs(values), axis=1)[:, :5]
    t1 = time.perf_counter()
print(json.dumps({"rows": rows, "shap_s": t1 - t0}))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--train-subjects", type=int, default=20_000)
    parser.add_argument("--chunk-size", type=int, default=200_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=2, help="LightGBM prediction threads")
    parser.add_argument("--reasons-for", default="all",
                        help="who gets reasons (default all: the baseline explains everyone; the monthly job's "
                             "default is C,D, see benchmarks/province.py)")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    province = OUT / f"province-{args.subjects}"
    if not (province / "records.parquet").exists():
        print(f"generating {args.subjects:,} subjects → {province}", flush=True)
        _child(GENERATE, str(args.subjects), str(province), "0")
    models = OUT / f"models-{args.train_subjects}"
    if not sorted(models.glob("run-*/generic/model.joblib")):  # train writes one folder per run
        print(f"training on {args.train_subjects:,} subjects → {models}", flush=True)
        _child(TRAIN, str(args.train_subjects), str(models))
    bundle = sorted(models.glob("run-*/generic/model.joblib"))[-1]
    scores = OUT / f"scores-{args.subjects}.parquet"
    if scores.exists():
        os.remove(scores)
    print("scoring …", flush=True)
    ours = _child(SCORE, str(province), str(bundle), str(scores), str(args.chunk_size), str(args.threads),
                  args.reasons_for)
    base = _child(BASELINE, str(province), str(bundle), str(args.baseline_rows))
    rate = ours["rows"] / ours["score_s"]
    shap_all = base["shap_s"] / base["rows"] * ours["rows"]
    print(f"\nsubjects scored                 {ours['rows']:,}")
    print(f"load + validate dataset         {ours['load_s']:.1f} s")
    print(f"features+score+tier+reasons     {ours['score_s']:.1f} s  → {rate:,.0f} subjects/s")
    print(f"peak memory (scoring process)   {ours['peak_rss_mb']:,.0f} MB")
    print(f"baseline: shap.TreeExplainer reasons alone, {base['rows']:,} rows in {base['shap_s']:.1f} s, "
          f"extrapolated to {ours['rows']:,}: {shap_all:,.0f} s")
    print(f"ratio (baseline reasons alone / our whole job): {shap_all / ours['score_s']:.1f}×")


if __name__ == "__main__":
    main()
