"""Joint reward and punishment (守信联合激励和失信联合惩戒): measures, tasks and execution rates.

1. :func:`load_measures` reads ``configs/measures.yaml``: lists and grades (triggers) → measures,
   each with its department, duration, type (restriction / incentive) and legal basis.
2. :func:`update_tasks` turns listings counting as of a date into tasks (idempotent: task ids
   are ``<record_id>:<measure>``) and lifts the tasks of removed, expired or repaired listings.
3. :func:`ingest_feedback` applies departments' reports (``done``, ``not_applicable`` with a
   reason, ``overdue``); :func:`execution_rate` = tasks executed on time / tasks due, per
   department, region or measure (信用惩戒执行率).
"""

from credit_risk.measures.config import (
    Measure,
    MeasuresConfig,
    Trigger,
    default_measures_path,
    load_measures,
)
from credit_risk.measures.execution import execution_rate, task_outcomes
from credit_risk.measures.feedback import FEEDBACK_STATUSES, ingest_feedback
from credit_risk.measures.store import read_tasks, write_tasks
from credit_risk.measures.tasks import (
    TASK_COLUMNS,
    TASK_STATUSES,
    build_tasks,
    lift_tasks,
    update_tasks,
)

__all__ = [
    "FEEDBACK_STATUSES",
    "TASK_COLUMNS",
    "TASK_STATUSES",
    "Measure",
    "MeasuresConfig",
    "Trigger",
    "build_tasks",
    "default_measures_path",
    "execution_rate",
    "ingest_feedback",
    "lift_tasks",
    "load_measures",
    "read_tasks",
    "task_outcomes",
    "update_tasks",
    "write_tasks",
]
