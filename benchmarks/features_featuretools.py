"""featuretools side of benchmarks/features.py; runs inside benchmarks/.venv-featuretools.

featuretools 1.31 needs pandas < 3, so it lives in its own virtual environment and is
called as a subprocess:

    .venv-featuretools/bin/python features_featuretools.py IN_DIR OUT_PARQUET WINDOWS KINDS

``IN_DIR`` holds ``enterprises.parquet`` (credit_code), ``records.parquet`` (record_id,
credit_code, kind, start, value) and ``cutoffs.parquet`` (row, credit_code, as_of). For each
window ``w`` one deep feature synthesis run computes COUNT and SUM(value) of records WHERE
kind = k with ``start`` in ``[as_of - w, as_of)``: featuretools keeps rows with
``time_index <= cutoff_time`` and ``time_index > cutoff_time - training_window`` (checked
against our values), so the cutoff time is ``as_of - 1 day`` and the training window ``w``
days (day-resolution dates). Prints a JSON line with the wall time and writes the values per cutoff row.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import featuretools as ft
import pandas as pd


def main() -> None:
    in_dir, out_path, windows, kinds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    windows = [int(w) for w in windows.split(",")]
    kinds = kinds.split(",")
    warnings.simplefilter("ignore")
    ent = pd.read_parquet(f"{in_dir}/enterprises.parquet")[["credit_code"]]
    rec = pd.read_parquet(f"{in_dir}/records.parquet")
    rec["kind"] = rec["kind"].astype(str)
    cut = pd.read_parquet(f"{in_dir}/cutoffs.parquet")
    es = ft.EntitySet("province")
    es.add_dataframe(dataframe_name="enterprises", dataframe=ent, index="credit_code")
    es.add_dataframe(dataframe_name="records", dataframe=rec, index="record_id", time_index="start",
                     logical_types={"kind": "Categorical"})
    es.add_relationship("enterprises", "credit_code", "records", "credit_code")
    es.add_interesting_values(dataframe_name="records", values={"kind": kinds})
    ct = pd.DataFrame({"credit_code": cut["credit_code"], "time": cut["as_of"] - pd.Timedelta(days=1)})
    out = pd.DataFrame({"row": cut["row"].to_numpy()})
    t0 = time.perf_counter()
    for w in windows:
        fm = ft.dfs(
            entityset=es, target_dataframe_name="enterprises", cutoff_time=ct.drop_duplicates(), training_window=f"{w} days",
            agg_primitives=["count", "sum"], where_primitives=["count", "sum"], trans_primitives=[],
            max_depth=1, cutoff_time_in_index=True, features_only=False, verbose=False,
        )[0]
        fm = fm.reset_index()
        merged = ct.merge(fm, on=["credit_code", "time"], how="left")
        for k in kinds:
            out[f"{k}_count_{w}d"] = merged[f"COUNT(records WHERE kind = {k})"].to_numpy(dtype=float)
            out[f"{k}_sum_{w}d"] = merged[f"SUM(records.value WHERE kind = {k})"].to_numpy(dtype=float)
    seconds = time.perf_counter() - t0
    out.to_parquet(out_path)
    print(json.dumps({"seconds": seconds, "distinct_dates": int(ct["time"].nunique()), "rows": len(ct),
                      "records": len(rec), "featuretools": ft.__version__, "pandas": pd.__version__}))


if __name__ == "__main__":
    main()
