"""The quarterly batch: HTML export, records, atomic outputs, failures, interruption, dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from alignlib import batch, paths
from alignlib.cli import main
from alignlib.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
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


# ---------------------------------------------------------------------------- fast units


def test_read_records_returns_headline_and_tables() -> None:
    headline, tables = batch.read_records(executed_like_notebook())
    assert headline == {"target": 100.0, "p_hit": 0.5, "currency": "USD"}
    frame = batch._table_frame(tables["plan"])
    assert frame.loc["lead", "required"] == 10
    assert frame.index.name == "stage"


def test_export_html_is_self_contained_with_title_and_toc() -> None:
    page = batch.export_html(executed_like_notebook(), title="Quarterly plan", subtitle="2026Q4")
    assert "<title>Quarterly plan — 2026Q4</title>" in page
    assert '<nav class="al-toc">' in page
    toc = page.split('<nav class="al-toc">')[1].split("</nav>")[0]
    assert "First section" in toc and "Second section" in toc
    assert 'src="data:image/png;base64,' in page
    # nothing fetched from the network: no external scripts, styles or fonts
    assert "<script src=" not in page
    for needle in ('src="http', 'href="http', "@import url(http", "cdn.jsdelivr", "mathjax"):
        assert needle.lower() not in page.lower(), needle
    # code is hidden, the notebook's own title is left to the page header
    assert "batch.record_headline" not in page
    assert "Notebook title" not in page


def test_export_html_marks_failed_runs() -> None:
    page = batch.export_html(executed_like_notebook(), title="Plan", failed=True)
    assert "<title>FAILED: Plan</title>" in page
    assert "failed to render completely" in page


def test_one_line_error_summary() -> None:
    class CellError(Exception):
        ename, evalue, exec_count = "ValueError", "rate must be in (0, 1]\nmore", 7

    assert batch._one_line(CellError()) == "ValueError: rate must be in (0, 1] more (cell 7)"
    assert batch._one_line(OSError("disk\nfull")) == "OSError: disk full"


def test_jsonable_converts_numpy_and_non_finite() -> None:
    import numpy as np

    out = batch._jsonable({"a": np.int64(3), "b": (np.float64(0.5), float("nan")), 4: Path("x")})
    assert out == {"a": 3, "b": [0.5, None], "4": "x"}
    json.dumps(out)


def test_record_table_rejects_names_that_cannot_be_files() -> None:
    with pytest.raises(InputError, match="record_table"):
        batch.record_table("plan/../x", pd.DataFrame({"a": [1]}))


def test_record_functions_are_silent_outside_a_kernel() -> None:
    batch.record_headline(target=1.0)  # no IPython: nothing displayed, no error
    batch.record_table("plan", pd.DataFrame({"a": [1]}))


def test_ensure_kernel_installs_missing_kernelspec(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    messages: list[str] = []
    name = batch.ensure_kernel("alignlib-test-missing", log=messages.append)
    assert name == "alignlib-test-missing"
    spec = json.loads(
        (tmp_path / "share/jupyter/kernels/alignlib-test-missing/kernel.json").read_text()
    )
    assert spec["argv"][0] == sys.executable
    assert "installed" in messages[0]


def test_ensure_kernel_falls_back_to_python3_when_it_cannot_install(monkeypatch) -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    def refuse(*_a, **_k):
        raise PermissionError("read-only")

    monkeypatch.setattr(KernelSpecManager, "install_kernel_spec", refuse)
    messages: list[str] = []
    assert batch.ensure_kernel("alignlib-test-missing-2", log=messages.append) == "python3"
    assert "make setup" in messages[0]


def test_ensure_kernel_keeps_the_installed_alignlib_kernel() -> None:
    assert batch.ensure_kernel("alignlib", log=lambda m: pytest.fail(m)) == "alignlib"


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


# ---------------------------------------------------------------- executing notebooks


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
        assert r.error == "RuntimeError: deliberate failure for the test (cell 4)"
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
    index = (out / "2026Q4" / "index.html").read_text()
    assert index.count('class="bad">failed') == 2 and index.count('class="ok">ok') == 2
    assert "deliberate failure for the test" in index
    assert "$1,200,000" in index and "62%" in index
    # no staging folders or temporary files left behind
    assert [p.name for p in (out / "2026Q4").iterdir() if p.name.startswith(".")] == []
    assert not list(out.rglob("*.tmp"))


@pytest.mark.notebook
@pytest.mark.slow
def test_failed_rerun_keeps_the_good_report_and_good_rerun_clears_the_failure(tmp_path) -> None:
    params = segment_params(tmp_path / "params", "alpha")
    out = tmp_path / "out"
    seg = out / "2026Q4" / "alpha"
    kw = {"out_dir": out, "reports": (OK_REPORT,), "progress": False}
    assert batch.run_batch(params, **kw).ok
    good = {p.name: p.read_bytes() for p in seg.iterdir()}

    result = batch.run_batch(params, parameters={"fail": True}, **kw)
    assert not result.ok
    for name, content in good.items():
        assert (seg / name).read_bytes() == content, f"{name} was replaced by a failed run"
    assert (seg / "fixture_report.failed.ipynb").exists()
    index = (out / "2026Q4" / "index.html").read_text()
    assert "last good version" in index

    assert batch.run_batch(params, **kw).ok
    assert not list(seg.glob("*.failed.*"))


@pytest.mark.notebook
@pytest.mark.slow
def test_interrupted_run_leaves_earlier_outputs_intact(tmp_path) -> None:
    params = segment_params(tmp_path / "params", "alpha")
    out = tmp_path / "out"
    seg = out / "2026Q4" / "alpha"
    assert batch.run_batch(params, out_dir=out, reports=(OK_REPORT,), progress=False).ok
    before = {p.name: p.read_bytes() for p in seg.iterdir()}
    index_before = (out / "2026Q4" / "index.html").read_bytes()

    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from alignlib import batch
        spec = batch.ReportSpec("fixture_report", "Fixture report", Path({str(OK_REPORT.notebook)!r}))
        batch.run_batch([{str(params[0])!r}], out_dir={str(out)!r}, reports=(spec,),
                        parameters={{"sleep": 60.0, "fail": True}}, progress=False)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], start_new_session=True, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        # wait until the run has started (its staging folder exists), then kill it hard
        while not list((out / "2026Q4").glob(".staging-*")):
            assert proc.poll() is None, "the run ended before it could be interrupted"
            assert time.monotonic() < deadline, "the run did not start"
            time.sleep(0.2)
        time.sleep(3.0)  # the kernel is running the notebook now
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    after = {p.name: p.read_bytes() for p in seg.iterdir()}
    assert after == before
    assert (out / "2026Q4" / "index.html").read_bytes() == index_before


@pytest.mark.notebook
@pytest.mark.slow
def test_batch_on_a_dask_cluster_matches_local(tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    params = segment_params(tmp_path / "params", "alpha")
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = batch.run_batch(
            params,
            out_dir=tmp_path / "out",
            reports=(OK_REPORT, FAILING_REPORT),
            scheduler=client,
            trials=3,
            progress=False,
        )
    status = {r.report: r.status for r in result.results}
    assert status == {"fixture_report": "ok", "fixture_failing": "failed"}
    summary = json.loads((tmp_path / "out/2026Q4/alpha/fixture_report.json").read_text())
    assert summary["headline"]["required_leads"] == 30
