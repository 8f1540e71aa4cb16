"""What a parameters file's actuals teach, read once per file version.

The plan learns each channel's funnel, the lead volume's growth and its seasonality from
the CRM export the params name; building a plan per scenario or per what-if move must not
read the export again. :func:`actuals_history` caches it by the ``actuals`` section, the
funnel and the files' modification times and sizes.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alignlib.errors import AlignError

if TYPE_CHECKING:
    from alignlib.crm import IngestResult
    from alignlib.history import FunnelHistory
    from alignlib.params import QuarterParams


@dataclass(frozen=True)
class ActualsHistory:
    """What a parameters file's actuals teach.

    Attributes
    ----------
    overall : FunnelHistory
        The whole table: rates, monthly lead volume and its variation, deal sizes.
    by_channel : dict
        Channel -> its own history (:func:`alignlib.channel_funnels.learn_by_channel`).
    ingest : IngestResult
        What was read, for other lessons drawn from the same table (the hand-off pattern).
    """

    overall: FunnelHistory
    by_channel: dict[str, FunnelHistory]
    ingest: IngestResult


_CACHE: dict[tuple[Any, ...], ActualsHistory | None] = {}
# Reads made elsewhere (learning a small params file's gaps at load), handed over once.
_READS: dict[tuple[Any, ...], IngestResult] = {}
_PROBLEMS: dict[tuple[Any, ...], str] = {}
_LOCK = threading.Lock()


def _files_of(value: Any) -> list[tuple[str, int, int]]:
    """Every existing file a (nested) actuals section names, with its mtime and size."""
    out: list[tuple[str, int, int]] = []
    if isinstance(value, dict):
        for v in value.values():
            out += _files_of(v)
    elif isinstance(value, str | os.PathLike) and os.path.isfile(value):
        st = os.stat(value)
        out.append((str(value), st.st_mtime_ns, st.st_size))
    return out


def actuals_key(params: QuarterParams) -> tuple[Any, ...]:
    """What identifies a read of ``params.actuals``: the section, the funnel, the files' versions.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters with an ``actuals`` section.

    Returns
    -------
    tuple
        A hashable key that changes when the section, the stages or a named file change.
    """
    assert params.actuals is not None
    dumped = params.actuals.model_dump(mode="python")
    return (params.actuals.model_dump_json(), tuple(params.stage_names), tuple(_files_of(dumped)))


def remember_read(params: QuarterParams, ingest: IngestResult) -> None:
    """Hand over a read of ``params.actuals`` made elsewhere, so it is not read again.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters whose ``actuals`` were read.
    ingest : IngestResult
        What :func:`alignlib.crm.load_actuals` returned for them.
    """
    if params.actuals is None:
        return
    key = actuals_key(params)
    with _LOCK:
        if key not in _CACHE:
            _READS[key] = ingest


def actuals_history(params: QuarterParams) -> ActualsHistory | None:
    """The history of ``params.actuals``, read once per file version and funnel.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters.

    Returns
    -------
    ActualsHistory or None
        None without an ``actuals`` section, for a source that is not an export file (a
        SQL source is read elsewhere), or when the export cannot be read (the reason is
        :func:`actuals_problem`'s).
    """
    if params.actuals is None:
        return None
    key = actuals_key(params)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        from alignlib import crm
        from alignlib.channel_funnels import learn_by_channel
        from alignlib.history import learn

        history: ActualsHistory | None = None
        try:
            ingest = _READS.pop(key, None) or crm.load_actuals(params)
            stages = tuple(params.stage_names)
            if "channel" in ingest.table.columns:
                by_channel = learn_by_channel(ingest.table, ingest.as_of, stages)
            else:
                by_channel = {}
            history = ActualsHistory(
                overall=learn(ingest.table, ingest.as_of, stages),
                by_channel=by_channel,
                ingest=ingest,
            )
        except AlignError as exc:
            _PROBLEMS[key] = str(exc).splitlines()[0]
        _CACHE[key] = history
        return history


def read_actuals(params: QuarterParams) -> IngestResult:
    """The export ``params.actuals`` names: the plan's cached read when there is one.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters with an ``actuals`` section.

    Returns
    -------
    IngestResult
        What :func:`alignlib.crm.load_actuals` reads; its errors are raised as it raises them.
    """
    history = actuals_history(params)
    if history is not None:
        return history.ingest
    from alignlib import crm

    return crm.load_actuals(params)


def actuals_problem(params: QuarterParams) -> str | None:
    """Why :func:`actuals_history` gave None for actuals that exist (None when it did not).

    Parameters
    ----------
    params : QuarterParams
        Validated parameters.

    Returns
    -------
    str or None
        The first line of the error that reading the actuals raised.
    """
    if params.actuals is None:
        return None
    return _PROBLEMS.get(actuals_key(params))
