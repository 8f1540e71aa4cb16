"""Render the three real reports once per test session (small trials), for several test files."""

from __future__ import annotations

from pathlib import Path

from alignlib import batch, paths

#: Trials small enough for CI, large enough that every section has something to show.
TRIALS = 2_000
_CACHE: dict[str, object] = {}


def rendered_reports(tmp_path_factory) -> tuple[Path, batch.BatchResult]:
    """Outputs folder and batch result of the default quarter's three reports."""
    if "result" not in _CACHE:
        out = tmp_path_factory.mktemp("rendered")
        result = batch.run_batch(
            [paths.DEFAULT_PARAMS], out_dir=out, trials=TRIALS, workers=2, progress=False
        )
        _CACHE["out"], _CACHE["result"] = out, result
    return _CACHE["out"], _CACHE["result"]  # type: ignore[return-value]
