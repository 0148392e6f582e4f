"""One local Spark session (``local[2]``) for the Spark engine's tests; skipped without pyspark or Java."""

from __future__ import annotations

import gc
import warnings

import pytest

from credit_risk.engine.session import java_available


# package scope: the JVM stops when the Spark tests are done. MLflow asks an active Spark session
# for its registry URI whenever pyspark is imported, so a session left for the rest of the run
# would tie every later MLflow test to this JVM.
@pytest.fixture(scope="package")
def spark():
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'credit-risk[spark]')")
    if not java_available():
        pytest.skip("no Java runtime (apt-get install openjdk-17-jre-headless): the Spark engine cannot start")
    from credit_risk.engine.session import local_session

    with warnings.catch_warnings():
        # Starting the JVM gateway leaves sockets to the garbage collector (ResourceWarning in py4j).
        warnings.simplefilter("ignore", ResourceWarning)
        session = local_session("local[2]", shuffle_partitions=4)
    yield session
    with warnings.catch_warnings():
        # py4j leaves its sockets to the garbage collector: collect them here, with their
        # ResourceWarning ignored, rather than in whichever test runs next (an error there).
        warnings.simplefilter("ignore", ResourceWarning)
        session.stop()
        gc.collect()
