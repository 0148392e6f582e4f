"""Execution engines: the same features, scores and plans on pandas (default) or Apache Spark.

``pandas`` runs everything in one process (the library's reference path). ``spark`` runs the
same vectorised builders and the one scoring path on a Spark cluster (``pip install
credit-risk[spark]``, Java 17 from the OS packages): subjects are hash-partitioned by credit
code, each partition is built by :func:`~credit_risk.features.build_features` itself inside
``groupBy(...).applyInPandas``, the few population-wide quantities (context base-rate counts,
the levels of grouped categoricals) are aggregated over the whole population first and
broadcast, related subjects travel with each partition, and the model is broadcast once to
score partitions with ``mapInPandas``. Results equal the pandas engine's (counts exactly,
floats to 1e-9; ``tests/spark``).

Modules (each sits in the import layer of what it imports, ``tests/test_imports.py``):

- :mod:`credit_risk.engine.session` — the Spark session and the checks for pyspark and Java;
- :mod:`credit_risk.engine.transport` — pandas tables to and from Spark/Parquet, dtypes kept;
- :mod:`credit_risk.engine.features` — :func:`build_features_spark`;
- :mod:`credit_risk.engine.score` — :func:`score_rows_spark` (batch scoring);
- :mod:`credit_risk.engine.draw` — the scheduler's inclusion frame and draw on Spark.
"""

from __future__ import annotations

from credit_risk.exceptions import ConfigError

__all__ = ["ENGINES", "check_engine"]

#: The engines, the default first.
ENGINES: tuple[str, ...] = ("pandas", "spark")


def check_engine(engine: object) -> str:
    """The engine name, checked.

    Examples
    --------
    >>> check_engine("spark")
    'spark'
    """
    if engine not in ENGINES:
        raise ConfigError(f"engine must be one of {list(ENGINES)}; got {engine!r}")
    return str(engine)
