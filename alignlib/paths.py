"""Where things live: the one place that knows the project's folders.

Every other path in the workbook derives from these. Outputs (reports, rejects)
go to the user's working folder, not inside the installed package: ``outputs/``
under the folder the command runs in, or ``ALIGNLIB_OUTPUTS`` when set (useful in
CI or for a shared drive).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT: Path = Path(__file__).resolve().parents[1]
PARAMS_DIR: Path = PROJECT_ROOT / "params"
DATA_DIR: Path = PROJECT_ROOT / "data"
SAMPLE_DIR: Path = DATA_DIR / "sample"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"

#: Environment variable that moves the outputs folder.
OUTPUTS_ENV = "ALIGNLIB_OUTPUTS"


def outputs_dir() -> Path:
    """The outputs folder, read when called (the working folder may change after import).

    Returns
    -------
    Path
        ``$ALIGNLIB_OUTPUTS`` when set and not blank, else ``<current folder>/outputs``.
    """
    configured = os.environ.get(OUTPUTS_ENV, "").strip()
    return Path(configured) if configured else Path.cwd() / "outputs"


#: The quarter ``make report`` and ``alignlib plan`` use when none is named.
DEFAULT_QUARTER: str = "2026Q4"
DEFAULT_PARAMS: Path = PARAMS_DIR / f"{DEFAULT_QUARTER}.yaml"
