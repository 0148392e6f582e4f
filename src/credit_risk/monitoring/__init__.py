"""The monthly supervision cycle: run records, monitoring, early warning and feedback (监测预警、信息回流).

* :mod:`~credit_risk.monitoring.runs` — a run record beside every scores file, so that any
  two runs compare without re-scoring.
* :mod:`~credit_risk.monitoring.psi` — PSI and CSI on bins fixed by the reference run.
* :mod:`~credit_risk.monitoring.checks` — ``credit-risk monitor``: PSI of the score and every
  feature, CSI, segments, tier migration, outcome metrics, one verdict per check.
* :mod:`~credit_risk.monitoring.warning` — ``credit-risk warn``: risers since the last run,
  with the reasons of the change (网格重点走访名单).
* :mod:`~credit_risk.monitoring.feedback` — ``credit-risk feedback``: a plan's inspection
  results back into ``records`` with their draw probabilities (信息回流).
"""

from credit_risk.monitoring.config import MonitoringConfig, load_monitoring_config
from credit_risk.monitoring.psi import Bins, csi, psi, reference_bins
from credit_risk.monitoring.runs import (
    Run,
    find_run,
    load_run,
    record_run,
    serious_records,
    write_run_record,
)

__all__ = [
    "Bins",
    "MonitoringConfig",
    "Run",
    "csi",
    "find_run",
    "load_monitoring_config",
    "load_run",
    "psi",
    "record_run",
    "reference_bins",
    "serious_records",
    "write_run_record",
]
