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
