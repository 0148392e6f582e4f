"""Learning curve: out-of-time AUC gap to the oracle against the size of the synthetic province.

Run::

    .venv/bin/python benchmarks/learning_curve.py                        # 5k,10k,20k,50k x seeds 0,1,2
    .venv/bin/python benchmarks/learning_curve.py --sizes 5000,20000 --seeds 0 --no-transfer

For each (subjects, seed) it generates a province with
:func:`credit_risk.data.synthetic.generate_province`, labels it with the inspection outcomes
(:func:`credit_risk.labels.inspection_outcome`: label = problem found, weight = 1 / draw
probability), builds the features at the inspection cutoffs and fits the models with
:func:`credit_risk.models.training.fit_models` exactly as ``tests/models/test_acceptance.py``
does (no domain models), out of time. It prints the test rows and events, the AUC of the
generic LightGBM model, of the oracle (the ground-truth latent risk of the month) and their
gap, both on the inspected sample (unweighted) and for the population (1/p weights), and in
the same run the named baseline ``scorecard_learned`` (logistic regression on WoE bins, fitted
on the same rows by ``fit_models``) with the ML-minus-scorecard difference; then a summary of
the gap per size (mean, min, max over seeds).

``--transfer`` (on by default) is the "learning vs information" check: a
:class:`~credit_risk.models.generic.GenericRiskModel` fitted on all inspections before the test
start of a separate 50,000-subject province (``--transfer-subjects``, seed
``--transfer-seed``) is evaluated on the test slice of each 5,000-subject province of the seeds
and of the committed ``data/sample`` (which is the 5,000-subject province of seed 0), next to
that province's own model and the oracle. If the big-province model closes most of the gap on
the same test rows, the small province's shortfall is learning from few training rows, not
information missing from its features: the committed sample is data-limited.

What it shows (defaults, 2 threads, about 3 minutes): the unweighted gap falls from about
0.06 at 5,000 and 10,000 subjects (about 3,000 training and 1,000 test inspections at 5,000,
seed-to-seed spread 0.03 to 0.10) to about 0.03 at 50,000, and the ML-minus-scorecard margin
grows from about 0 to about 0.02: at the size of the committed sample the comparison is
data-limited and the test AUC itself is noisy. The 50,000-trained model lifts the committed
sample's test AUC from 0.735 to 0.770 (oracle 0.797), although how much of the gap it closes
varies by seed. Per-province ``seconds`` include generation and features. Library code logs;
this script prints. A JSON copy of the figures goes to ``benchmarks/out/learning_curve.json``
(gitignored).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from credit_risk.data import load_dataset
from credit_risk.data.synthetic import generate_province
from credit_risk.features import FeatureMatrix, build_features
from credit_risk.labels import inspection_outcome
from credit_risk.models import load_scorecard_config
from credit_risk.models.generic import GenericRiskModel
from credit_risk.models.training import TimeSplit, TrainedModels, fit_models, load_model_params
from credit_risk.tiers import load_tier_config

ROOT = Path(__file__).resolve().parents[1]


def truth_for(cutoffs: pd.DataFrame, latent: pd.DataFrame) -> pd.DataFrame:
    """Ground truth of the month of each cutoff, row-aligned with the cutoffs (as in the acceptance test)."""
    month = cutoffs["as_of"].dt.to_period("M").dt.to_timestamp()
    t = cutoffs.assign(month=month).merge(latent, on=["credit_code", "month"], how="left")
    return t.drop(columns="month")


class Run:
    """One province through the acceptance pipeline: labels, features, truth, fitted models."""

    def __init__(self, dataset, latent: pd.DataFrame, threads: int):
        t0 = time.perf_counter()
        self.labels = inspection_outcome(dataset)
        self.features: FeatureMatrix = build_features(dataset, self.labels.cutoffs)
        self.frame = self.labels.cutoffs.assign(y=self.labels.y, sample_weight=self.labels.sample_weight)
        self.truth = truth_for(self.labels.cutoffs, latent)
        self.models: TrainedModels = fit_models(
            self.features, self.frame, enterprises=dataset.enterprises,
            tier_config=load_tier_config(), scorecard_config=load_scorecard_config(),
            model_params=load_model_params() | {"n_jobs": threads}, truth=self.truth,
        )
        self.fit_seconds = time.perf_counter() - t0

    def row(self) -> dict:
        r = self.models.report
        u, w = r["metrics_unweighted"], r["metrics"]
        return {
            "train_rows": r["split"]["rows"]["train"], "test_rows": r["split"]["rows"]["test"],
            "test_events": r["split"]["events"]["test"],
            "auc_generic_u": u["generic"]["auc"], "auc_oracle_u": u["oracle"]["auc"],
            "gap_u": u["oracle"]["auc"] - u["generic"]["auc"], "auc_scorecard_u": u["scorecard_learned"]["auc"],
            "ml_minus_sc_u": u["generic"]["auc"] - u["scorecard_learned"]["auc"],
            "auc_generic_w": w["generic"]["auc"], "auc_oracle_w": w["oracle"]["auc"],
            "gap_w": w["oracle"]["auc"] - w["generic"]["auc"], "auc_scorecard_w": w["scorecard_learned"]["auc"],
            "ml_minus_sc_w": w["generic"]["auc"] - w["scorecard_learned"]["auc"],
        }

    def test_mask(self, test_start: pd.Timestamp | None = None) -> np.ndarray:
        """Rows at or after this province's own test start (labelled rows only)."""
        ts = pd.Timestamp(self.models.report["split"]["test_start"]) if test_start is None else test_start
        as_of = pd.to_datetime(self.features.keys["as_of"])
        return ((as_of >= ts).to_numpy()) & ~np.isnan(np.asarray(self.labels.y, dtype=float))


def auc_pair(y: np.ndarray, score: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """(unweighted AUC, population-weighted AUC) over the rows where ``score`` is known."""
    ok = ~np.isnan(score)
    return (float(roc_auc_score(y[ok], score[ok])),
            float(roc_auc_score(y[ok], score[ok], sample_weight=w[ok])))


def transfer_row(name: str, run: Run, big: GenericRiskModel) -> dict:
    """Own model, 50k-trained model and oracle AUC on the same test rows of ``run``."""
    te = run.test_mask()
    fm = run.features.rows(te)
    y = np.asarray(run.labels.y)[te].astype(int)
    w = np.asarray(run.labels.sample_weight, dtype=float)[te]
    own = run.models.generic.predict_proba(fm.select(run.models.generic.feature_names_in_))[:, 1]
    transferred = big.predict_proba(fm.select(big.feature_names_in_))[:, 1]
    oracle = run.truth["latent_risk"].to_numpy(dtype=float)[te]
    out = {"province": name, "test_rows": int(te.sum()), "test_events": int(y.sum()),
           "train_rows": run.models.report["split"]["rows"]["train"]}
    for key, score in (("own", own), ("big", transferred), ("oracle", oracle)):
        out[f"auc_{key}_u"], out[f"auc_{key}_w"] = auc_pair(y, score, w)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,10000,20000,50000", help="subjects per province, comma-separated")
    parser.add_argument("--seeds", default="0,1,2", help="province seeds, comma-separated")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--transfer", action=argparse.BooleanOptionalAction, default=True,
                        help="also run the learning-vs-information check (default: on)")
    parser.add_argument("--transfer-subjects", type=int, default=50_000)
    parser.add_argument("--transfer-seed", type=int, default=11)
    parser.add_argument("--small-subjects", type=int, default=5_000, help="province size the transfer check is run on")
    parser.add_argument("--sample", default=str(ROOT / "data" / "sample"), help="committed sample folder (skipped if absent)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "learning_curve.json"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    seeds = [int(s) for s in args.seeds.split(",") if s]
    t_start = time.perf_counter()

    # ---- part 1: gap to the oracle per (subjects, seed); baseline scorecard_learned in the same fit
    rows, small_runs = [], {}
    for n in sizes:
        for seed in seeds:
            t0 = time.perf_counter()
            province = generate_province(n, seed=seed)
            run = Run(province.dataset, province.truth["latent"], args.threads)
            row = {"subjects": n, "seed": seed, **run.row(), "seconds": time.perf_counter() - t0}
            rows.append(row)
            if args.transfer and n == args.small_subjects:
                small_runs[f"generated {n} seed {seed}"] = run
            print(f"  done {n} subjects seed {seed}: {row['seconds']:.0f} s", flush=True)
    table = pd.DataFrame(rows)
    cols_u = ["auc_generic_u", "auc_oracle_u", "gap_u", "auc_scorecard_u", "ml_minus_sc_u"]
    cols_w = ["auc_generic_w", "auc_oracle_w", "gap_w", "auc_scorecard_w", "ml_minus_sc_w"]
    pd.set_option("display.width", 200)
    print("\nPer province (test = out of time; u = inspected sample, w = population 1/p weights;"
          " scorecard = baseline scorecard_learned, LR on WoE bins, same rows):")
    show = table[["subjects", "seed", "train_rows", "test_rows", "test_events", *cols_u, *cols_w, "seconds"]]
    print(show.rename(columns=lambda c: c.replace("auc_", "")).round(3).to_string(index=False))
    summary = table.groupby("subjects").agg(
        seeds=("seed", "size"), test_rows=("test_rows", "mean"), test_events=("test_events", "mean"),
        gap_u_mean=("gap_u", "mean"), gap_u_min=("gap_u", "min"), gap_u_max=("gap_u", "max"),
        gap_w_mean=("gap_w", "mean"), gap_w_min=("gap_w", "min"), gap_w_max=("gap_w", "max"),
        ml_minus_sc_u_mean=("ml_minus_sc_u", "mean"), ml_minus_sc_w_mean=("ml_minus_sc_w", "mean"),
        seconds_mean=("seconds", "mean"),
    ).reset_index()
    print("\nGap to the oracle per size (oracle AUC - generic AUC; mean and min/max over seeds):")
    print(summary.round(3).to_string(index=False))

    # ---- part 2: learning vs information
    transfer = None
    if args.transfer:
        t0 = time.perf_counter()
        for seed in seeds:  # 5k provinces not already fitted in part 1
            name = f"generated {args.small_subjects} seed {seed}"
            if name not in small_runs:
                province = generate_province(args.small_subjects, seed=seed)
                small_runs[name] = Run(province.dataset, province.truth["latent"], args.threads)
        sample = Path(args.sample)
        if (sample / "truth" / "latent.parquet").exists():
            small_runs[f"committed {sample.name}"] = Run(
                load_dataset(sample), pd.read_parquet(sample / "truth" / "latent.parquet"), args.threads)
        else:
            print(f"\n(no committed sample at {sample}: skipped)")
        big_province = generate_province(args.transfer_subjects, seed=args.transfer_seed)
        labels = inspection_outcome(big_province.dataset)
        fm = build_features(big_province.dataset, labels.cutoffs)
        y = np.asarray(labels.y).astype(int)
        vs, ts = TimeSplit().resolve(fm.keys["as_of"])
        as_of = pd.to_datetime(fm.keys["as_of"])
        tr, va = (as_of < vs).to_numpy(), ((as_of >= vs) & (as_of < ts)).to_numpy()
        big = GenericRiskModel(**load_model_params() | {"n_jobs": args.threads})
        # unweighted training as in fit_models (train_weights off); early stopping on the validation slice
        big.fit(fm.rows(tr), y[tr], eval_set=(fm.rows(va), y[va]))
        transfer = pd.DataFrame([transfer_row(name, run, big) for name, run in small_runs.items()])
        print(f"\nLearning vs information: a model fitted on the {int(tr.sum())} inspections before {vs.date()} "
              f"(early stopping on the {int(va.sum())} up to {ts.date()}) of a {args.transfer_subjects}-subject province (seed {args.transfer_seed}, "
              f"{big.best_iteration_} trees) vs each {args.small_subjects}-subject province's own model "
              f"(trained on train_rows), same test rows (as_of >= that province's own test start); "
              f"{time.perf_counter() - t0:.0f} s:")
        cols = ["province", "train_rows", "test_rows", "test_events",
                "auc_own_u", "auc_big_u", "auc_oracle_u", "auc_own_w", "auc_big_w", "auc_oracle_w"]
        print(transfer[cols].rename(columns=lambda c: c.replace("auc_", "")).round(3).to_string(index=False))
        share = (transfer["auc_big_u"] - transfer["auc_own_u"]) / (transfer["auc_oracle_u"] - transfer["auc_own_u"])
        print(f"share of the own-model gap closed by the {args.transfer_subjects}-trained model (unweighted): "
              + ", ".join(f"{p} {s:.0%}" for p, s in zip(transfer["province"], share, strict=True)))

    total = time.perf_counter() - t_start
    print(f"\ntotal wall time {total:.0f} s on {args.threads} threads")
    result = {"sizes": sizes, "seeds": seeds, "threads": args.threads, "per_province": rows,
              "summary": summary.to_dict(orient="records"),
              "transfer": None if transfer is None else transfer.to_dict(orient="records"),
              "total_seconds": total}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=float))
    print(f"figures written to {out}")
    return result


if __name__ == "__main__":
    main()
