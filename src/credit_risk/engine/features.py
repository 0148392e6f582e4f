"""``build_features`` on Apache Spark: the same matrix as the pandas engine, built partition by partition.

Subjects are hash-partitioned by credit code (``pmod(xxhash64(credit_code), partitions)``) and
every partition is built by :func:`credit_risk.features.build_features` itself inside
``groupBy(partition).applyInPandas``. A subject's commercial, compliance, social and
life-cycle features read only its own rows, so they need nothing more (docs/features.md,
"Partitioning"). Three things cross subjects, and each is made exact:

1. **Related parties** (``relations`` view): a partition also carries its subjects' neighbours
   (their ``enterprises`` rows, records and tiers) and every relation touching its subjects,
   so :func:`~credit_risk.features.relations.build_relations` sees exactly what it sees on the
   whole dataset. Neighbours are only read, never given feature rows.
2. **Context base rates** (``<group>_<kind>_rate_<w>d``): the group and province counts
   (records counting at ``t`` in the window, subjects alive at ``t``) are sums over subjects,
   so each partition counts its own subjects for every group and cutoff date, Spark adds the
   partial counts up, and the totals are broadcast; each row's leave-one-out rate is then the
   formula of :mod:`credit_risk.features.context` on the same integers, hence the same float.
3. **Grouped levels** (the region and industry hierarchy, categorical attributes): levels held
   by fewer than ``min_level_count`` subjects of the whole ``enterprises`` table become
   ``(other)``; the level counts are summed over partitions first and the kept levels
   broadcast.

The number of partitions changes nothing but the work per task.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from credit_risk.data.dataset import CreditDataset
from credit_risk.engine.session import pandas_udfs, spark_session
from credit_risk.engine.transport import Template, arrow_ready, restore, template, write_encoded
from credit_risk.exceptions import ConfigError
from credit_risk.features.attributes import attribute_values
from credit_risk.features.context import OTHER, group_keys, hierarchy_levels
from credit_risk.features.engine import INF, Queries, day_numbers, interval_count
from credit_risk.features.matrix import FeatureMatrix
from credit_risk.features.prepared import prepare
from credit_risk.features.spec import FeatureSpec, checked_spec

__all__ = ["FeatureJob", "build_features_spark", "feature_frame", "ns_text", "read_features"]

logger = logging.getLogger(__name__)

#: Tables a partition receives: tag → dataset attribute (``C`` cutoffs, ``T`` tiers).
_TABLES = {"E": "enterprises", "R": "records", "A": "annual_reports", "L": "relations"}
#: Columns every encoded row carries besides its table's own.
_ROW, _PART, _TAG = "_row", "_part", "_t"


def _schemes(dataset: CreditDataset) -> tuple[str, str]:
    manifest = dataset.manifest
    return getattr(manifest, "industry_scheme", "gb4754"), getattr(manifest, "region_scheme", "gb2260")


@dataclass(frozen=True)
class _Cross:
    """What crosses subjects in a spec: rate columns, grouped hierarchy levels, grouped attributes."""

    rates: tuple[tuple[str, str, str], ...]  # (feature name, kind, group level)
    window: int
    prior_strength: float
    levels: tuple[str, ...]  # hierarchy names grouped by min_level_count
    attributes: tuple[tuple[str, object, int], ...]  # (feature name, AttributeSpec, min count)
    min_level_count: int

    @classmethod
    def of(cls, spec: FeatureSpec, views: tuple[str, ...], dataset: CreditDataset) -> _Cross:
        params = spec.builders.context
        context = "context" in views and "context" in spec.builders.enabled
        industry_scheme, region_scheme = _schemes(dataset)
        rates, levels = [], []
        if context:
            for kind in params.kinds:
                if kind not in dataset.catalog.kinds:
                    continue
                for level in ("industry", "region"):
                    if level in params.groups:
                        rates.append((f"{level}_{kind}_rate_{params.window_days}d", kind, level))
            if params.hierarchy:
                names = hierarchy_levels(dataset.enterprises.head(0), industry_scheme, region_scheme)
                levels = [n for n in names if n != "industry_section" and n.split("_")[0] in params.groups]
        attributes = [
            (a.info().name, a, a.min_level_count or spec.min_level_count)
            for a in spec.attributes if a.type == "categorical" and a.feature_view in views
        ]
        return cls(tuple(rates), params.window_days, params.prior_strength, tuple(levels), tuple(attributes),
                   spec.min_level_count)


def _raw_levels(enterprises: pd.DataFrame, cross: _Cross, schemes: tuple[str, str]) -> dict[str, np.ndarray]:
    """Per subject, the ungrouped text of every grouped categorical (object, None = missing)."""
    out: dict[str, np.ndarray] = {}
    if cross.levels:
        levels = hierarchy_levels(enterprises, *schemes)
        for name in cross.levels:
            values = levels[name]
            out[name] = values.astype(object).where(values.notna(), None).to_numpy(dtype=object)
    for name, attr, _ in cross.attributes:
        (values, _cats), _ = attribute_values(enterprises, replace(attr, min_level_count=None), 1)
        out[name] = np.asarray(values, dtype=object)
    return out


def _partition_dataset(parts: dict[str, pd.DataFrame], like: CreditDataset) -> CreditDataset:
    """A dataset of already validated tables (no second validation)."""
    return CreditDataset(
        enterprises=parts["enterprises"], records=parts["records"], catalog=like.catalog,
        annual_reports=parts.get("annual_reports"), relations=parts.get("relations"),
        id_scheme=like.id_scheme, manifest=like.manifest,
    )


def _count_rows(subj_group: np.ndarray, lo: np.ndarray, hi: np.ndarray, groups: np.ndarray,
                days: np.ndarray) -> np.ndarray:
    """``interval_count`` for every (group, day) of the grid ``groups × days``, flattened group-major."""
    qg = np.repeat(groups, len(days))
    qt = np.tile(days, len(groups))
    return interval_count(subj_group, lo, hi, Queries.build(qg, qt))


@dataclass(eq=False)
class FeatureJob:
    """Everything the Spark tasks need, computed once on the driver (picklable, broadcast with the tasks)."""

    builder: Callable  # credit_risk.features.build_features (passed in: this module never imports it)
    spec: FeatureSpec
    views: tuple[str, ...]
    like: CreditDataset  # catalogue and manifest; its tables are emptied
    templates: dict[str, Template]
    cross: _Cross
    days: np.ndarray  # distinct cutoff day numbers
    out_template: Template  # the feature columns (pandas dtypes, grouped categories fixed later)
    info: tuple
    has_tiers: bool
    counts: pd.DataFrame | None = None  # population totals (pass 1)
    categories: dict[str, list[str]] | None = None  # global levels of grouped categoricals

    # -- inside a task ---------------------------------------------------------------------
    def tables(self, pdf: pd.DataFrame) -> tuple[dict[str, pd.DataFrame], pd.DataFrame | None, pd.DataFrame | None]:
        """(dataset tables, cutoffs with ``_row``, tiers) of one partition's rows, in original order."""
        out: dict[str, pd.DataFrame] = {}
        extra: dict[str, pd.DataFrame | None] = {"C": None, "T": None}
        # a neighbour in the subject's own partition, or a relation with both ends in it, arrives twice
        pdf = pdf.drop_duplicates([_TAG, _ROW])
        for tag in (*_TABLES, "C", "T"):
            tpl = self.templates.get(tag)
            if tpl is None or f"{tag}__credit_code" not in pdf.columns:
                continue
            rows = pdf[pdf[_TAG] == tag].sort_values(_ROW, kind="stable")
            frame = restore(rows.rename(columns={f"{tag}__{c}": c for c in tpl}).reset_index(drop=True), tpl)
            if tag == "C":
                frame[_ROW] = rows[_ROW].to_numpy(dtype=np.int64)
            if tag in _TABLES:
                out[_TABLES[tag]] = frame
            else:
                extra[tag] = frame
        return out, extra["C"], extra["T"]

    def partial_counts(self, pdf: pd.DataFrame) -> pd.DataFrame:
        """Pass 1 on one partition's own subjects: level counts and context counts per (group, day)."""
        tables, _, _ = self.tables(pdf)
        ds = _partition_dataset(tables, self.like)
        ent = ds.enterprises
        schemes = _schemes(ds)
        rows: list[pd.DataFrame] = []

        def emit(stat: str, level: str, kind: str, grp, day, n) -> None:
            n = np.asarray(n, dtype=np.int64)
            keep = n != 0
            rows.append(pd.DataFrame({"stat": stat, "level": level, "kind": kind,
                                      "grp": np.asarray(grp, dtype=object)[keep],
                                      "day": np.asarray(day, dtype=np.int64)[keep], "n": n[keep]}))

        for name, values in _raw_levels(ent, self.cross, schemes).items():
            vc = pd.Series(values, dtype=object).dropna().value_counts()
            emit("level", name, "", vc.index.to_numpy(dtype=object), np.zeros(len(vc), np.int64), vc.to_numpy())
        if self.cross.rates and len(ent):
            p = prepare(ds, pd.DataFrame({"credit_code": pd.Series([], dtype=object),
                                          "as_of": pd.Series([], dtype="datetime64[ns]")}))
            keys = group_keys(ent, *schemes)
            est = day_numbers(ent["established_on"])
            closed = day_numbers(ent["closed_on"]) if "closed_on" in ent else np.full(len(ent), INF)
            days = self.days
            zeros = np.zeros(1, np.int64)
            emit("all_alive", "", "", np.full(len(days), "", dtype=object), days,
                 _count_rows(np.zeros(len(est), np.int64), est, closed, zeros, days))
            codes = {}
            for level in sorted({lv for _, _, lv in self.cross.rates}):
                code, uniques = pd.factorize(pd.Series(keys[level], dtype=object), use_na_sentinel=True)
                codes[level] = (code.astype(np.int64), np.asarray(uniques, dtype=object))
                keep = code >= 0
                grid = np.arange(len(uniques), dtype=np.int64)
                emit("alive", level, "", np.repeat(uniques, len(days)), np.tile(days, len(uniques)),
                     _count_rows(code[keep], est[keep], closed[keep], grid, days))
            for kind in sorted({k for _, k, _ in self.cross.rates}):
                rs = p.select(kinds=[kind])
                hi = rs.hi(self.cross.window)
                emit("all_events", "", kind, np.full(len(days), "", dtype=object), days,
                     _count_rows(np.zeros(len(rs.subj), np.int64), rs.lo, hi, zeros, days))
                for level in sorted({lv for _, k, lv in self.cross.rates if k == kind}):
                    code, uniques = codes[level]
                    rec_group = code[rs.subj]
                    keep = rec_group >= 0
                    grid = np.arange(len(uniques), dtype=np.int64)
                    emit("events", level, kind, np.repeat(uniques, len(days)), np.tile(days, len(uniques)),
                         _count_rows(rec_group[keep], rs.lo[keep], hi[keep], grid, days))
        if not rows:
            return pd.DataFrame({"stat": [], "level": [], "kind": [], "grp": [], "day": [], "n": []}).astype(
                {"stat": object, "level": object, "kind": object, "grp": object, "day": np.int64, "n": np.int64})
        return arrow_ready(pd.concat(rows, ignore_index=True))

    def _total(self, stat: str, level: str, kind: str, grp: np.ndarray, day: np.ndarray) -> np.ndarray:
        c = self.counts
        sub = c[(c["stat"] == stat) & (c["level"] == level) & (c["kind"] == kind)]
        index = pd.MultiIndex.from_arrays([sub["grp"].astype(object).to_numpy(), sub["day"].to_numpy(np.int64)])
        pos = index.get_indexer(pd.MultiIndex.from_arrays([np.asarray(grp, dtype=object), np.asarray(day, np.int64)]))
        n = sub["n"].to_numpy(dtype=np.int64)
        return np.where(pos >= 0, n[np.maximum(pos, 0)] if len(n) else 0, 0).astype(np.int64)

    def build(self, pdf: pd.DataFrame) -> pd.DataFrame:
        """Pass 2 on one partition: its cutoffs' features (encoded, with ``_row`` and ``_industry``)."""
        tables, cut, tiers = self.tables(pdf)
        if cut is None or len(cut) == 0:
            return self.empty()
        ds = _partition_dataset(tables, self.like)
        cutoffs = cut[["credit_code", "as_of"]]
        fm = self.builder(ds, cutoffs, self.spec, views=self.views, tiers=tiers)
        X = fm.X.copy()
        if list(X.columns) != list(self.out_template):
            raise ConfigError(f"a Spark partition built columns {list(X.columns)[:5]}… unlike the driver's "
                              f"{list(self.out_template)[:5]}…; report this bug")
        self._cross_columns(ds, cutoffs, X)
        out = pd.DataFrame({_ROW: cut[_ROW].to_numpy(dtype=np.int64),
                            "_credit_code": cutoffs["credit_code"].astype(object).to_numpy(),
                            "_as_of": ns_text(cutoffs["as_of"])})
        ent = ds.enterprises.drop_duplicates("credit_code").set_index("credit_code")["industry"]
        industry = cutoffs["credit_code"].astype(object).map(ent.astype(object))
        out["_industry"] = industry.where(industry.notna(), None).astype(object).to_numpy()
        return _encode_features(out, X)

    def _cross_columns(self, ds: CreditDataset, cutoffs: pd.DataFrame, X: pd.DataFrame) -> None:
        """Replace the partition-local values of what crosses subjects by the population's."""
        cross = self.cross
        schemes = _schemes(ds)
        if cross.levels or cross.attributes:
            codes = pd.Index(ds.enterprises["credit_code"].astype(object))
            subj = codes.get_indexer(cutoffs["credit_code"].astype(object))
            for name, values in _raw_levels(ds.enterprises, cross, schemes).items():
                cats = self.categories[name]
                v = values[subj]
                known = pd.Index(cats).get_indexer(pd.Index(v, dtype=object)) >= 0
                grouped = np.where(known, v, np.where(pd.isna(v), None, OTHER)).astype(object)
                X[name] = pd.Categorical(grouped, categories=cats)
        if not cross.rates:
            return
        p = prepare(ds, cutoffs)
        ent = ds.enterprises
        keys = group_keys(ent, *schemes)
        est = day_numbers(ent["established_on"])
        closed = day_numbers(ent["closed_on"]) if "closed_on" in ent else np.full(len(ent), INF)
        t = p.cutoff_day
        own_alive = ((est[p.cutoff_subj] < t) & (closed[p.cutoff_subj] >= t)).astype(np.int64)
        blank = np.full(len(t), "", dtype=object)
        all_alive = self._total("all_alive", "", "", blank, t)
        m = cross.prior_strength
        for name, kind, level in cross.rates:
            rs = p.select(kinds=[kind])
            own_events = p.count(rs, cross.window)
            group = np.asarray(keys[level], dtype=object)[p.cutoff_subj]
            has = pd.notna(group)
            g = np.where(has, group, "").astype(object)
            events = self._total("events", level, kind, g, t)
            alive = self._total("alive", level, "", g, t)
            all_events = self._total("all_events", "", kind, blank, t)
            # the formula of credit_risk.features.context._rates, on the population's counts
            with np.errstate(divide="ignore", invalid="ignore"):
                prior = (all_events - own_events) / np.maximum(all_alive - own_alive, 1)
                rate = (events - own_events + m * prior) / (alive - own_alive + m)
            rate[~has] = np.nan
            X[name] = rate

    def empty(self) -> pd.DataFrame:
        return arrow_ready(pd.DataFrame({c: pd.Series([], dtype=t) for c, t in self.schema_columns()}))

    def schema_columns(self) -> list[tuple[str, str]]:
        cols = [(_ROW, "int64"), ("_credit_code", "object"), ("_as_of", "object"), ("_industry", "object")]
        for c, dtype in self.out_template.items():
            cols.append((c, "object" if isinstance(dtype, pd.CategoricalDtype) else "float64"))
        return cols

    def spark_schema(self) -> str:
        return ", ".join(f"`{c}` {'bigint' if t == 'int64' else 'string' if t == 'object' else 'double'}"
                         for c, t in self.schema_columns())

    def output_template(self) -> Template:
        """The feature columns' dtypes, grouped categoricals with the population's levels."""
        tpl = dict(self.out_template)
        for name, cats in (self.categories or {}).items():
            if name in tpl:
                tpl[name] = pd.CategoricalDtype(cats)
        return tpl


def ns_text(dates: pd.Series) -> np.ndarray:
    """Datetimes as their integer nanoseconds in text (exact for any time of day; what the keys travel as)."""
    ns = pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]").view(np.int64)
    return np.array([str(v) for v in ns.tolist()], dtype=object)


def _encode_features(out: pd.DataFrame, X: pd.DataFrame) -> pd.DataFrame:
    cols = {}
    for c in X.columns:
        col = X[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cols[c] = col.astype(object).to_numpy(dtype=object, na_value=None)
        else:
            cols[c] = col.to_numpy(dtype=np.float64)
    return arrow_ready(pd.concat([out.reset_index(drop=True), pd.DataFrame(cols, index=out.index)], axis=1))


def _levels(counts: pd.DataFrame, cross: _Cross) -> dict[str, list[str]]:
    """Kept levels (held by at least the minimum count of subjects), sorted, ``(other)`` last when any is rare."""
    out = {}
    minimum = {name: cross.min_level_count for name in cross.levels}
    minimum.update({name: m for name, _, m in cross.attributes})
    lv = counts[counts["stat"] == "level"]
    for name, m in minimum.items():
        c = lv[lv["level"] == name]
        n = c["n"].to_numpy(dtype=np.int64)
        values = c["grp"].astype(object).to_numpy()
        kept = sorted(str(v) for v in values[n >= m])
        out[name] = kept + ([OTHER] if (n < m).any() else [])
    return out


def _dry_run(builder: Callable, dataset: CreditDataset, cutoffs: pd.DataFrame, spec: FeatureSpec, views, tiers):
    """Columns, dtypes and metadata of the matrix, from the first cutoff's subject alone."""
    code = cutoffs["credit_code"].iloc[0]

    def only(frame: pd.DataFrame | None, column: str = "credit_code") -> pd.DataFrame | None:
        return None if frame is None else frame[frame[column].astype(object) == code].reset_index(drop=True)

    rel = dataset.relations
    small = CreditDataset(
        enterprises=only(dataset.enterprises), records=only(dataset.records), catalog=dataset.catalog,
        annual_reports=only(dataset.annual_reports),
        relations=None if rel is None else rel.iloc[:0], id_scheme=dataset.id_scheme, manifest=dataset.manifest,
    )
    fm = builder(small, cutoffs.iloc[:1], spec, views=views, tiers=None if tiers is None else tiers.iloc[:0])
    return template(fm.X), fm.info


def feature_frame(dataset: CreditDataset, cutoffs: pd.DataFrame, spec: FeatureSpec | None = None, *,
                  builder: Callable, views=None, tiers: pd.DataFrame | None = None, spark=None, partitions: int | None = None,
                  work_dir: str | Path | None = None):
    """The Spark DataFrame of the features (encoded, ``_row`` = cutoff position) and its :class:`FeatureJob`.

    Nothing is computed until the DataFrame is written or collected, except the population
    totals (pass 1), which are collected to the driver (their size is groups × distinct dates).
    """
    from pyspark.sql import functions as F

    spark = spark_session(spark)
    spec, views = checked_spec(dataset, spec, views)
    shared = [a.column for a in spec.attributes if a.type == "group_size" and a.feature_view in views]
    if shared:
        raise ConfigError(
            f"the Spark engine cannot build group_size attributes yet ({shared}): they count subjects across "
            "partitions; build with engine='pandas', or remove them from the spec's attributes"
        )
    cutoffs = cutoffs[["credit_code", "as_of"]].reset_index(drop=True)
    codes = pd.Index(dataset.enterprises["credit_code"].astype(object))
    if (codes.get_indexer(cutoffs["credit_code"].astype(object)) < 0).any() or cutoffs["as_of"].isna().any():
        prepare(dataset, cutoffs)  # raises the pandas engine's DataContractError, rows named
    n_parts = int(partitions or spark.conf.get("spark.sql.shuffle.partitions"))
    if n_parts < 1:
        raise ConfigError(f"partitions must be at least 1; got {partitions!r}")
    work = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp(prefix="credit_risk_spark_"))

    frames: dict[str, pd.DataFrame] = {}
    for tag, name in _TABLES.items():
        frame = getattr(dataset, name)
        if frame is not None:
            frames[tag] = frame
    frames["C"] = pd.DataFrame({"credit_code": cutoffs["credit_code"].astype(object),
                                "as_of": pd.to_datetime(cutoffs["as_of"]).astype("datetime64[ns]")})
    if tiers is not None:
        frames["T"] = tiers.reset_index(drop=True)
    out_template, info = _dry_run(builder, dataset, frames["C"], spec, views, tiers)
    like = replace_tables(dataset)
    job = FeatureJob(builder=builder, spec=spec, views=views, like=like, templates={t: template(f) for t, f in frames.items()},
                     cross=_Cross.of(spec, views, dataset), days=np.unique(day_numbers(frames["C"]["as_of"])),
                     out_template=out_template, info=info, has_tiers=tiers is not None)

    loaded = {}
    for tag, frame in frames.items():
        encoded = frame.rename(columns={c: f"{tag}__{c}" for c in frame.columns})
        encoded.insert(0, _ROW, np.arange(len(frame), dtype=np.int64))  # the original order, kept by every task
        path = write_encoded(encoded, work / "in", tag)
        loaded[tag] = spark.read.parquet(path).withColumn(_TAG, F.lit(tag))

    def part_of(column):
        return F.pmod(F.xxhash64(column), F.lit(n_parts))

    def own(tag):
        return loaded[tag].withColumn(_PART, part_of(F.col(f"{tag}__credit_code")))

    # Pass 1: population totals over each subject's own partition.
    counted = own("E")
    if "R" in loaded:
        kinds = sorted({k for _, k, _ in job.cross.rates})
        counted = counted.unionByName(own("R").where(F.col("R__kind").isin(kinds)), allowMissingColumns=True)
    if job.cross.rates or job.cross.levels or job.cross.attributes:
        schema = "stat string, level string, kind string, grp string, day bigint, n bigint"
        with pandas_udfs():
            partial = counted.groupBy(_PART).applyInPandas(lambda pdf: job.partial_counts(pdf), schema)
        totals = partial.groupBy("stat", "level", "kind", "grp", "day").agg(F.sum("n").alias("n")).collect()
        job.counts = pd.DataFrame([r.asDict() for r in totals],
                                  columns=["stat", "level", "kind", "grp", "day", "n"]).astype({"day": np.int64,
                                                                                                "n": np.int64})
        job.categories = _levels(job.counts, job.cross)

    # Pass 2: each partition with its neighbours, built by build_features.
    parts = [own(tag) for tag in ("E", "R", "A", "C", "T") if tag in loaded]
    if "L" in loaded:
        rel = loaded["L"]
        ends = (rel.select(part_of(F.col("L__credit_code")).alias(_PART), F.col("L__related_code").alias("_code"))
                .unionByName(rel.select(part_of(F.col("L__related_code")).alias(_PART),
                                        F.col("L__credit_code").alias("_code")))
                .distinct())
        for tag in ("E", "R", "T"):
            if tag in loaded:
                halo = loaded[tag].join(ends, loaded[tag][f"{tag}__credit_code"] == ends["_code"]).drop("_code")
                parts.append(halo)
        parts.append(rel.withColumn(_PART, part_of(F.col("L__credit_code"))))
        parts.append(rel.withColumn(_PART, part_of(F.col("L__related_code"))))
    union = parts[0]
    for df in parts[1:]:
        union = union.unionByName(df, allowMissingColumns=True)
    with pandas_udfs():
        features = union.groupBy(_PART).applyInPandas(lambda pdf: job.build(pdf), job.spark_schema())
    logger.info("Spark features: %s cutoffs in %d partitions", f"{len(cutoffs):,}", n_parts)
    return features, job, work


def replace_tables(dataset: CreditDataset) -> CreditDataset:
    """The dataset's catalogue and manifest without its tables (what a task needs besides its rows)."""
    empty = dataset.enterprises.iloc[:0]
    return CreditDataset(enterprises=empty, records=dataset.records.iloc[:0], catalog=dataset.catalog,
                         id_scheme=dataset.id_scheme, manifest=dataset.manifest)


def read_features(folder: str | Path, job: FeatureJob, cutoffs: pd.DataFrame) -> FeatureMatrix:
    """The matrix from the Parquet folder Spark wrote, rows in cutoff order."""
    table = pq.read_table(str(folder)).to_pandas()
    table = table.sort_values(_ROW, kind="stable").reset_index(drop=True)
    if len(table) != len(cutoffs):
        raise ConfigError(f"Spark returned {len(table):,} feature rows for {len(cutoffs):,} cutoffs; report this bug")
    X = restore(table, job.output_template())
    X.index = pd.RangeIndex(len(X))
    keys = pd.DataFrame({
        "credit_code": cutoffs["credit_code"].astype(object).to_numpy(),
        "as_of": pd.to_datetime(cutoffs["as_of"]).to_numpy(dtype="datetime64[ns]"),
    })
    return FeatureMatrix(keys=keys, X=X, info=job.info)


def build_features_spark(dataset: CreditDataset, cutoffs: pd.DataFrame, spec: FeatureSpec | None = None, *,
                         builder: Callable, views=None, tiers: pd.DataFrame | None = None, spark=None,
                         partitions: int | None = None, work_dir: str | Path | None = None) -> FeatureMatrix:
    """:func:`~credit_risk.features.build_features` on Spark: the same :class:`FeatureMatrix`.

    ``build_features(..., engine="spark")`` calls this; call it directly for a given session,
    number of partitions or work folder.

    Parameters
    ----------
    dataset, cutoffs, spec, views, tiers
        As :func:`~credit_risk.features.build_features`.
    builder : callable
        :func:`credit_risk.features.build_features`, the function each partition runs (passed
        in so that the features layer can dispatch here without an import cycle).
    spark : SparkSession, optional
        Default: the active session, else a local one (:func:`~credit_risk.engine.session.local_session`).
    partitions : int, optional
        Hash partitions of the subjects (default ``spark.sql.shuffle.partitions``). The result
        does not depend on it.
    work_dir : path, optional
        Where the input and output Parquet files go (a shared file system on a cluster);
        default a new temporary folder.

    Raises
    ------
    ConfigError
        pyspark or Java is missing; as :func:`~credit_risk.features.build_features`.
    DataContractError
        As :func:`~credit_risk.features.build_features`.
    """
    cutoffs = cutoffs[["credit_code", "as_of"]].reset_index(drop=True)
    if len(cutoffs) == 0:
        return builder(dataset, cutoffs, spec, views=views, tiers=tiers)
    features, job, work = feature_frame(dataset, cutoffs, spec, builder=builder, views=views, tiers=tiers, spark=spark,
                                        partitions=partitions, work_dir=work_dir)
    try:
        folder = work / "features"
        features.write.mode("overwrite").parquet(str(folder))
        return read_features(folder, job, cutoffs)
    finally:
        if work_dir is None:  # our temporary folder
            shutil.rmtree(work, ignore_errors=True)

