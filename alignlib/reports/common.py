"""What every report shares: finding and loading parameters, labels, small frames."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib import format as fmt
from alignlib import paths
from alignlib.docstrings import PARAMS_DOC
from alignlib.errors import InputError
from alignlib.format import count, pct

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.snapshot import QuarterSnapshot


def html_text(value: Any) -> str:
    """``value`` as text safe anywhere in a page's HTML, attribute values included.

    :func:`html.escape` of its ``str``: the pages write figures and labels as well as text.

    Parameters
    ----------
    value : object
        A label, a figure or text.

    Returns
    -------
    str
    """
    return html.escape(str(value), quote=True)


def resolve_params_path(params_path: str | Path) -> Path:
    """Find a parameters file named relative to the working folder or the project.

    Notebooks run with the notebook's folder as working directory (JupyterLab,
    papermill, nbval), so ``../params/2026Q4.yaml`` works there; a bare name such
    as ``2026Q4.yaml`` is also looked up in ``params/`` and relative to ``notebooks/``.

    Parameters
    ----------
    params_path : str or Path

    Returns
    -------
    Path
        An existing file (absolute).

    Raises
    ------
    InputError
        When no candidate exists; the message lists where it looked.
    """
    path = Path(params_path).expanduser()
    candidates = (
        [path]
        if path.is_absolute()
        else [
            Path.cwd() / path,
            paths.NOTEBOOKS_DIR / path,
            paths.PARAMS_DIR / path,
            paths.PROJECT_ROOT / path,
        ]
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    looked = ", ".join(str(c) for c in candidates)
    raise InputError(f"parameters file {params_path!r} not found (looked in: {looked})")


def load_report_params(params_path: str | Path, scenario: str | None = None) -> QuarterParams:
    """Load, validate and learn a parameters file for a report, with an optional scenario applied."""
    from alignlib.history.learning import load_learned

    return load_learned(resolve_params_path(params_path), scenario)


def report_snapshot(
    params_path: str | Path,
    snapshot_path: str | Path | None = None,
    *,
    scenario: str | None = None,
    trials: int | None = None,
    seed: int | None = None,
    week_ending: str | None = None,
) -> QuarterSnapshot:
    """The quarter snapshot a report renders from: the batch's, or computed here.

    Parameters
    ----------
    params_path : str or Path
        The parameters file (used when there is no snapshot to read).
    snapshot_path : str or Path, optional
        The snapshot the batch computed for this segment (its folder or file).
    scenario : str, optional
        Plan a scenario of the file instead of the base (computed here).
    trials : int, optional
        Simulated quarters; default the file's ``simulation.trials``.
    seed : int, optional
        Default the file's ``simulation.seed``.
    week_ending : str, optional
        The scorecard's week (default the data date's last full week).

    Returns
    -------
    QuarterSnapshot
    """
    from alignlib.snapshot import load_snapshot, quarter_snapshot

    if snapshot_path and not scenario:
        return load_snapshot(snapshot_path)
    params = load_report_params(params_path, scenario)
    return quarter_snapshot(params, trials=trials, seed=seed, week_ending=week_ending or None)


def stage_owners(params: QuarterParams) -> dict[str, str]:
    """Stage name -> owning team (``marketing`` or ``sales``), for colouring charts."""
    return {s.name: s.owner for s in params.stages}


def as_frame(rows: list[dict[str, Any]], index: str) -> pd.DataFrame:
    """Records as a DataFrame indexed by ``index`` (empty frame when there are none)."""
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame.from_records(rows).set_index(index)


def sla_frame(frame: pd.DataFrame, params: QuarterParams) -> pd.DataFrame:
    """SLA columns for reading, channel labels from the parameters."""
    cols = [
        c
        for c in (
            "handoffs",
            "compliance",
            "median_hours",
            "p90_hours",
            "acceptance_rate",
            "recycle_rate",
        )
        if c in frame.columns
    ]
    out = frame[cols].copy()
    if out.index.name == "channel":
        out.index = [
            (params.channels[c].label or str(c)) if c in params.channels else str(c)
            for c in out.index
        ]
        out.index.name = "channel"
    return out


@PARAMS_DOC
def handoff_stage(params: QuarterParams) -> str:
    """The stage where sales takes over and the response SLA starts.

    Returns
    -------
    str
        ``capacity.handoff_stage`` when there is a capacity section, else ``mql`` when
        the funnel has it, else its second stage (the default of that key).
    """
    if params.capacity is not None:
        return params.capacity.handoff_stage
    names = params.stage_names
    return "mql" if "mql" in names else names[min(1, len(names) - 1)]


_LEARNED_WORDS = {
    "conversion_rates": "rates",
    "lag_days": "lags",
    "deal_size": "deal size",
    "channels": "the channel mix",
}


@PARAMS_DOC
def learned_note(params: QuarterParams) -> str | None:
    """What the parameters learned from the actuals at load, in one sentence.

    Returns
    -------
    str or None
        E.g. "Rates, lags and deal size learned from 36,496 contacts in cohorts older
        than 122 days, as of 2026-11-19."; None when nothing was learned.
    """
    history = params.learned
    if history is None or not params.learned_keys:
        return None
    words = [_LEARNED_WORDS.get(k, k.replace("_", " ")) for k in params.learned_keys]
    what = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    cohorts = (
        history.cohorts_note()
        if history.undated
        else f"cohorts older than {history.maturity_days:.0f} days"
    )
    return (
        f"{what[0].upper()}{what[1:]} learned from {count(history.contacts)} contacts in "
        f"{cohorts}, as of {fmt.date_text(history.as_of)}."
    )


def rejected_note(ingest: Any) -> str:
    """The rows read from the actuals, and the share rejected, in words.

    Parameters
    ----------
    ingest : IngestResult
        What :func:`alignlib.crm.load_actuals` read.

    Returns
    -------
    str
        ``"1,200 of 1,250 rows used, 50 rejected (4.0%; `alignlib ingest` lists why)"``,
        or ``"all 1,250 rows used"``; then the rows kept without a field, per field
        (``"; 22 rows kept without a field that could not be read (close_date 3, ...)"``).
    """
    kept = _kept_note(ingest)
    if not ingest.rejected:
        return f"all {count(ingest.accepted)} rows used{kept}"
    from alignlib.crm.summary import stage_losses

    share = ingest.rejected / ingest.rows_read if ingest.rows_read else float("nan")
    # Which stages the rejections emptied, so a low figure is read as what it is.
    losses = [
        f"{count(x.rejected)} of the {count(x.rejected + x.accepted)} that reached {x.stage}"
        for x in stage_losses(ingest)
    ]
    among = f", among them {'; '.join(losses)}" if losses else ""
    return (
        f"{count(ingest.accepted)} of {count(ingest.rows_read)} rows used, "
        f"{count(ingest.rejected)} rejected ({pct(share, 1)}{among}; `alignlib ingest` "
        f"lists why){kept}"
    )


def _kept_note(ingest: Any) -> str:
    """The rows kept without a field they had, per field (``""`` when none).

    A row with one bad field keeps the others, so its figure counts where that field is
    not needed: the reader is told which fields were dropped and from how many rows.
    """
    kept = ingest.kept_with_dropped_field
    if not kept:
        return ""
    fields = sorted(ingest.dropped_fields.items(), key=lambda kv: -int(kv[1]["count"]))
    each = ", ".join(f"{name} {count(d['count'])}" for name, d in fields)
    rows = "row" if kept == 1 else "rows"
    return f"; {count(kept)} {rows} kept without a field that could not be read ({each})"


def optional_note(text: str | None) -> Any:
    """One line of text, or nothing when there is none to show.

    Used where a report leaves out a section ("No capacity section: the capacity check
    is left out.") or states what it learned.

    Parameters
    ----------
    text : str or None
        The line.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    from alignlib import display

    return display.note(text) if text else HTML("")
