"""The batch run: planning jobs, invalid parameters files, a run with a failing report."""

from __future__ import annotations

import json

import nbformat
import pandas as pd
import pytest

from alignlib import batch, paths
from alignlib.cli import main
from alignlib.errors import InputError
from tests.batch._batch_helpers import FAILING_REPORT, OK_REPORT, segment_params


def test_plan_jobs_rejects_duplicate_segments_and_wrong_quarter(tmp_path) -> None:
    a = tmp_path / "a" / "2026Q4-x.yaml"
    b = tmp_path / "b" / "2026Q4-x.yaml"
    for p in (a, b):
        p.parent.mkdir()
        p.write_text(f"extends: {paths.DEFAULT_PARAMS}\nsegment: x\n")
    with pytest.raises(InputError, match="segment 'x' is also in"):
        batch.plan_jobs([a, b])
    with pytest.raises(InputError, match="not --quarter 2027Q1"):
        batch.plan_jobs([a], quarter="2027Q1")
    with pytest.raises(InputError, match="not found"):
        batch.plan_jobs([tmp_path / "nope.yaml"])


def test_plan_jobs_injects_params_path_and_static_mode() -> None:
    jobs = batch.plan_jobs([paths.DEFAULT_PARAMS], parameters={"trials": 100})
    assert [j.report.name for j in jobs] == [r.name for r in batch.REPORTS]
    assert jobs[0].parameters == {
        "params_path": str(paths.DEFAULT_PARAMS.resolve()),
        "interactive": False,
        "trials": 100,
    }
    assert jobs[0].setup_error is None


def test_plan_jobs_labels_an_unreadable_file_by_its_name(tmp_path) -> None:
    bad = tmp_path / "2027Q1-emea.yaml"
    bad.write_text("[not a mapping")
    (job,) = batch.plan_jobs([bad], reports=(OK_REPORT,))
    assert (job.quarter, job.segment) == ("2027Q1", "emea")
    assert job.setup_error


@pytest.mark.parametrize(
    ("raw", "stem", "where"),
    [
        ("quarter: ../../x\nsegment: ../../evil\nbad: [", "params", ("unknown", "params")),
        ("quarter: 2027Q1\nsegment: a/b\nstages: 3", "2027Q1-emea", ("2027Q1", "emea")),
        ("segment: .hidden\nstages: 3", "2027Q1", ("2027Q1", "all")),
        ("segment: '<img src=x onerror=alert(1)>'\nx: 1", "2027Q2-..", ("2027Q2", "unknown")),
    ],
)
def test_an_invalid_file_cannot_place_outputs_outside_the_outputs_folder(
    tmp_path, raw, stem, where
) -> None:
    bad = tmp_path / f"{stem}.yaml"
    bad.write_text(raw)
    (job,) = batch.plan_jobs([bad], reports=(OK_REPORT,))
    assert (job.quarter, job.segment) == where and job.setup_error


def test_invalid_params_file_fails_its_reports_and_exits_1(tmp_path, capsys) -> None:
    bad = tmp_path / "2026Q4-broken.yaml"
    bad.write_text("quarter: 2026Q4\nsegment: broken\ntarget: {bookings: -5}\n")
    out = tmp_path / "out"
    status = main(["run", str(bad), "--out", str(out), "--no-progress", "--json"])
    assert status == 1
    result = json.loads(capsys.readouterr().out)
    assert not result["ok"]
    assert {r["status"] for r in result["reports"]} == {"failed"}
    assert "2026Q4-broken.yaml" in result["reports"][0]["error"]
    index = (out / "2026Q4" / "index.html").read_text()
    assert "failed" in index and "broken" in index
    # nothing executed, so nothing but the failure summaries was written
    written = sorted(p.name for p in (out / "2026Q4" / "broken").iterdir())
    assert written == [f"{r.name}.failed.json" for r in sorted(batch.REPORTS, key=lambda r: r.name)]


def test_run_rejects_unknown_report(capsys) -> None:
    assert main(["run", "--report", "nope"]) == 2
    assert "unknown report" in capsys.readouterr().err


@pytest.mark.notebook
@pytest.mark.slow
def test_batch_with_one_failing_report(tmp_path) -> None:
    params = segment_params(tmp_path / "params", "alpha", "beta")
    out = tmp_path / "out"
    result = batch.run_batch(
        params,
        out_dir=out,
        reports=(OK_REPORT, FAILING_REPORT),
        workers=2,
        trials=7,
        progress=False,
    )
    assert not result.ok
    assert sorted(r.key for r in result.failed) == [
        "2026Q4/alpha/fixture_failing",
        "2026Q4/beta/fixture_failing",
    ]
    for r in result.failed:
        # not one of our errors: its message may quote the data, so only type and cell
        assert r.error == (
            "RuntimeError (cell 4); details withheld (they may quote the data): "
            "see the failed notebook"
        )
    seg = out / "2026Q4" / "alpha"
    # the good report: notebook, page, summary and tables
    summary = json.loads((seg / "fixture_report.json").read_text())
    assert summary["status"] == "ok"
    assert summary["parameters"] == {
        "params_path": str(params[0].resolve()),
        "interactive": False,
        "trials": 7,
    }
    assert summary["headline"]["required_leads"] == 70  # computed from the injected trials
    nb = nbformat.read(seg / "fixture_report.ipynb", as_version=4)
    assert nb.metadata.papermill.parameters["trials"] == 7
    plan = pd.read_csv(seg / "plan.csv", index_col=0)
    assert plan["required"].tolist() == [1000, 320, 40]
    xlsx = pd.read_excel(seg / "fixture_report.xlsx", sheet_name="plan", index_col=0)
    assert xlsx["required"].tolist() == [1000, 320, 40]
    page = (seg / "fixture_report.html").read_text()
    assert 'src="data:image/png;base64,' in page and "Required volume by stage" in page
    # the failed report keeps its executed notebook with papermill's error cell
    failed_nb = nbformat.read(seg / "fixture_failing.failed.ipynb", as_version=4)
    errors = [o for c in failed_nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].ename == "RuntimeError"
    assert not (seg / "fixture_failing.html").exists()
    assert (seg / "fixture_failing.failed.html").exists()
    # its summary says which cell failed, from papermill's error fields
    failed_cell = json.loads((seg / "fixture_failing.failed.json").read_text())["failed_cell"]
    assert failed_cell["ename"] == "RuntimeError" and failed_cell["exec_count"] == 4
    assert "deliberate failure" in failed_cell["source"]
    assert isinstance(failed_cell["cell_index"], int)
    (cell,) = [c for c in failed_nb.cells if c.source == failed_cell["source"]]
    assert cell.outputs[-1].output_type == "error"
    index = (out / "2026Q4" / "index.html").read_text()
    assert index.count('class="bad">failed') == 2 and index.count('class="ok">ok') == 2
    assert "RuntimeError (cell 4); details withheld" in index
    assert "deliberate failure for the test" not in index
    assert "$1,200,000" in index and "62%" in index
    # no staging folders or temporary files left behind
    assert [p.name for p in (out / "2026Q4").iterdir() if p.name.startswith(".")] == []
    assert not list(out.rglob("*.tmp"))
