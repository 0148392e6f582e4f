"""The HTML report a person reads (报告): one self-contained page per run, with the map of the regions.

:func:`write_report` renders :class:`ReportInputs` — the typed training report, scores, the
inspection plan, early warnings and monitoring verdicts, whichever exist — into one HTML file
that opens without network access (inline SVG charts and map, no script, no web font).
"""

from credit_risk.report.load import bundle_parts, read_monitoring, read_plan, read_warnings
from credit_risk.report.render import ReportInputs, actionable_reasons, render_html, write_report
from credit_risk.report.tilemap import Measure

__all__ = [
    "Measure", "ReportInputs", "actionable_reasons", "bundle_parts", "read_monitoring", "read_plan", "read_warnings",
    "render_html", "write_report",
]
