"""A copy of the sample parameters file in a temporary folder (data paths made absolute)."""

from __future__ import annotations

from pathlib import Path

from alignlib.paths import DEFAULT_PARAMS, PROJECT_ROOT


def sample_params_copy(folder: Path, name: str = "2026Q4.yaml") -> Path:
    """The sample parameters file, byte for byte but its ``../data`` paths, in ``folder``."""
    text = DEFAULT_PARAMS.read_text(encoding="utf-8")
    path = folder / name
    path.write_text(text.replace("../data/", f"{PROJECT_ROOT / 'data'}/"), encoding="utf-8")
    return path
