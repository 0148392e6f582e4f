"""Benchmark the point-in-time feature builders against DuckDB and polars: seconds and peak memory.

Scenarios: ``N`` subjects × ~5 records per subject over 5 years, with (a) one as-of date for
all subjects (the monthly run) and (b) one as-of date per inspection (training). For each:

- ``library``  the engine (:mod:`credit_risk.features.engine`), the comparison aggregates
               (count and sum of value by kind × windows 90/365/1095/1825 d = 32 columns, full
               counting rules: published before t, not ended/repaired/expired), encoding of
               the pandas dataset (``prepare``) included;
- ``duckdb``   the same aggregates as one SQL query, ``polars`` as one lazy query
               (``features_peers.py``: join records with the publication periods, join the
               cutoffs on the credit code, filter, one group-by with filtered counts and
               sums); their inputs are converted to Arrow/polars before the clock starts;
- the three run in the same process, alternating (the order rotates every round), and the
               figures are medians with min–max over ``--repeats`` rounds; the values of
               both peers are checked to equal the library's;
- ``pandas``   (``--pandas``) a plain pandas baseline: merge → filter → groupby;
- ``full``     ``build_features`` with the whole packaged spec and every view.

The machine is shared (2 cores, other jobs running): quote medians with their min–max.

Measured 2026-11-30 (``--sizes 1000000 --repeats 5 --no-featuretools``; 1 M subjects, 5.0 M
records; 2 cores shared with other sessions' jobs, load average 7–15; DuckDB 2.0.1, polars
2.1.0, pandas 3.1.1; seconds, median (min–max) of 5 alternating runs, values of both peers equal
to the library's):

======================================  ================  ===================  ================
scenario                                library           DuckDB               polars
======================================  ================  ===================  ================
one as-of date (1,000,000 cutoffs)      5.11 (4.11–8.53)  13.09 (11.61–14.07)  8.08 (6.54–8.77)
one per inspection (1,250,154 cutoffs)  4.47 (2.90–6.30)  10.10 (4.78–11.36)   5.96 (3.00–7.35)
======================================  ================  ===================  ================

A second run of the same command at 17:30 UTC (load average 3–8): one date 4.89 (3.62–6.61),
DuckDB 9.13 (6.33–10.82), polars 7.28 (4.79–7.97); per inspection 3.24 (2.87–5.66), DuckDB 8.11
(6.25–10.12), polars 6.49 (5.15–8.55); all features 33.9 s and 23.6 s.

The library's slowest run is its first (loading the compiled kernels from numba's disk cache;
the first run after installing also compiles them, a few seconds). ``build_features`` with all
86 features of every view: 35.4 s at one date and 29.8 s per inspection in the same run. The
engine before this version (the searchsorted engine with pandas groupbys and per-record Python
objects, same machine, separate processes alternating with this version, two rounds each):
aggregates 30.5–69.2 s at one date and 21.7–25.1 s per inspection, all features 104–161 s and
65–77 s; this version in those rounds: 5.2–7.7 s, 4.3–4.6 s, 22.7–28.7 s and 37.6–40.9 s, with
every value equal to 1e-9.

featuretools deep feature synthesis (with cutoff times) runs in its own virtual environment
(``benchmarks/.venv-featuretools``: featuretools 1.31 needs pandas < 3) on a size it can
finish, on the aggregates it can express (records published on their start date, no end:
count and sum by kind over ``[as_of - w, as_of)``); its time per distinct cutoff date is
extrapolated to the big scenarios, and its values are checked against ours.

Peak memory is the peak *additional* resident memory of each step (``/proc/self/statm``
polled every 5 ms; the dataset itself is not included), plus the process's peak RSS at the end.

Usage::

    .venv/bin/python benchmarks/features.py                        # 100,000 and 1,000,000 subjects
    .venv/bin/python benchmarks/features.py --sizes 1000000 --repeats 5 --no-featuretools
    .venv/bin/python benchmarks/features.py --sizes 20000 --ft-runs 500x20 --ft-direct-max 20000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from credit_risk.features import build_features
from credit_risk.features.engine import interval_count, interval_sum
from credit_risk.features.prepared import prepare
from features_data import cutoffs_one_date, cutoffs_per_inspection, random_dataset
from features_peers import duckdb_aggregates, peer_inputs, polars_aggregates

KINDS = ("penalty", "inspection", "complaint", "abnormal_listing")
WINDOWS = (90, 365, 1095, 1825)
HERE = Path(__file__).resolve().parent
FT_PYTHON = HERE / ".venv-featuretools" / "bin" / "python"


class _PeakRSS(threading.Thread):
    """Polls the process's resident set size every 5 ms; ``peak`` is in bytes."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = self.start_rss = _rss()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _rss())
            time.sleep(0.005)


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(fn):
    """(result, seconds, peak additional resident memory in MB while ``fn`` ran)."""
    gc.collect()
    poll = _PeakRSS()
    poll.start()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    poll.stop.set()
    poll.join()
    return out, seconds, max(poll.peak - poll.start_rss, 0) / 2**20


def ours(ds, cutoffs) -> pd.DataFrame:
    """Comparison aggregates with the engine (prepare included in the time)."""
    p = prepare(ds, cutoffs)
    names = [f"{k}_{what}_{w}d" for k in KINDS for w in WINDOWS for what in ("count", "sum")]
    block = np.empty((len(names), len(cutoffs)))  # one column per row of the block, as build_features does
    j = 0
    for k in KINDS:
        rs = p.select(kinds=[k])
        p.prefetch(rs, WINDOWS)
        for w in WINDOWS:
            block[j] = p.count(rs, w)
            block[j + 1] = p.total(rs, w)
            j += 2
    return pd.DataFrame(block.T, columns=names, copy=False)


def ours_simple(ds, cutoffs) -> pd.DataFrame:
    """The same aggregates without publication/end rules: start in [t - w, t) (featuretools' semantics)."""
    p = prepare(ds, cutoffs)
    out = {}
    for k in KINDS:
        rs = p.select(kinds=[k])
        for w in WINDOWS:
            out[f"{k}_count_{w}d"] = interval_count(rs.subj, rs.start, rs.start + w, p.q).astype(float)
            out[f"{k}_sum_{w}d"] = interval_sum(rs.subj, rs.start, rs.start + w, rs.value, p.q)
    return pd.DataFrame(out)


def pandas_baseline(ds, cutoffs) -> pd.DataFrame:
    """Plain pandas: merge → filter by cutoff and window → groupby (the same counting rules)."""
    rec = ds.records
    rec = rec[rec["kind"].isin(KINDS)]
    pub = pd.DataFrame(
        [(k, sev, days) for k, spec in ds.catalog.kinds.items() for sev, days in spec.publication_days.items()],
        columns=["kind", "severity", "publication_days"],
    )
    r = rec[["credit_code", "kind", "severity", "start", "end", "published_on", "value"]].copy()
    r["kind"] = r["kind"].astype(str)
    r["severity"] = r["severity"].astype(str)
    r = r.merge(pub, on=["kind", "severity"], how="left")
    expiry = r["start"] + pd.to_timedelta(r["publication_days"], unit="D")
    r["eff_end"] = pd.concat([r["end"], expiry], axis=1).min(axis=1)
    r["lo"] = r[["published_on", "start"]].max(axis=1)
    c = pd.DataFrame({"row": np.arange(len(cutoffs)), "credit_code": cutoffs["credit_code"].to_numpy(),
                      "t": pd.to_datetime(cutoffs["as_of"]).to_numpy()})
    m = c.merge(r[["credit_code", "kind", "start", "lo", "eff_end", "value"]], on="credit_code")
    counts = (m["lo"] < m["t"]) & (m["eff_end"].isna() | (m["eff_end"] >= m["t"]))
    m = m[counts]
    age = (m["t"] - m["start"]).dt.days
    cols = {}
    value = m["value"].fillna(0.0)
    for w in WINDOWS:
        inw = age <= w
        cols[f"c{w}"] = inw.astype(float)
        cols[f"s{w}"] = value.where(inw, 0.0)
    g = pd.DataFrame({"row": m["row"].to_numpy(), "kind": m["kind"].to_numpy(), **{k: v.to_numpy() for k, v in cols.items()}})
    agg = g.groupby(["row", "kind"]).sum().unstack("kind")
    out = {}
    for k in KINDS:
        for w in WINDOWS:
            for what, prefix in (("count", "c"), ("sum", "s")):
                col = (f"{prefix}{w}", k)
                s = agg[col] if col in agg.columns else pd.Series(dtype=float)
                out[f"{k}_{what}_{w}d"] = s.reindex(np.arange(len(cutoffs)), fill_value=0.0).fillna(0.0).to_numpy()
    return pd.DataFrame(out)


def agree(a: pd.DataFrame, b: pd.DataFrame) -> str:
    a, b = a[sorted(a.columns)], b[sorted(a.columns)]
    bad = ~np.isclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, atol=1e-6)
    return "values agree" if not bad.any() else f"MISMATCH in {int(bad.sum())} cells, e.g. column {a.columns[np.argwhere(bad)[0][1]]}"


def run_featuretools(n_subjects: int, n_dates: int, seed: int) -> dict | None:
    if not FT_PYTHON.exists():
        print(f"featuretools: {FT_PYTHON} not found — create it with\n"
              f"  python3 -m venv {FT_PYTHON.parents[1]} && {FT_PYTHON.parent}/pip install "
              "'featuretools==1.31.*' 'pandas<3' pyarrow\n  continuing without featuretools", flush=True)
        return None
    ds = random_dataset(n_subjects, seed=seed, simple=True)
    rng = np.random.default_rng(seed)
    dates = pd.Timestamp("2021-01-01") + pd.to_timedelta(np.sort(rng.choice(1400, n_dates, replace=False)), unit="D")
    cut = pd.DataFrame({"credit_code": ds.enterprises["credit_code"].to_numpy(),
                        "as_of": dates[rng.integers(0, n_dates, n_subjects)]})
    with tempfile.TemporaryDirectory() as tmp:
        pd.DataFrame({"credit_code": ds.enterprises["credit_code"].astype(str)}).to_parquet(f"{tmp}/enterprises.parquet")
        rec = ds.records
        pd.DataFrame({"record_id": rec["record_id"].astype(str), "credit_code": rec["credit_code"].astype(str),
                      "kind": rec["kind"].astype(str), "start": rec["start"], "value": rec["value"]}
                     ).to_parquet(f"{tmp}/records.parquet")
        pd.DataFrame({"row": np.arange(len(cut)), "credit_code": cut["credit_code"].astype(str),
                      "as_of": cut["as_of"]}).to_parquet(f"{tmp}/cutoffs.parquet")
        proc = subprocess.run(
            [str(FT_PYTHON), str(HERE / "features_featuretools.py"), tmp, f"{tmp}/out.parquet",
             ",".join(map(str, WINDOWS)), ",".join(KINDS)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            print("featuretools run failed; continuing without it:\n" + proc.stderr[-2000:], flush=True)
            return None
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        ft_values = pd.read_parquet(f"{tmp}/out.parquet").sort_values("row").drop(columns="row").reset_index(drop=True)
    ft_values = ft_values.fillna(0.0)  # featuretools gives NaN for SUM over no rows
    mine, sec_ours, _ = measure(lambda: ours_simple(ds, cut))
    info.update(subjects=n_subjects, ours_seconds=sec_ours, agreement=agree(mine, ft_values))
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[100_000, 1_000_000])
    ap.add_argument("--records-per-subject", type=float, default=5.0)
    ap.add_argument("--ft-runs", default="2000x200,20000x30",
                    help="featuretools runs as SUBJECTSxDATES, comma-separated (per-date cost fitted on records)")
    ap.add_argument("--no-featuretools", action="store_true")
    ap.add_argument("--ft-direct-max", type=int, default=100_000,
                    help="also run featuretools directly on the one-date scenario up to this many subjects")
    ap.add_argument("--no-baseline-above", type=int, default=2_000_000,
                    help="skip the pandas baseline above this many merged rows × 10 (memory)")
    ap.add_argument("--repeats", type=int, default=3, help="alternating rounds of library, duckdb, polars")
    ap.add_argument("--full-repeats", type=int, default=1, help="runs of build_features (every feature, every view)")
    ap.add_argument("--pandas", action="store_true", help="also run the plain pandas baseline once (slow, memory-hungry)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    ft_points: list[tuple[int, float]] = []  # (records, seconds per distinct date)

    def per_date(records: int) -> float:
        """Seconds per distinct cutoff date, fitted as a + b·records over the measured runs."""
        x = np.array([r for r, _ in ft_points], dtype=float)
        y = np.array([v for _, v in ft_points])
        if len(ft_points) < 2 or np.ptp(x) == 0:
            return float(y.mean())
        b, a = np.polyfit(x, y, 1)
        return float(max(a + b * records, y.max() if records >= x.max() else y.min()))

    ft_direct: dict = {}  # one-date run measured directly: its cost grows with the number of cutoffs
    ft = None
    if not args.no_featuretools:
        for run in args.ft_runs.split(","):
            subjects, n_dates = (int(v) for v in run.split("x"))
            print(f"featuretools: {subjects:,} subjects, {n_dates} distinct cutoff dates, "
                  f"{len(WINDOWS)} windows × {len(KINDS)} kinds × (count, sum) …", flush=True)
            ft = run_featuretools(subjects, n_dates, args.seed)
            if not ft:
                break
            pd_ = ft["seconds"] / ft["distinct_dates"]
            ft_points.append((ft["records"], pd_))
            print(f"featuretools {ft['featuretools']} (pandas {ft['pandas']}): {ft['rows']:,} cutoffs, "
                  f"{ft['records']:,} records, {ft['distinct_dates']} distinct dates in {ft['seconds']:.1f} s "
                  f"= {pd_ * 1000:.0f} ms per distinct date; ours on the same: {ft['ours_seconds']:.3f} s "
                  f"(×{ft['seconds'] / ft['ours_seconds']:,.0f}); {ft['agreement']}", flush=True)

    header = (f"{'subjects':>10} {'records':>10} {'cutoffs':>10} {'dates':>6} {'step':<8} {'seconds':>22} "
              f"{'rows/s':>11} {'peak MB':>8}  notes")
    print(header, flush=True)
    for n in args.sizes:
        ds = random_dataset(n, records_per_subject=args.records_per_subject, seed=args.seed)
        for label, cut in (("one date", cutoffs_one_date(ds)), ("per insp.", cutoffs_per_inspection(ds))):
            dates = cut["as_of"].nunique()
            prefix = f"{n:>10,} {len(ds.records):>10,} {len(cut):>10,} {dates:>6,}"
            inputs = peer_inputs(ds, cut, KINDS, WINDOWS)  # the peers' own formats, before the clock
            engines = {
                "library": lambda ds=ds, cut=cut: ours(ds, cut),
                "duckdb": lambda inputs=inputs: duckdb_aggregates(inputs),
                "polars": lambda inputs=inputs: polars_aggregates(inputs),
            }
            times: dict[str, list[float]] = {e: [] for e in engines}
            peaks: dict[str, float] = dict.fromkeys(engines, 0.0)
            notes: dict[str, str] = {}
            mine = None
            names = list(engines)
            for r in range(args.repeats):
                for e in names[r % len(names):] + names[:r % len(names)]:  # rotate the order every round
                    out, sec, peak = measure(engines[e])
                    times[e].append(sec)
                    peaks[e] = max(peaks[e], peak)
                    if e == "library" and mine is None:
                        mine = out
                    elif e != "library" and e not in notes:
                        notes[e] = out
                    del out
            for e in names[1:]:
                notes[e] = agree(mine, notes[e])
            fastest_peer = min(float(np.median(times[e])) for e in names[1:])
            for e in names:
                t = np.array(times[e])
                med = float(np.median(t))
                spread = f"{med:.2f} ({t.min():.2f}–{t.max():.2f})"
                note = (f"{label}, {len(KINDS) * len(WINDOWS) * 2} aggregates, median of {len(t)} alternating runs; "
                        f"{med / fastest_peer:.2f}× the fastest peer" if e == "library" else f"values vs library: {notes[e]}")
                print(f"{prefix} {e:<8} {spread:>22} {len(cut) / med:>11,.0f} {peaks[e]:>8.0f}  {note}", flush=True)
            del inputs, engines, notes
            merged = len(cut) * args.records_per_subject * (1 + (label != "one date"))
            if args.pandas and merged <= args.no_baseline_above * 10:
                base, s_base, m_base = measure(lambda ds=ds, cut=cut: pandas_baseline(ds, cut))
                print(f"{prefix} {'pandas':<8} {s_base:>22.2f} {len(cut) / s_base:>11,.0f} {m_base:>8.0f}  "
                      f"{agree(mine, base)}; one run", flush=True)
                del base
            if ft and label == "one date" and n <= args.ft_direct_max:
                direct = run_featuretools(n, 1, args.seed)
                if direct:
                    ft_direct.update(cutoffs=len(cut), seconds=direct["seconds"])
                    print(f"{prefix} {'ft':<8} {direct['seconds']:>22.1f} {len(cut) / direct['seconds']:>11,.0f} {'':>8}  "
                          f"featuretools measured (same-size dataset, published on start, no ends); library on it "
                          f"{direct['ours_seconds']:.2f} s, ×{direct['seconds'] / direct['ours_seconds']:,.0f}; "
                          f"{direct['agreement']}", flush=True)
            elif ft and label == "one date" and ft_direct:
                est = ft_direct["seconds"] * len(cut) / ft_direct["cutoffs"]
                print(f"{prefix} {'ft est.':<8} {est:>22.0f} {len(cut) / est:>11,.1f} {'':>8}  featuretools "
                      f"extrapolated linearly in cutoffs from the measured {ft_direct['cutoffs']:,}-cutoff run "
                      f"(a lower bound: its data grows too)", flush=True)
            elif ft:
                cost = per_date(len(ds.records))
                est = cost * dates
                print(f"{prefix} {'ft est.':<8} {est:>22.0f} {len(cut) / est:>11,.1f} {'':>8}  featuretools "
                      f"extrapolated: {cost * 1000:,.0f} ms per distinct date (fit over the multi-date runs) × "
                      f"{dates:,} dates; with one distinct cutoff time per subject ({n:,}): "
                      f"{cost * n / 3600:,.1f} h", flush=True)
            full = []
            for _ in range(args.full_repeats):
                fm, s_full, m_full = measure(lambda ds=ds, cut=cut: build_features(ds, cut))
                full.append(s_full)
            t = np.array(full)
            spread = f"{np.median(t):.2f} ({t.min():.2f}–{t.max():.2f})"
            print(f"{prefix} {'full':<8} {spread:>22} {len(cut) / np.median(t):>11,.0f} {m_full:>8.0f}  "
                  f"build_features: {fm.X.shape[1]} features, every view; median of {len(t)}", flush=True)
            del fm, mine
        del ds
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process: {rss:,.0f} MB", flush=True)


if __name__ == "__main__":
    main()
