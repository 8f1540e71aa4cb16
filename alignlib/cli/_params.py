"""The parameters file a verb reads: its argument, loaded and learned from its actuals."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from alignlib.cli._docs import ADD_OPTION, ARGS, INGEST
from alignlib.docstrings import shared_doc

if TYPE_CHECKING:
    from alignlib.params import QuarterParams


@ADD_OPTION
def add_params(
    parser: argparse.ArgumentParser, help: str = "parameters YAML file, e.g. params/2026Q4.yaml"
) -> None:
    """The positional ``params`` argument."""
    parser.add_argument("params", help=help)


@shared_doc(parameters=ARGS)
def learned_params(args: argparse.Namespace) -> QuarterParams:
    """``args.params`` loaded and learned from, with ``--scenario`` and ``--max-rejected``.

    What every verb that plans starts from: the file validated, what it leaves to the
    actuals learned from them (:func:`alignlib.history.learning.load_learned`), then the
    scenario applied. A verb without ``--scenario`` or ``--max-rejected`` gets the base
    and the file's limit.

    Returns
    -------
    QuarterParams

    Raises
    ------
    ParamsError
        Naming the file, the key and what is wrong (the runner prints it, exit 2).
    """
    from alignlib.history.learning import load_learned

    return load_learned(
        args.params,
        getattr(args, "scenario", None),
        max_rejected=getattr(args, "max_rejected", None),
    )


def add_actuals_params(
    parser: argparse.ArgumentParser, trials_help: str = "simulated quarters (default: the file's)"
) -> None:
    """Add the options of a verb that forecasts from the actuals to ``parser``.

    The file (with actuals), ``--trials`` (``trials_help``) and ``--seed``
    (:func:`alignlib.cli._args.add_trials_and_seed`) and ``--max-rejected``.
    """
    from alignlib.cli._args import add_max_rejected, add_trials_and_seed

    add_params(parser, "parameters YAML file with actuals, e.g. params/2026Q4.yaml")
    add_trials_and_seed(parser, trials_help)
    add_max_rejected(parser)


@shared_doc(parameters=ARGS)
def learned_with_actuals(args: argparse.Namespace, verb: str) -> tuple[QuarterParams, Any]:
    """``args.params`` learned (:func:`learned_params`) and the actuals it was learned from.

    Parameters
    ----------
    verb : str
        The verb, named in the error when the file has no ``actuals:`` section.

    Returns
    -------
    (QuarterParams, IngestResult)
        The parameters and the learned reading (its limits already held).

    Raises
    ------
    InputError
        Without an ``actuals:`` section.
    """
    from alignlib.forecast.landing import require_actuals
    from alignlib.history.learning import read_actuals

    params = learned_params(args)
    require_actuals(params, verb)
    return params, read_actuals(params)


@shared_doc(parameters=INGEST)
def rejected_summary(ingest: Any) -> dict[str, Any]:
    """The ``rejected`` block of a verb's JSON: rows rejected, in all and by stage.

    Returns
    -------
    dict
        ``{"rows": int, "by_stage": {stage: int}}``.
    """
    from alignlib.crm.summary import stage_losses

    return {
        "rows": ingest.rejected,
        "by_stage": {x.stage: x.rejected for x in stage_losses(ingest)},
    }


@shared_doc(parameters=INGEST)
def losses_line(ingest: Any) -> str | None:
    """The sentence saying what the reading's rejections removed, or None.

    Returns
    -------
    str or None
    """
    from alignlib.crm.summary import losses_note

    note = losses_note(ingest)
    return f"From the export as read: {note} (`alignlib ingest` lists why)." if note else None
