"""Shared by the batch tests: fixture reports, segment parameters files, an executed-like notebook."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from alignlib import batch, paths

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notebooks"
OK_REPORT = batch.ReportSpec("fixture_report", "Fixture report", FIXTURES / "fixture_report.ipynb")
FAILING_REPORT = batch.ReportSpec(
    "fixture_failing", "Failing fixture", FIXTURES / "fixture_failing.ipynb"
)
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def segment_params(folder: Path, *segments: str) -> list[Path]:
    """Parameters files for segments: the default quarter with another segment label."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for seg in segments:
        path = folder / f"{paths.DEFAULT_QUARTER}-{seg}.yaml"
        path.write_text(f"extends: {paths.DEFAULT_PARAMS}\nsegment: {seg}\n")
        files.append(path)
    return files


def executed_like_notebook() -> nbformat.NotebookNode:
    """A notebook as papermill leaves it, without running a kernel."""
    nb = new_notebook()
    title = new_markdown_cell("# Notebook title", metadata={"tags": ["report-hide"]})
    params = new_code_cell("x = 1", metadata={"tags": ["parameters"]})
    head = new_code_cell("batch.record_headline(...)")
    head.outputs = [
        new_output(
            "display_data",
            data={
                batch.HEADLINE_MIME: {"target": 100.0, "p_hit": 0.5, "currency": "USD"},
                "text/html": "<div>card</div>",
                "text/plain": "",
            },
        )
    ]
    table = new_code_cell("batch.record_table('plan', df)")
    frame = pd.DataFrame({"required": [10, 2]}, index=pd.Index(["lead", "won"], name="stage"))
    table.outputs = [
        new_output(
            "display_data",
            data={
                batch.TABLE_MIME: {
                    "name": "plan",
                    "title": "Plan",
                    "table": json.loads(frame.to_json(orient="table")),
                },
                "text/plain": "",
            },
        )
    ]
    chart = new_code_cell("show(fig)")
    chart.outputs = [new_output("display_data", data={"image/png": PNG_1PX, "text/plain": "fig"})]
    nb.cells = [
        title,
        params,
        new_markdown_cell("## First section\nSome text with $x$ dollars."),
        head,
        new_markdown_cell("## Second section"),
        table,
        chart,
    ]
    return nb
