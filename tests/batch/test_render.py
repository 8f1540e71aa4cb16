"""Rendering: failures described from papermill's fields, the kernel, parallel runs on dask."""

from __future__ import annotations

import json
import sys

import pytest
from papermill.exceptions import PapermillExecutionError

from alignlib import batch
from alignlib.batch.render import one_line
from tests.batch._batch_helpers import FAILING_REPORT, OK_REPORT, segment_params


def test_one_line_error_summary() -> None:
    exc = PapermillExecutionError(
        cell_index=9,
        exec_count=7,
        source="check(rate)",
        ename="ValueError",
        evalue="rate must be in (0, 1]\nmore",
        traceback=["Traceback ...", "ValueError: rate must be in (0, 1]"],
    )
    failure = batch.CellFailure.from_error(exc)
    assert failure.summary() == "ValueError: rate must be in (0, 1] more (cell 7)"
    assert failure.to_dict() == {
        "ename": "ValueError",
        "evalue": "rate must be in (0, 1]\nmore",
        "cell_index": 9,
        "exec_count": 7,
        "source": "check(rate)",
    }
    assert one_line(OSError("disk\nfull")) == "OSError: disk full"
    assert one_line(ValueError("x" * 400)).endswith("x...")
    assert len(one_line(ValueError("x" * 400))) == 303


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
