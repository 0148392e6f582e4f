"""What the run record adds to a scoring run: ``score_dataset(..., run_history=)`` vs the scores alone.

``credit-risk score`` records every run (``runs/<as-of>_<id>/``: the feature values and, with
``runs.contributions: true``, every subject's TreeSHAP contributions, so that ``monitor`` can
attribute drift and ``warn`` can say what moved). Three ways of scoring the same province, each
in a fresh process, alternating, ``--repeats`` times:

* **scores only** — :func:`~credit_risk.pipeline.score.score_dataset` without ``run_history``;
* **scores + record** — the same with ``run_history=``: the record is written from the scoring
  pass (the scorer's matrix; the explained rows' contributions reused, the others' computed
  chunk by chunk);
* **scores, then record_run** (the named baseline) — what ``run_history=`` did before this
  change: the scores, then :func:`credit_risk.monitoring.record_run`, which re-reads the
  scores, rebuilds the features of every row and recomputes every row's contributions (with
  today's :func:`~credit_risk.monitoring.write_run_record`, which hashes the data once and reads
  four columns of the scores);
* with ``--before-src DIR`` (a ``src`` folder of the library before this change), also
  **run_history= before**: that code's ``score_dataset(..., run_history=)``, the path as it
  was. To change nothing else, take this checkout and put back the files of the change as they
  were at its parent commit ``be49002``::

      mkdir /tmp/before && git archive HEAD src configs | tar -x -C /tmp/before
      for f in pipeline/score.py monitoring/runs.py monitoring/cycle.py pipeline/demo.py; do
          git show be49002:src/credit_risk/$f > /tmp/before/src/credit_risk/$f; done

Timed: the call(s) after the dataset is loaded (wall, CPU of all threads, peak RSS of that
part); the two records are checked to be the same bytes. Data and model are those of
``benchmarks/province.py`` (``benchmarks/out/province-N``, ``models-20000``), reasons for tiers
C and D (the monthly default), 2 prediction threads, chunks of 200,000.

    .venv/bin/python benchmarks/run_record.py                       # 1,000,000 subjects, 3 repeats
    .venv/bin/python benchmarks/run_record.py --subjects 100000 --repeats 2
    .venv/bin/python benchmarks/run_record.py --before-src /tmp/before/src

Figures depend on the machine and its load: quote them with the load average.

Measured 2026-11-30 (20:31–21:01 UTC) on the 2-core, 23 GB development machine, shared with the
lead's experiments and another helper's (load average 1.7–4.7 during the runs), 1,000,000
subjects (681,603 active, 158,009 explained), 3 repeats, median (min–max); the four records
are the same bytes:

================================  ======================  ======================  ==========
call (after the dataset load)     wall                    CPU (all threads)       peak RSS
================================  ======================  ======================  ==========
scores only                       45.5 s (39.0–46.4)      46.5 s (45.0–48.3)      3.7 GB
scores + record (this change)     145.8 s (132.5–200.3)   145.0 s (143.5–145.3)   5.8 GB
scores, then record_run           147.9 s (126.2–173.5)   172.1 s (170.7–172.5)   6.3 GB
run_history= before               130.5 s (129.3–180.6)   179.6 s (175.9–182.9)   6.5 GB
================================  ======================  ======================  ==========

The record's CPU cost (difference of the medians) went from 133 s to 99 s: the second feature
build (10 s), the second TreeSHAP of the 158,009 explained rows (about 20 s) and a second hash
of every table (5 s) are gone. What remains is the TreeSHAP of the 523,594 unexplained rows
(71 s, phase ``record contributions``) and writing the record (24 s: the departments of a
joint visit 7 s, the data fingerprint 5.5 s, the feature bins, the snapshot Parquet). Wall
times swing with the load here (an earlier run of the same script, load 2.0–4.6: 128.2 s
(107.7–135.9) with the record vs 150.4 s (144.0–165.1) before, CPU 145.1 vs 182.4 s): quote CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from province import MEMORY, OUT, _child, ensure_model, ensure_province

VARIANTS = ("scores only", "scores + record", "scores, then record_run")
BEFORE = "run_history= before"

CHILD = MEMORY + r'''
import json, logging, os, sys, time
folder, bundle_path, out, chunk, threads, variant, before_src = sys.argv[1:8]
if before_src:
    sys.path.insert(0, before_src)
import pandas as pd
from credit_risk.data import load_dataset
from credit_risk.monitoring import find_run, record_run
from credit_risk.pipeline.score import score_dataset
from credit_risk.store.bundle import load_bundle
import credit_risk
assert not before_src or credit_risk.__file__.startswith(before_src), credit_risk.__file__
phases = {}

class Phases(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
    def emit(self, record):
        if record.msg == "phase %s %.6f %.6f":
            name, secs, cpu = record.args
            w, c = phases.get(name, (0.0, 0.0))
            phases[name] = (w + float(secs), c + float(cpu))

log = logging.getLogger("credit_risk.pipeline.score")
log.addHandler(Phases())
log.setLevel(logging.DEBUG)
bundle = load_bundle(bundle_path, sha256=json.loads(open(bundle_path + ".json").read())["sha256"])  # ours
dataset = load_dataset(folder)
as_of = (dataset.records["published_on"].max() + pd.Timedelta(days=1)).normalize()
model = dict(model_name="bench", model_version="0", model_sha256=json.loads(open(bundle_path + ".json").read())["sha256"])
history = os.path.join(os.path.dirname(out), "runs")
load0 = os.getloadavg()[0]
reset_peak(); t, c = time.perf_counter(), time.process_time()
if variant == "scores only":
    score_dataset(bundle, dataset, as_of=as_of, out=out, chunk_size=int(chunk), threads=int(threads), **model)
    record = None
elif variant in ("scores + record", "run_history= before"):
    path = score_dataset(bundle, dataset, as_of=as_of, out=out, chunk_size=int(chunk), threads=int(threads),
                         run_history=history, **model)
    record = find_run(history, path)
else:
    path = score_dataset(bundle, dataset, as_of=as_of, out=out, chunk_size=int(chunk), threads=int(threads), **model)
    record = record_run(path, bundle, dataset, history=history, **model)
wall, cpu = time.perf_counter() - t, time.process_time() - c
rows = len(pd.read_parquet(out, columns=["tier"]))
explained = int(pd.read_parquet(out, columns=["reason_1_feature"])["reason_1_feature"].notna().sum())
print(json.dumps({"s": wall, "cpu_s": cpu, "peak_mb": peak_mb(), "rows": rows, "explained": explained,
                  "record": None if record is None else str(record), "phases": phases,
                  "load": [load0, os.getloadavg()[0]]}))
'''


def _median(values: list[float], unit: str = "s") -> str:
    med = statistics.median(values)
    return f"{med:6.1f} {unit}" if len(values) == 1 else f"{med:6.1f} {unit} ({min(values):.1f}–{max(values):.1f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="LightGBM prediction threads")
    parser.add_argument("--chunk-size", type=int, default=200_000)
    parser.add_argument("--train-subjects", type=int, default=20_000)
    parser.add_argument("--json", type=Path, default=None, help="also write every figure here")
    parser.add_argument("--before-src", type=Path, default=None,
                        help="src folder of an older checkout: also time its score_dataset(run_history=)")
    args = parser.parse_args(argv)
    variants = VARIANTS + ((BEFORE,) if args.before_src else ())
    folder = ensure_province(args.subjects)
    bundle = ensure_model(args.train_subjects)
    work = OUT / f"run_record-{args.subjects}"
    print(f"machine: {os.cpu_count()} cores; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          "at start", flush=True)
    results: dict[str, list[dict]] = {v: [] for v in variants}
    for r in range(args.repeats):
        order = variants if r % 2 == 0 else variants[::-1]
        records = {}
        for variant in order:
            place = work / variant.replace(" ", "_").replace("+", "and").replace(",", "").replace("=", "")
            shutil.rmtree(place, ignore_errors=True)
            place.mkdir(parents=True)
            print(f"  repeat {r + 1}/{args.repeats}: {variant} …", flush=True)
            res = _child(CHILD, str(folder), str(bundle), str(place / "scores.parquet"), str(args.chunk_size),
                         str(args.threads), variant, str(args.before_src.resolve()) if variant == BEFORE else "")
            results[variant].append(res)
            if res["record"]:
                records[variant] = Path(res["record"])
        new = records[VARIANTS[1]]
        for other in variants[2:]:
            old = records[other]
            if not all((new / f).read_bytes() == (old / f).read_bytes() for f in ("run.json", "snapshot.parquet")):
                raise SystemExit(f"the run records differ: {new} vs {old}")
    first = results[VARIANTS[0]][0]
    print(f"\n== {args.subjects:,} subjects ({first['rows']:,} active, {first['explained']:,} explained: tiers C, D); "
          f"{args.threads} threads, chunks of {args.chunk_size:,}; {args.repeats} repeats, median (min–max); "
          "the records are the same bytes")
    print(f"  {'':34s} {'wall':>22s} {'CPU (all threads)':>22s} {'peak RSS':>24s}  load avg (1 min)")
    base_wall = statistics.median(r["s"] for r in results[VARIANTS[0]])
    base_cpu = statistics.median(r["cpu_s"] for r in results[VARIANTS[0]])
    for variant in variants:
        rs = results[variant]
        loads = [x for r in rs for x in r["load"]]
        print(f"  {variant:34s} {_median([r['s'] for r in rs]):>22s} {_median([r['cpu_s'] for r in rs]):>22s} "
              f"{_median([r['peak_mb'] / 1024 for r in rs], 'GB'):>24s}  {min(loads):.1f}–{max(loads):.1f}")
    for variant in variants[1:]:
        rs = results[variant]
        print(f"  record's cost, {variant:24s} +{statistics.median(r['s'] for r in rs) - base_wall:5.1f} s wall, "
              f"+{statistics.median(r['cpu_s'] for r in rs) - base_cpu:5.1f} s CPU (difference of the medians)")
    for variant in variants:
        phases = sorted({p for r in results[variant] for p in r["phases"]})
        text = ", ".join(f"{p} {statistics.median(r['phases'].get(p, (0, 0))[1] for r in results[variant]):.1f}"
                         for p in phases)
        print(f"  CPU s by phase, {variant}: {text}")
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end "
          "(a shared machine inflates wall time; CPU time is the steadier figure)")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
