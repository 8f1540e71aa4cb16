"""Where things live: the one place that knows the project's folders.

Every other path in the workbook derives from these. Outputs (reports, rejects)
go to the user's working folder, not inside the installed package: ``outputs/``
under the folder the command runs in, or ``ALIGNLIB_OUTPUTS`` when set (useful in
CI or for a shared drive).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR: Path = Path(__file__).resolve().parent
#: The report notebooks ship inside the package (``notebooks/`` in a checkout links here).
NOTEBOOKS_DIR: Path = PACKAGE_DIR / "notebooks"


def _project_root() -> Path:
    """The checkout the package runs from, or the working folder when it is installed.

    A checkout has ``pyproject.toml`` beside the package; an installed package lives in
    ``site-packages``, and a company's params and data are in the folder it runs in.
    """
    checkout = PACKAGE_DIR.parent
    return checkout if (checkout / "pyproject.toml").is_file() else Path.cwd()


PROJECT_ROOT: Path = _project_root()
PARAMS_DIR: Path = PROJECT_ROOT / "params"
DATA_DIR: Path = PROJECT_ROOT / "data"
SAMPLE_DIR: Path = DATA_DIR / "sample"

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
