"""Sections a params file leaves to the actuals (missing or ``from_actuals``); :mod:`alignlib.history.learning` fills them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alignlib.errors import ParamsError, Problem
from alignlib.params.problems import _line_suffix
from alignlib.params.schema import QuarterParams, _raw_stage_names
from alignlib.params.validate import _validate

#: The value that asks for a section to be learned from the actuals.
FROM_ACTUALS = "from_actuals"
#: Sections learned from the actuals when missing or ``from_actuals``.
LEARNABLE = ("conversion_rates", "lag_days", "deal_size", "channels")


def _gaps(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The learnable sections a file leaves to the actuals (missing or ``from_actuals``)."""
    if not isinstance(raw.get("actuals"), dict):
        return tuple(k for k in LEARNABLE if raw.get(k) == FROM_ACTUALS)
    return tuple(k for k in LEARNABLE if k not in raw or raw.get(k) == FROM_ACTUALS)


# Stand-ins that let a file with gaps validate far enough to read its actuals; they are
# replaced by what the actuals teach before the parameters are used.
_STAND_INS: dict[str, Any] = {
    "conversion_rates": lambda names: {s: 0.5 for s in names[:-1]},
    "lag_days": lambda names: {},
    "deal_size": lambda names: {"mean": 1.0},
    "channels": lambda names: {},
}


def _learn_gaps(
    raw: dict[str, Any], gaps: tuple[str, ...], path: Path, lines: Mapping[str, int]
) -> QuarterParams:
    """Validate a file whose ``gaps`` are left to its actuals, reading no data.

    The gaps hold stand-ins until :func:`alignlib.history.learning.learn_params` reads the actuals
    and learns them (:attr:`QuarterParams.pending_keys` names them meanwhile).
    """
    if not isinstance(raw.get("actuals"), dict):
        raise ParamsError(
            path,
            [
                Problem(
                    f"{key}{_line_suffix(lines, '', key)}",
                    f"{FROM_ACTUALS} needs an actuals: section to learn from",
                )
                for key in gaps
            ],
        )
    names = _raw_stage_names(raw.get("stages"))
    draft_raw = dict(raw)
    for key in gaps:
        draft_raw[key] = _STAND_INS[key](names)
    draft = _validate(draft_raw, path, prefix="", lines=lines)
    draft._pending_keys = gaps
    return draft
