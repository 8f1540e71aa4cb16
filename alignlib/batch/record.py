"""What a report notebook records for the batch runner, and how the runner reads it back.

Notebooks call :func:`record_headline` and :func:`record_table`, which display a readable
card (or nothing) *and* attach the raw figures under a private MIME type. The runner reads
them from the executed notebook with :func:`read_records`: no side files, so it works on
remote dask workers too.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from alignlib.errors import InputError
from alignlib.format import jsonable

#: MIME types the runner reads back from executed notebooks.
HEADLINE_MIME = "application/vnd.alignlib.headline+json"
TABLE_MIME = "application/vnd.alignlib.table+json"


def record_headline(
    *,
    target: float | None = None,
    p_hit: float | None = None,
    required_leads: float | None = None,
    budget: float | None = None,
    currency: str = "USD",
    display: bool = True,
    **extra: Any,
) -> None:
    """Show a report's key figures as a card and record them for the batch runner.

    The runner reads the figures back from the executed notebook and puts them in
    the report's JSON summary and on the index page.

    Parameters
    ----------
    target : float, optional
        Bookings target of the quarter.
    p_hit : float, optional
        Probability (0-1) of reaching the target.
    required_leads : float, optional
        Leads the plan needs.
    budget : float, optional
        Marketing budget of the plan.
    currency : str
        ISO code used to format money.
    display : bool
        Show the card (default). ``False`` records silently.
    **extra
        More figures to record (numbers or short strings); shown on the card too.
    """
    from alignlib import display as disp

    figures = {
        "target": target,
        "p_hit": p_hit,
        "required_leads": required_leads,
        "budget": budget,
        **extra,
    }
    figures = {k: jsonable(v) for k, v in figures.items() if v is not None}
    figures["currency"] = currency
    card = disp.key_figures_html(figures, currency=currency) if display else ""
    _display_bundle({HEADLINE_MIME: figures, "text/html": card, "text/plain": ""})


def record_quarter(
    numbers: Any, *, display: bool = True, compact: bool = False, **extra: Any
) -> None:
    """Open a page with the quarter's answer and record the snapshot's headline for the batch.

    Every report of a segment calls this with the same :class:`~alignlib.snapshot.QuarterNumbers`,
    so the index, the summaries (``quarter_numbers``) and every page's opening agree.

    Parameters
    ----------
    numbers : QuarterNumbers
        The snapshot's headline.
    display : bool
        Show the answer (one line and five figures); ``False`` records silently.
    compact : bool
        The five figures as one line of text (printed pages with a page budget).
    **extra
        Figures of this report only (recorded beside, not inside, ``quarter_numbers``).
    """
    from alignlib import display as disp

    block = numbers.to_dict()
    figures = {
        # this report's own figures never replace the quarter's (they are named apart)
        **{k: jsonable(v) for k, v in extra.items() if v is not None},
        "target": block["target"],
        "p_hit": block["p_hit"],
        "p_hit_at_plan": block["p_hit_at_plan"],
        "required_leads": block["required_leads"],
        "budget": block["budget"],
        "booked": block["booked"],
        "landing_p50": block["landing_p50"],
        "as_of": block["as_of"],
        "quarter_numbers": block,
        "currency": numbers.currency,
    }
    card = disp.quarter_answer_html(numbers, compact=compact) if display else ""
    _display_bundle({HEADLINE_MIME: figures, "text/html": card, "text/plain": ""})


def record_table(name: str, frame: Any, *, title: str | None = None) -> None:
    """Record a table for export as ``<name>.csv`` and a sheet of ``<report>.xlsx``.

    Nothing is shown: display the formatted table with :mod:`alignlib.display`.

    Parameters
    ----------
    name : str
        File stem of the CSV and the sheet name (letters, digits, ``_``, ``-``).
    frame : pandas.DataFrame
        The raw numbers (not formatted strings), index included.
    title : str, optional
        A longer description kept in the summary.

    Raises
    ------
    InputError
        When ``name`` cannot be a file name and a sheet name.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,31}", name):
        raise InputError(
            f"record_table: name {name!r} must be 1-31 letters, digits, '_' or '-' "
            "(it becomes a file name and a spreadsheet sheet name)"
        )
    payload = {
        "name": name,
        "title": title or name,
        "table": json.loads(frame.to_json(orient="table")),
    }
    _display_bundle({TABLE_MIME: payload, "text/plain": ""})


def _display_bundle(bundle: dict[str, Any]) -> None:
    """Display a raw MIME bundle when running in a kernel; do nothing otherwise."""
    from IPython import get_ipython
    from IPython.display import display

    if get_ipython() is None:
        return
    display(bundle, raw=True)


def read_records(nb: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Headline figures and tables a notebook recorded (last headline wins).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook.

    Returns
    -------
    headline : dict
        The headline figures.
    tables : dict
        The recorded tables by name (``{"name", "title", "table"}``).
    """
    headline: dict[str, Any] = {}
    tables: dict[str, dict[str, Any]] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if HEADLINE_MIME in data:
                headline.update(data[HEADLINE_MIME])
            if TABLE_MIME in data:
                payload = data[TABLE_MIME]
                tables[payload["name"]] = payload
    return headline, tables


def table_frame(payload: dict[str, Any]) -> Any:
    """The DataFrame of a recorded table (the inverse of :func:`record_table`).

    Parameters
    ----------
    payload : dict
        One table from :func:`read_records`.

    Returns
    -------
    pandas.DataFrame
        The numbers, index and index name as recorded.
    """
    import pandas as pd

    return pd.read_json(io.StringIO(json.dumps(payload["table"])), orient="table")
