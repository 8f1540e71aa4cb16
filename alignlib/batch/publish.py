"""Publishing a rendered report: its files, all or nothing, beside the earlier good ones.

Each report is written completely into a private staging folder
(``<out>/<quarter>/.staging-<run>/``, on the same file system) and its files are moved
into place with ``os.replace`` only after everything was written; the JSON summary is
moved last, so a summary always describes files that are complete. A failed attempt
never touches the good files of an earlier run: it is kept beside them as
``<report>.failed.*`` (and removed by the next good run). Every file is 0644.

A staging folder names its owner (process id, host and the process's start time) in a
marker file, so a run killed outright (SIGKILL, a power cut) leaves nothing that lasts:
the next run removes every staging folder whose owner is gone, and keeps those of runs
still going.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from alignlib import __version__
from alignlib.batch.jobs import QUARTER_DIR_DOC, ReportJob
from alignlib.batch.record import table_frame
from alignlib.batch.render import RenderedReport
from alignlib.files import atomic_path, atomic_write_text
from alignlib.format import jsonable, to_json


@dataclass(frozen=True)
class ReportResult:
    """The outcome of one report in a batch run.

    Attributes
    ----------
    key : str
        ``<quarter>/<segment>/<report>``.
    report, quarter, segment : str
        The parts of the key.
    status : str
        ``"ok"`` or ``"failed"``.
    error : str or None
        One-line summary of the error of a failed report.
    files : dict
        Kind -> path of the files written (``html``, ``notebook``, ``summary``, ...).
    headline : dict
        The figures the notebook recorded.
    seconds : float
        Wall time to render it.
    """

    key: str
    report: str
    quarter: str
    segment: str
    status: str
    error: str | None
    files: dict[str, str]
    headline: dict[str, Any]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON values (``alignlib run --json``).

        Returns
        -------
        dict
            The fields by name.
        """
        return asdict(self)


#: The file in a staging folder that names the process writing it.
OWNER_FILE = ".owner.json"


def _process_start(pid: int) -> float | None:
    """When a process started (seconds since the epoch), or None if it is gone or unknown."""
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError):
        return None


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:
        return False
    return True


def staging_owner_alive(staging: Path) -> bool | None:
    """Whether the run that owns a staging folder is still going.

    Parameters
    ----------
    staging : Path
        A ``.staging-*`` folder.

    Returns
    -------
    bool or None
        True or False from the owner marker (process id, and its start time, so that a
        reused process id is not mistaken for the owner); None when it cannot be told:
        no readable marker (a run that is just starting writes it a moment after the
        folder), or a run on another host.
    """
    try:
        owner = json.loads((staging / OWNER_FILE).read_text(encoding="utf-8"))
        pid = int(owner["pid"])
        host = str(owner["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if host != socket.gethostname():
        return None
    if not _pid_alive(pid):
        return False
    started, recorded = _process_start(pid), owner.get("started")
    if started is not None and isinstance(recorded, int | float):
        return abs(started - float(recorded)) < 2.0
    return True


@QUARTER_DIR_DOC
def new_staging(quarter_dir: Path, run_id: str) -> Path:
    """Create the staging folder of a run under a quarter folder, marked with its owner.

    Parameters
    ----------
    run_id : str
        Unique name of the run.

    Returns
    -------
    Path
        ``<quarter_dir>/.staging-<run_id>``, created, with :data:`OWNER_FILE` in it.
    """
    staging = quarter_dir / f".staging-{run_id}"
    staging.mkdir(parents=True, exist_ok=True)
    owner = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": _process_start(os.getpid()),
        "run": run_id,
    }
    atomic_write_text(staging / OWNER_FILE, to_json(owner))
    return staging


@QUARTER_DIR_DOC
def remove_stale_staging(quarter_dir: Path, max_age_hours: float = 12.0) -> list[Path]:
    """Delete staging folders that interrupted (even killed) runs left behind.

    A folder whose owner process is gone is removed at once; one whose owner is alive
    (a concurrent run) is kept. When the owner cannot be told (no marker, or a run on
    another host), only a folder older than ``max_age_hours`` is removed.

    Parameters
    ----------
    max_age_hours : float
        Age past which a staging folder of unknown owner is deleted.

    Returns
    -------
    list of Path
        The folders removed.
    """
    removed: list[Path] = []
    if not quarter_dir.is_dir():
        return removed
    cutoff = time.time() - max_age_hours * 3600
    for old in quarter_dir.glob(".staging-*"):
        try:
            if not old.is_dir() or old.is_symlink():
                continue
            alive = staging_owner_alive(old)
            if alive is False or (alive is None and old.stat().st_mtime < cutoff):
                shutil.rmtree(old, ignore_errors=True)
                removed.append(old)
        except OSError:
            continue
    return removed


@QUARTER_DIR_DOC
def finalize_report(
    job: ReportJob,
    rendered: RenderedReport,
    quarter_dir: Path,
    staging: Path,
    *,
    params_file: str | None = None,
) -> ReportResult:
    """Write one rendered report to staging, then move it into place.

    A good report replaces the earlier good files and removes stale ``.failed.*``
    files; a failed one is written as ``<report>.failed.*`` beside the good ones.

    Parameters
    ----------
    job : ReportJob
        The report and where it goes.
    rendered : RenderedReport
        What rendering produced.
    staging : Path
        A folder on the same file system, private to this run.
    params_file : str, optional
        Shown in the summary.

    Returns
    -------
    ReportResult
        Status and the final paths of the files written.
    """
    name = job.report.name
    seg_dir = quarter_dir / job.segment
    stage = staging / job.segment / name
    stage.mkdir(parents=True, exist_ok=True)
    suffix = "" if rendered.ok else ".failed"
    files: dict[str, Path] = {}  # kind -> final path
    moves: list[tuple[Path, Path]] = []  # (staged, final), in move order

    def staged(kind: str, filename: str) -> Path:
        files[kind] = seg_dir / filename
        moves.append((stage / filename, seg_dir / filename))
        return stage / filename

    if rendered.notebook_json is not None:
        atomic_write_text(staged("notebook", f"{name}{suffix}.ipynb"), rendered.notebook_json)
    if rendered.html is not None:
        atomic_write_text(staged("html", f"{name}{suffix}.html"), rendered.html)
    if rendered.ok and rendered.tables:
        _write_tables(rendered.tables, name, staged)
    if rendered.ok and rendered.email is not None and job.report.email:
        atomic_write_text(staged("email", job.report.email), rendered.email)

    summary: dict[str, Any] = {
        "report": name,
        "title": job.report.title,
        "quarter": job.quarter,
        "segment": job.segment,
        "status": "ok" if rendered.ok else "failed",
        "error": rendered.error,
        "params_file": params_file,
        "parameters": jsonable(rendered.parameters),
        "headline": rendered.headline,
        "tables": {k: v.get("title", k) for k, v in rendered.tables.items()},
        "files": {k: p.name for k, p in files.items()},
        "rendered_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(rendered.seconds, 2),
        "alignlib_version": __version__,
    }
    if rendered.failure is not None:
        summary["failed_cell"] = rendered.failure.to_dict()
    summary_name = f"{name}{suffix}.json"
    summary["files"]["summary"] = summary_name
    atomic_write_text(staged("summary", summary_name), to_json(summary))

    seg_dir.mkdir(parents=True, exist_ok=True)
    for source, final in moves:  # the summary is last: it commits the report
        os.replace(source, final)
    if rendered.ok:
        for stale in seg_dir.glob(f"{name}.failed.*"):
            stale.unlink(missing_ok=True)
    return ReportResult(
        key=job.key,
        report=name,
        quarter=job.quarter,
        segment=job.segment,
        status=summary["status"],
        error=rendered.error,
        files={k: str(p) for k, p in files.items()},
        headline=rendered.headline,
        seconds=rendered.seconds,
    )


def _write_tables(
    tables: dict[str, dict[str, Any]], name: str, staged: Callable[[str, str], Path]
) -> None:
    """Each recorded table as ``<table>.csv`` and a sheet of ``<report>.xlsx``."""
    import pandas as pd

    frames = {tname: table_frame(payload) for tname, payload in tables.items()}
    for tname, frame in frames.items():
        with atomic_path(staged(f"csv:{tname}", f"{tname}.csv")) as tmp:
            frame.to_csv(tmp)
    with (
        atomic_path(staged("xlsx", f"{name}.xlsx")) as tmp,
        pd.ExcelWriter(tmp, engine="openpyxl") as writer,
    ):
        for tname, frame in frames.items():
            frame.to_excel(writer, sheet_name=tname)
