"""What every report shares: finding and loading parameters, labels, small frames."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib import paths
from alignlib.errors import InputError

if TYPE_CHECKING:
    from alignlib.params import QuarterParams


def resolve_params_path(params_path: str | Path) -> Path:
    """Find a parameters file named relative to the working folder or the project.

    Notebooks run with the notebook's folder as working directory (JupyterLab,
    papermill, nbval), so ``../params/2026Q4.yaml`` works there; a bare name such
    as ``2026Q4.yaml`` is also looked up in ``params/`` and relative to ``notebooks/``.

    Parameters
    ----------
    params_path : str or Path

    Returns
    -------
    Path
        An existing file (absolute).

    Raises
    ------
    InputError
        When no candidate exists; the message lists where it looked.
    """
    path = Path(params_path).expanduser()
    candidates = (
        [path]
        if path.is_absolute()
        else [
            Path.cwd() / path,
            paths.NOTEBOOKS_DIR / path,
            paths.PARAMS_DIR / path,
            paths.PROJECT_ROOT / path,
        ]
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    looked = ", ".join(str(c) for c in candidates)
    raise InputError(f"parameters file {params_path!r} not found (looked in: {looked})")


def load_report_params(params_path: str | Path, scenario: str | None = None) -> QuarterParams:
    """Load and validate a parameters file for a report, with an optional scenario applied."""
    from alignlib.params import load_params

    params = load_params(resolve_params_path(params_path))
    return params.with_scenario(scenario) if scenario else params


def stage_owners(params: QuarterParams) -> dict[str, str]:
    """Stage name -> owning team (``marketing`` or ``sales``), for colouring charts."""
    return {s.name: s.owner for s in params.stages}


def as_frame(rows: list[dict[str, Any]], index: str) -> pd.DataFrame:
    """Records as a DataFrame indexed by ``index`` (empty frame when there are none)."""
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame.from_records(rows).set_index(index)


def sla_frame(frame: pd.DataFrame, params: QuarterParams) -> pd.DataFrame:
    """SLA columns for reading, channel labels from the parameters."""
    cols = [
        c
        for c in (
            "handoffs",
            "compliance",
            "median_hours",
            "p90_hours",
            "acceptance_rate",
            "recycle_rate",
        )
        if c in frame.columns
    ]
    out = frame[cols].copy()
    if out.index.name == "channel":
        out.index = [
            (params.channels[c].label if c in params.channels else str(c)) for c in out.index
        ]
        out.index.name = "channel"
    return out
