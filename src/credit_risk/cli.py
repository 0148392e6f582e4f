"""The ``credit-risk`` command line: the only module that parses arguments, configures logging and prints."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

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
