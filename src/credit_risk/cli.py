"""The ``credit-risk`` command line: the only module that parses arguments, configures logging and prints."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from credit_risk import __version__
from credit_risk.exceptions import CreditRiskError, DataContractError

__all__ = ["main"]


def _cmd_validate(args: argparse.Namespace) -> int:
    from credit_risk.data import load_dataset

    try:
        dataset = load_dataset(args.path, id_scheme=args.id_scheme)
    except DataContractError as exc:
        problems = exc.problems
        if problems:
            print(f"{args.path}: {len(problems):,} problem(s)")
            for p in problems:
                print(f"  {p}")
        else:
            print(f"{args.path}: {exc}")
        return 1
    n_rec = len(dataset.records)
    print(f"{args.path}: valid — {dataset.n_subjects:,} subjects, {n_rec:,} records")
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from credit_risk.data.synthetic import generate_province, load_synthetic_config, write_province

    config = load_synthetic_config(args.config) if args.config else None
    with tqdm(total=None, desc="simulating months", unit="month", disable=True if args.quiet else None) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        province = generate_province(
            n_subjects=args.subjects, seed=args.seed, config=config, progress=progress
        )
    written = write_province(province, args.out, write_truth=not args.no_truth)
    ds = province.dataset
    print(
        f"wrote {ds.n_subjects:,} subjects and {len(ds.records):,} records (seed {args.seed}) to {args.out}"
    )
    for path in written:
        print(f"  {path}")
    return 0


def _tracking_uri(arg: str | None) -> str:
    """--tracking-uri, else MLFLOW_TRACKING_URI, else the embedded store under the working directory."""
    import os

    from credit_risk.tracking import local_tracking_uri

    return arg or os.environ.get("MLFLOW_TRACKING_URI") or local_tracking_uri(Path.cwd())


def _code_version() -> str:
    import subprocess

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return f"{__version__}+{commit}"


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def run_training(data: str, config_path: str | None, out: str, tracking_uri: str, truth: str | None) -> list:
    """Train, save bundles and record the tracked runs (clock and git version read here, at the edge)."""
    from credit_risk.data import load_dataset
    from credit_risk.train import load_train_config, train_and_track

    config, text = load_train_config(config_path)
    return train_and_track(
        load_dataset(data), config, config_text=text, out_dir=out, tracking_uri=tracking_uri,
        created_at=_now(), code_version=_code_version(), truth_path=Path(truth) if truth else Path(data) / "truth" / "latent.parquet",
    )[1]


def _cmd_train(args: argparse.Namespace) -> int:
    uri = _tracking_uri(args.tracking_uri)
    results = run_training(args.data, args.config, args.out, uri, args.truth)
    print(f"tracking store: {uri}")
    for r in results:
        print(f"  {r.registered_name} v{r.version}: {r.metric}={r.value:.4f} — {r.decision} (run {r.run_id})")
    print(f"bundles: {args.out}")
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    import tempfile

    import pandas as pd
    from tqdm import tqdm

    from credit_risk.data import load_dataset
    from credit_risk.scoring import resolve_model, score_dataset

    uri = _tracking_uri(args.tracking_uri)
    with tempfile.TemporaryDirectory() as cache:
        bundle, name, version, sha = resolve_model(args.model, uri, Path(cache))
    dataset = load_dataset(args.data)
    previous = pd.read_parquet(args.previous) if args.previous else None
    with tqdm(desc="scoring chunks", unit="chunk", disable=True if args.quiet else None) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        out = score_dataset(
            bundle, dataset, as_of=args.as_of, out=args.out, model_name=name, model_version=version,
            chunk_size=args.chunk_size, k=args.reasons, previous=previous, progress=progress,
            threads=args.threads, model_sha256=sha,
        )
    scores = pd.read_parquet(out, columns=["tier"])
    shares = scores["tier"].value_counts(normalize=True).sort_index()
    print(f"scored {len(scores):,} subjects as of {args.as_of} with {name} {version} → {out}")
    print("  tiers: " + ", ".join(f"{t} {100 * v:.1f} %" for t, v in shares.items()))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from credit_risk.demo import run_demo

    uri = _tracking_uri(args.tracking_uri)
    print(f"credit_risk demo on {args.data} → {args.out}")
    result = run_demo(
        args.data, args.out, tracking_uri=uri, created_at=_now(), code_version=_code_version(),
        seed=args.seed, progress=lambda msg: print(f"… {msg}", flush=True),
    )
    for r in result.registrations:
        print(f"  {r.registered_name} v{r.version}: {r.decision}")
    print("outputs:")
    print(f"  report           {result.report}")
    print(f"  scores           {result.scores}")
    print(f"  inspection plan  {result.plan_dir}")
    for name, path in result.bundles.items():
        print(f"  bundle {name:<12}{path}")
    store = uri.removeprefix("sqlite:///")
    print(f"  MLflow runs      {uri}")
    if uri.startswith("sqlite:///"):
        print(f"                   view them with: mlflow ui --backend-store-uri {uri} "
              f"--default-artifact-root {Path(store).parent / 'artifacts'}")
    for key, value in result.figures.items():
        print(f"  {key:<28}{value:,.4g}")
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    import pandas as pd

    from credit_risk.data import load_dataset
    from credit_risk.scheduler import (
        load_policy,
        plan_inspections,
        subjects_from_dataset,
        write_plan,
    )

    policy = load_policy(args.policy)
    scores = pd.read_parquet(args.scores)
    missing = [c for c in ("credit_code", "tier") if c not in scores.columns]
    if missing:
        print(f"error: {args.scores}: columns {missing} are missing; pass the output of credit-risk score",
              file=sys.stderr)
        return 2
    tiers = scores[["credit_code", "tier", *(["probability"] if "probability" in scores else [])]]
    subjects = subjects_from_dataset(
        load_dataset(args.data), tiers.rename(columns={"probability": "risk"}), as_of=pd.Timestamp(args.start),
        complaint_days=policy.mandatory.complaint_days,
    )
    inspectors = pd.read_parquet(args.inspectors) if args.inspectors.endswith(".parquet") else pd.read_csv(
        args.inspectors, dtype=str
    ).astype({"capacity": int})
    conflicts = None
    if args.conflicts:
        conflicts = pd.read_csv(args.conflicts, dtype=str)
    plan = plan_inspections(subjects, inspectors, policy, period_start=args.start, period_end=args.end,
                            seed=args.seed, conflicts=conflicts)
    hashes = write_plan(plan, args.out)
    print(f"plan {args.start} – {args.end}, seed {args.seed}: {len(plan.visits):,} visits → {args.out}")
    for key, value in plan.stats.items():
        print(f"  {key:<32}{value:,.6g}")
    for name, digest in sorted(hashes.items()):
        print(f"  {name:<22}sha256 {digest}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="credit-risk",
        description="Enterprise credit-risk tiers and risk-based random-inspection plans.",
    )
    parser.add_argument("--version", action="version", version=f"credit-risk {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a dataset folder against the data contract")
    p.add_argument("path", help="dataset folder (CSV or Parquet tables)")
    p.add_argument("--id-scheme", choices=["gb32100", "any"], default=None,
                   help="override the manifest's id scheme")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("sample", help="generate a synthetic Zhejiang-like province with its ground truth")
    p.add_argument("--subjects", type=int, default=5000, help="number of subjects (1,000 to 3,000,000)")
    p.add_argument("--seed", type=int, required=True, help="random seed (the output is deterministic for it)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--config", default=None, help="synthetic-province config (default configs/synthetic.yaml)")
    p.add_argument("--no-truth", action="store_true", help="do not write the ground truth (truth/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("train", help="train the generic and domain models, tracked in MLflow")
    p.add_argument("--data", required=True, help="dataset folder")
    p.add_argument("--config", default=None, help="training config (default configs/train.yaml)")
    p.add_argument("--out", default="models", help="folder for the model bundles (default models/)")
    p.add_argument("--tracking-uri", default=None,
                   help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlruns/mlflow.db)")
    p.add_argument("--truth", default=None,
                   help="synthetic ground truth for the oracle AUC (default DATA/truth/latent.parquet if present)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("score", help="score, tier and explain every active subject as of a date")
    p.add_argument("--model", required=True,
                   help="registry URI (models:/credit_risk_generic@champion) or a bundle path")
    p.add_argument("--data", required=True, help="dataset folder")
    p.add_argument("--as-of", required=True, help="as-of date YYYY-MM-DD (records before it count)")
    p.add_argument("--out", required=True, help="output Parquet file (written atomically)")
    p.add_argument("--previous", default=None, help="last month's scores, for tier hysteresis")
    p.add_argument("--chunk-size", type=int, default=200_000, help="subjects per chunk (bounds memory)")
    p.add_argument("--reasons", type=int, default=5, help="top reasons per subject")
    p.add_argument("--threads", type=int, default=None,
                   help="LightGBM prediction threads (default: as trained; results do not depend on it)")
    p.add_argument("--tracking-uri", default=None, help="MLflow tracking URI for registry models")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("demo", help="the whole job on a dataset: train, score, tier, plan, report")
    p.add_argument("--data", default="data/sample", help="dataset folder (default data/sample)")
    p.add_argument("--out", default="outputs/demo", help="output folder (default outputs/demo)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the inspection draw (published)")
    p.add_argument("--tracking-uri", default=None,
                   help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlruns/mlflow.db)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("plan", help="draw a risk-based random-inspection plan (双随机、一公开) from scores")
    p.add_argument("--scores", required=True, help="scores Parquet from credit-risk score (credit_code, tier)")
    p.add_argument("--data", required=True, help="dataset folder (regions, listings, last inspections)")
    p.add_argument("--inspectors", required=True,
                   help="inspector roster CSV/Parquet: inspector_id, department, home_region, capacity")
    p.add_argument("--conflicts", default=None, help="recusal table CSV: inspector_id, credit_code")
    p.add_argument("--start", required=True, help="period start YYYY-MM-DD")
    p.add_argument("--end", required=True, help="period end YYYY-MM-DD (exclusive)")
    p.add_argument("--seed", type=int, required=True, help="the draw's seed (published in the plan)")
    p.add_argument("--policy", default=None, help="policy YAML (default configs/inspection_policy.yaml)")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=_cmd_plan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except CreditRiskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
