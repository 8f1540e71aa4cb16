"""Where things live: the one place that knows the project's folders.

Every other path in the workbook derives from these. ``ALIGNLIB_OUTPUTS``
moves the outputs folder (useful in CI or for a shared drive).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT: Path = Path(__file__).resolve().parents[1]
PARAMS_DIR: Path = PROJECT_ROOT / "params"
DATA_DIR: Path = PROJECT_ROOT / "data"
SAMPLE_DIR: Path = DATA_DIR / "sample"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
OUTPUTS_DIR: Path = Path(os.environ.get("ALIGNLIB_OUTPUTS", PROJECT_ROOT / "outputs"))

#: The quarter ``make report`` and ``alignlib plan`` use when none is named.
DEFAULT_QUARTER: str = "2026Q4"
DEFAULT_PARAMS: Path = PARAMS_DIR / f"{DEFAULT_QUARTER}.yaml"
