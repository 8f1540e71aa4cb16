"""Installed like any Python tool: the wheel carries the notebooks and templates, and
``alignlib run`` renders every report in a company's own folder, away from the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from alignlib import batch, paths

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.notebook
@pytest.mark.slow
def test_an_installed_package_renders_every_report_in_a_users_folder(tmp_path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("alignlib-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for report in batch.ALL_REPORTS:
        assert f"alignlib/notebooks/{report.notebook.name}" in names, report.name
    assert "alignlib/batch/templates/index_page.html.j2" in names

    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    # A company's folder: its params and its export, nothing of the checkout.
    company = tmp_path / "acme"
    (company / "params").mkdir(parents=True)
    shutil.copy(paths.DEFAULT_PARAMS, company / "params" / paths.DEFAULT_PARAMS.name)
    shutil.copytree(paths.SAMPLE_DIR, company / "data" / "sample")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop(paths.OUTPUTS_ENV, None)
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import alignlib, alignlib.paths as p; print(alignlib.__file__); print(p.PARAMS_DIR)",
        ],
        cwd=company,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert Path(where[0]).is_relative_to(site)  # the installed copy, not the checkout
    assert Path(where[1]) == company / "params"

    run = subprocess.run(
        [sys.executable, "-m", "alignlib", "run", f"params/{paths.DEFAULT_PARAMS.name}",
         "--trials", "500", "--no-progress", "--json"],
        cwd=company,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["ok"] and {r["status"] for r in result["reports"]} == {"ok"}
    seg = company / "outputs" / paths.DEFAULT_QUARTER / "all"
    for report in batch.REPORTS:
        assert (seg / f"{report.name}.html").is_file(), report.name
    assert (seg / "snapshot.json").is_file()
    assert (company / "outputs" / paths.DEFAULT_QUARTER / "index.html").is_file()
