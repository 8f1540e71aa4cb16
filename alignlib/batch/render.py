"""Rendering reports: papermill runs in a kernel, locally in threads or on a dask cluster.

Rendering happens in memory (the executed notebook, its HTML page and its records), so a
result can cross processes; :mod:`alignlib.batch.publish` writes it. A failing notebook is
a result too, never an exception: papermill's cell error is described from its fields.

Personal data never rides along with a failure. The index, the JSON summary and the
terminal show only the exception's type and cell; the message too for our own errors
(:class:`~alignlib.errors.AlignError`, raised by alignlib and written without row
content). Any other exception (a parser's, a library's) may quote a row of the export,
so its message and traceback are withheld from the saved failed notebook and page as
well, unless the run asks for them (``--debug``, for a local look). E-mail addresses are
removed from every error and stream output as a last line of defence.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignlib.batch.email import email_page
from alignlib.batch.html import export_html
from alignlib.batch.jobs import ReportJob
from alignlib.batch.record import read_records
from alignlib.errors import InputError

if TYPE_CHECKING:  # papermill is imported when a report runs, not by notebooks recording
    from papermill.exceptions import PapermillExecutionError

#: Kernel the reports run in (``make setup`` installs it into the venv).
KERNEL_NAME = "alignlib"

#: Longest error line kept in results, summaries and the index.
_MAX_ERROR = 300

#: Said instead of the message of an exception that may quote a row of the data.
WITHHELD = (
    "details withheld: they may contain data from the export; "
    "rerun with --debug to see them locally"
)

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# a traceback frame as IPython writes it: `File /x/alignlib/y.py:12, in f(...)` or `Cell In[3], line 2`
_FRAME = re.compile(r"^\s*(?:File\s+(?P<file>.+?):\d+, in |Cell\s+In\s*\[)", re.M)


# --------------------------------------------------------------------------------------
# Failures
# --------------------------------------------------------------------------------------


def _squash(text: str) -> str:
    """One line of at most ``_MAX_ERROR`` characters."""
    line = " ".join(text.split())
    return line[:_MAX_ERROR] + ("..." if len(line) > _MAX_ERROR else "")


def redact(text: str) -> str:
    """``text`` with anything that looks like an e-mail address replaced.

    A last line of defence for messages from code we do not control; names cannot be
    recognised this way, which is why such messages are withheld in the first place.

    Parameters
    ----------
    text : str
        Any message.

    Returns
    -------
    str
        The message, each address replaced by ``<e-mail withheld>``.
    """
    return _EMAIL.sub("<e-mail withheld>", text)


def one_line(exc: BaseException) -> str:
    """A one-line summary of an exception of the runner: its type and message.

    Parameters
    ----------
    exc : BaseException
        Any exception.

    Returns
    -------
    str
        ``"<Type>: <message>"`` on one line, e-mail addresses removed, shortened to 300
        characters.
    """
    return _squash(redact(f"{type(exc).__name__}: {exc}"))


def own_error_names() -> frozenset[str]:
    """Names of :class:`~alignlib.errors.AlignError` and its subclasses (known so far).

    Returns
    -------
    frozenset of str
        Class names; subclasses belong in :mod:`alignlib.errors`, so they are all known.
    """
    from alignlib.errors import AlignError

    names: set[str] = set()
    todo: list[type] = [AlignError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return frozenset(names)


def is_own_error(ename: str, traceback_lines: Sequence[str]) -> bool:
    """Whether a kernel's error is one of ours, whose message is free of row content.

    The kernel reports only the class name, so a name is trusted only when the
    traceback's last frame (where it was raised) is in alignlib's code:
    ``pandas.errors.DataError`` is not our ``DataError``, and an error raised in a
    notebook cell itself is not trusted either.

    Parameters
    ----------
    ename : str
        The exception's class name.
    traceback_lines : sequence of str
        The traceback as the kernel sent it (ANSI colours allowed).

    Returns
    -------
    bool
        True for an :class:`~alignlib.errors.AlignError` raised by alignlib.
    """
    if ename not in own_error_names():
        return False
    frames = list(_FRAME.finditer(_ANSI.sub("", "\n".join(traceback_lines))))
    if not frames:
        return False
    file = frames[-1].group("file")
    return file is not None and "/alignlib/" in file.replace("\\", "/")


@dataclass(frozen=True)
class CellFailure:
    """The notebook cell that failed, from papermill's :class:`PapermillExecutionError`.

    Attributes
    ----------
    ename : str
        The exception's type name, as the kernel reported it.
    evalue : str
        Its message for our own errors (:func:`is_own_error`); empty when withheld.
    cell_index : int or None
        Position of the cell in the notebook as executed (0-based; the saved notebook
        has papermill's two error-notice cells inserted above it).
    exec_count : int or None
        Its execution count (the ``In [n]`` a reader sees).
    source : str
        The cell's code.
    withheld : bool
        The message was withheld (not one of our errors: it may quote the data).
    """

    ename: str
    evalue: str
    cell_index: int | None
    exec_count: int | None
    source: str
    withheld: bool = False

    @classmethod
    def from_error(cls, exc: PapermillExecutionError) -> CellFailure:
        """Read the fields of papermill's error, keeping the message only if it is ours.

        Parameters
        ----------
        exc : PapermillExecutionError
            What ``papermill.execute_notebook`` raised.

        Returns
        -------
        CellFailure
            The same facts, typed, without a message that could carry personal data.
        """
        ename = str(exc.ename or "Error")
        own = is_own_error(ename, exc.traceback or [])
        return cls(
            ename=ename,
            evalue=redact(str(exc.evalue or "")) if own else "",
            cell_index=exc.cell_index,
            exec_count=exc.exec_count,
            source=str(exc.source or ""),
            withheld=not own,
        )

    def summary(self) -> str:
        """One line for the terminal and the index: ``InputError: message (cell 7)``.

        Returns
        -------
        str
            The error on one line, with the execution count of the cell when known;
            for an error that is not ours, its type and "see the failed notebook".
        """
        text = f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        if self.exec_count is not None:
            text += f" (cell {self.exec_count})"
        if self.withheld:
            text += "; details withheld (they may quote the data): see the failed notebook"
        return _squash(text)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain mapping, for the report's JSON summary.

        Returns
        -------
        dict
            ``ename``, ``evalue``, ``cell_index``, ``exec_count`` and ``source``.
        """
        return asdict(self)


def withhold_details(nb: Any) -> Any:
    """Remove what may quote the data from a failed notebook's error and stream outputs.

    A reader gets no traceback: an error of ours (:func:`is_own_error`) keeps its type
    and message, written for users (the exceptions chained before it, whose messages may
    quote a row, go with the frames); any other error keeps only its type, with
    :data:`WITHHELD` as its message.
    Standard error output is dropped (the page never shows it, and a warning may quote
    a value) and e-mail addresses are removed from every other output of text.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook; changed in place.

    Returns
    -------
    nbformat.NotebookNode
        The same notebook.
    """
    for cell in nb.cells:
        if "outputs" not in cell:
            continue
        # the page never shows standard error, and warnings there may quote a value
        cell["outputs"] = [
            o
            for o in cell["outputs"]
            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
        ]
        for out in cell["outputs"]:
            if out.get("output_type") == "stream":
                out["text"] = redact(str(out.get("text", "")))
            elif out.get("output_type") == "error":
                ename = str(out.get("ename") or "Error")
                lines = [str(t) for t in out.get("traceback", [])]
                if is_own_error(ename, lines):
                    out["evalue"] = redact(str(out.get("evalue", "")))
                    out["traceback"] = [f"{ename}: {out['evalue']}"]
                else:
                    out["evalue"] = WITHHELD
                    out["traceback"] = [f"{ename}: {WITHHELD}"]
    return nb


@dataclass(frozen=True)
class RenderedReport:
    """What rendering one report produced (all in memory, so it can cross processes).

    Attributes
    ----------
    ok : bool
        The notebook ran and its page was exported.
    error : str or None
        One-line description of what went wrong.
    notebook_json : str or None
        The executed notebook (kept for a failed run too, with the error cell).
    html : str or None
        The exported page.
    headline, tables : dict
        What the notebook recorded (see :mod:`alignlib.batch.record`).
    parameters : dict
        The parameters the notebook ran with.
    seconds : float
        Wall time.
    failure : CellFailure or None
        The failing cell, when the notebook raised.
    email : str or None
        The e-mail version (:func:`alignlib.batch.email.email_page`), for reports that
        have one.
    """

    ok: bool
    error: str | None
    notebook_json: str | None
    html: str | None
    headline: dict[str, Any]
    tables: dict[str, dict[str, Any]]
    parameters: dict[str, Any]
    seconds: float
    failure: CellFailure | None = None
    email: str | None = None

    @classmethod
    def failed(cls, error: str, parameters: dict[str, Any], seconds: float = 0.0) -> RenderedReport:
        """A report that produced nothing but an error.

        Parameters
        ----------
        error : str
            One-line description.
        parameters : dict
            The parameters it was given.
        seconds : float
            Time spent.

        Returns
        -------
        RenderedReport
            ``ok=False`` with no notebook, page or records.
        """
        return cls(False, error, None, None, {}, {}, parameters, seconds)


# --------------------------------------------------------------------------------------
# Kernel
# --------------------------------------------------------------------------------------


def ensure_kernel(name: str = KERNEL_NAME, *, log: Callable[[str], None] | None = None) -> str:
    """Return a kernel name that will start this project's Python.

    Uses the kernelspec ``name`` when it exists and its interpreter is present;
    otherwise installs one pointing at ``sys.executable`` into ``sys.prefix``
    (what ``make setup`` does), and if that is impossible falls back to ``python3``
    with a message.

    Parameters
    ----------
    name : str
        Kernel name to use (default ``alignlib``).
    log : callable, optional
        Where to send the message (default: standard error).

    Returns
    -------
    str
        The kernel name to pass to papermill.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    say = log or (lambda msg: print(msg, file=sys.stderr))
    ksm = KernelSpecManager()
    try:
        spec = ksm.get_kernel_spec(name)
        exe = spec.argv[0] if spec.argv else ""
        if Path(exe).exists() or shutil.which(exe):
            return name
        reason = f"its interpreter {exe!r} does not exist"
    except NoSuchKernel:
        reason = "it is not installed"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spec_json = {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": f"{name} ({Path(sys.prefix).name})",
                "language": "python",
            }
            Path(tmp, "kernel.json").write_text(json.dumps(spec_json, indent=1))
            ksm.install_kernel_spec(tmp, kernel_name=name, prefix=sys.prefix)
        say(f"note: kernel {name!r} was missing ({reason}); installed it for {sys.executable}")
        return name
    except OSError as exc:
        say(
            f"warning: kernel {name!r} is unusable ({reason}) and could not be installed "
            f"({exc}); using 'python3'. Run `make setup` to install it."
        )
        return "python3"


# --------------------------------------------------------------------------------------
# Rendering one report (runs in a worker thread or on a dask worker)
# --------------------------------------------------------------------------------------


def declared_parameters(notebook: Path) -> set[str]:
    """Names assigned in a notebook's ``parameters`` cell (the ones papermill may inject).

    A plain scan of ``name = ...`` / ``name: type = ...`` lines: papermill's own
    inspector skips lines with a second ``=`` (e.g. in a comment).

    Parameters
    ----------
    notebook : Path
        The source notebook.

    Returns
    -------
    set of str
        The parameter names.
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    names: set[str] = set()
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            for line in cell.source.splitlines():
                m = re.match(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=", line)
                if m:
                    names.add(m.group(1))
    return names


def render_report(
    job: ReportJob, kernel_name: str = KERNEL_NAME, *, debug: bool = False
) -> RenderedReport:
    """Execute one report notebook and export it to HTML, in memory.

    Never raises for a failing notebook: the result says ``ok=False`` with a
    one-line error and keeps the executed notebook (with papermill's error cell).

    Parameters
    ----------
    job : ReportJob
        What to render.
    kernel_name : str
        Jupyter kernel to run it in.
    debug : bool
        Keep the full messages and tracebacks of a failure in the saved notebook and
        page (they may quote the data: for a local look, not a shared folder). The
        one-line error never has them.

    Returns
    -------
    RenderedReport
        The notebook, page and records, or what failed.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    if job.setup_error:
        return RenderedReport.failed(job.setup_error, job.parameters)
    tmp = tempfile.mkdtemp(prefix="alignlib-render-")
    out_nb = Path(tmp) / f"{job.report.name}.ipynb"
    error: str | None = None
    failure: CellFailure | None = None
    try:
        declared = declared_parameters(job.report.notebook)
        params = {k: v for k, v in job.parameters.items() if k in declared}
        pm.execute_notebook(
            str(job.report.notebook),
            str(out_nb),
            parameters=params,
            kernel_name=kernel_name,
            progress_bar=False,
            request_save_on_cell_execute=False,
            # no `cwd=`: papermill implements it with a process-wide chdir, which races
            # between threads; the batch injects absolute paths instead
            # The kernel's own log is noise in a batch log: its start-up chatter (the TCP
            # notice), and "KeyboardInterrupt caught in kernel", which jupyter_client causes
            # by interrupting every kernel before it asks it to shut down. A failing cell
            # or a dead kernel still reaches the batch through papermill, not this log.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except PapermillExecutionError as exc:
        failure = CellFailure.from_error(exc)
        error = failure.summary()
        params = dict(job.parameters)
    except Exception as exc:
        error = one_line(exc)
        params = dict(job.parameters)
    try:
        if not out_nb.exists():
            return RenderedReport.failed(
                error or "no notebook written", params, time.perf_counter() - start
            )
        nb = nbformat.read(out_nb, as_version=4)
        if not debug:
            withhold_details(nb)
        params = dict(nb.metadata.get("papermill", {}).get("parameters", params))
        headline, tables = read_records(nb)
        email = None
        try:
            page = export_html(
                nb,
                title=job.report.title,
                subtitle=job.subtitle,
                failed=bool(error),
                stylesheets=job.report.stylesheets,
            )
            if job.report.email and not error:
                email = email_page(nb, title=job.report.title, subtitle=job.subtitle)
        except Exception as exc:
            page = None
            error = error or f"HTML export failed: {one_line(exc)}"
        return RenderedReport(
            ok=error is None,
            error=error,
            notebook_json=nbformat.writes(nb),
            html=page,
            headline=headline,
            tables=tables,
            parameters=params,
            seconds=time.perf_counter() - start,
            failure=failure,
            email=email,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------
# Rendering many: threads or dask
# --------------------------------------------------------------------------------------


def render_all(
    jobs: Sequence[ReportJob],
    kernel: str,
    *,
    workers: int | None = None,
    scheduler: str | Any | None = None,
    debug: bool = False,
) -> Iterator[tuple[ReportJob, RenderedReport]]:
    """Render jobs in parallel, yielding each as it finishes.

    Parameters
    ----------
    jobs : sequence of ReportJob
        What to render.
    kernel : str
        Jupyter kernel name.
    workers : int, optional
        Reports rendered at once locally (default: the number of cores).
    scheduler : str or distributed.Client, optional
        Render on a dask.distributed cluster instead.
    debug : bool
        Keep failures' details in the saved notebooks (see :func:`render_report`).

    Yields
    ------
    tuple of (ReportJob, RenderedReport)
        In the order they finish; a crash becomes a failed report.

    Raises
    ------
    InputError
        When ``workers`` is below 1.
    """
    if scheduler is not None:
        yield from _render_dask(jobs, kernel, scheduler, debug)
        return
    n = workers or os.cpu_count() or 1
    if n < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    # Each papermill run starts its own kernel process, so threads are enough to
    # keep `n` kernels busy; the GIL only serialises the light bookkeeping.
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="alignlib-report") as pool:
        futures = {pool.submit(_render_safely, job, kernel, debug): job for job in jobs}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def _render_safely(job: ReportJob, kernel: str, debug: bool = False) -> RenderedReport:
    """render_report, turning any unexpected crash into a failed report."""
    try:
        return render_report(job, kernel, debug=debug)
    except Exception as exc:
        tb = traceback.format_exc(limit=3)
        return RenderedReport.failed(
            f"{one_line(exc)} [{redact(tb.splitlines()[-1]) if tb else ''}]", job.parameters
        )


def _render_on_worker(job: ReportJob, kernel: str, debug: bool = False) -> RenderedReport:
    """Entry point on a dask worker: make sure the kernel exists there, then render."""
    return _render_safely(job, ensure_kernel(kernel, log=lambda _msg: None), debug)


def _render_dask(
    jobs: Sequence[ReportJob], kernel: str, scheduler: str | Any, debug: bool = False
) -> Iterator[tuple[ReportJob, RenderedReport]]:
    """Render on a dask.distributed cluster (a client, or an address to connect to)."""
    from distributed import Client
    from distributed import as_completed as dask_completed

    from alignlib.simulation.engine import connect_scheduler

    own = not isinstance(scheduler, Client)
    client: Any = connect_scheduler(str(scheduler)) if own else scheduler
    try:
        futures = {
            client.submit(
                _render_on_worker,
                job,
                kernel,
                debug,
                key=f"alignlib-report-{uuid.uuid4().hex}",
                pure=False,
            ): job
            for job in jobs
        }
        for fut in dask_completed(futures):
            job = futures[fut]
            try:
                rendered = fut.result()
            except Exception as exc:
                rendered = RenderedReport.failed(
                    f"dask worker failed: {one_line(exc)}", job.parameters
                )
            yield job, rendered
    finally:
        if own:
            client.close()
