"""The Spark session: an active one when the caller has it, else a local one, and clear errors.

``pyspark`` is an optional dependency (``pip install credit-risk[spark]``) and Spark needs a
Java runtime (17 or later) from the OS packages (``apt-get install openjdk-17-jre-headless``).
Both are checked before a session is started, each with a one-sentence error saying how to
install it.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from credit_risk.exceptions import ConfigError

__all__ = ["DEFAULT_MASTER", "java_available", "local_session", "pandas_udfs", "require_pyspark", "spark_session"]

logger = logging.getLogger(__name__)

#: Local mode on two cores: what CI and the benchmark run.
DEFAULT_MASTER = "local[2]"


def require_pyspark():
    """The ``pyspark`` module, or a :class:`ConfigError` saying how to install it."""
    try:
        import pyspark
    except ImportError:
        raise ConfigError(
            "engine 'spark' needs pyspark, which is not installed; run pip install 'credit-risk[spark]' "
            "(or use engine 'pandas')"
        ) from None
    return pyspark


def java_available() -> bool:
    """Whether a Java runtime can be found (``JAVA_HOME/bin/java`` or ``java`` on the PATH)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def local_session(master: str = DEFAULT_MASTER, *, shuffle_partitions: int = 4,
                  config: Mapping[str, Any] | None = None):
    """A local :class:`pyspark.sql.SparkSession` for this Python (``getOrCreate``).

    Parameters
    ----------
    master : str
        ``local[N]`` (N cores) or a cluster URL.
    shuffle_partitions : int
        ``spark.sql.shuffle.partitions`` (Spark's 200 suits clusters, not two cores).
    config : mapping, optional
        More Spark settings (``spark.driver.memory``, …).

    Raises
    ------
    ConfigError
        pyspark is not installed, or no Java runtime is found.
    """
    require_pyspark()
    if not java_available():
        raise ConfigError(
            "engine 'spark' needs a Java runtime (17 or later) and found none (no JAVA_HOME, no java on "
            "the PATH); install it, e.g. apt-get install openjdk-17-jre-headless"
        )
    from pyspark.sql import SparkSession

    # The Python workers must run this interpreter (the one with credit_risk installed).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master).appName("credit_risk")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(int(shuffle_partitions)))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
    )
    for key, value in (config or {}).items():
        builder = builder.config(key, str(value))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    logger.info("Spark %s session on %s", spark.version, master)
    return spark


def spark_session(spark=None):
    """``spark`` when given, else the active session, else :func:`local_session`."""
    if spark is not None:
        return spark
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    return active if active is not None else local_session()


@contextmanager
def pandas_udfs() -> Iterator[None]:
    """Around ``applyInPandas`` / ``mapInPandas``: without pyspark's warning about pandas 3.

    pyspark 4.x warns, each time a pandas function is defined, that it "does not yet fully
    support pandas >= 3.0.0". The engine's tests (tests/spark) check its results against the
    pandas engine under pandas 3, so that one warning is not shown; every other warning is.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        yield
