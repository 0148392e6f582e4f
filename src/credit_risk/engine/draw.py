"""The scheduler's random draw on Apache Spark, equal to :func:`credit_risk.scheduler.sampling.draw_subjects`.

The pandas draw (``draw_subjects``) takes, inside each stratum of ``N`` subjects with
probability ``p``, ``floor(N p)`` subjects plus one with probability ``N p - floor(N p)``, by
simple random sampling: with the draw generator it first takes one uniform per stratum (the
randomised rounding), then one uniform ``u_i`` per subject of the frame in credit-code order,
and keeps in each stratum the subjects with the smallest ``stratum code + u_i`` (ties by
position).

Spark reproduces it exactly, whatever the number of partitions:

- the inclusion probabilities and stratum sizes are computed over the whole population (the
  frame, one row per subject), and the rounding uniforms are drawn on the driver from the same
  generator, in the same order;
- ``u_i`` depends only on the seed and the subject's position ``i`` in credit-code order: the
  generator is PCG64, whose stream can jump ahead (``advance``), so the task holding positions
  ``a … b`` advances a copy of the generator past the ``n_strata + a`` numbers before them and
  draws its own ``b - a + 1`` — the numbers the single-machine draw gives those subjects;
- the take per stratum is a window rank on ``(stratum code + u_i, i)``.

The one difference is theoretical: when ``code + u_i`` rounds up to the next integer (``u_i``
within 2**-50 of 1) the pandas ranks mix two strata; Spark ranks within the stratum.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from credit_risk.engine.session import pandas_udfs, spark_session
from credit_risk.engine.transport import write_encoded
from credit_risk.exceptions import PlanError
from credit_risk.scheduler.plan import InspectionPlan
from credit_risk.scheduler.planner import plan_inspections

__all__ = ["draw_subjects_spark", "plan_inspections_spark"]

logger = logging.getLogger(__name__)


def _uniforms(pdf: pd.DataFrame, state: dict, skip: int) -> pd.DataFrame:
    """One block of consecutive positions: ``key = code + u`` with the single-machine draw's ``u``."""
    pdf = pdf.sort_values("_row", kind="stable")
    rows = pdf["_row"].to_numpy(dtype=np.int64)
    if len(rows) and not np.array_equal(rows, np.arange(rows[0], rows[0] + len(rows))):
        raise PlanError("a Spark draw block holds positions that are not consecutive; report this bug")
    bits = np.random.PCG64()
    bits.state = state
    if len(rows):
        bits.advance(skip + int(rows[0]))
    u = np.random.Generator(bits).random(len(rows))
    code = pdf["code"].to_numpy(dtype=np.int64)
    return pd.DataFrame({"_row": rows, "code": code, "key": code + u})


def draw_subjects_spark(frame: pd.DataFrame, rng: np.random.Generator, *, spark=None, block: int = 250_000,
                        work_dir: str | Path | None = None) -> np.ndarray:
    """:func:`~credit_risk.scheduler.sampling.draw_subjects` on Spark: the same boolean mask.

    Parameters
    ----------
    frame : DataFrame
        An inclusion frame (``stratum`` categorical, ``inclusion_probability``), in credit-code order.
    rng : numpy Generator
        PCG64-backed, as the planner's; it is left where the pandas draw leaves it.
    spark : SparkSession, optional
        Default: the active session, else a local one.
    block : int
        Consecutive positions per task (the result does not depend on it).
    work_dir : path, optional
        Where the frame's Parquet copy goes (default a new temporary folder).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if not isinstance(rng.bit_generator, np.random.PCG64):
        raise PlanError(f"the Spark draw needs a PCG64 generator (as the planner's); got {type(rng.bit_generator).__name__}")
    n = len(frame)
    if n == 0:
        return np.zeros(0, dtype=bool)
    spark = spark_session(spark)
    codes = frame["stratum"].cat.codes.to_numpy().astype(np.int64)
    p = frame["inclusion_probability"].to_numpy(dtype=float)
    work = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp(prefix="credit_risk_draw_"))
    rows = pd.DataFrame({"_row": np.arange(n, dtype=np.int64), "code": codes, "p": p})
    df = spark.read.parquet(write_encoded(rows, work, "frame"))
    # Stratum sizes and probabilities over the whole population (the one uniform per stratum on the driver).
    strata = df.groupBy("code").agg(F.count(F.lit(1)).alias("size"), F.first("p").alias("p")).collect()
    n_strata = int(codes.max()) + 1
    size = np.zeros(n_strata, dtype=np.int64)
    p_h = np.zeros(n_strata)
    for r in strata:
        size[r["code"]] = r["size"]
        p_h[r["code"]] = r["p"]
    target = np.round(size * p_h, 9)
    base = np.floor(target)
    extra = rng.random(n_strata) < (target - base)
    take = (base + extra).astype(np.int64)
    state = rng.bit_generator.state
    with pandas_udfs():
        keyed = (df.withColumn("_block", (F.col("_row") / F.lit(int(block))).cast("long"))
                 .groupBy("_block").applyInPandas(lambda pdf: _uniforms(pdf, state, 0),
                                                  "_row long, code long, key double"))
    rank = F.row_number().over(Window.partitionBy("code").orderBy("key", "_row")) - 1
    takes = spark.createDataFrame([(int(c), int(t)) for c, t in enumerate(take)], "code long, take long")
    drawn = (keyed.withColumn("_rank", rank).join(F.broadcast(takes), "code")
             .where(F.col("_rank") < F.col("take")).select("_row").collect())
    if work_dir is None:  # our temporary folder
        shutil.rmtree(work, ignore_errors=True)
    rng.bit_generator.advance(n)  # as if the pandas draw had taken its n uniforms
    mask = np.zeros(n, dtype=bool)
    mask[np.array([r["_row"] for r in drawn], dtype=np.int64)] = True
    logger.info("Spark draw: %s of %s subjects in %d strata", f"{int(mask.sum()):,}", f"{n:,}", n_strata)
    return mask


def plan_inspections_spark(subjects: pd.DataFrame, inspectors: pd.DataFrame, policy, *, period_start: object,
                           period_end: object, seed: int, conflicts: pd.DataFrame | None = None,
                           spark=None) -> InspectionPlan:
    """:func:`~credit_risk.scheduler.plan_inspections` with the draw on Spark: the same plan for the seed.

    The inclusion frame, the joint visits and the inspector assignment are the planner's own;
    only the draw of subjects (:func:`draw_subjects_spark`) runs on Spark.
    """
    spark = spark_session(spark)
    return plan_inspections(subjects, inspectors, policy, period_start=period_start, period_end=period_end,
                            seed=seed, conflicts=conflicts, draw=partial(draw_subjects_spark, spark=spark))
