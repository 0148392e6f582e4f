"""The Spark engine against the pandas engine: the monthly scoring job at 1,000,000 subjects on local[2].

Both engines run :func:`credit_risk.pipeline.score.score_dataset` on the same dataset and model
(features of every active subject, probability, domain scores, tiers, reasons for tiers C and D,
one Parquet file), alternating, ``--repeats`` times each; throughput is active subjects per
second, median with min–max. The first repeat also checks that the two output files hold the
same rows (floats to 1e-9, tiers exactly). Then the scheduler's draw: ``draw_subjects`` against
``draw_subjects_spark`` on a frame of the same size (same mask checked).

Spark runs in local mode on two cores (``--master local[2]``), in the same process as the pandas
engine's run (its JVM started once, outside the timings; its start-up is printed apart). On one
machine Spark cannot beat the single-process engine: it ships the tables to the JVM and back
through Arrow and Parquet, and both engines run the same vectorised numpy code per partition.
What the figures show is the overhead of that distribution; on a cluster the same job spreads
over executors (README, "Scaling out").

Data: the 1,000,000-subject synthetic province and the model set of ``benchmarks/province.py``
(cached under ``benchmarks/out``; generated on first use).

    .venv/bin/python benchmarks/spark.py                       # 1 M subjects, 1 repeat
    .venv/bin/python benchmarks/spark.py --subjects 100000 --repeats 3

The machine is shared (2 cores, other jobs running): quote figures with the load.

Measured (2026-11-30, 2 cores shared with six other jobs, load average 11–13, one repeat each,
so ±50 % at least; the 1 M and 100 k provinces of ``benchmarks/province.py``, reasons for C and D):

    subjects   active    pandas             spark local[2]                       outputs
    100,000    68,668    19 s (3,601 /s)    174 s (395 /s; 8 partitions)         equal
    1,000,000  681,603   220 s (3,106 /s)   939 s (726 /s; 16 partitions)        equal
    draw, 1 M (180,211 drawn): pandas 0.5 s, Spark 46 s, same mask

Spark start-up (41 s at 1 M, outside the timings) and the Parquet round trips are the price of
distribution; on one machine the pandas engine stays the faster one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from credit_risk.data import load_dataset
from credit_risk.data.cutoffs import active_cutoffs
from credit_risk.engine.draw import draw_subjects_spark
from credit_risk.engine.session import local_session
from credit_risk.pipeline.score import score_dataset
from credit_risk.scheduler.sampling import draw_subjects
from credit_risk.store.bundle import load_bundle
from province import ensure_model, ensure_province

AS_OF = "2026-01-01"


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} (min {min(values):,.0f} – max {max(values):,.0f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=8, help="hash partitions of the subjects")
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--reasons-for", default="C,D")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", FutureWarning)  # pyspark on pandas 3: see credit_risk.engine.session

    folder = ensure_province(args.subjects)
    model_path = ensure_model(20_000)
    sha = json.loads(model_path.with_name(model_path.name + ".json").read_text(encoding="utf-8"))["sha256"]
    bundle = load_bundle(model_path, sha256=sha)
    t = time.perf_counter()
    dataset = load_dataset(folder)
    n_active = len(active_cutoffs(dataset, pd.Timestamp(AS_OF)))
    print(f"{folder.name}: {dataset.n_subjects:,} subjects, {len(dataset.records):,} records, "
          f"{n_active:,} active on {AS_OF}; loaded in {time.perf_counter() - t:.0f} s", flush=True)
    t = time.perf_counter()
    spark = local_session(args.master, shuffle_partitions=args.partitions,
                          config={"spark.driver.memory": args.driver_memory})
    print(f"Spark {spark.version} session on {args.master} started in {time.perf_counter() - t:.0f} s "
          f"({args.partitions} partitions); machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
          flush=True)

    work = Path(tempfile.mkdtemp(prefix="bench_spark_"))
    times: dict[str, list[float]] = {"pandas": [], "spark": []}
    for repeat in range(args.repeats):
        outputs = {}
        for engine in ("pandas", "spark"):  # alternating
            t = time.perf_counter()
            outputs[engine] = score_dataset(bundle, dataset, as_of=AS_OF, out=work / f"{engine}-{repeat}.parquet",
                                            model_name="bench", model_version="1", model_sha256=sha,
                                            reasons_for=args.reasons_for, engine=engine)
            times[engine].append(time.perf_counter() - t)
            print(f"  repeat {repeat + 1}: {engine:6s} {times[engine][-1]:7.1f} s  "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)
        if repeat == 0:
            a, b = pd.read_parquet(outputs["pandas"]), pd.read_parquet(outputs["spark"])
            pd.testing.assert_frame_equal(b, a, check_exact=False, rtol=1e-9, atol=0)
            print(f"  outputs equal: {len(a):,} rows, tiers {a['tier'].value_counts().sort_index().to_dict()}",
                  flush=True)
    print(f"\nscore_dataset, {n_active:,} active subjects (subjects per second, median of {args.repeats}):")
    for engine in ("pandas", "spark"):
        rates = [n_active / s for s in times[engine]]
        print(f"  {engine:6s} {_summary(rates)}   wall {statistics.median(times[engine]):,.0f} s")

    rng = np.random.default_rng(0)
    n = dataset.n_subjects
    strata = pd.Categorical(rng.choice([f"{t}|33{r:02d}|random" for t in "ABCD" for r in range(1, 12)], n))
    p = pd.Series(strata).map(lambda s: {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.5}[s[0]]).astype(float)
    frame = pd.DataFrame({"stratum": strata, "inclusion_probability": p.to_numpy()})
    draw_times: dict[str, list[float]] = {"pandas": [], "spark": []}
    for _ in range(args.repeats):
        t = time.perf_counter()
        expected = draw_subjects(frame, np.random.default_rng(2026))
        draw_times["pandas"].append(time.perf_counter() - t)
        t = time.perf_counter()
        got = draw_subjects_spark(frame, np.random.default_rng(2026), spark=spark)
        draw_times["spark"].append(time.perf_counter() - t)
        assert np.array_equal(got, expected), "the Spark draw differs from the pandas draw"
    print(f"\ndraw of {int(expected.sum()):,} of {n:,} subjects in 44 strata (same mask; subjects per second):")
    for engine in ("pandas", "spark"):
        print(f"  {engine:6s} {_summary([n / s for s in draw_times[engine]])}")
    spark.stop()


if __name__ == "__main__":
    main()
