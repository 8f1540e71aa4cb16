"""The code base stays ruff-clean (the same check as `make lint`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alignlib.paths import PROJECT_ROOT


def _ruff() -> str:
    candidate = Path(sys.executable).with_name("ruff")
    found = str(candidate) if candidate.exists() else shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is not installed (it comes with the test extras: make setup)")
    return found


def test_ruff_check_passes():
    folders = [f for f in ("alignlib", "tests", "benchmarks") if (PROJECT_ROOT / f).is_dir()]
    result = subprocess.run(
        [_ruff(), "check", *folders],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_passes():
    candidate = Path(sys.executable).with_name("mypy")
    if not candidate.exists():
        pytest.skip("mypy is not installed (it comes with the test extras: make setup)")
    result = subprocess.run(
        [str(candidate)], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
