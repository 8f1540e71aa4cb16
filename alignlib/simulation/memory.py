"""A memory budget for simulations: refuse, before allocating, trials that would not fit.

A run keeps per-trial arrays (:class:`~alignlib.simulation.result.SimulationResult`, or the
:class:`~alignlib.simulation.crn.CommonRandomNumbers` of a plan search or a sensitivity), so
its memory grows with the trials. The budget is ``memory_gb`` when a caller gives it, else the
``ALIGNLIB_MEMORY_GB`` environment variable, else half the machine's memory (or of the
container's limit, when lower), at most :data:`MAX_DEFAULT_BUDGET_GB`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from alignlib.errors import InputError
from alignlib.simulation.model import FunnelModel

#: Environment variable holding the budget in GB (10^9 bytes).
ENV_VAR: str = "ALIGNLIB_MEMORY_GB"

#: Share of the machine's memory a run may use when nobody says.
DEFAULT_FRACTION: float = 0.5

#: The default budget never exceeds this (GB), however big the machine.
MAX_DEFAULT_BUDGET_GB: float = 4.0

#: Budget (GB) when the machine's memory cannot be read.
FALLBACK_BUDGET_GB: float = 2.0

#: Per trial, beyond the result arrays: a float64 copy of one row that ``np.quantile``
#: sorts, and the temporaries of a row's mean and spread (summaries, P10/P50/P90).
WORKING_BYTES_PER_TRIAL: int = 24

#: Longest run of exact deal amounts kept per trial by CommonRandomNumbers.
CRN_MAX_PATH: int = 128

_GB = 1e9
_CGROUP_LIMITS = (
    Path("/sys/fs/cgroup/memory.max"),  # cgroup v2
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),  # cgroup v1
)


def physical_memory_bytes() -> int | None:
    """The memory this process can use: the machine's, or its container's limit if lower.

    Returns
    -------
    int or None
        Bytes, or ``None`` when it cannot be read (e.g. on Windows).
    """
    total: int | None = None
    try:
        total = int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        total = None
    for path in _CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) > 0:
            total = int(text) if total is None else min(total, int(text))
    return total if total and total > 0 else None


def memory_budget(memory_gb: Any = None) -> int:
    """The budget in bytes: ``memory_gb``, else ``ALIGNLIB_MEMORY_GB``, else the default.

    Parameters
    ----------
    memory_gb : float, optional
        Budget in GB (10^9 bytes), > 0.

    Returns
    -------
    int
        Bytes.

    Raises
    ------
    InputError
        For a budget (given or from the environment) that is not a positive number.
    """
    where = "memory_gb"
    if memory_gb is None:
        text = os.environ.get(ENV_VAR, "").strip()
        if text:
            where, memory_gb = ENV_VAR, text
    if memory_gb is not None:
        try:
            gb = float(memory_gb)
        except (TypeError, ValueError):
            raise InputError(f"{where}: {memory_gb!r} is not a number of GB (e.g. 2)") from None
        if isinstance(memory_gb, bool) or not math.isfinite(gb) or gb <= 0:
            raise InputError(f"{where}: {memory_gb!r} must be a positive number of GB (e.g. 2)")
        return int(gb * _GB)
    total = physical_memory_bytes()
    if total is None:
        return int(FALLBACK_BUDGET_GB * _GB)
    return int(min(DEFAULT_FRACTION * total, MAX_DEFAULT_BUDGET_GB * _GB))


def size_text(n_bytes: float) -> str:
    """A byte count for people: ``7.2 GB``, ``350 MB``, ``12 kB``.

    Parameters
    ----------
    n_bytes : float
        Bytes.

    Returns
    -------
    str
    """
    if n_bytes >= _GB:
        return f"{n_bytes / _GB:,.1f} GB"
    if n_bytes >= 1e6:
        return f"{n_bytes / 1e6:,.0f} MB"
    return f"{max(n_bytes / 1e3, 0.001):,.3g} kB"


def result_bytes_per_trial(model: FunnelModel) -> int:
    """Bytes per trial of a :func:`~alignlib.simulation.simulate_funnel` run.

    Counted from the arrays the engine keeps: int32 volume per stage and float64 revenue;
    with lags also int32 in-quarter wins and float64 revenue after the quarter, float64
    revenue before it (lead window opening before the quarter) and int32 carried-in wins
    (``carry_in``); plus :data:`WORKING_BYTES_PER_TRIAL` for the summaries.

    Parameters
    ----------
    model : FunnelModel
        The funnel.

    Returns
    -------
    int
    """
    n = 4 * len(model.stages) + 8
    if model.has_lags:
        n += 4 + 8
        if model.lead_window_start < 0:
            n += 8
        if model.carry_in:
            n += 4
    return n + WORKING_BYTES_PER_TRIAL


def crn_bytes_per_trial(model: FunnelModel, exact_below: int | None = None) -> int:
    """Bytes per trial of :class:`~alignlib.simulation.crn.CommonRandomNumbers`, at peak.

    The float64 inputs kept per trial (a rate draw per transition, three uniforms, monthly
    lead noise, the running sums of exact deal amounts and a normal for the rest, the
    carry-in uniforms and noise per window carried in, and per channel its rate draws, deal
    path and split uniform) are held twice while the blocks are joined; a P(hit)
    evaluation adds about a dozen float64 temporaries and a copy of the rates.

    Parameters
    ----------
    model : FunnelModel
        The funnel.
    exact_below : int, optional
        As in :meth:`CommonRandomNumbers.draw` (default ``model.deal_size.exact_sum_below``).

    Returns
    -------
    int
    """
    if exact_below is None:
        exact_below = model.deal_size.exact_sum_below
    months = len(model.leads.monthly_means) if model.leads.kind == "monthly" else 0
    floats = len(model.rates) + months + 3
    if model.deal_size.spread > 0:
        floats += max(1, min(int(exact_below) - 1, CRN_MAX_PATH)) + 1
    if model.carry_in:
        windows = len(model.carry_windows)
        floats += windows + windows * max(months, 0)
    k = len(model.channels)
    if k:
        # per channel its rate draws, a split uniform, a deal path and a normal; the
        # blend's own deal path is not drawn. An evaluation adds per channel its rates
        # and a few int64 rows.
        path = max(1, min(int(exact_below) - 1, CRN_MAX_PATH)) + 1
        if model.deal_size.spread > 0:
            floats -= path
        floats += k * len(model.rates) + (k - 1)
        floats += sum(path for ch in model.channels if ch.deal_size.spread > 0) + k
        return 8 * (2 * floats + 12 + len(model.rates) + k * (len(model.rates) + 4))
    return 8 * (2 * floats + 12 + len(model.rates))


def check_memory(
    trials: int,
    bytes_per_trial: int,
    *,
    where: str,
    what: str,
    memory_gb: Any = None,
) -> int:
    """Refuse ``trials`` whose arrays would not fit in the budget (before allocating them).

    Parameters
    ----------
    trials : int
        Trials asked for.
    bytes_per_trial : int
        From :func:`result_bytes_per_trial` or :func:`crn_bytes_per_trial`.
    where : str
        Entry point named in the message.
    what : str
        What the memory holds (``result arrays``, ``common random numbers``).
    memory_gb : float, optional
        Budget in GB; default as in :func:`memory_budget`.

    Returns
    -------
    int
        The bytes the run needs (about).

    Raises
    ------
    InputError
        When the trials need more than the budget: the message gives both figures and
        the most trials that fit.
    """
    need = int(trials) * int(bytes_per_trial)
    budget = memory_budget(memory_gb)
    if need > budget:
        fit = budget // bytes_per_trial
        raise InputError(
            f"{where}: {trials:,} trials need about {size_text(need)} of {what} "
            f"({bytes_per_trial} bytes a trial); the limit is {size_text(budget)} "
            f"({ENV_VAR} or --memory-gb); use fewer trials (at most {fit:,} fit)"
        )
    return need
