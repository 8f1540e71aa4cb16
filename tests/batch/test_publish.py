"""Publishing: files moved into place all at once, 0644, failures kept beside the last good run."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from alignlib import batch
from alignlib.batch.publish import (
    OWNER_FILE,
    _process_start,
    new_staging,
    remove_stale_staging,
    staging_owner_alive,
)
from tests.batch._batch_helpers import OK_REPORT, executed_like_notebook, segment_params


def _rendered(ok: bool = True, **changes) -> batch.RenderedReport:
    nb = executed_like_notebook()
    headline, tables = batch.read_records(nb)
    fields = {
        "ok": ok,
        "error": None if ok else "RuntimeError: boom (cell 3)",
        "notebook_json": nbformat.writes(nb),
        "html": "<html>page</html>",
        "headline": headline,
        "tables": tables,
        "parameters": {"trials": 10},
        "seconds": 1.234,
    }
    fields.update(changes)
    return batch.RenderedReport(**fields)


def _job(segment: str = "alpha") -> batch.ReportJob:
    return batch.ReportJob(OK_REPORT, "2026Q4", segment, None)


def test_summary_parameters_are_plain_json(tmp_path) -> None:
    params = {"a": np.int64(3), "b": (np.float64(0.5), float("nan")), 4: Path("x")}
    staging = tmp_path / "2026Q4" / ".staging-test"
    result = batch.finalize_report(
        _job(), _rendered(parameters=params), tmp_path / "2026Q4", staging
    )
    text = Path(result.files["summary"]).read_text()
    out = json.loads(text)["parameters"]
    assert out == {"a": 3, "b": [0.5, None], "4": "x"}
    json.dumps(out)
    assert "NaN" not in text


def test_good_report_files_are_complete_and_0644(tmp_path) -> None:
    quarter_dir = tmp_path / "2026Q4"
    staging = quarter_dir / ".staging-test"
    result = batch.finalize_report(_job(), _rendered(), quarter_dir, staging, params_file="p.yaml")
    assert result.status == "ok"
    seg = quarter_dir / "alpha"
    assert sorted(p.name for p in seg.iterdir()) == [
        "fixture_report.html",
        "fixture_report.ipynb",
        "fixture_report.json",
        "fixture_report.xlsx",
        "plan.csv",
    ]
    for p in seg.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p.name
    assert list(result.files) == ["notebook", "html", "csv:plan", "xlsx", "summary"]
    summary = json.loads((seg / "fixture_report.json").read_text())
    assert summary["files"]["csv:plan"] == "plan.csv"
    assert summary["params_file"] == "p.yaml" and summary["tables"] == {"plan": "Plan"}
    assert "failed_cell" not in summary
    assert pd.read_csv(seg / "plan.csv", index_col=0)["required"].tolist() == [10, 2]
    xlsx = pd.read_excel(seg / "fixture_report.xlsx", sheet_name="plan", index_col=0)
    assert xlsx["required"].tolist() == [10, 2]
    # everything was moved out of staging; no temporary files anywhere
    assert not [p for p in staging.rglob("*") if p.is_file()]
    assert not list(tmp_path.rglob("*.tmp"))


def test_failure_is_kept_beside_the_good_report_until_the_next_good_run(tmp_path) -> None:
    quarter_dir = tmp_path / "2026Q4"
    seg = quarter_dir / "alpha"
    batch.finalize_report(_job(), _rendered(), quarter_dir, quarter_dir / ".s1")
    good = {p.name: p.read_bytes() for p in seg.iterdir()}
    failure = batch.CellFailure("RuntimeError", "boom", 5, 3, "raise RuntimeError('boom')")
    result = batch.finalize_report(
        _job(), _rendered(ok=False, failure=failure, tables={}), quarter_dir, quarter_dir / ".s2"
    )
    assert result.status == "failed"
    for name, content in good.items():
        assert (seg / name).read_bytes() == content
    summary = json.loads((seg / "fixture_report.failed.json").read_text())
    assert summary["status"] == "failed" and summary["error"] == "RuntimeError: boom (cell 3)"
    assert summary["failed_cell"] == {
        "ename": "RuntimeError",
        "evalue": "boom",
        "cell_index": 5,
        "exec_count": 3,
        "source": "raise RuntimeError('boom')",
        "withheld": False,
    }
    assert (seg / "fixture_report.failed.ipynb").exists()
    batch.finalize_report(_job(), _rendered(), quarter_dir, quarter_dir / ".s3")
    assert not list(seg.glob("*.failed.*"))


@pytest.mark.notebook
@pytest.mark.slow
def test_failed_rerun_keeps_the_good_report_and_good_rerun_clears_the_failure(tmp_path) -> None:
    params = segment_params(tmp_path / "params", "alpha")
    out = tmp_path / "out"
    seg = out / "2026Q4" / "alpha"
    kw = {"out_dir": out, "reports": (OK_REPORT,), "progress": False}
    assert batch.run_batch(params, **kw).ok
    good = {str(p.relative_to(seg)): p.read_bytes() for p in seg.rglob("*") if p.is_file()}
    assert "snapshot.json" in good  # the segment's one set of numbers, beside its pages

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
    before = {str(p.relative_to(seg)): p.read_bytes() for p in seg.rglob("*") if p.is_file()}
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
    after = {str(p.relative_to(seg)): p.read_bytes() for p in seg.rglob("*") if p.is_file()}
    assert after == before
    assert (out / "2026Q4" / "index.html").read_bytes() == index_before
    # SIGKILL left its staging folder behind; the next run removes it (its owner is gone)
    assert list((out / "2026Q4").glob(".staging-*"))
    assert batch.run_batch(params, out_dir=out, reports=(OK_REPORT,), progress=False).ok
    assert not list((out / "2026Q4").glob(".staging-*"))


def _staging(quarter_dir: Path, name: str, owner: dict | None, age_hours: float = 0.0) -> Path:
    folder = quarter_dir / f".staging-{name}"
    (folder / "alpha" / "fixture_report").mkdir(parents=True)
    (folder / "alpha" / "fixture_report" / "fixture_report.html").write_text("half")
    if owner is not None:
        (folder / OWNER_FILE).write_text(json.dumps(owner))
    if age_hours:
        past = time.time() - age_hours * 3600
        os.utime(folder, (past, past))
    return folder


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # reaped: no process has this id now (reuse within the test is unlikely)


def test_stale_staging_of_a_dead_run_is_removed_and_a_live_run_keeps_its_own(tmp_path) -> None:
    import socket

    host = socket.gethostname()
    q = tmp_path / "2026Q4"
    dead = _staging(q, "dead", {"pid": _dead_pid(), "host": host, "started": None})
    # a live run (this test's own process) with its true start time: kept
    me = os.getpid()
    live = _staging(q, "live", {"pid": me, "host": host, "started": _process_start(me)})
    # a process id reused by another process since (start time differs): the run is gone
    reused = _staging(q, "reused", {"pid": me, "host": host, "started": 1.0})
    # owner unknown (no marker yet, or another host): removed only once old
    young = _staging(q, "young", None)
    old = _staging(q, "old", None, age_hours=13)
    remote = _staging(q, "remote", {"pid": 1, "host": f"not-{host}", "started": None})
    removed = remove_stale_staging(q)
    assert sorted(p.name for p in removed) == sorted(p.name for p in (dead, reused, old))
    assert live.exists() and young.exists() and remote.exists()
    assert not dead.exists() and not reused.exists() and not old.exists()


def test_new_staging_names_its_owner(tmp_path) -> None:
    staging = new_staging(tmp_path / "2026Q4", "run-1")
    owner = json.loads((staging / OWNER_FILE).read_text())
    assert owner["pid"] == os.getpid() and owner["run"] == "run-1"
    assert staging_owner_alive(staging) is True
    assert remove_stale_staging(tmp_path / "2026Q4") == [] and staging.exists()


@pytest.mark.notebook
@pytest.mark.slow
def test_a_run_cleans_stale_staging_and_keeps_a_concurrent_one(tmp_path) -> None:
    import socket

    params = segment_params(tmp_path / "params", "alpha")
    out = tmp_path / "out"
    q = out / "2026Q4"
    host = socket.gethostname()
    stale = _staging(q, "killed", {"pid": _dead_pid(), "host": host, "started": None})
    me = os.getpid()
    concurrent = _staging(q, "concurrent", {"pid": me, "host": host, "started": _process_start(me)})
    assert batch.run_batch(params, out_dir=out, reports=(OK_REPORT,), progress=False).ok
    assert not stale.exists()
    assert concurrent.exists()
    assert sorted(p.name for p in q.glob(".staging-*")) == [concurrent.name]
    # every page and file is readable by the group and others
    for path in q.rglob("*"):
        if path.is_file() and concurrent not in path.parents:
            assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
