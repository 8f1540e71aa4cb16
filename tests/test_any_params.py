"""``alignlib run`` renders every report for params files of other shapes than the sample.

Three generated params files in one run (fixed seeds, :mod:`tests.reports._any_params_helpers`):
an eight-stage funnel, one that learns everything from its actuals and a two-stage one with
no optional section. The sample and a two- and three-stage funnel go through the same batch
in ``tests/batch/test_one_set_of_numbers.py``; the in-process tests in
``tests/reports/test_any_params.py`` cover many more shapes, faster.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from alignlib import batch
from alignlib.params import load_params
from tests.reports._any_params_helpers import Case, write_case

LEARN_ALL = frozenset({"conversion_rates", "lag_days", "deal_size", "channels"})
SHAPES = {
    "eight_stage": Case(
        ("visit", "lead", "mql", "sal", "sql", "demo", "proposal", "closed_won"),
        (0.5, 0.6, 0.6, 0.7, 0.6, 0.5, 0.5), (1.0, 3.0, 2.0, 3.0, 5.0, 10.0, 10.0),
        handoff="sal", sla=True, spend=True, experiment_stage="demo", months=24, seed=2,
    ),
    "learned": Case(
        ("lead", "deal", "won"), (0.3, 0.4), (5.0, 10.0), learned=LEARN_ALL, spend=True,
        months=13, seed=3,
    ),
    "bare": Case(("signup", "paid"), (0.2,), (7.0,), channels="empty", months=1, seed=4),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.notebook
def test_alignlib_run_renders_every_report_for_generated_params_files(tmp_path) -> None:
    files = [
        write_case(
            Case(**{**case.__dict__, "extra": {"segment": name}}), tmp_path / "params" / name
        )
        for name, case in SHAPES.items()
    ]
    out = tmp_path / "outputs"
    command = [sys.executable, "-m", "alignlib", "run", *map(str, files)]
    command += ["--out", str(out), "--trials", "500", "--workers", "2", "--no-progress"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for path in files:
        params = load_params(path)
        folder = out / params.quarter / params.segment
        for report in batch.REPORTS:
            page = folder / f"{report.name}.html"
            assert page.is_file(), f"{page} missing:\n{proc.stdout[-2000:]}"
            text = page.read_text(encoding="utf-8")
            assert "Traceback" not in text, f"{page}"
