"""The segment report: one self-contained HTML file built from the marts.

``build_report(db_path, out_path)`` reads a built database (read-only) and writes
one HTML file with plotly's JavaScript inlined, so it opens from disk with no
server and no network. Every chart has a one-line caption; a chart whose mart is
empty or missing becomes a note. The report carries aggregates only: no email,
name, phone or customer key.

Modules: ``read`` (the marts it reads, read-only), ``charts`` (one function per
chart) and ``page`` (the HTML page and ``build_report``), each importing only the
ones before it.
"""

from segmart.report.charts import (
    CHARTS,
    FONT,
    RECENT_CAMPAIGNS,
    Chart,
    chart_margin,
    chart_overlap,
    chart_performance,
    chart_quality,
    chart_rfm,
    chart_sizes,
    chart_transitions,
    chart_trend,
)
from segmart.report.page import Report, build_report, render_html
from segmart.report.page import _library_table as _library_table
from segmart.report.read import SOURCES, ReportError
from segmart.report.read import _open as _open

__all__ = [
    "CHARTS",
    "FONT",
    "RECENT_CAMPAIGNS",
    "SOURCES",
    "Chart",
    "Report",
    "ReportError",
    "build_report",
    "chart_margin",
    "chart_overlap",
    "chart_performance",
    "chart_quality",
    "chart_rfm",
    "chart_sizes",
    "chart_transitions",
    "chart_trend",
    "render_html",
]
