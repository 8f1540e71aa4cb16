"""Loading a params file: ``extends:``, relative data paths, learned sections, scenarios."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alignlib.errors import ParamsError, Problem
from alignlib.params.learned import _gaps, _learn_gaps
from alignlib.params.schema import QuarterParams
from alignlib.params.validate import _validate
from alignlib.params.yaml_source import _read_yaml


def load_params(path: str | Path) -> QuarterParams:
    """Load and validate a quarter's parameters file.

    Parameters
    ----------
    path : str or Path
        A YAML file, e.g. ``params/2026Q4.yaml``. A file may ``extends:`` another
        (relative to itself) and override any of its values.

    Returns
    -------
    QuarterParams
        Validated, frozen parameters. Relative data paths are resolved against the
        file that names them.

    Raises
    ------
    ParamsError
        Missing or unreadable file, broken YAML, unknown keys, wrong types, values
        out of range, references to unknown stages, shares that do not sum to 1,
        missing data files, or a scenario whose overrides do not validate. The
        message names the file, the key path and line, and what is wrong.
    """
    path = Path(path)
    raw, lines = _read_with_extends(path, seen=())
    gaps = _gaps(raw)
    if gaps:
        params = _learn_gaps(raw, gaps, path, lines)
    else:
        params = _validate(raw, path, prefix="", lines=lines)
    # Validate every scenario now, so a typo in one fails at load, not mid-batch.
    for name in params.scenarios:
        params.with_scenario(name)
    return params


def _read_with_extends(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], dict[str, int]]:
    path = path.resolve() if path.exists() else path
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ParamsError(path, [Problem("extends", f"files extend each other in a loop: {chain}")])
    data, lines = _read_yaml(path)
    _resolve_relative_paths(data, path.parent)
    base_name = data.get("extends")
    if base_name is None:
        return data, lines
    if not isinstance(base_name, str):
        raise ParamsError(path, [Problem("extends", "must be a file name (a string)")])
    base, _ = _read_with_extends(path.parent / base_name, seen=(*seen, path))
    base.pop("extends", None)
    merged = _deep_merge(base, data)
    merged["extends"] = base_name
    return merged, lines


def _resolve_relative_paths(data: dict[str, Any], folder: Path) -> None:
    actuals = data.get("actuals")
    if isinstance(actuals, dict):
        for key in ("crm_export", "opportunities", "leads", "spend"):
            if isinstance(actuals.get(key), str):
                actuals[key] = str((folder / actuals[key]).resolve())
        deals = actuals.get("deals")
        if isinstance(deals, dict) and isinstance(deals.get("file"), str):
            deals["file"] = str((folder / deals["file"]).resolve())
    experiments = data.get("experiments")
    if isinstance(experiments, list):
        for exp in experiments:
            if isinstance(exp, dict) and isinstance(exp.get("export"), str):
                exp["export"] = str((folder / exp["export"]).resolve())


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: mappings merge key by key, everything else replaces."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
