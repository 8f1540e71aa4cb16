"""The quarterly batch: render every report for every parameters file, safely and in parallel.

``run_batch`` executes the report notebooks with papermill (one kernel per report,
threads or a dask.distributed cluster driving them), exports self-contained HTML,
writes a JSON summary and the recorded tables (CSV and XLSX) per report, and an
index page per quarter. Notebooks talk back to the runner through
:func:`record_headline` and :func:`record_table`, which display a readable card or
table *and* attach the raw figures under a private MIME type that the runner reads
from the executed notebook (no side files, so it works on remote dask workers).

Layout of the outputs (``<out>/<quarter>/``)::

    index.html                              every report, status, headline figures, links
    <segment>/<report>.ipynb / .html        the last good rendering of the report
    <segment>/<report>.json                 its summary: headline figures + parameters
    <segment>/<table>.csv / <report>.xlsx   tables the report recorded (e.g. the plan)
    <segment>/<report>.failed.ipynb/.html   the executed notebook of a failed attempt
    <segment>/<report>.failed.json          what failed (removed by the next good run)

Atomicity: each report is rendered completely into a private staging folder
(``<out>/<quarter>/.staging-<id>/``, on the same file system) and its files are moved
into place with ``os.replace`` only after everything rendered; the JSON summary is
moved last, so a summary always describes files that are complete. A failed or
interrupted attempt never touches the good files of an earlier run: a failure is kept
beside them under ``<report>.failed.*``. The staging folder is deleted at the end
(an interrupted run may leave it behind; it is never read and is safe to delete).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alignlib import __version__, paths
from alignlib.errors import InputError

#: MIME types the runner reads back from executed notebooks.
HEADLINE_MIME = "application/vnd.alignlib.headline+json"
TABLE_MIME = "application/vnd.alignlib.table+json"

#: Kernel the reports run in (``make setup`` installs it into the venv).
KERNEL_NAME = "alignlib"

#: Headline figures the index page shows, in this order, with how to format them.
INDEX_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("target", "Target", "money"),
    ("p_hit", "P(hit target)", "pct"),
    ("required_leads", "Leads needed", "count"),
    ("budget", "Budget", "money"),
)


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
    """

    name: str
    title: str
    notebook: Path


#: The three quarterly reports, in the order the index lists them.
REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec("quarterly_plan", "Quarterly plan", paths.NOTEBOOKS_DIR / "quarterly_plan.ipynb"),
    ReportSpec(
        "experiment_analysis",
        "Experiment analysis",
        paths.NOTEBOOKS_DIR / "experiment_analysis.ipynb",
    ),
    ReportSpec("trend_report", "Trend report", paths.NOTEBOOKS_DIR / "trend_report.ipynb"),
)


# --------------------------------------------------------------------------------------
# Notebook side: what a report records for the runner
# --------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars, paths, dates and tuples to plain JSON values."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if hasattr(value, "item"):  # numpy scalar
        return _jsonable(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def record_headline(
    *,
    target: float | None = None,
    p_hit: float | None = None,
    required_leads: float | None = None,
    budget: float | None = None,
    currency: str = "USD",
    display: bool = True,
    **extra: Any,
) -> None:
    """Show a report's key figures as a card and record them for the batch runner.

    The runner reads the figures back from the executed notebook and puts them in
    the report's JSON summary and on the index page.

    Parameters
    ----------
    target : float, optional
        Bookings target of the quarter.
    p_hit : float, optional
        Probability (0-1) of reaching the target.
    required_leads : float, optional
        Leads the plan needs.
    budget : float, optional
        Marketing budget of the plan.
    currency : str
        ISO code used to format money.
    display : bool
        Show the card (default). ``False`` records silently.
    **extra
        More figures to record (numbers or short strings); shown on the card too.
    """
    from alignlib import display as disp

    figures = {
        "target": target,
        "p_hit": p_hit,
        "required_leads": required_leads,
        "budget": budget,
        **extra,
    }
    figures = {k: _jsonable(v) for k, v in figures.items() if v is not None}
    figures["currency"] = currency
    card = disp.key_figures_html(figures, currency=currency) if display else ""
    _publish({HEADLINE_MIME: figures, "text/html": card, "text/plain": ""})


def record_table(name: str, frame: Any, *, title: str | None = None) -> None:
    """Record a table for export as ``<name>.csv`` and a sheet of ``<report>.xlsx``.

    Nothing is shown: display the formatted table with :mod:`alignlib.display`.

    Parameters
    ----------
    name : str
        File stem of the CSV and the sheet name (letters, digits, ``_``, ``-``).
    frame : pandas.DataFrame
        The raw numbers (not formatted strings), index included.
    title : str, optional
        A longer description kept in the summary.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,31}", name):
        raise InputError(
            f"record_table: name {name!r} must be 1-31 letters, digits, '_' or '-' "
            "(it becomes a file name and a spreadsheet sheet name)"
        )
    payload = {
        "name": name,
        "title": title or name,
        "table": json.loads(frame.to_json(orient="table")),
    }
    _publish({TABLE_MIME: payload, "text/plain": ""})


def _publish(bundle: dict[str, Any]) -> None:
    """Display a raw MIME bundle when running in a kernel; do nothing otherwise."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    if get_ipython() is None:
        return
    display(bundle, raw=True)


def read_records(nb: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Headline figures and tables a notebook recorded (last headline wins).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook.

    Returns
    -------
    (dict, dict)
        The headline figures, and the tables by name (``{"title", "table"}``).
    """
    headline: dict[str, Any] = {}
    tables: dict[str, dict[str, Any]] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if HEADLINE_MIME in data:
                headline.update(data[HEADLINE_MIME])
            if TABLE_MIME in data:
                payload = data[TABLE_MIME]
                tables[payload["name"]] = payload
    return headline, tables


# --------------------------------------------------------------------------------------
# Jobs and results
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportJob:
    """One report to render for one parameters file."""

    report: ReportSpec
    quarter: str
    segment: str
    params_path: Path | None
    parameters: dict[str, Any] = field(default_factory=dict)
    setup_error: str | None = None  # the parameters file could not be read

    @property
    def key(self) -> str:
        return f"{self.quarter}/{self.segment}/{self.report.name}"


@dataclass(frozen=True)
class RenderedReport:
    """What rendering one report produced (all in memory, so it can cross processes)."""

    ok: bool
    error: str | None
    notebook_json: str | None
    html: str | None
    headline: dict[str, Any]
    tables: dict[str, dict[str, Any]]
    parameters: dict[str, Any]
    seconds: float


@dataclass(frozen=True)
class ReportResult:
    """The outcome of one report in a batch run.

    Attributes
    ----------
    key : str
        ``<quarter>/<segment>/<report>``.
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
        return asdict(self)


@dataclass(frozen=True)
class BatchResult:
    """Every report of a batch run and where the index is."""

    results: tuple[ReportResult, ...]
    index_paths: tuple[Path, ...]
    seconds: float

    @property
    def failed(self) -> tuple[ReportResult, ...]:
        return tuple(r for r in self.results if r.status != "ok")

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """A few lines for the terminal: counts, then one line per failure."""
        n_ok = len(self.results) - len(self.failed)
        lines = [f"{n_ok} of {len(self.results)} reports rendered in {self.seconds:.1f} s"]
        lines += [f"  FAILED {r.key}: {r.error}" for r in self.failed]
        lines += [f"  index: {p}" for p in self.index_paths]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "index": [str(p) for p in self.index_paths],
            "reports": [r.to_dict() for r in self.results],
        }


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


def _one_line(exc: BaseException) -> str:
    """A one-line summary of an exception, papermill's cell errors included."""
    ename = getattr(exc, "ename", None)
    evalue = getattr(exc, "evalue", None)
    if ename:
        text = f"{ename}: {evalue}" if evalue else str(ename)
        cell = getattr(exc, "exec_count", None)
        if cell is not None:
            text += f" (cell {cell})"
    else:
        text = f"{type(exc).__name__}: {exc}"
    first = " ".join(text.split())
    return first[:300] + ("..." if len(first) > 300 else "")


def render_report(job: ReportJob, kernel_name: str = KERNEL_NAME) -> RenderedReport:
    """Execute one report notebook and export it to HTML, in memory.

    Never raises for a failing notebook: the result says ``ok=False`` with a
    one-line error and keeps the executed notebook (with papermill's error cell).

    Parameters
    ----------
    job : ReportJob
        What to render.
    kernel_name : str
        Jupyter kernel to run it in.

    Returns
    -------
    RenderedReport
    """
    import nbformat
    import papermill as pm

    start = time.perf_counter()
    if job.setup_error:
        return RenderedReport(False, job.setup_error, None, None, {}, {}, job.parameters, 0.0)
    tmp = tempfile.mkdtemp(prefix="alignlib-render-")
    out_nb = Path(tmp) / f"{job.report.name}.ipynb"
    error: str | None = None
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
            # the kernel's start-up chatter (e.g. its TCP notice) is noise in a batch log
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except Exception as exc:
        error = _one_line(exc)
        params = dict(job.parameters)
    try:
        if not out_nb.exists():
            return RenderedReport(
                False,
                error or "no notebook written",
                None,
                None,
                {},
                {},
                params,
                time.perf_counter() - start,
            )
        nb = nbformat.read(out_nb, as_version=4)
        params = dict(nb.metadata.get("papermill", {}).get("parameters", params))
        headline, tables = read_records(nb)
        try:
            page = export_html(
                nb, title=job.report.title, subtitle=_subtitle(job), failed=bool(error)
            )
        except Exception as exc:
            page = None
            error = error or f"HTML export failed: {_one_line(exc)}"
        return RenderedReport(
            error is None,
            error,
            nbformat.writes(nb),
            page,
            headline,
            tables,
            params,
            time.perf_counter() - start,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def declared_parameters(notebook: Path) -> set[str]:
    """Names assigned in a notebook's ``parameters`` cell (the ones papermill may inject).

    A plain scan of ``name = ...`` / ``name: type = ...`` lines: papermill's own
    inspector skips lines with a second ``=`` (e.g. in a comment).
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


def _subtitle(job: ReportJob) -> str:
    segment = "all segments" if job.segment in ("all", "") else f"segment: {job.segment}"
    return f"{job.quarter} · {segment}"


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------

REPORT_CSS = """
:root { --al-ink: #1a202c; --al-muted: #4a5568; --al-line: #e2e8f0; --al-accent: #2b6cb0; }
body.jp-Notebook { background: #fff; }
main { max-width: 1040px; margin: 0 auto; padding: 0 28px 64px; }
body, .jp-RenderedHTMLCommon { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
  "DejaVu Sans", Arial, sans-serif; color: var(--al-ink); }
.jp-RenderedHTMLCommon { font-size: 15px; line-height: 1.55; }
.jp-RenderedHTMLCommon h2 { font-size: 1.45em; margin-top: 1.6em; padding-top: .4em;
  border-top: 1px solid var(--al-line); }
.jp-RenderedHTMLCommon h3 { font-size: 1.15em; margin-top: 1.2em; }
.jp-RenderedHTMLCommon table { font-size: 13.5px; border-collapse: collapse; margin: .5em 0 1em; }
.jp-RenderedHTMLCommon th { background: #f7fafc; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 4px 10px; text-align: left; }
.jp-RenderedHTMLCommon tbody tr:nth-child(odd) { background: #fbfdff; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
.jp-Cell { padding: 0; }
.jp-OutputPrompt, .jp-InputPrompt { display: none; }
header.al-header { border-bottom: 3px solid var(--al-accent); margin: 24px 0 12px; padding-bottom: 10px; }
header.al-header h1 { margin: 0; font-size: 2em; }
header.al-header p { margin: 4px 0 0; color: var(--al-muted); }
nav.al-toc { background: #f7fafc; border: 1px solid var(--al-line); border-radius: 6px;
  padding: 10px 18px; margin: 12px 0 20px; }
nav.al-toc h2 { font-size: 1em; margin: 0 0 4px; border: 0; padding: 0; }
nav.al-toc ol { margin: 0; padding-left: 20px; columns: 2; }
nav.al-toc a { color: var(--al-accent); text-decoration: none; }
.al-failed { background: #fff5f5; border: 1px solid #c53030; color: #742a2a; padding: 10px 14px;
  border-radius: 6px; }
@media print { nav.al-toc { display: none; } }
"""

_TEMPLATE = r"""
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style type="text/css">{{ resources.alignlib_css }}</style>{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
<header class="al-header"><h1>{{ resources.alignlib_title | e }}</h1>
<p>{{ resources.alignlib_subtitle | e }}</p></header>
<!--ALIGNLIB_TOC-->
{%- endblock body_header -%}
{%- block stream_stderr -%}{%- endblock stream_stderr -%}
{%- block data_png scoped -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
 alt="{{ ((output | get_metadata('alt', 'image/png')) or 'Chart') | escape_html }}">
</div>
{%- endblock data_png -%}
"""

_HEADING = re.compile(r"<h2\b[^>]*\bid=\"([^\"]+)\"[^>]*>(.*?)</h2>", re.S)


def export_html(nb: Any, *, title: str, subtitle: str = "", failed: bool = False) -> str:
    """Export an executed notebook to one self-contained HTML page for readers.

    Code is hidden, charts are embedded as data URIs, there is a title and a table
    of contents built from the level-2 headings, and no script or stylesheet is
    loaded from the network (nbconvert's require.js, MathJax, mermaid and widget
    loaders are removed), so the page opens offline without console errors.
    Cells tagged ``report-hide`` are left out (e.g. the notebook's own title).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.
    title, subtitle : str
        Page heading and the line below it.
    failed : bool
        Mark the page as the output of a failed run.

    Returns
    -------
    str
        The HTML page.
    """
    import copy

    import jinja2
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    # inputs are hidden, so a code cell without outputs would only leave a blank gap
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.get("outputs")]
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"alignlib_report.html.j2": _TEMPLATE})],
        template_file="alignlib_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"report-hide"}, enabled=True), enabled=True
    )
    page_title = f"{title} — {subtitle}" if subtitle else title
    if failed:
        page_title = f"FAILED: {page_title}"
    resources = {
        "metadata": {"name": page_title},
        "alignlib_title": title if not failed else f"{title} (failed run)",
        "alignlib_subtitle": subtitle,
        "alignlib_css": REPORT_CSS,
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return _insert_toc(body, failed=failed)


def _insert_toc(page: str, *, failed: bool = False) -> str:
    items = []
    for anchor, inner in _HEADING.findall(page):
        text = re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip()
        if text:
            items.append(f'<li><a href="#{anchor}">{text}</a></li>')
    toc = ""
    if failed:
        toc += (
            '<p class="al-failed">This report failed to render completely; the error is '
            "shown where it happened. The last good version, if any, is unchanged.</p>"
        )
    if items:
        toc += '<nav class="al-toc"><h2>Contents</h2><ol>' + "".join(items) + "</ol></nav>"
    return page.replace("<!--ALIGNLIB_TOC-->", toc, 1)


# --------------------------------------------------------------------------------------
# Writing outputs atomically
# --------------------------------------------------------------------------------------


def _write_text_atomic(path: Path, text: str) -> None:
    """Write a file through a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _table_frame(payload: dict[str, Any]) -> Any:
    import io

    import pandas as pd

    return pd.read_json(io.StringIO(json.dumps(payload["table"])), orient="table")


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
    rendered : RenderedReport
    quarter_dir : Path
        ``<out>/<quarter>``.
    staging : Path
        A folder on the same file system, private to this run.
    params_file : str, optional
        Shown in the summary.

    Returns
    -------
    ReportResult
    """
    name = job.report.name
    seg_dir = quarter_dir / job.segment
    stage = staging / job.segment / name
    stage.mkdir(parents=True, exist_ok=True)
    suffix = "" if rendered.ok else ".failed"
    files: dict[str, Path] = {}  # final path -> staged path, in move order
    moves: list[tuple[Path, Path]] = []

    def stage_text(kind: str, filename: str, text: str) -> None:
        staged = stage / filename
        staged.write_text(text, encoding="utf-8")
        files[kind] = seg_dir / filename
        moves.append((staged, seg_dir / filename))

    if rendered.notebook_json is not None:
        stage_text("notebook", f"{name}{suffix}.ipynb", rendered.notebook_json)
    if rendered.html is not None:
        stage_text("html", f"{name}{suffix}.html", rendered.html)
    if rendered.ok and rendered.tables:
        import pandas as pd

        xlsx = stage / f"{name}.xlsx"
        with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
            for tname, payload in rendered.tables.items():
                frame = _table_frame(payload)
                csv = stage / f"{tname}.csv"
                frame.to_csv(csv)
                files[f"csv:{tname}"] = seg_dir / csv.name
                moves.append((csv, seg_dir / csv.name))
                frame.to_excel(writer, sheet_name=tname)
        files["xlsx"] = seg_dir / xlsx.name
        moves.append((xlsx, seg_dir / xlsx.name))

    summary = {
        "report": name,
        "title": job.report.title,
        "quarter": job.quarter,
        "segment": job.segment,
        "status": "ok" if rendered.ok else "failed",
        "error": rendered.error,
        "params_file": params_file,
        "parameters": _jsonable(rendered.parameters),
        "headline": rendered.headline,
        "tables": {k: v.get("title", k) for k, v in rendered.tables.items()},
        "files": {k: p.name for k, p in files.items()},
        "rendered_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(rendered.seconds, 2),
        "alignlib_version": __version__,
    }
    summary_name = f"{name}{suffix}.json"
    summary["files"]["summary"] = summary_name
    stage_text("summary", summary_name, json.dumps(summary, indent=2, sort_keys=False))

    seg_dir.mkdir(parents=True, exist_ok=True)
    for staged, final in moves:  # the summary is last: it commits the report
        os.replace(staged, final)
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


# --------------------------------------------------------------------------------------
# Planning the jobs
# --------------------------------------------------------------------------------------


def _quarter_segment(path: Path) -> tuple[str, str, str | None]:
    """Quarter and segment of a parameters file, and the error if it is invalid."""
    from alignlib.errors import AlignError

    try:
        from alignlib.params import load_params
    except ImportError:  # the params module is not there yet: read the keys raw
        load_params = None
    if load_params is not None:
        try:
            p = load_params(path)
            return str(p.quarter), str(p.segment), None
        except AlignError as exc:
            error = " ".join(str(exc).split())
        except Exception as exc:
            error = _one_line(exc)
    else:
        error = None
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raw = {}
        error = error or f"{path}: cannot read: {_one_line(exc)}"
    if not isinstance(raw, dict):
        raw = {}
    quarter = str(raw.get("quarter") or _quarter_from_name(path.stem) or "unknown")
    segment = str(raw.get("segment") or _segment_from_name(path.stem))
    return quarter, segment, error


def _quarter_from_name(stem: str) -> str | None:
    m = re.match(r"(\d{4}Q[1-4])", stem)
    return m.group(1) if m else None


def _segment_from_name(stem: str) -> str:
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
) -> BatchResult:
    """Render every report for every parameters file, in parallel and fault-tolerant.

    Parameters
    ----------
    params_paths : sequence of path
        Parameters files (one per segment); empty means the quarter's files in ``params/``.
    out_dir : path, optional
        Outputs root (default ``alignlib.paths.OUTPUTS_DIR``).
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

    Returns
    -------
    BatchResult
        One result per report; ``.ok`` is False when any failed.
    """
    start = time.perf_counter()
    # absolute now: nothing below may depend on the process's working directory
    out_root = (Path(out_dir) if out_dir is not None else paths.OUTPUTS_DIR).resolve()
    extra = dict(parameters or {})
    if trials is not None:
        if trials < 1:
            raise InputError(f"--trials must be at least 1, got {trials}")
        extra["trials"] = int(trials)
    jobs = plan_jobs(params_paths, reports=reports, quarter=quarter, parameters=extra)
    kernel = ensure_kernel(kernel_name) if scheduler is None else kernel_name
    run_id = f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    stagings: dict[str, Path] = {}

    def staging_for(q: str) -> Path:
        if q not in stagings:
            stagings[q] = out_root / q / f".staging-{run_id}"
            stagings[q].mkdir(parents=True, exist_ok=True)
        return stagings[q]

    for q in dict.fromkeys(job.quarter for job in jobs):
        _remove_stale_staging(out_root / q)
        staging_for(q)
    results: list[ReportResult] = []
    bar = _progress(len(jobs), enabled=progress)
    try:
        for job, rendered in _render_all(jobs, kernel, workers=workers, scheduler=scheduler):
            try:
                result = finalize_report(
                    job,
                    rendered,
                    out_root / job.quarter,
                    staging_for(job.quarter),
                    params_file=str(job.params_path) if job.params_path else None,
                )
            except OSError as exc:
                result = ReportResult(
                    job.key,
                    job.report.name,
                    job.quarter,
                    job.segment,
                    "failed",
                    f"could not write outputs: {_one_line(exc)}",
                    {},
                    rendered.headline,
                    rendered.seconds,
                )
            results.append(result)
            bar.update(1)
            if result.status != "ok":
                bar.write(f"failed: {result.key}: {result.error}", file=sys.stderr)
    finally:
        bar.close()
        for st in stagings.values():
            shutil.rmtree(st, ignore_errors=True)
    order = {job.key: i for i, job in enumerate(jobs)}
    results.sort(key=lambda r: order[r.key])
    index_paths = tuple(
        write_index(out_root / q, q) for q in dict.fromkeys(job.quarter for job in jobs)
    )
    return BatchResult(tuple(results), index_paths, time.perf_counter() - start)


def _remove_stale_staging(quarter_dir: Path, max_age_hours: float = 12.0) -> None:
    """Delete staging folders that interrupted runs left behind (older than ``max_age_hours``).

    Young ones may belong to a run still in progress, so they are left alone.
    """
    if not quarter_dir.exists():
        return
    cutoff = time.time() - max_age_hours * 3600
    for old in quarter_dir.glob(".staging-*"):
        try:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue


def _progress(total: int, *, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="reports", unit="report", disable=not enabled, file=sys.stderr)


def _render_all(
    jobs: Sequence[ReportJob],
    kernel: str,
    *,
    workers: int | None,
    scheduler: str | Any | None,
) -> Iterable[tuple[ReportJob, RenderedReport]]:
    """Yield (job, rendered) as reports finish, locally with threads or on dask."""
    if scheduler is not None:
        yield from _render_dask(jobs, kernel, scheduler)
        return
    n = workers or os.cpu_count() or 1
    if n < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    # Each papermill run starts its own kernel process, so threads are enough to
    # keep `n` kernels busy; the GIL only serialises the light bookkeeping.
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="alignlib-report") as pool:
        futures = {pool.submit(_render_safely, job, kernel): job for job in jobs}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def _render_safely(job: ReportJob, kernel: str) -> RenderedReport:
    """render_report, turning any unexpected crash into a failed report."""
    try:
        return render_report(job, kernel)
    except Exception as exc:
        tb = traceback.format_exc(limit=3)
        return RenderedReport(
            False,
            f"{_one_line(exc)} [{tb.splitlines()[-1] if tb else ''}]",
            None,
            None,
            {},
            {},
            job.parameters,
            0.0,
        )


def _render_on_worker(job: ReportJob, kernel: str) -> RenderedReport:
    """Entry point on a dask worker: make sure the kernel exists there, then render."""
    return _render_safely(job, ensure_kernel(kernel, log=lambda _msg: None))


def _render_dask(
    jobs: Sequence[ReportJob], kernel: str, scheduler: str | Any
) -> Iterable[tuple[ReportJob, RenderedReport]]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        futures = {
            client.submit(
                _render_on_worker,
                job,
                kernel,
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
                rendered = RenderedReport(
                    False,
                    f"dask worker failed: {_one_line(exc)}",
                    None,
                    None,
                    {},
                    {},
                    job.parameters,
                    0.0,
                )
            yield job, rendered
    finally:
        if own:
            client.close()


# --------------------------------------------------------------------------------------
# Index page
# --------------------------------------------------------------------------------------


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def collect_summaries(quarter_dir: Path) -> list[dict[str, Any]]:
    """The state of every report under a quarter folder, from the summaries on disk.

    A report whose last attempt failed is listed as failed (with a link to the last
    good version when there is one).

    Parameters
    ----------
    quarter_dir : Path
        ``<out>/<quarter>``.

    Returns
    -------
    list of dict
        One summary per (segment, report), with ``last_good`` for failed ones.
    """
    order = {spec.name: i for i, spec in enumerate(REPORTS)}
    entries: list[dict[str, Any]] = []
    if not quarter_dir.exists():
        return entries
    for seg_dir in sorted(
        p for p in quarter_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
    ):
        names = {
            p.name.removesuffix(".failed.json").removesuffix(".json")
            for p in seg_dir.glob("*.json")
        }
        for name in names:
            good = _read_json(seg_dir / f"{name}.json")
            failed = _read_json(seg_dir / f"{name}.failed.json")
            entry = failed or good
            if entry is None or "report" not in entry:
                continue
            entry = dict(entry, segment=entry.get("segment", seg_dir.name), _dir=seg_dir.name)
            if failed is not None and good is not None:
                entry["last_good"] = good
            entries.append(entry)
    entries.sort(
        key=lambda e: (e["segment"] != "all", e["segment"], order.get(e["report"], 99), e["report"])
    )
    return entries


def write_index(quarter_dir: Path, quarter: str) -> Path:
    """Write ``<quarter_dir>/index.html`` listing every report found there.

    Parameters
    ----------
    quarter_dir : Path
        ``<out>/<quarter>``.
    quarter : str
        The quarter label for the title.

    Returns
    -------
    Path
        The index file.
    """
    from alignlib import display as disp

    entries = collect_summaries(quarter_dir)
    rows = []
    for e in entries:
        seg = e["_dir"]
        currency = (e.get("headline") or {}).get("currency", "USD")
        failed = e.get("status") != "ok"
        name = e["report"]
        page = f"{seg}/{name}{'.failed' if failed else ''}.html"
        links = [f'<a href="{html.escape(page)}"><b>{html.escape(e.get("title", name))}</b></a>']
        files = e.get("files", {})
        extras = []
        if "notebook" in files:
            extras.append(f'<a href="{seg}/{html.escape(files["notebook"])}">notebook</a>')
        if "summary" in files:
            extras.append(f'<a href="{seg}/{html.escape(files["summary"])}">JSON</a>')
        for kind, fname in files.items():
            if kind.startswith("csv:") or kind == "xlsx":
                extras.append(f'<a href="{seg}/{html.escape(fname)}">{html.escape(fname)}</a>')
        if failed and e.get("last_good"):
            extras.append(f'<a href="{seg}/{name}.html">last good version</a>')
        if failed:
            status = (
                '<span class="bad">failed</span><div class="err">'
                + html.escape(e.get("error") or "unknown error")
                + "</div>"
            )
        else:
            status = '<span class="ok">ok</span>'
        head = e.get("headline") or {}
        cells = []
        for key, _label, kind in INDEX_FIGURES:
            v = head.get(key)
            cells.append(
                f'<td class="num">{disp.format_value(v, kind, currency) if v is not None else "—"}</td>'
            )
        rows.append(
            "<tr>"
            f"<td>{html.escape(str(e['segment']))}</td>"
            f"<td>{links[0]}<div class='files'>{' · '.join(extras)}</div></td>"
            f"<td>{status}</td>{''.join(cells)}"
            f"<td class='when'>{html.escape(str(e.get('rendered_at', ''))).replace('T', ' ')}</td>"
            "</tr>"
        )
    heads = "".join(f'<th class="num">{label}</th>' for _k, label, _f in INDEX_FIGURES)
    n_failed = sum(1 for e in entries if e.get("status") != "ok")
    verdict = (
        f'<p class="bad-banner">{n_failed} report(s) failed in their last run.</p>'
        if n_failed
        else ""
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quarterly reports {html.escape(quarter)}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif;
  color: #1a202c; max-width: 1100px; margin: 32px auto; padding: 0 24px; line-height: 1.5; }}
h1 {{ margin-bottom: 0; }} .sub {{ color: #4a5568; margin-top: 4px; }}
table {{ border-collapse: collapse; width: 100%; margin-top: 20px; font-size: 14px; }}
th, td {{ border-bottom: 1px solid #e2e8f0; padding: 8px 10px; text-align: left; vertical-align: top; }}
th {{ background: #f7fafc; }} td.num, th.num {{ text-align: right; white-space: nowrap; }}
a {{ color: #2b6cb0; }} .files {{ font-size: 12px; color: #4a5568; }}
.ok {{ color: #22543d; background: #c6f6d5; padding: 1px 8px; border-radius: 10px; }}
.bad {{ color: #742a2a; background: #fed7d7; padding: 1px 8px; border-radius: 10px; }}
.err {{ font-size: 12px; color: #742a2a; max-width: 360px; }}
.bad-banner {{ background: #fff5f5; border: 1px solid #c53030; padding: 8px 12px; border-radius: 6px; }}
.when {{ font-size: 12px; color: #718096; white-space: nowrap; }}
</style></head><body>
<h1>Quarterly reports — {html.escape(quarter)}</h1>
<p class="sub">Plan, experiments and trends for each segment. Open a report for the charts and tables.</p>
{verdict}
<table><thead><tr><th>Segment</th><th>Report</th><th>Status</th>{heads}<th>Rendered (UTC)</th></tr></thead>
<tbody>{"".join(rows) or '<tr><td colspan="8">No reports yet.</td></tr>'}</tbody></table>
</body></html>
"""
    path = quarter_dir / "index.html"
    _write_text_atomic(path, page)
    return path
