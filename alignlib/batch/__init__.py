"""The quarterly batch: render every report for every parameters file, safely and in parallel.

:func:`run_batch` executes the report notebooks with papermill (one kernel per report,
threads or a dask.distributed cluster driving them; :mod:`~alignlib.batch.render`),
exports self-contained HTML (:mod:`~alignlib.batch.html`), writes each report's files
all or nothing (:mod:`~alignlib.batch.publish`) and an index page per quarter
(:mod:`~alignlib.batch.index`). Notebooks talk back to the runner through
:func:`record_headline` and :func:`record_table` (:mod:`~alignlib.batch.record`).

Layout of the outputs (``<out>/<quarter>/``)::

    index.html                              every report, status, headline figures, links
    <segment>/<report>.ipynb / .html        the last good rendering of the report
    <segment>/<report>.json                 its summary: headline figures + parameters
    <segment>/<table>.csv / <report>.xlsx   tables the report recorded (e.g. the plan)
    <segment>/<report>.failed.ipynb/.html   the executed notebook of a failed attempt
    <segment>/<report>.failed.json          what failed (removed by the next good run)
"""

from alignlib.batch.html import export_html
from alignlib.batch.index import INDEX_FIGURES, collect_summaries, write_index
from alignlib.batch.jobs import ALL_REPORTS, REPORTS, WEEKLY_REPORTS, ReportJob, ReportSpec
from alignlib.batch.publish import ReportResult, finalize_report
from alignlib.batch.record import (
    HEADLINE_MIME,
    TABLE_MIME,
    read_records,
    record_headline,
    record_quarter,
    record_table,
    table_frame,
)
from alignlib.batch.render import (
    KERNEL_NAME,
    CellFailure,
    RenderedReport,
    declared_parameters,
    ensure_kernel,
    render_report,
)
from alignlib.batch.run import BatchResult, plan_jobs, run_batch

__all__ = [
    "ALL_REPORTS",
    "HEADLINE_MIME",
    "INDEX_FIGURES",
    "KERNEL_NAME",
    "REPORTS",
    "TABLE_MIME",
    "WEEKLY_REPORTS",
    "BatchResult",
    "CellFailure",
    "RenderedReport",
    "ReportJob",
    "ReportResult",
    "ReportSpec",
    "collect_summaries",
    "declared_parameters",
    "ensure_kernel",
    "export_html",
    "finalize_report",
    "plan_jobs",
    "read_records",
    "record_headline",
    "record_quarter",
    "record_table",
    "render_report",
    "run_batch",
    "table_frame",
    "write_index",
]
