"""Running many trials: :func:`simulate_funnel`, on local threads or on a dask cluster.

Trials run in blocks of :data:`BLOCK_TRIALS`, each with its own random stream spawned from
one ``SeedSequence`` (:mod:`alignlib.simulation.streams`): the stream partition depends only
on the seed and the number of trials, so the numbers are identical whatever the chunk size,
the number of threads, or whether the blocks run on a dask cluster.

A run refuses, before allocating, trials whose result arrays would not fit in the memory
budget (:mod:`alignlib.simulation.memory`). Ctrl-C stops it promptly: pending chunks are
cancelled (threads and dask) and running ones stop at their next block.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from types import ModuleType
from typing import Any

import numpy as np

from alignlib.docstrings import shared_doc
from alignlib.errors import InputError
from alignlib.simulation._docs import FUNNEL, LEADS, block_doc, trials_doc
from alignlib.simulation.draws import simulate_block
from alignlib.simulation.memory import check_memory, result_bytes_per_trial
from alignlib.simulation.model import (
    DEAL_SUM_EXACT_BELOW,
    DealSize,
    FunnelModel,
    LeadVolume,
    build_model,
)
from alignlib.simulation.result import SimulationResult, _readonly

#: Trials per random stream. Fixed (never depends on workers or chunk size) so that the same
#: seed gives the same numbers however the work is scheduled.
BLOCK_TRIALS: int = 65_536

#: Share of a steady-state quarter's wins the windows left out of carry-in may hold before
#: :func:`simulate_funnel` warns.
CARRY_WARN_SHARE: float = 0.01

#: Trials of :func:`simulate_funnel` when neither the caller nor a params file says.
DEFAULT_TRIALS: int = 100_000

#: Common random numbers of a plan search or a sensitivity when the caller does not say
#: (the CLI also caps its plan and sensitivity trials at this).
DEFAULT_SEARCH_TRIALS: int = 20_000

ProgressCallback = Callable[[int], None]

_FUNNEL_REQUIRED = ("leads", "stages", "rates", "deal_size")


def root_entropy(seed: int | None, rng: np.random.Generator | None) -> int:
    """The root entropy of a run: the seed, one integer from ``rng``, or fresh entropy.

    Parameters
    ----------
    seed : int, optional
        Whole number >= 0.
    rng : numpy.random.Generator, optional
        Alternative to ``seed``.

    Returns
    -------
    int
    """
    if seed is not None and rng is not None:
        raise InputError("give either seed or rng, not both")
    if rng is not None:
        return int(rng.integers(0, 2**63))
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed: {seed!r} must be a whole number >= 0")
    return int(seed)


@trials_doc
def check_trials(trials: Any) -> int:
    """``trials`` as an int, or an :class:`~alignlib.errors.InputError` if it is not > 0.

    Returns
    -------
    int
    """
    if isinstance(trials, bool) or not isinstance(trials, int | np.integer) or trials <= 0:
        raise InputError(f"trials: {trials!r} must be a whole number > 0")
    return int(trials)


def resolve_model(model: FunnelModel | None, where: str, funnel: Mapping[str, Any]) -> FunnelModel:
    """The model an entry point runs: ``model``, or one built from its funnel keywords.

    Parameters
    ----------
    model : FunnelModel, optional
        The model, when given.
    where : str
        Entry point named in errors.
    funnel : mapping
        :func:`build_model`'s keyword arguments; ``None`` values count as not given.

    Returns
    -------
    FunnelModel
    """
    given = {k: v for k, v in funnel.items() if v is not None}
    if model is not None:
        if given:
            raise InputError(
                f"{where}: give a FunnelModel or the funnel keywords "
                f"({', '.join(f'{k}=' for k in given)}), not both; "
                "change a model with dataclasses.replace"
            )
        if not isinstance(model, FunnelModel):
            raise InputError(f"{where}: {type(model).__name__} is not a FunnelModel")
        return model
    missing = [k for k in _FUNNEL_REQUIRED if k not in given]
    if missing:
        raise InputError(
            f"{where}: give a FunnelModel, or {', '.join(f'{k}=' for k in _FUNNEL_REQUIRED)} "
            f"(missing: {', '.join(missing)})"
        )
    return build_model(**given)


def checked_inputs(
    model: FunnelModel | None,
    trials: Any,
    seed: int | None,
    rng: np.random.Generator | None,
    where: str,
    funnel: Mapping[str, Any],
) -> tuple[FunnelModel, int, int]:
    """The checked model, trials and root entropy every public entry point starts from.

    Trials are checked first, then the funnel, then seed/rng, so every entry point reports
    the same error for the same bad input.

    Parameters
    ----------
    model : FunnelModel, optional
        The model, or ``None`` to build one from ``funnel``.
    trials : int
        Number of trials.
    seed, rng
        As in :func:`simulate_funnel`.
    where : str
        Entry point named in errors.
    funnel : mapping
        :func:`build_model`'s keyword arguments (``None`` = not given).

    Returns
    -------
    model : FunnelModel
    trials : int
    entropy : int
    """
    n = check_trials(trials)
    m = resolve_model(model, where, funnel)
    return m, n, root_entropy(seed, rng)


def warn_left_out(model: FunnelModel, where: str) -> None:
    """Warn when carry-in leaves out windows holding more than :data:`CARRY_WARN_SHARE` of wins.

    Carry-in covers every window the total lag reaches up to its 0.999 quantile, so this
    only happens for lags of many quarters (more windows than the cap).

    Parameters
    ----------
    model : FunnelModel
        The funnel.
    where : str
        Entry point named in the warning.
    """
    t = model.timing
    if model.carry_in and t is not None and t.carry_left_out > CARRY_WARN_SHARE:
        warnings.warn(
            f"{where}: lead windows beyond the {len(t.carry_offsets)} carried in hold "
            f"{t.carry_left_out:.1%} of a steady-state quarter's wins, which are left out "
            "(the lags span more quarters than carry-in covers)",
            UserWarning,
            stacklevel=3,
        )


@trials_doc
def blocks(trials: int) -> list[tuple[int, int]]:
    """The blocks ``(block, n_trials)`` a run of ``trials`` trials is cut into.

    Returns
    -------
    list of (int, int)
    """
    n_blocks = -(-trials // BLOCK_TRIALS)
    return [(b, min(BLOCK_TRIALS, trials - b * BLOCK_TRIALS)) for b in range(n_blocks)]


def _chunks(blocks: list[tuple[int, int]], chunk_size: int | None) -> list[list[tuple[int, int]]]:
    per = 1 if chunk_size is None else max(1, -(-int(chunk_size) // BLOCK_TRIALS))
    return [blocks[i : i + per] for i in range(0, len(blocks), per)]


class Cancelled(Exception):
    """Raised inside a chunk whose run was cancelled (Ctrl-C): the chunk stops between blocks."""


@block_doc
def run_chunk(
    model: FunnelModel,
    entropy: int,
    blocks: Sequence[tuple[int, int]],
    exact_below: int,
    cancel: threading.Event | None = None,
) -> dict[str, np.ndarray]:
    """Simulate whole blocks ``(block, n_trials)`` and concatenate them (the dask task).

    Parameters
    ----------
    blocks : sequence of (int, int)
        Blocks and their trial counts, consecutive.
    cancel : threading.Event, optional
        Checked before each block: once set, the chunk stops with :class:`Cancelled`.

    Returns
    -------
    dict of ndarray
        As :func:`~alignlib.simulation.draws.simulate_block`, over all the blocks.
    """
    parts = []
    for b, n in blocks:
        if cancel is not None and cancel.is_set():
            raise Cancelled
        parts.append(simulate_block(model, entropy, b, n, exact_below))
    return {
        "counts": np.concatenate([p["counts"] for p in parts], axis=1),
        **{key: np.concatenate([p[key] for p in parts]) for key in parts[0] if key != "counts"},
    }


@shared_doc(parameters={**LEADS, **FUNNEL})
def simulate_funnel(
    model: FunnelModel | None = None,
    *,
    trials: int | None = None,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    workers: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: ProgressCallback | None = None,
    exact_deal_sums_below: int | None = None,
    memory_gb: float | None = None,
    leads: int | LeadVolume | None = None,
    stages: Sequence[str] | None = None,
    rates: Sequence[float | tuple[int, int]] | None = None,
    deal_size: float | tuple[float, float] | DealSize | None = None,
    lags: Sequence[Any] | Mapping[str, Any] | None = None,
    quarter_days: float | None = None,
    lead_window_start: float | None = None,
    carry_in: bool | None = None,
) -> SimulationResult:
    """Simulate ``trials`` quarters of the funnel.

    Give a :class:`FunnelModel`, or (a convenience that builds one with
    :func:`build_model`) the funnel keywords ``leads``, ``stages``, ``rates``,
    ``deal_size`` and optionally ``lags``, ``quarter_days``, ``lead_window_start``,
    ``carry_in``; not both.

    Parameters
    ----------
    model : FunnelModel, optional
        The funnel (see :func:`build_model` and
        :func:`~alignlib.simulation.model_from_params`).
    trials : int, optional
        Number of simulated quarters (> 0); default :data:`DEFAULT_TRIALS`.
    seed : int, optional
        Root of the ``SeedSequence``; the same seed gives the same numbers whatever
        ``chunk_size``, ``workers``, ``client`` or ``scheduler``. Without ``seed`` and
        ``rng`` fresh entropy is used and recorded in ``result.seed``.
    rng : numpy.random.Generator, optional
        Alternative to ``seed``: one integer is drawn from it to seed the run.
    workers : int, optional
        Threads for local runs (default ``os.cpu_count()``); does not change the numbers.
    client : distributed.Client, optional
        Run the chunks on this dask cluster instead of local threads.
    scheduler : str, optional
        Address of a dask scheduler (``tcp://host:8786``); a client is opened and closed.
    chunk_size : int, optional
        Trials per unit of work, rounded up to whole blocks of ``BLOCK_TRIALS``; does not
        change the numbers.
    progress : callable, optional
        Called with the number of trials finished after each chunk (e.g. ``tqdm.update``).
    exact_deal_sums_below : int, optional
        Won-deal counts below this get exact sums of lognormal deals; at or above it the
        three-moment shifted-lognormal approximation. Default
        ``DealSize.exact_sum_below`` (16 for realistic spreads); a huge value makes every
        sum exact.
    memory_gb : float, optional
        Memory budget in GB for the result arrays; default ``ALIGNLIB_MEMORY_GB``, else half
        the machine's memory (:func:`~alignlib.simulation.memory.memory_budget`).

    Returns
    -------
    SimulationResult

    Raises
    ------
    InputError
        For bad rates or counts (naming the stage and the value), zero or negative trials,
        negative leads, a non-positive deal size, lags that do not match the stages, a
        model given together with funnel keywords, or more trials than fit in the memory
        budget (raised before anything is allocated, with the memory they would need).

    Notes
    -----
    Zero leads are a neutral input: every trial has zero wins and zero revenue.
    """
    model, n, entropy = checked_inputs(
        model,
        DEFAULT_TRIALS if trials is None else trials,
        seed,
        rng,
        "simulate_funnel",
        {
            "leads": leads,
            "stages": stages,
            "rates": rates,
            "deal_size": deal_size,
            "lags": lags,
            "quarter_days": quarter_days,
            "lead_window_start": lead_window_start,
            "carry_in": carry_in,
        },
    )
    warn_left_out(model, "simulate_funnel")
    check_memory(
        n,
        result_bytes_per_trial(model),
        where="simulate_funnel",
        what="result arrays",
        memory_gb=memory_gb,
    )
    return _run(
        model,
        n,
        entropy,
        chunk_size=chunk_size,
        workers=workers,
        client=client,
        scheduler=scheduler,
        progress=progress,
        exact_below=(
            model.deal_size.exact_sum_below
            if exact_deal_sums_below is None
            else int(exact_deal_sums_below)
        ),
    )


def _run(
    model: FunnelModel,
    trials: int,
    entropy: int,
    *,
    chunk_size: int | None = None,
    workers: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    progress: ProgressCallback | None = None,
    exact_below: int = DEAL_SUM_EXACT_BELOW,
) -> SimulationResult:
    chunks = _chunks(blocks(trials), chunk_size)
    n_stages = len(model.stages)
    counts = np.empty((n_stages, trials), dtype=np.int32)
    revenue = np.empty(trials, dtype=np.float64)
    zeros = np.broadcast_to(np.float64(0.0), (trials,))
    won_in = counts[-1]
    carried = np.broadcast_to(np.int32(0), (trials,))
    revenue_after = revenue_before = zeros
    if model.has_lags:
        won_in = np.empty(trials, dtype=np.int32)
        revenue_after = np.empty(trials, dtype=np.float64)
        if model.lead_window_start < 0:
            revenue_before = np.empty(trials, dtype=np.float64)
        if model.carry_in:
            carried = np.empty(trials, dtype=np.int32)
    lock = threading.Lock()
    cancel = threading.Event()

    def store(chunk: list[tuple[int, int]], part: dict[str, np.ndarray]) -> None:
        start = chunk[0][0] * BLOCK_TRIALS
        stop = start + sum(nb for _, nb in chunk)
        counts[:, start:stop] = part["counts"]
        revenue[start:stop] = part["revenue"]
        if model.has_lags:
            won_in[start:stop] = part["won_in_quarter"]
            revenue_after[start:stop] = part["revenue_after"]
            if model.lead_window_start < 0:
                revenue_before[start:stop] = part["revenue_before"]
            if model.carry_in:
                carried[start:stop] = part["won_carried_in"]
        if progress is not None:
            with lock:
                progress(stop - start)

    if client is not None or scheduler is not None:
        _run_dask(model, entropy, chunks, exact_below, client, scheduler, store)
    else:
        n_workers = (os.cpu_count() or 1) if workers is None else int(workers)
        if n_workers < 1:
            raise InputError(f"workers: {workers!r} must be >= 1")
        if n_workers == 1 or len(chunks) == 1:
            for chunk in chunks:
                store(chunk, run_chunk(model, entropy, chunk, exact_below))
        else:
            _run_threads(model, entropy, chunks, exact_below, n_workers, cancel, store)

    return SimulationResult(
        stages=model.stages,
        stage_counts=_readonly(counts),
        won_in_quarter=_readonly(won_in),
        won_carried_in=_readonly(carried),
        revenue=_readonly(revenue),
        revenue_after=_readonly(revenue_after),
        revenue_before=_readonly(revenue_before),
        trials=trials,
        seed=entropy,
        model=model,
    )


def _run_threads(
    model: FunnelModel,
    entropy: int,
    chunks: list[list[tuple[int, int]]],
    exact_below: int,
    n_workers: int,
    cancel: threading.Event,
    store: Callable[[list[tuple[int, int]], dict[str, np.ndarray]], None],
) -> None:
    """Run the chunks on a thread pool; on any exception (Ctrl-C) cancel and stop promptly.

    A ``with ThreadPoolExecutor`` block would wait for every queued chunk before letting a
    KeyboardInterrupt through; instead queued chunks are cancelled and running ones stop
    at their next block (``cancel``).
    """
    pool = ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="alignlib-sim")
    try:
        futures = {
            pool.submit(run_chunk, model, entropy, chunk, exact_below, cancel): chunk
            for chunk in chunks
        }
        for fut in as_completed(futures):
            # pop: a stored chunk's arrays are freed instead of kept alive by its future
            store(futures.pop(fut), fut.result())
    except BaseException:
        cancel.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


#: How long connecting to a dask scheduler may take before the run stops (a scheduler
#: that is up answers in well under a second).
CONNECT_TIMEOUT_S = 5.0


def _distributed() -> ModuleType:
    """The dask.distributed module a cluster run needs, or an InputError saying so."""
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise InputError(f"dask.distributed is needed for a cluster run: {exc}") from None
    return distributed


def connect_scheduler(address: str, *, timeout_s: float = CONNECT_TIMEOUT_S) -> Any:
    """A dask.distributed client of the scheduler at ``address``, or a clear error.

    Parameters
    ----------
    address : str
        E.g. ``tcp://127.0.0.1:8786``.
    timeout_s : float
        How long to try.

    Returns
    -------
    distributed.Client

    Raises
    ------
    InputError
        Naming the address, how long it tried and why it failed (``connection
        refused``, a timeout, a bad address).
    """
    import re

    Client = _distributed().Client
    try:
        return Client(address, timeout=f"{timeout_s:g}s")
    except (OSError, ValueError, TypeError) as exc:
        # distributed's own message says "timed out"; the cause says why (refused, no route)
        texts = [str(e).strip() for e in (exc.__cause__, exc) if e is not None]
        text = next((t for t in texts if t), "no answer")
        reason = re.sub(r"^\[Errno \d+\]\s*", "", text.rsplit(": ", 1)[-1]).strip()
        raise InputError(
            f"--scheduler {address}: cannot connect within {timeout_s:g} s: "
            f"{reason[:1].lower() + reason[1:]}"
        ) from None


def _run_dask(
    model: FunnelModel,
    entropy: int,
    chunks: list[list[tuple[int, int]]],
    exact_below: int,
    client: Any,
    scheduler: str | None,
    store: Callable[[list[tuple[int, int]], dict[str, np.ndarray]], None],
) -> None:
    """Submit one task per chunk to a dask.distributed cluster; store results as they arrive."""
    dask_as_completed = _distributed().as_completed
    own = client is None
    if own:
        client = connect_scheduler(str(scheduler))
    try:
        # a key of its own: two clients scattering the same model share a content-hashed key,
        # and one releasing it can cancel the other's tasks ("lost dependencies")
        model_future = client.scatter(model, broadcast=True, hash=False)
        futures = [
            client.submit(run_chunk, model_future, entropy, chunk, exact_below, pure=True)
            for chunk in chunks
        ]
        index = {f.key: chunk for f, chunk in zip(futures, chunks, strict=True)}
        try:
            for fut in dask_as_completed(futures):
                store(index[fut.key], fut.result())
                fut.release()
        except BaseException:
            # Ctrl-C (or a failed chunk): the cluster drops what is queued or running
            client.cancel(futures)
            raise
    finally:
        if own:
            client.close()
