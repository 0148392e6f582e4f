"""Benchmark the synthetic-province generator: subjects/s, records/s and peak memory.

Each size runs in its own subprocess (so peak RSS is that size's alone, read with
``os.wait4``). The named baseline is ``python-loop``: the core monthly simulation (latent
risk drift and shocks, violation draw, random inspection, outcome, penalty) written as a
plain per-subject Python loop, timed on a small size and extrapolated per subject.

Usage::

    .venv/bin/python benchmarks/generator.py                      # 100,000 and 1,000,000
    .venv/bin/python benchmarks/generator.py --sizes 20000 --baseline-size 500
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


class _Phases(logging.Handler):
    """Collects the generator's ``phase <name> <seconds>`` debug records."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "phase %s %.3f":
            self.seconds[record.args[0]] = float(record.args[1])


def _child(n: int, seed: int, out: str | None, truth: bool) -> None:
    from credit_risk.data.synthetic import generate_province, write_province

    phases = _Phases()
    log = logging.getLogger("credit_risk.data.synthetic.province")
    log.addHandler(phases)
    log.setLevel(logging.DEBUG)
    t0 = time.perf_counter()
    province = generate_province(n, seed=seed)
    t1 = time.perf_counter()
    written = 0.0
    if out:
        write_province(province, out, write_truth=truth)
        written = time.perf_counter() - t1
    result = {
        "subjects": n,
        "records": len(province.dataset.records),
        "annual_reports": len(province.dataset.annual_reports),
        "generate_s": t1 - t0,
        "write_s": written,
        "phases": phases.seconds,
        "bytes": sum(p.stat().st_size for p in Path(out).rglob("*.parquet")) if out else 0,
    }
    print(json.dumps(result))


def baseline_python_loop(n: int, months: int = 84, seed: int = 0) -> float:
    """Seconds for the core monthly simulation of ``n`` subjects as a plain per-subject loop.

    The same model as ``risk.simulate_risk`` (static effect, life cycle, AR(1) drift, shocks,
    industry and regional cycles, Gaussian-copula violation state, unreachable address) and
    the inspection part of ``events.simulate_events`` (random draw, outcome from the truth,
    penalty), minus contagion and the other record kinds: a conservative baseline.
    """
    rng = random.Random(seed)
    rho, sd, shock_p, shock_mean, decay, vrho = 0.95, 0.5, 1 - math.exp(-0.06 / 12), 1.2, 0.85, 0.8
    cycles = [[rng.gauss(0, 0.1) for _ in range(90)] for _ in range(months)]
    t0 = time.perf_counter()
    records = []
    for i in range(n):
        static = rng.gauss(-2.6, 0.9)
        established, closed = rng.uniform(-360, months), rng.uniform(0, 400)
        region = rng.randrange(90)
        drift, shock, g, unreachable = rng.gauss(0, sd), 0.0, rng.gauss(0, 1), False
        for t in range(months):
            if not established <= t <= closed:
                continue
            age = (t - established) / 12
            young = 0.6 * math.exp(-age / 2.0)
            distress = 1.5 * min(max(1 - (closed - t) / 18, 0.0), 1.0)
            drift = rho * drift + sd * math.sqrt(1 - rho * rho) * rng.gauss(0, 1)
            shock = decay * shock + (rng.expovariate(1 / shock_mean) if rng.random() < shock_p else 0.0)
            logit = static + young + distress + drift + shock + cycles[t][region]
            p = 1 / (1 + math.exp(-logit))
            g = vrho * g + math.sqrt(1 - vrho * vrho) * rng.gauss(0, 1)
            violating = 0.5 * math.erfc(-g / math.sqrt(2)) < p
            u = rng.random()
            unreachable = u >= 0.04 if unreachable else u < 0.01 / 12 * math.exp(logit + 2.2)
            if rng.random() < 0.08 / 12:
                outcome = "unreachable" if unreachable else "problem" if violating else "pass"
                records.append((i, t, "inspection", outcome))
                if outcome == "problem" and rng.random() < 0.25:
                    records.append((i, t, "penalty", "general"))
            elif violating and rng.random() < 0.02:
                records.append((i, t, "penalty", "general"))
    return time.perf_counter() - t0


def _run(n: int, seed: int, out: str | None, truth: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", str(n), "--seed", str(seed)]
    if out:
        cmd += ["--out", out] + ([] if truth else ["--no-truth"])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    stdout = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        raise SystemExit(f"the generator failed for {n:,} subjects (status {status})")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_rss_gb"] = usage.ru_maxrss / 1024**2  # kilobytes on Linux
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline-size", type=int, default=2000)
    parser.add_argument("--no-write", action="store_true", help="time generation only")
    parser.add_argument("--no-truth", action="store_true", help="do not write truth/")
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        _child(args.child, args.seed, args.out, not args.no_truth)
        return 0

    base_s = baseline_python_loop(args.baseline_size)
    per_subject = base_s / args.baseline_size
    print(f"baseline python-loop (core monthly simulation only): {args.baseline_size:,} subjects in "
          f"{base_s:.2f} s = {1 / per_subject:,.0f} subjects/s", flush=True)
    header = (f"{'subjects':>10} {'records':>11} {'gen s':>7} {'core s':>7} {'write s':>8} {'subj/s':>9} "
              f"{'rec/s':>10} {'peak GB':>8} {'MB out':>7} {'core vs loop':>13}")
    print(header, flush=True)
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        for n in args.sizes:
            out = None if args.no_write else str(Path(tmp) / str(n))
            r = _run(n, args.seed, out, not args.no_truth)
            speed = n / r["generate_s"]
            core = r["phases"].get("risk", 0.0) + r["phases"].get("events", 0.0)
            ratio = per_subject * n / core if core else float("nan")
            print(f"{n:>10,} {r['records']:>11,} {r['generate_s']:>7.1f} {core:>7.1f} {r['write_s']:>8.1f} {speed:>9,.0f} "
                  f"{r['records'] / r['generate_s']:>10,.0f} {r['peak_rss_gb']:>8.2f} {r['bytes'] / 1e6:>7.1f} {ratio:>12.0f}×",
                  flush=True)
            print("           phases (s): " + ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items()), flush=True)
    print("core = latent-risk simulation + monthly events (vectorised); the loop baseline is extrapolated "
          "per subject from its small run.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
