"""Render the printable pages once per session: the SLA agreement and the weekly scorecard."""

from __future__ import annotations

from pathlib import Path

from alignlib import batch, paths

#: Trials of each landing forecast on the scorecard: enough for a P(hit), quick for CI.
TRIALS = 2_000
_CACHE: dict[str, object] = {}


def printable_pages(tmp_path_factory) -> tuple[Path, batch.BatchResult]:
    """Outputs folder and batch result of the default segment's agreement and scorecard."""
    if "result" not in _CACHE:
        out = tmp_path_factory.mktemp("printable")
        sla = next(r for r in batch.REPORTS if r.name == "sla_agreement")
        result = batch.run_batch(
            [paths.DEFAULT_PARAMS],
            out_dir=out,
            trials=TRIALS,
            reports=(sla, *batch.WEEKLY_REPORTS),
            workers=2,
            progress=False,
        )
        _CACHE["out"], _CACHE["result"] = out, result
    return _CACHE["out"], _CACHE["result"]  # type: ignore[return-value]
