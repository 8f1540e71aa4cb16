"""The batch run: plan the jobs, render them in parallel, publish each, then the index."""

from __future__ import annotations

import re
import shutil
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from alignlib import paths
from alignlib.batch.index import write_index
from alignlib.batch.jobs import REPORTS, ReportJob, ReportSpec
from alignlib.batch.publish import (
    ReportResult,
    finalize_report,
    new_staging,
    remove_stale_staging,
)
from alignlib.batch.render import KERNEL_NAME, ensure_kernel, one_line, render_all
from alignlib.batch.snapshots import compute_snapshots, publish_snapshot
from alignlib.errors import AlignError, InputError
from alignlib.params import load_params


@dataclass(frozen=True)
class BatchResult:
    """Every report of a batch run and where the index is.

    Attributes
    ----------
    results : tuple of ReportResult
        One per job, in the order of the jobs.
    index_paths : tuple of Path
        The index page of each quarter.
    seconds : float
        Wall time of the run.
    """

    results: tuple[ReportResult, ...]
    index_paths: tuple[Path, ...]
    seconds: float

    @property
    def failed(self) -> tuple[ReportResult, ...]:
        """The reports that failed."""
        return tuple(r for r in self.results if r.status != "ok")

    @property
    def ok(self) -> bool:
        """True when every report rendered."""
        return not self.failed

    def summary(self) -> str:
        """A few lines for the terminal: counts, then one line per failure.

        Returns
        -------
        str
            The lines, joined.
        """
        n_ok = len(self.results) - len(self.failed)
        lines = [f"{n_ok} of {len(self.results)} reports rendered in {self.seconds:.1f} s"]
        lines += [f"  FAILED {r.key}: {r.error}" for r in self.failed]
        lines += [f"  index: {p}" for p in self.index_paths]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The run as plain JSON values (``alignlib run --json``).

        Returns
        -------
        dict
            ``ok``, ``seconds``, ``index`` and one entry per report.
        """
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "index": [str(p) for p in self.index_paths],
            "reports": [r.to_dict() for r in self.results],
        }


# --------------------------------------------------------------------------------------
# Planning the jobs
# --------------------------------------------------------------------------------------


def _quarter_segment(path: Path) -> tuple[str, str, str | None]:
    """Quarter and segment of a parameters file, and the error if it is invalid.

    An invalid file still gets a quarter and segment (from its raw keys or its name),
    so that its reports can be listed as failed in the right place.
    """
    try:
        p = load_params(path)
        return str(p.quarter), str(p.segment), None
    except AlignError as exc:
        error = " ".join(str(exc).split())
    except Exception as exc:
        error = one_line(exc)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        raw = {}
    if not isinstance(raw, dict):
        raw = {}
    # these become folder names: a value that could leave the outputs folder ("../x",
    # "a/b") or hide in it (".x") is not taken from a file that failed validation
    quarter = next(
        (q for q in (raw.get("quarter"), _quarter_from_name(path.stem)) if _is_quarter(q)),
        "unknown",
    )
    segment = next(
        (s for s in (raw.get("segment"), _segment_from_name(path.stem)) if _is_folder_name(s)),
        "unknown",
    )
    return str(quarter), str(segment), error


def _is_quarter(value: Any) -> bool:
    """A quarter label like ``2026Q4``."""
    return isinstance(value, str) and re.fullmatch(r"\d{4}Q[1-4]", value) is not None


def _is_folder_name(value: Any) -> bool:
    """A segment label that is one plain folder name (no path, not hidden, not ``..``)."""
    return (
        isinstance(value, str)
        and re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}", value) is not None
    )


def _quarter_from_name(stem: str) -> str | None:
    """``2026Q4`` from a file stem such as ``2026Q4-emea``."""
    m = re.match(r"(\d{4}Q[1-4])", stem)
    return m.group(1) if m else None


def _segment_from_name(stem: str) -> str:
    """``emea`` from ``2026Q4-emea``; ``all`` when the stem is only the quarter."""
    q = _quarter_from_name(stem)
    rest = stem[len(q) :].lstrip("-_") if q else stem
    return rest or "all"


def plan_jobs(
    params_paths: Sequence[str | Path],
    *,
    reports: Sequence[ReportSpec] = REPORTS,
    quarter: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> list[ReportJob]:
    """Every (parameters file x report) job of a batch.

    Parameters
    ----------
    params_paths : sequence of path
        Parameters files; empty means every ``params/<quarter>*.yaml``.
    reports : sequence of ReportSpec
        Reports to render for each file.
    quarter : str, optional
        Only files of this quarter (an error if a named file is of another one).
    parameters : mapping, optional
        Extra notebook parameters (e.g. ``trials``); each notebook receives those it
        declares, plus ``params_path`` and ``interactive=False``.

    Returns
    -------
    list of ReportJob
        File by file, report by report.

    Raises
    ------
    InputError
        For a missing file, a file of another quarter, or two files for one segment.
    """
    if not params_paths:
        q = quarter or paths.DEFAULT_QUARTER
        params_paths = sorted(paths.PARAMS_DIR.glob(f"{q}*.yaml"))
        if not params_paths:
            raise InputError(f"no parameters files for quarter {q} in {paths.PARAMS_DIR}")
    jobs: list[ReportJob] = []
    seen: dict[tuple[str, str], Path] = {}
    for raw_path in params_paths:
        path = Path(raw_path).resolve()
        if not path.exists():
            raise InputError(f"{raw_path}: parameters file not found")
        q, segment, error = _quarter_segment(path)
        if error is None and not _is_folder_name(segment):
            raise InputError(
                f"{raw_path}: segment {segment!r} cannot be a folder name; use letters, "
                "digits, '_', '-' or '.' (not first)"
            )
        if quarter and q != quarter and error is None:
            raise InputError(f"{raw_path}: is for quarter {q}, not --quarter {quarter}")
        if (q, segment) in seen:
            raise InputError(
                f"{raw_path}: quarter {q} segment {segment!r} is also in {seen[(q, segment)]}; "
                "give each segment its own `segment:` label"
            )
        seen[(q, segment)] = path
        for spec in reports:
            params = {"params_path": str(path), "interactive": False, **(parameters or {})}
            jobs.append(ReportJob(spec, q, segment, path, params, setup_error=error))
    return jobs


# --------------------------------------------------------------------------------------
# The batch
# --------------------------------------------------------------------------------------


def run_batch(
    params_paths: Sequence[str | Path] = (),
    *,
    out_dir: str | Path | None = None,
    quarter: str | None = None,
    workers: int | None = None,
    scheduler: str | Any | None = None,
    trials: int | None = None,
    reports: Sequence[ReportSpec] = REPORTS,
    parameters: Mapping[str, Any] | None = None,
    kernel_name: str = KERNEL_NAME,
    progress: bool = True,
    debug: bool = False,
) -> BatchResult:
    """Render every report for every parameters file, in parallel and fault-tolerant.

    Parameters
    ----------
    params_paths : sequence of path
        Parameters files (one per segment); empty means the quarter's files in ``params/``.
    out_dir : path, optional
        Outputs root (default ``alignlib.paths.outputs_dir()``).
    quarter : str, optional
        Restrict to / check this quarter.
    workers : int, optional
        Reports rendered at once (default: the number of cores). Each runs in its own
        kernel process; threads drive them.
    scheduler : str or distributed.Client, optional
        A dask.distributed scheduler address (``tcp://host:8786``) or client: reports
        are rendered on its workers (which must see the same notebooks, parameters
        and data paths) and written here.
    trials : int, optional
        Monte Carlo trials injected into every notebook that has a ``trials`` parameter.
    reports : sequence of ReportSpec
        Which notebooks to render (default the three quarterly reports).
    parameters : mapping, optional
        More notebook parameters to inject.
    kernel_name : str
        Kernel to use; checked (and installed if missing) by :func:`ensure_kernel`.
    progress : bool
        Show a tqdm progress bar on standard error.
    debug : bool
        Keep the messages and tracebacks of failures that are not ours in the failed
        notebooks and pages (they may quote rows of the export: for a local look only).
        Without it they are withheld; the index, summaries and terminal never show them.

    Returns
    -------
    BatchResult
        One result per report; ``.ok`` is False when any failed.

    Raises
    ------
    InputError
        For bad arguments or parameters files that cannot be planned (see :func:`plan_jobs`).
    """
    if isinstance(scheduler, str):
        # Connected before any work: an address that does not answer is one line at once
        # (the address, how long it tried and why), not an OSError after the snapshots.
        from alignlib.simulation.engine import connect_scheduler

        client = connect_scheduler(scheduler)
        try:
            return run_batch(
                params_paths,
                out_dir=out_dir,
                quarter=quarter,
                workers=workers,
                scheduler=client,
                trials=trials,
                reports=reports,
                parameters=parameters,
                kernel_name=kernel_name,
                progress=progress,
                debug=debug,
            )
        finally:
            client.close()
    from tqdm.auto import tqdm

    start = time.perf_counter()
    # absolute now: nothing below may depend on the process's working directory
    out_root = (Path(out_dir) if out_dir is not None else paths.outputs_dir()).resolve()
    extra = dict(parameters or {})
    if trials is not None:
        if trials < 1:
            raise InputError(f"--trials must be at least 1, got {trials}")
        extra["trials"] = int(trials)
    jobs = plan_jobs(params_paths, reports=reports, quarter=quarter, parameters=extra)
    kernel = ensure_kernel(kernel_name) if scheduler is None else kernel_name
    run_id = f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    quarters = list(dict.fromkeys(job.quarter for job in jobs))
    stagings: dict[str, Path] = {}
    for q in quarters:
        remove_stale_staging(out_root / q)
        stagings[q] = new_staging(out_root / q, run_id)
    # One snapshot per parameters file, before any page renders: every report of the
    # segment renders from it. (On a dask cluster the workers may not see this machine's
    # staging folder: each notebook then computes the same snapshot from its file.)
    snapshot_dirs: dict[tuple[str, str], Path] = {}
    if scheduler is None:
        jobs, snapshot_dirs = _with_snapshots(
            jobs, stagings, trials=trials, parameters=extra, workers=workers
        )
    results: list[ReportResult] = []
    # Inside the CLI, stderr escapes control characters; the bar's own "\r" goes to the
    # terminal itself (``raw``): it prints counts and report names, never file values.
    bar = tqdm(
        total=len(jobs),
        desc="reports",
        unit="report",
        disable=not progress,
        file=getattr(sys.stderr, "raw", sys.stderr),
    )
    try:
        for job, rendered in render_all(
            jobs, kernel, workers=workers, scheduler=scheduler, debug=debug
        ):
            try:
                result = finalize_report(
                    job,
                    rendered,
                    out_root / job.quarter,
                    stagings[job.quarter],
                    params_file=str(job.params_path) if job.params_path else None,
                )
            except OSError as exc:
                result = ReportResult(
                    key=job.key,
                    report=job.report.name,
                    quarter=job.quarter,
                    segment=job.segment,
                    status="failed",
                    error=f"could not write outputs: {one_line(exc)}",
                    files={},
                    headline=rendered.headline,
                    seconds=rendered.seconds,
                )
            results.append(result)
            bar.update(1)
            if result.status != "ok":
                bar.write(f"failed: {result.key}: {result.error}", file=sys.stderr)
        # a segment's snapshot is published beside its pages once any of them rendered
        rendered_segments = {(r.quarter, r.segment) for r in results if r.status == "ok"}
        for (q, segment), folder in snapshot_dirs.items():
            if (q, segment) in rendered_segments:
                publish_snapshot(folder, out_root / q / segment)
    finally:
        bar.close()
        for staging in stagings.values():
            shutil.rmtree(staging, ignore_errors=True)
    order = {job.key: i for i, job in enumerate(jobs)}
    results.sort(key=lambda r: order[r.key])
    index_paths = tuple(write_index(out_root / q, q) for q in quarters)
    return BatchResult(tuple(results), index_paths, time.perf_counter() - start)


def _with_snapshots(
    jobs: list[ReportJob],
    stagings: Mapping[str, Path],
    *,
    trials: int | None,
    parameters: Mapping[str, Any],
    workers: int | None,
) -> tuple[list[ReportJob], dict[tuple[str, str], Path]]:
    """Compute each parameters file's snapshot once and point its jobs at it.

    A file whose snapshot cannot be computed fails its reports with that one error
    (they would each hit it again); the other files' reports are unaffected.

    Returns
    -------
    tuple
        The jobs (with ``snapshot_path`` or a setup error) and (quarter, segment) -> the
        staged snapshot of each file computed.
    """
    files: dict[Path, Path] = {}
    segments: dict[Path, tuple[str, str]] = {}
    for job in jobs:
        if job.setup_error is None and job.params_path is not None:
            files.setdefault(job.params_path, stagings[job.quarter] / "_snapshots" / job.segment)
            segments.setdefault(job.params_path, (job.quarter, job.segment))
    if not files:
        return jobs, {}
    week = parameters.get("week_ending")
    outcomes = compute_snapshots(
        list(files),
        files,
        trials=trials,
        week_ending=str(week) if week else None,
        workers=workers,
    )
    out = []
    for job in jobs:
        outcome = outcomes.get(job.params_path) if job.params_path else None
        if outcome is None:
            out.append(job)
        elif outcome.error is not None:
            out.append(replace(job, setup_error=outcome.error))
        else:
            out.append(
                replace(job, parameters={**job.parameters, "snapshot_path": str(outcome.folder)})
            )
    ok = {segments[path]: o.folder for path, o in outcomes.items() if o.error is None}
    return out, ok
