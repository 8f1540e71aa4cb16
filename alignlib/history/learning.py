"""Learning from the actuals: the one step that reads a parameters file's CRM source.

Loading a params file reads no data (:func:`alignlib.params.load_params`). This step reads
the actuals once, learns what they teach (rates, lags, deal size, volume, each channel's
differences) and fills the sections the file leaves to the actuals. The parameters it
returns hold what was read, so a plan, a simulation, a forecast or a what-if move built
from them never reads the export again. Nothing is cached at module level: what is read
once is held by the parameters object, as a statsmodels results object holds its fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alignlib.docstrings import PARAMS_DOC, shared_doc
from alignlib.errors import AlignError, ParamsError, Problem

if TYPE_CHECKING:
    from alignlib.crm import IngestResult
    from alignlib.history.funnel import FunnelHistory
    from alignlib.params import QuarterParams


@dataclass(frozen=True)
class ActualsHistory:
    """What a parameters file's actuals teach.

    Attributes
    ----------
    overall : FunnelHistory
        The whole table: rates, monthly lead volume and its variation, deal sizes.
    by_channel : dict
        Channel -> its own history (:func:`alignlib.history.channels.learn_by_channel`).
    ingest : IngestResult
        What was read, for other lessons drawn from the same table (the hand-off pattern,
        actuals against plan, the landing forecast, the scorecard).
    """

    overall: FunnelHistory
    by_channel: dict[str, FunnelHistory]
    ingest: IngestResult


#: The Parameters entry of a function that reads the actuals the parameters name.
_OF_ACTUALS = shared_doc(
    parameters={"params : QuarterParams": "Validated parameters with an ``actuals`` section."}
)


@_OF_ACTUALS
def learn_history(params: QuarterParams, ingest: IngestResult | None = None) -> ActualsHistory:
    """Read ``params.actuals`` (unless given) and learn what they teach.

    Parameters
    ----------
    ingest : IngestResult, optional
        The actuals already read.

    Returns
    -------
    ActualsHistory

    Raises
    ------
    AlignError
        When the actuals cannot be read (the CRM loaders' errors).
    """
    from alignlib import crm
    from alignlib.history.channels import learn_by_channel
    from alignlib.history.funnel import learn

    ingest = ingest if ingest is not None else crm.load_actuals(params)
    stages = tuple(params.stage_names)
    overall = learn(ingest.table, ingest.as_of, stages)
    by_channel = (
        learn_by_channel(ingest.table, ingest.as_of, stages, overall)
        if "channel" in ingest.table.columns
        else {}
    )
    return ActualsHistory(overall=overall, by_channel=by_channel, ingest=ingest)


def learn_params(params: QuarterParams, ingest: IngestResult | None = None) -> QuarterParams:
    """The parameters completed from their actuals: read once, learned once.

    Sections the file leaves to the actuals (missing or ``from_actuals``) are learned;
    every section the file writes is kept as written. The result holds what was read
    (:attr:`~alignlib.params.QuarterParams.history`), and its scenarios keep it.

    Parameters
    ----------
    params : QuarterParams
        From :func:`alignlib.params.load_params`.
    ingest : IngestResult, optional
        The actuals already read (e.g. by ``alignlib ingest``); read here otherwise.

    Returns
    -------
    QuarterParams
        ``params`` itself without actuals; otherwise a learned copy. When the actuals
        cannot be read and nothing has to be learned, the copy records why
        (:attr:`~alignlib.params.QuarterParams.actuals_problem`) and plans on the params.

    Raises
    ------
    ParamsError
        When sections must be learned and the actuals cannot be read or cannot teach
        them; the message names the file and the sections.
    """
    if params.actuals is None or params.is_learned:
        return params
    gaps = params.pending_keys
    path = params.source_path
    try:
        history = learn_history(params, ingest)
    except AlignError as exc:
        if gaps:
            raise ParamsError(
                path or "<params>",
                [Problem(", ".join(gaps), f"cannot be learned from the actuals: {exc}")],
            ) from None
        out = params.model_copy()
        out._actuals_problem = str(exc).splitlines()[0]
        out._actuals_error = exc
        out._is_learned = True
        return out
    if not gaps:
        out = params.model_copy()
    else:
        out = _completed(params, gaps, history)
    out._history = history
    out._is_learned = True
    return out


def _completed(
    params: QuarterParams, gaps: tuple[str, ...], history: ActualsHistory
) -> QuarterParams:
    """The params with the ``gaps`` sections learned and validated like the file's own."""
    from alignlib.history.funnel import learned_sections
    from alignlib.params.validate import _validate

    path = params.source_path
    try:
        sections = learned_sections(params, gaps, history.ingest, history.overall)
    except AlignError as exc:
        raise ParamsError(
            path or "<params>",
            [Problem(", ".join(gaps), f"cannot be learned from the actuals: {exc}")],
        ) from None
    raw = {k: v for k, v in params._raw.items() if k not in gaps} | sections
    out = _validate(raw, path or Path("<params>"), prefix="", lines=params._lines)
    out._scenario_name = params.scenario_name
    out._learned = history.overall
    out._learned_keys = gaps
    return out


@PARAMS_DOC
def actuals_history(params: QuarterParams) -> ActualsHistory | None:
    """What the actuals of ``params`` teach: the learned reading, never a second read.

    Returns
    -------
    ActualsHistory or None
        None without actuals or when they could not be read. Parameters that were not
        learned yet are learned here (one read, not kept: learn once with
        :func:`learn_params` and pass the result on).
    """
    if params.actuals is None:
        return None
    return learn_params(params).history


@_OF_ACTUALS
def read_actuals(params: QuarterParams) -> IngestResult:
    """The export ``params.actuals`` names, as the learning step read it.

    Returns
    -------
    IngestResult
        What :func:`alignlib.crm.load_actuals` read; its errors are raised as it raises them.
    """
    history = actuals_history(params)
    if history is not None:
        return history.ingest
    if params.is_learned and params._actuals_error is not None:
        # The learning step read them and they could not be used: the same error, not
        # a second read that a figure could then be computed from.
        raise params._actuals_error
    from alignlib import crm

    return crm.load_actuals(params)


def load_learned(
    path: str | Path, scenario: str | None = None, *, max_rejected: float | None = None
) -> QuarterParams:
    """Load a parameters file and learn from its actuals: what every command starts from.

    Parameters
    ----------
    path : str or Path
        The YAML file.
    scenario : str, optional
        A scenario of the file to apply (after learning, so it keeps the same reading).
    max_rejected : float, optional
        The rejected-share limit (``--max-rejected``); None: ``alignlib run``'s
        (:func:`max_rejected_from_env`), else the file's.

    Returns
    -------
    QuarterParams
        Learned parameters (:func:`learn_params`).

    Raises
    ------
    ParamsError
        As :func:`alignlib.params.load_params` and :func:`learn_params` raise it.
    """
    from alignlib.params import load_params

    if max_rejected is None:
        max_rejected = max_rejected_from_env()
    return learn_params(load_params(path).with_max_rejected(max_rejected)).with_scenario(scenario)


#: ``alignlib run --max-rejected`` reaches the report kernels and snapshot workers it starts
#: through the environment they inherit (as ``ALIGNLIB_OUTPUTS`` does).
MAX_REJECTED_ENV = "ALIGNLIB_MAX_REJECTED"


def max_rejected_from_env() -> float | None:
    """The rejected-share limit ``alignlib run --max-rejected`` set, or None.

    Returns
    -------
    float or None
        None when unset, blank or not a share in [0, 1] (the file's limit then holds).
    """
    import os

    text = os.environ.get(MAX_REJECTED_ENV, "").strip()
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 <= value <= 1 else None
