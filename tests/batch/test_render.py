"""Rendering: failures described from papermill's fields, the kernel, parallel runs on dask."""

from __future__ import annotations

import json
import sys

import pytest
from papermill.exceptions import PapermillExecutionError

from alignlib import batch
from alignlib.batch.render import (
    WITHHELD,
    one_line,
    own_error_names,
    redact,
    withhold_details,
)
from tests.batch._batch_helpers import FAILING_REPORT, OK_REPORT, segment_params

#: How IPython writes the last frame of an error raised inside alignlib (colours removed).
OWN_FRAME = "File /work/main/alignlib/planning.py:120, in check(rate)\n---> 120 raise InputError(m)"


def test_one_line_error_summary() -> None:
    exc = PapermillExecutionError(
        cell_index=9,
        exec_count=7,
        source="check(rate)",
        ename="InputError",
        evalue="rate must be in (0, 1]\nmore",
        traceback=["Traceback ...", "Cell In[7], line 1", OWN_FRAME, "InputError: rate ..."],
    )
    failure = batch.CellFailure.from_error(exc)
    assert failure.summary() == "InputError: rate must be in (0, 1] more (cell 7)"
    assert failure.to_dict() == {
        "ename": "InputError",
        "evalue": "rate must be in (0, 1]\nmore",
        "cell_index": 9,
        "exec_count": 7,
        "source": "check(rate)",
        "withheld": False,
    }
    assert one_line(OSError("disk\nfull")) == "OSError: disk full"
    assert one_line(ValueError("x" * 400)).endswith("x...")
    assert len(one_line(ValueError("x" * 400))) == 303


ROW = "40602693,Ben,Test,btest2693@example.com"


@pytest.mark.parametrize(
    ("ename", "frames"),
    [
        ("ValueError", [OWN_FRAME]),  # not ours, wherever it was raised
        ("DataError", ["File /x/site-packages/pandas/core/groupby.py:9, in agg()"]),  # pandas'
        ("InputError", ["Cell In[3], line 2"]),  # raised in a cell, not by alignlib
        ("InputError", []),  # no frames to tell
    ],
)
def test_a_foreign_error_is_described_by_its_type_and_cell_only(ename, frames) -> None:
    exc = PapermillExecutionError(
        cell_index=4,
        exec_count=3,
        source="load(path)",
        ename=ename,
        evalue=f"Expected 22 fields in line 30001, saw 23: {ROW}",
        traceback=[*frames, f"{ename}: Expected 22 fields: {ROW}"],
    )
    failure = batch.CellFailure.from_error(exc)
    assert failure.withheld and failure.evalue == ""
    assert failure.summary().startswith(f"{ename} (cell 3); details withheld")
    assert "see the failed notebook" in failure.summary()
    assert "Ben" not in json.dumps(failure.to_dict())


def test_redact_and_one_line_remove_email_addresses() -> None:
    assert redact(f"bad row {ROW}") == "bad row 40602693,Ben,Test,<e-mail withheld>"
    assert "@" not in one_line(ValueError(f"x {ROW}; also a.b+c@mail.example.co.uk"))
    assert redact("at 10:30 @ 5% of 1.2e3") == "at 10:30 @ 5% of 1.2e3"


def test_own_error_names_are_alignlib_errors() -> None:
    names = own_error_names()
    assert {"AlignError", "InputError", "DataError", "ParamsError"} <= names
    assert "ValueError" not in names


def _failed_notebook(ename: str, frames: list[str]):
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    nb = new_notebook()
    ok = new_code_cell("print(x)")
    ok.outputs = [
        new_output("stream", name="stdout", text=f"contact {ROW}\n"),
        new_output("stream", name="stderr", text=f"UserWarning: could not read {ROW}\n"),
    ]
    bad = new_code_cell("load(path)")
    chained = [
        f"\x1b[31mValueError\x1b[39m: {ROW}",
        "\n\x1b[1mThe above exception was the direct cause of the following exception:\x1b[0m\n",
    ]
    bad.outputs = [
        new_output(
            "error",
            ename=ename,
            evalue="line 30001: 23 fields, expected 22",
            traceback=[*chained, *frames, f"{ename}: line 30001: 23 fields, expected 22"],
        )
    ]
    nb.cells = [ok, bad]
    return nb


def test_withhold_details_keeps_our_message_and_drops_what_it_was_raised_from() -> None:
    nb = withhold_details(_failed_notebook("DataError", [OWN_FRAME]))
    assert "Ben" not in json.dumps(nb.cells[1].outputs) and "@" not in json.dumps(nb)
    error = nb.cells[1].outputs[0]
    assert error.evalue == "line 30001: 23 fields, expected 22"
    # a reader gets the message, not a traceback (nor the exception it was raised from)
    assert error.traceback == ["DataError: line 30001: 23 fields, expected 22"]
    # standard error is dropped (the page never shows it); standard output keeps its text
    assert [o.name for o in nb.cells[0].outputs] == ["stdout"]


def test_withhold_details_replaces_a_foreign_error_with_its_type() -> None:
    nb = withhold_details(_failed_notebook("ValueError", ["Cell In[3], line 2"]))
    error = nb.cells[1].outputs[0]
    assert error.evalue == WITHHELD and error.traceback == [f"ValueError: {WITHHELD}"]
    assert "Ben" not in json.dumps(nb.cells[1].outputs)


def test_render_report_fails_a_job_whose_parameters_did_not_load() -> None:
    job = batch.ReportJob(OK_REPORT, "2026Q4", "x", None, {"a": 1}, setup_error="bad file")
    rendered = batch.render_report(job)
    assert not rendered.ok and rendered.error == "bad file"
    assert rendered.notebook_json is None and rendered.parameters == {"a": 1}


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
