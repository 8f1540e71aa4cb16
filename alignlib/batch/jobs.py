"""The reports a batch renders, and one job: a report for one parameters file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlib import paths
from alignlib.docstrings import shared_doc

#: The functions that work in one quarter's output folder say what it is once.
QUARTER_DIR_DOC = shared_doc(parameters={"quarter_dir : Path": "``<out>/<quarter>``."})


@dataclass(frozen=True)
class ReportSpec:
    """One report notebook the batch renders.

    Attributes
    ----------
    name : str
        File stem of the outputs (``quarterly_plan``).
    title : str
        Human title for the page and the index.
    notebook : Path
        The source notebook.
    stylesheets : tuple of str
        Style sheets of ``templates/`` added to the page (e.g. print rules).
    email : str or None
        File name of the e-mail version (the outputs of cells tagged ``email``), if any.
    """

    name: str
    title: str
    notebook: Path
    stylesheets: tuple[str, ...] = ()
    email: str | None = None


#: Printable pages: their components' style and the print rules (Letter and A4).
_PRINTABLE = ("scorecard.css", "print.css")
#: The plan and its summary: the print rules and the plan's own (12 pages, 2 for the summary).
_PLAN_PRINT = ("print.css", "plan_print.css")

#: The reports ``alignlib run`` renders by default, in the order the index lists them.
REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec(
        "quarterly_plan",
        "Quarterly plan",
        paths.NOTEBOOKS_DIR / "quarterly_plan.ipynb",
        stylesheets=_PLAN_PRINT,
    ),
    ReportSpec(
        "quarterly_plan_summary",
        "Quarterly plan: VP summary",
        paths.NOTEBOOKS_DIR / "quarterly_plan_summary.ipynb",
        stylesheets=_PLAN_PRINT,
    ),
    ReportSpec(
        "experiment_analysis",
        "Experiment analysis",
        paths.NOTEBOOKS_DIR / "experiment_analysis.ipynb",
    ),
    ReportSpec("trend_report", "Trend report", paths.NOTEBOOKS_DIR / "trend_report.ipynb"),
    ReportSpec(
        "sla_agreement",
        "SLA agreement",
        paths.NOTEBOOKS_DIR / "sla_agreement.ipynb",
        stylesheets=_PRINTABLE,
    ),
    ReportSpec("annual_plan", "Annual plan", paths.NOTEBOOKS_DIR / "annual_plan.ipynb"),
)

#: What ``alignlib run --weekly`` renders: the one-page scorecard (and its e-mail).
WEEKLY_REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec(
        "weekly_scorecard",
        "Weekly scorecard",
        paths.NOTEBOOKS_DIR / "weekly_scorecard.ipynb",
        stylesheets=(*_PRINTABLE, "scorecard_phone.css"),
        email="scorecard.email.html",
    ),
)

#: Every report notebook, in index order.
ALL_REPORTS: tuple[ReportSpec, ...] = REPORTS + WEEKLY_REPORTS


@dataclass(frozen=True)
class ReportJob:
    """One report to render for one parameters file.

    Attributes
    ----------
    report : ReportSpec
        The notebook to run.
    quarter, segment : str
        Where its outputs go (``<out>/<quarter>/<segment>/``).
    params_path : Path or None
        The parameters file.
    parameters : dict
        Notebook parameters to inject (each notebook receives those it declares).
    setup_error : str or None
        Why the parameters file could not be read; the job then fails without running.
    """

    report: ReportSpec
    quarter: str
    segment: str
    params_path: Path | None
    parameters: dict[str, Any] = field(default_factory=dict)
    setup_error: str | None = None

    @property
    def key(self) -> str:
        """``<quarter>/<segment>/<report>``: the job's name in results and messages."""
        return f"{self.quarter}/{self.segment}/{self.report.name}"

    @property
    def subtitle(self) -> str:
        """The line under the report's title: quarter and segment."""
        segment = "all segments" if self.segment in ("all", "") else f"segment: {self.segment}"
        return f"{self.quarter} · {segment}"
