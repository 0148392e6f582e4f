"""Batch scoring on Apache Spark: the one scoring path, run partition by partition.

The features come from :func:`credit_risk.engine.features.feature_frame` (the same matrix as
the pandas engine); the model set is broadcast once to the executors and every batch of rows
goes through the scoring function the caller passes inside ``mapInPandas`` —
:func:`credit_risk.pipeline.score.score_frame`, the function the pandas engine runs on its
chunks — so probabilities, tiers, reasons and domain scores are those of the pandas engine
(the pipeline passes it in: this module never imports the pipeline). Spark writes the scores as Parquet sorted by input
row; the driver then streams them into the output file with
:func:`credit_risk.chunked.write_chunked`, the pandas engine's writer (same columns, dtypes,
atomicity and resumption).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from credit_risk import __version__
from credit_risk.chunked import write_chunked
from credit_risk.data import CreditDataset
from credit_risk.engine.features import FeatureJob, feature_frame, ns_text
from credit_risk.engine.session import pandas_udfs, spark_session
from credit_risk.engine.transport import (
    Template,
    arrow_ready,
    encode,
    restore,
    spark_schema,
    template,
)
from credit_risk.exceptions import ModelError
from credit_risk.features.build import build_features
from credit_risk.features.matrix import FeatureMatrix
from credit_risk.features.spec import FeatureSpec

__all__ = ["score_rows_spark", "scores_frame"]

logger = logging.getLogger(__name__)

_ROW = "_row"


class _Scorer:
    """What a scoring task needs: the broadcast model set, the feature job and the scoring function."""

    def __init__(self, model, job: FeatureJob, names: list[str], score: Callable, labels: tuple[str, str]) -> None:
        self.model = model  # a pyspark Broadcast of the model set, or the object itself (driver)
        self.job = job
        self.names = names
        self.score = score
        self.labels = labels

    def frame(self, pdf: pd.DataFrame) -> pd.DataFrame:
        """Scores of one batch of encoded feature rows, model name and version inserted (as the pandas engine)."""
        X = restore(pdf, self.job.output_template()).reset_index(drop=True)
        ns = np.array([int(v) for v in pdf["_as_of"].astype(object)], dtype=np.int64)
        keys = pd.DataFrame({"credit_code": pdf["_credit_code"].astype(object).to_numpy(),
                             "as_of": ns.view("datetime64[ns]")})
        fm = FeatureMatrix(keys=keys, X=X, info=self.job.info).select(self.names)
        industry = pd.Series(pdf["_industry"].astype(object).to_numpy(), dtype=object)
        industry = industry.where(industry.notna(), np.nan)
        model = self.model.value if hasattr(self.model, "value") else self.model
        frame = self.score(model, fm, industry=industry)
        frame.insert(2, "model_name", self.labels[0])
        frame.insert(3, "model_version", self.labels[1])
        return frame

    def batches(self, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in batches:
            if len(pdf) == 0:
                continue
            out = encode(self.frame(pdf))
            out.insert(0, _ROW, pdf[_ROW].to_numpy(dtype=np.int64))
            yield arrow_ready(out)


def scores_frame(model, dataset: CreditDataset, cutoffs: pd.DataFrame, *, spec: FeatureSpec,
                 feature_names: list[str], score: Callable, labels: tuple[str, str],
                 check_features: Callable[[list[str]], None] | None = None, spark=None,
                 partitions: int | None = None, work_dir: str | Path | None = None):
    """The Spark DataFrame of the scores (encoded, ``_row`` = cutoff position), their template and the work folder.

    ``score(model, features, industry=...)`` scores one batch (a :class:`FeatureMatrix` of
    ``feature_names``) into the output's columns; ``labels`` (model name, version) are inserted
    as the third and fourth columns.
    """
    spark = spark_session(spark)
    features, job, work = feature_frame(dataset, cutoffs, spec, builder=build_features, spark=spark,
                                        partitions=partitions, work_dir=work_dir)
    if check_features is not None:
        check_features(list(job.out_template))
    names = list(feature_names)
    # The output columns, from the first row scored on the driver.
    probe = _Scorer(model, job, names, score, labels).frame(_first_row(dataset, cutoffs, job))
    broadcast = spark.sparkContext.broadcast(model)  # the model set goes to each executor once
    scorer = _Scorer(broadcast, job, names, score, labels)
    with pandas_udfs():
        scored = features.mapInPandas(scorer.batches, spark_schema(probe, extra=((_ROW, "bigint"),)))
    return scored, template(probe), work


def _first_row(dataset: CreditDataset, cutoffs: pd.DataFrame, job: FeatureJob) -> pd.DataFrame:
    """The first cutoff's features in the encoded form a task sees (built by the pandas engine)."""
    fm = build_features(dataset, cutoffs.iloc[:1][["credit_code", "as_of"]].reset_index(drop=True), job.spec,
                        views=job.views)
    X = fm.X.copy()
    for name, cats in (job.categories or {}).items():
        if name in X:
            X[name] = pd.Categorical(X[name].astype(object), categories=cats)
    cols = {c: (X[c].astype(object).to_numpy(dtype=object, na_value=None)
                if isinstance(X[c].dtype, pd.CategoricalDtype) else X[c].to_numpy(dtype=np.float64)) for c in X}
    industry = dataset.enterprises.drop_duplicates("credit_code").set_index("credit_code")["industry"].astype(object)
    head = pd.DataFrame({
        _ROW: [0], "_industry": [industry.get(fm.keys["credit_code"].iloc[0])],
        "_credit_code": fm.keys["credit_code"].astype(object).to_numpy(),
        "_as_of": ns_text(fm.keys["as_of"]),
    })
    return pd.concat([head, pd.DataFrame(cols)], axis=1)


class _SortedParts:
    """Rows ``start:stop`` of a Parquet folder whose part files hold consecutive ``_row`` ranges."""

    def __init__(self, folder: Path, tpl: Template) -> None:
        self.files = sorted(p for p in folder.glob("part-*.parquet"))
        sizes = [pq.ParquetFile(p).metadata.num_rows for p in self.files]
        self.bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.tpl = tpl
        self._cache: tuple[int, pd.DataFrame] | None = None

    @property
    def n_rows(self) -> int:
        return int(self.bounds[-1])

    def _file(self, i: int) -> pd.DataFrame:
        if self._cache is None or self._cache[0] != i:
            self._cache = (i, pq.read_table(self.files[i]).to_pandas())
        return self._cache[1]

    def rows(self, start: int, stop: int) -> pd.DataFrame:
        parts = []
        first = int(np.searchsorted(self.bounds, start, side="right")) - 1
        for i in range(first, len(self.files)):
            lo, hi = int(self.bounds[i]), int(self.bounds[i + 1])
            if lo >= stop:
                break
            parts.append(self._file(i).iloc[max(start, lo) - lo: min(stop, hi) - lo])
        table = pd.concat(parts, ignore_index=True)
        expected = np.arange(start, stop, dtype=np.int64)
        if not np.array_equal(table[_ROW].to_numpy(dtype=np.int64), expected):
            raise ModelError(f"Spark's scores for rows {start:,}–{stop:,} are not in input order; report this bug")
        return restore(table, self.tpl).reset_index(drop=True)


def score_rows_spark(
    model,
    dataset: CreditDataset,
    cutoffs: pd.DataFrame,
    *,
    spec: FeatureSpec,
    feature_names: list[str],
    score: Callable,
    labels: tuple[str, str],
    identity: tuple[str, ...],
    out: str | Path,
    chunk_size: int = 200_000,
    previous: pd.DataFrame | None = None,
    progress: Callable[[int, int], None] | None = None,
    check_features: Callable[[list[str]], None] | None = None,
    spark=None,
    partitions: int | None = None,
    work_dir: str | Path | None = None,
) -> Path:
    """Score ``cutoffs`` on Spark and write one Parquet file atomically: the pandas engine's output.

    What :func:`credit_risk.pipeline.score.score_dataset` and ``score_cutoffs`` run with
    ``engine="spark"``: they pass the model set, the bundle's feature spec and names, their
    per-chunk scoring function (``score``), the model name and version (``labels``) and what
    identifies the run besides the data (``identity``: model hash, name, version, rows, options;
    with ``previous`` it goes into the fingerprint of resumable parts). ``partitions`` and
    ``work_dir`` as :func:`~credit_risk.engine.features.build_features_spark`.

    Raises
    ------
    ConfigError
        pyspark or Java is missing.
    ModelError
        The features do not match the model's (``check_features``).
    """
    cutoffs = cutoffs[["credit_code", "as_of"]].reset_index(drop=True)
    scored, out_template, work = scores_frame(model, dataset, cutoffs, spec=spec, feature_names=feature_names,
                                              score=score, labels=labels, check_features=check_features,
                                              spark=spark, partitions=partitions, work_dir=work_dir)
    try:
        folder = work / "scores"
        # computed once (sorting samples its input first, which would otherwise score everything twice)
        scored = scored.localCheckpoint(eager=True)
        scored.orderBy(_ROW).write.mode("overwrite").parquet(str(folder))
        parts = _SortedParts(folder, out_template)
        if parts.n_rows != len(cutoffs):
            raise ModelError(f"Spark returned {parts.n_rows:,} scored rows for {len(cutoffs):,}; report this bug")
        digest = hashlib.sha256()
        for part in (dataset.fingerprint(), __version__, *identity, "engine=spark"):
            digest.update(str(part).encode())
            digest.update(b"\0")
        if previous is not None:
            digest.update(pd.util.hash_pandas_object(previous, index=False).to_numpy().tobytes())
        logger.info("Spark scored %s rows; writing %s", f"{len(cutoffs):,}", out)
        return write_chunked(len(cutoffs), parts.rows, out, chunk_size=chunk_size, fingerprint=digest.hexdigest(),
                             progress=progress)
    finally:
        if work_dir is None:  # our temporary folder
            shutil.rmtree(work, ignore_errors=True)
