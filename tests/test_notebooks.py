"""The report notebooks: paired with jupytext, stripped, thin, and they run with papermill."""

from __future__ import annotations

import json
import subprocess
import sys

import jupytext
import nbformat
import pytest

from alignlib import batch, paths
from tests._rendered import TRIALS, rendered_reports

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))
NAMES = [r.name for r in batch.REPORTS]
#: Printable documents: a few tables (and lines to sign, or one chart), not three charts.
DOCUMENTS = {"sla_agreement", "quarterly_plan_summary"}
#: Notebooks served as apps (`make whatif`), not rendered by the batch.
APPS = {"whatif_app"}
#: Notebooks whose defaults show live widgets, a path only opening them in Jupyter takes.
INTERACTIVE = ("quarterly_plan", "whatif_app")


def test_every_report_has_a_notebook_and_a_paired_script() -> None:
    reports = sorted(p.stem for p in NOTEBOOKS if p.stem not in APPS)
    assert reports == sorted(r.name for r in batch.ALL_REPORTS)
    for nb_path in NOTEBOOKS:
        script = nb_path.with_suffix(".py")
        assert script.exists(), f"{script.name} missing: run `jupytext --sync {nb_path}`"
        nb = nbformat.read(nb_path, as_version=4)
        paired = jupytext.read(script)
        assert [c.source for c in nb.cells] == [c.source for c in paired.cells], (
            f"{nb_path.name} and {script.name} differ: run `jupytext --sync {nb_path}`"
        )


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stripped_thin_and_parameterised(nb_path) -> None:
    nb = nbformat.read(nb_path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "outputs not stripped"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged `parameters`"
    names = batch.declared_parameters(nb_path)
    assert "params_path" in names
    for line in params[0].source.splitlines():
        # typed and commented, computing nothing: `name: type = literal  # help`
        assert ":" in line.split("=")[0] and "#" in line, f"untyped/uncommented: {line}"
    assert nb.metadata.kernelspec.name == batch.KERNEL_NAME
    # thin: no function or class definitions; logic lives in alignlib
    for c in code:
        assert "def " not in c.source and "class " not in c.source, c.source[:80]


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_defaults_a_user_opens_with_name_the_default_quarter(nb_path, monkeypatch) -> None:
    """Opened in JupyterLab (working folder: the notebook's), the defaults read the sample."""
    from typing import Optional

    from alignlib.reports.common import resolve_params_path

    nb = nbformat.read(nb_path, as_version=4)
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    defaults: dict[str, object] = {"Optional": Optional}
    exec(cell.source, defaults)  # literals only: the thin-notebook test above checks it
    monkeypatch.chdir(nb_path.parent)
    assert resolve_params_path(str(defaults["params_path"])) == paths.DEFAULT_PARAMS.resolve()
    if "trials" in defaults and defaults["trials"] is not None:
        assert isinstance(defaults["trials"], int) and defaults["trials"] >= 1_000


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_report_renders_with_recorded_parameters_and_key_outputs(name, tmp_path_factory) -> None:
    out, result = rendered_reports(tmp_path_factory)
    res = {r.report: r for r in result.results}[name]
    assert res.status == "ok", res.error
    seg = out / "2026Q4" / "all"
    nb = nbformat.read(seg / f"{name}.ipynb", as_version=4)
    recorded = nb.metadata.papermill.parameters
    assert recorded["params_path"] == str(paths.DEFAULT_PARAMS.resolve())
    if "trials" in batch.declared_parameters(paths.NOTEBOOKS_DIR / f"{name}.ipynb"):
        assert recorded["trials"] == TRIALS
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert name in DOCUMENTS or len(images) >= 3, "charts missing"
    summary = json.loads((seg / f"{name}.json").read_text())
    assert summary["parameters"] == recorded
    assert summary["headline"]["target"] == 2_400_000
    page = (seg / f"{name}.html").read_text()
    # no names or emails from the CRM data reach the page
    assert "@example.com" not in page and "Harper Quinn" not in page


@pytest.mark.notebook
@pytest.mark.slow
def test_quarterly_plan_headline_and_plan_table(tmp_path_factory) -> None:
    import pandas as pd

    out, _ = rendered_reports(tmp_path_factory)
    seg = out / "2026Q4" / "all"
    head = json.loads((seg / "quarterly_plan.json").read_text())["headline"]
    from alignlib.params import load_params
    from alignlib.planning import build_plan

    plan = build_plan(load_params(paths.DEFAULT_PARAMS))
    assert head["required_leads"] == plan.funnel.leads
    assert head["budget"] == pytest.approx(plan.budget)
    assert 0.0 <= head["p_hit"] <= 1.0
    table = pd.read_csv(seg / "plan.csv", index_col=0)
    assert table["required"].tolist() == list(plan.funnel.required)
    sheets = pd.read_excel(seg / "quarterly_plan.xlsx", sheet_name=None, index_col=0)
    assert {"plan", "monthly_plan", "channels"} <= set(sheets)
    page = (seg / "quarterly_plan.html").read_text()
    for section in ("Pipeline coverage", "Sales capacity", "Scenarios side by side", "What if?"):
        assert section in page
    # rendered by the batch: the static what-if table, not live widgets
    assert "What if one input changes by 10%" in page
    assert "application/vnd.jupyter.widget-view+json" not in page


@pytest.mark.notebook
@pytest.mark.slow
def test_nbval_runs_the_interactive_notebooks_as_opened() -> None:
    """nbval --nbval-lax: every cell runs as a user opening the notebook runs it.

    The two notebooks whose defaults take a path the batch never takes (the live what-if
    widgets): every report notebook also runs in-process on generated params without a
    snapshot (``tests/reports/test_any_params.py``) and through the batch with one, so
    running those again at 20,000 trials here would only cost CI minutes.
    """
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-current-env",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-o",
            "testpaths=",
            *(str(paths.NOTEBOOKS_DIR / f"{name}.ipynb") for name in INTERACTIVE),
        ],
        capture_output=True,
        text=True,
        cwd=paths.PROJECT_ROOT,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and " failed" not in proc.stdout


@pytest.mark.notebook
@pytest.mark.slow
def test_no_contact_name_or_email_reaches_any_output(tmp_path_factory) -> None:
    """Every file the batch writes (pages, notebooks, JSON, CSV) holds aggregates only."""
    import re

    import pandas as pd

    out, _ = rendered_reports(tmp_path_factory)
    contacts = pd.read_csv(
        paths.SAMPLE_DIR / "hubspot_contacts.csv",
        usecols=["First Name", "Last Name", "Email"],
        dtype=str,
        keep_default_na=False,
    )
    full_names = set(contacts["First Name"] + " " + contacts["Last Name"])
    emails = {e.lower() for e in contacts["Email"] if e}
    assert len(full_names) > 100 and len(emails) > 1000  # the check has something to find
    files = [p for p in out.rglob("*") if p.suffix in {".html", ".ipynb", ".json", ".csv"}]
    assert len(files) >= 9
    for path in files:
        text = re.sub(r"base64,[A-Za-z0-9+/=]+", "", path.read_text(errors="replace"))
        found_emails = {m.lower() for m in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text)}
        assert not found_emails & emails, f"{path.name} holds contact emails"
        pairs = set(re.findall(r"(?=\b([A-Z][a-z]+ [A-Z][a-z']+)\b)", text))
        assert not pairs & full_names, (
            f"{path.name} holds contact names: {sorted(pairs & full_names)[:3]}"
        )
