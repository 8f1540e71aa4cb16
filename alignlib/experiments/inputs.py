"""Checks and defaults for what the experiment functions are given.

Counts per arm, significance levels, rates, and the funnel's stage order when a caller
gives none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from alignlib.docstrings import shared_doc
from alignlib.errors import InputError

#: The functions of two arms' counts: control's and the variant's ``(conversions, n)``.
two_arms_doc = shared_doc(
    parameters={
        "control : (conversions, n)": "Counts of the control arm.",
        "variant : (conversions, n)": "Counts of the variant arm.",
    }
)

#: Stage order assumed when a caller gives none (the sample's six-stage funnel).
FALLBACK_STAGES: tuple[str, ...] = ("lead", "mql", "sal", "sql", "opportunity", "won")


def check_counts(counts: Any, what: str) -> tuple[int, int]:
    """Validate one arm's ``(conversions, n)``.

    Parameters
    ----------
    counts : pair, mapping or object
        ``(conversions, n)``, ``{"conversions": ..., "n": ...}`` or an object with
        ``conversions`` and ``n`` attributes.
    what : str
        Name of the arm for error messages.

    Returns
    -------
    tuple of int
        ``(conversions, n)`` as whole numbers, ``0 <= conversions <= n`` and ``n > 0``.

    Raises
    ------
    InputError
        When the counts are not whole numbers in that range.
    """
    if hasattr(counts, "conversions") and hasattr(counts, "n"):
        pair = (counts.conversions, counts.n)
    elif isinstance(counts, Mapping):
        try:
            pair = (counts["conversions"], counts["n"])
        except KeyError:
            raise InputError(f"{what}: needs 'conversions' and 'n', got {dict(counts)}") from None
    else:
        try:
            pair = tuple(counts)
        except TypeError:
            raise InputError(f"{what}: expected (conversions, n), got {counts!r}") from None
        if len(pair) != 2:
            raise InputError(f"{what}: expected (conversions, n), got {counts!r}")
    out = []
    for label, value in zip(("conversions", "n"), pair, strict=True):
        if isinstance(value, bool) or not isinstance(value, int | np.integer | float | np.floating):
            raise InputError(f"{what}: {label} must be a whole number, got {value!r}")
        if not float(value).is_integer():
            raise InputError(f"{what}: {label} must be a whole number, got {value!r}")
        out.append(int(value))
    conversions, n = out
    if n <= 0:
        raise InputError(f"{what}: n must be positive (no leads in this arm), got {n}")
    if conversions < 0:
        raise InputError(f"{what}: conversions must not be negative, got {conversions}")
    if conversions > n:
        raise InputError(f"{what}: conversions ({conversions}) are more than n ({n})")
    return conversions, n


def check_alpha(alpha: float, name: str = "alpha") -> float:
    """A level strictly between 0 and 1 (alpha, power).

    Parameters
    ----------
    alpha : float
        The level.
    name : str
        Its name for the error message.

    Returns
    -------
    float
        The level as a float.
    """
    if not (0 < float(alpha) < 1):
        raise InputError(f"{name} must lie strictly between 0 and 1, got {alpha!r}")
    return float(alpha)


def check_rate(value: float, name: str) -> float:
    """A conversion rate strictly between 0 and 1.

    Parameters
    ----------
    value : float
        The rate.
    name : str
        Its name for the error message.

    Returns
    -------
    float
        The rate as a float.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not (0 < v < 1):
        raise InputError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return v


def funnel_order(stage_names: Sequence[str] | None) -> tuple[str, ...]:
    """The funnel's stage order, or :data:`FALLBACK_STAGES` when none is given.

    Parameters
    ----------
    stage_names : sequence of str or None
        Stage order, e.g. ``params.stage_names``.

    Returns
    -------
    tuple of str
        The stages in order.
    """
    return tuple(stage_names) if stage_names else FALLBACK_STAGES


def following_stage(stage: str | None, stage_names: Sequence[str] | None) -> str | None:
    """The stage after ``stage`` in the funnel (the one its conversion leads into).

    Parameters
    ----------
    stage : str or None
        A stage name.
    stage_names : sequence of str or None
        Stage order (default :data:`FALLBACK_STAGES`).

    Returns
    -------
    str or None
        The next stage; None for the last stage, an unknown stage or no stage.
    """
    if stage is None:
        return None
    names = funnel_order(stage_names)
    if stage not in names:
        return None
    i = names.index(stage)
    return names[i + 1] if i + 1 < len(names) else None
