"""DuckDB and polars implementations of the comparison aggregates of ``benchmarks/features.py``.

The aggregates: for each kind ``k`` of ``KINDS`` and window ``w`` of ``WINDOWS``, the count
and the sum of ``value`` (missing = 0) of the subject's records that *count* at the cutoff's
as-of date ``t`` and started at most ``w`` days before it. A record counts at ``t`` when it
was published strictly before ``t`` and started before ``t`` (``lo = max(published_on,
start) < t``) and its effective end ``min(end, start + publication_days[kind][severity])``
(the catalogue's publication period; missing = open) is missing or ``>= t``.

Each peer does what a user would write: join the records with the catalogue's publication
table, join the cutoffs with the records on the credit code, filter by the counting rule,
then one group-by with a filtered count and sum per (kind, window). The data is handed to
the peers in their own formats, converted before the clock starts (:func:`peer_inputs`):
their best case. The library's time includes encoding the pandas dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["PeerInputs", "duckdb_aggregates", "peer_inputs", "polars_aggregates"]


@dataclass(frozen=True)
class PeerInputs:
    """Arrow tables: ``records``, ``publication`` (kind, severity, publication_days), ``cutoffs`` (row, credit_code, as_of)."""

    records: pa.Table
    publication: pa.Table
    cutoffs: pa.Table
    kinds: tuple[str, ...]
    windows: tuple[int, ...]


def peer_inputs(ds, cutoffs: pd.DataFrame, kinds, windows) -> PeerInputs:
    """Records, publication periods and cutoffs as Arrow tables with ``date32`` dates."""
    rec = ds.records

    def date(col: pd.Series) -> pa.Array:
        return pa.array(pd.to_datetime(col).to_numpy(dtype="datetime64[D]"), type=pa.date32())

    value = rec["value"].to_numpy(dtype=np.float64, na_value=np.nan)
    published = rec["published_on"].fillna(rec["start"])
    records = pa.table({
        "credit_code": pa.array(rec["credit_code"].astype(str).to_numpy(), pa.large_string()),
        "kind": pa.array(rec["kind"].astype(str).to_numpy(), pa.string()),
        "severity": pa.array(rec["severity"].astype(str).to_numpy(), pa.string()),
        "start": date(rec["start"]),
        "end": date(rec["end"]),
        "published_on": date(published),
        "value": pa.array(value, mask=np.isnan(value)),  # missing value = null (sums skip it)
    })
    rows = [(k, s, d) for k, spec in ds.catalog.kinds.items() for s, d in spec.publication_days.items()]
    publication = pa.table({
        "kind": pa.array([r[0] for r in rows], pa.string()),
        "severity": pa.array([r[1] for r in rows], pa.string()),
        "publication_days": pa.array([r[2] for r in rows], pa.int32()),
    })
    cut = pa.table({
        "row": pa.array(np.arange(len(cutoffs), dtype=np.int64)),
        "credit_code": pa.array(cutoffs["credit_code"].astype(str).to_numpy(), pa.large_string()),
        "as_of": date(cutoffs["as_of"]),
    })
    return PeerInputs(records, publication, cut, tuple(kinds), tuple(windows))


def _columns(kinds, windows):
    return [(k, w, what) for k in kinds for w in windows for what in ("count", "sum")]


def _scatter(n: int, rows: np.ndarray, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Rows without any counting record get 0 (they are absent from the group-by); one float block."""
    block = np.zeros((len(values), n))
    for j, v in enumerate(values.values()):
        block[j, rows] = np.nan_to_num(np.asarray(v, dtype=np.float64))
    return pd.DataFrame(block.T, columns=list(values), copy=False)


def duckdb_aggregates(inp: PeerInputs, con=None) -> pd.DataFrame:
    """One SQL query (DuckDB, every core), results scattered back to the cutoff rows."""
    import duckdb

    con = con or duckdb.connect()
    con.register("rec", inp.records)
    con.register("pub", inp.publication)
    con.register("cut", inp.cutoffs)
    kinds = ", ".join(f"'{k}'" for k in inp.kinds)
    aggs = []
    for k, w, what in _columns(inp.kinds, inp.windows):
        expr = "count(*)" if what == "count" else "sum(value)"
        aggs.append(f"{expr} FILTER (WHERE kind = '{k}' AND age <= {w}) AS \"{k}_{what}_{w}d\"")
    sql = f"""
        WITH r AS (
            SELECT rec.credit_code, rec.kind, rec.start, rec.value,
                   greatest(rec.published_on, rec.start) AS lo,
                   least(rec."end", rec.start + pub.publication_days) AS eff_end
            FROM rec LEFT JOIN pub ON rec.kind = pub.kind AND rec.severity = pub.severity
            WHERE rec.kind IN ({kinds})
        ), m AS (
            SELECT cut."row", r.kind, cut.as_of - r.start AS age, r.value
            FROM cut JOIN r ON cut.credit_code = r.credit_code
            WHERE r.lo < cut.as_of AND (r.eff_end IS NULL OR r.eff_end >= cut.as_of)
        )
        SELECT "row", {", ".join(aggs)} FROM m GROUP BY "row"
    """
    res = con.execute(sql).fetchnumpy()
    rows = np.asarray(res.pop("row"))
    return _scatter(inp.cutoffs.num_rows, rows, {k: np.asarray(v) for k, v in res.items()})


def polars_aggregates(inp: PeerInputs) -> pd.DataFrame:
    """One lazy polars query (every core), results scattered back to the cutoff rows."""
    import polars as pl

    rec = pl.from_arrow(inp.records).lazy()
    pub = pl.from_arrow(inp.publication).lazy()
    cut = pl.from_arrow(inp.cutoffs).lazy()
    r = (
        rec.filter(pl.col("kind").is_in(list(inp.kinds)))
        .join(pub, on=["kind", "severity"], how="left")
        .select(
            "credit_code", "kind", "start", "value",
            pl.max_horizontal("published_on", "start").alias("lo"),
            pl.min_horizontal("end", pl.col("start") + pl.duration(days=pl.col("publication_days"))).alias("eff_end"),
        )
    )
    m = (
        cut.join(r, on="credit_code", how="inner")
        .filter((pl.col("lo") < pl.col("as_of")) & (pl.col("eff_end").is_null() | (pl.col("eff_end") >= pl.col("as_of"))))
        .with_columns(age=(pl.col("as_of") - pl.col("start")).dt.total_days())
    )
    aggs = []
    for k, w, what in _columns(inp.kinds, inp.windows):
        cond = (pl.col("kind") == k) & (pl.col("age") <= w)
        expr = cond.sum() if what == "count" else pl.col("value").filter(cond).sum()
        aggs.append(expr.alias(f"{k}_{what}_{w}d"))
    res = m.group_by("row").agg(aggs).collect()
    rows = res["row"].to_numpy()
    return _scatter(inp.cutoffs.num_rows, rows, {c: res[c].to_numpy() for c in res.columns if c != "row"})
