"""Credit repair (信用修复): applications checked against per-kind rules, a log of approved repairs.

1. :func:`load_repair_rules` reads ``configs/repair.yaml``: per kind and severity the minimum
   period before a repair (NDRC Order 36: minor / general / serious; SAMR Order 45 early end;
   SAMR Order 44 early removal), the obligations to show and the no-repeat window.
2. :func:`decide_repairs` answers each application ``approved``, ``rejected`` (every unmet
   rule named) or ``not_repairable``.
3. :func:`append_to_log` keeps approved repairs in a log; :func:`apply_repairs` loads a dataset
   with the log applied as record ends, never editing the source records, so features, tier
   overrides, the scheduler and measure tasks stop counting a repaired record.
"""

from credit_risk.repair.decide import DECISIONS, decide_repairs
from credit_risk.repair.log import (
    LOG_COLUMNS,
    append_to_log,
    apply_repairs,
    read_repair_log,
    write_repair_log,
)
from credit_risk.repair.rules import (
    EVIDENCE,
    KindRepairRule,
    RepairRules,
    default_repair_rules_path,
    load_repair_rules,
)

__all__ = [
    "DECISIONS",
    "EVIDENCE",
    "LOG_COLUMNS",
    "KindRepairRule",
    "RepairRules",
    "append_to_log",
    "apply_repairs",
    "decide_repairs",
    "default_repair_rules_path",
    "load_repair_rules",
    "read_repair_log",
    "write_repair_log",
]
