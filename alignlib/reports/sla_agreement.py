"""The SLA agreement between sales and marketing: what both VPs print and sign.

:func:`build_agreement` reads the stage definitions, the response and acceptance times and
the recycling rules from the parameters, says how compliance is measured (what
:func:`alignlib.metrics.sla` does) and where it stands this quarter. The ``*_html``
functions write its parts with the ``ag-`` classes of ``alignlib/batch/templates/scorecard.css``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib import format as fmt
from alignlib.docstrings import shared_doc
from alignlib.reports.common import handoff_stage
from alignlib.reports.common import html_text as _e

if TYPE_CHECKING:
    from alignlib.params import QuarterParams

#: Left blank on the page where the parameters set no SLA, for the two VPs to fill in.
BLANK = "____"


@dataclass(frozen=True)
class StageRow:
    """One stage of the shared funnel as the agreement states it."""

    name: str
    label: str
    owner: str
    definition: str
    entry_criteria: str


@dataclass(frozen=True)
class Standing:
    """Where the SLA stands this quarter (hand-offs from the quarter's start to ``as_of``).

    Attributes
    ----------
    handoffs : int
        Hand-offs counted (answered, or whose response window has closed).
    compliance : float or None
        Share answered within the response time.
    median_hours, p90_hours : float or None
        Response time, P50 and P90, of the answered hand-offs.
    never_answered : int
        Hand-offs with no response logged once their window closed.
    acceptance_rate : float or None
        Accepted, of the hand-offs decided (accepted, recycled or disqualified).
    accepted_within : float or None
        Accepted within the acceptance time, of the accepted ones with a date.
    recycle_rate : float or None
        Returned to nurture without being accepted, of the hand-offs.
    """

    handoffs: int
    compliance: float | None
    median_hours: float | None
    p90_hours: float | None
    never_answered: int
    acceptance_rate: float | None
    accepted_within: float | None
    recycle_rate: float | None


@dataclass(frozen=True)
class SlaAgreement:
    """The agreement for one segment.

    Attributes
    ----------
    quarter, segment : str
    handoff, accepted : str
        The hand-off stage (the clock starts when a contact enters it) and the stage that
        means "accepted" (None when the funnel has none after the hand-off).
    stages : tuple of StageRow
    has_sla : bool
        False when the parameters have no ``sla`` section (the times are left blank).
    response_hours, acceptance_hours, compliance_target : float or None
    attempts_before_recycling, nurture_days : int or None
    reasons : tuple of (str, str)
        Recycling reason code and its meaning.
    return_criteria : str
    measurement : tuple of str
        How compliance is measured, one sentence each.
    standing : Standing or None
        None without an SLA or actuals.
    standing_note : str
        What the standing covers, or why there is none.
    """

    quarter: str
    segment: str
    handoff: str
    accepted: str | None
    stages: tuple[StageRow, ...]
    has_sla: bool
    response_hours: float | None
    acceptance_hours: float | None
    compliance_target: float | None
    attempts_before_recycling: int | None
    nurture_days: int | None
    reasons: tuple[tuple[str, str], ...]
    return_criteria: str
    measurement: tuple[str, ...]
    standing: Standing | None
    standing_note: str

    def to_frame(self) -> pd.DataFrame:
        """The terms as one table: term -> value (numbers formatted).

        Returns
        -------
        pandas.DataFrame
            Indexed by term, one ``value`` column.
        """
        terms = {
            "hand-off stage": fmt.stage_label(self.handoff),
            "response time (hours)": _hours(self.response_hours),
            "acceptance time (hours)": _hours(self.acceptance_hours),
            "compliance target": fmt.pct(self.compliance_target)
            if self.compliance_target is not None
            else BLANK,
            "attempts before recycling": _whole(self.attempts_before_recycling),
            "nurture days": _whole(self.nurture_days),
        }
        for code, text in self.reasons:
            terms[f"recycling reason {code}"] = text
        frame = pd.DataFrame({"value": list(terms.values())}, index=list(terms))
        frame.index.name = "term"
        return frame


def _hours(value: float | None) -> str:
    return BLANK if value is None else f"{value:g}"


def _whole(value: int | None) -> str:
    return BLANK if value is None else fmt.count(value)


def measurement_sentences(
    params: QuarterParams, handoff: str, accepted: str | None
) -> tuple[str, ...]:
    """How :func:`alignlib.metrics.sla` measures compliance, in plain sentences.

    Parameters
    ----------
    params : QuarterParams
        The quarter (labels and times).
    handoff, accepted : str
        The hand-off stage and the accepted stage (None when there is none).

    Returns
    -------
    tuple of str
    """
    labels = params.stage_labels
    sla = params.sla
    hours = _hours(sla.lead_response_hours if sla else None)
    target = fmt.pct(sla.compliance_target) if sla else BLANK
    out = [
        f"The clock starts when a contact enters {labels[handoff]} (its date in the CRM) and "
        "stops at the first sales activity logged on the contact (first response).",
        "Hours are clock hours, around the clock: nights, weekends and holidays count; "
        "there is no business-hours calendar.",
        "A first activity logged before the hand-off counts as 0 hours (sales was already "
        "in touch).",
        f"Compliance is the share of hand-offs answered within {hours} hours; the target is "
        f"{target}. A hand-off never answered counts as a breach once its {hours} hours have "
        "passed; one still inside its window is not counted yet.",
    ]
    if accepted is not None:
        acc = _hours(sla.acceptance_hours if sla else None)
        out.append(
            f"Acceptance is the share of decided hand-offs (accepted into {labels[accepted]}, "
            f"recycled to nurture, or disqualified) that sales accepted; {labels[accepted]} "
            f"within {acc} hours is measured from the hand-off to the {labels[accepted]} date."
        )
    out.append(
        "Both are reported every week in the scorecard and by channel and month in the "
        "trend report, from the same CRM export."
    )
    return tuple(out)


def standing_of(
    params: QuarterParams,
    table: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    handoff: str,
    accepted: str | None,
) -> tuple[Standing | None, str]:
    """Compliance, response times and acceptance of this quarter's hand-offs so far.

    Parameters
    ----------
    params : QuarterParams
        The quarter, with an ``sla`` section.
    table : pandas.DataFrame
        The normalised CRM table.
    as_of : date
        When the export was taken.
    handoff, accepted : str
        Hand-off and accepted stages.

    Returns
    -------
    (Standing or None, str)
        The standing and what it covers, or None and why there is none.
    """
    from alignlib.metrics import sla as sla_metric

    assert params.sla is not None
    as_of_ts = pd.Timestamp(as_of).normalize()
    start = pd.Timestamp(params.quarter_start)
    end = min(as_of_ts, pd.Timestamp(params.quarter_end)) + pd.Timedelta(days=1)
    dates = table[f"entered_{handoff}"].to_numpy(dtype="datetime64[s]")
    rows = (
        ~np.isnat(dates)
        & (dates >= np.datetime64(start.to_datetime64(), "s"))
        & (dates < np.datetime64(end.to_datetime64(), "s"))
    )
    label = params.stage_labels[handoff]
    if np.isnat(dates).all():
        return None, f"The export has no {label} dates, so compliance cannot be measured."
    if not rows.any():
        return None, f"No contact entered {label} this quarter by {fmt.date_text(as_of_ts)}."
    report = sla_metric(
        table.loc[rows],
        as_of_ts + pd.Timedelta(days=1),
        params.sla.lead_response_hours,
        acceptance_hours=params.sla.acceptance_hours,
        handoff_stage=handoff,
        accepted_stage=accepted,
    )
    s = report.summary

    def num(key: str) -> float | None:
        value = s.get(key)
        return None if fmt.is_missing(value) else float(value)  # type: ignore[arg-type]

    handoffs = int(s["handoffs"])
    standing = Standing(
        handoffs=handoffs,
        compliance=num("compliance"),
        median_hours=num("median_hours"),
        p90_hours=num("p90_hours"),
        never_answered=handoffs - int(s["responded"]),
        acceptance_rate=num("acceptance_rate"),
        accepted_within=num("accepted_within"),
        recycle_rate=num("recycle_rate"),
    )
    note = (
        f"Hand-offs into {label} from {fmt.date_text(start)} to {fmt.date_text(end - pd.Timedelta(days=1))} "
        f"(export as of {fmt.date_text(as_of_ts)})."
    )
    if not s["responded"]:
        note += " The export has no first-response dates, so response times cannot be measured."
    return standing, note


def build_agreement(
    params: QuarterParams,
    table: pd.DataFrame | None = None,
    as_of: dt.date | pd.Timestamp | str | None = None,
) -> SlaAgreement:
    """The SLA agreement of a segment, from its parameters (and its actuals, for the standing).

    Parameters
    ----------
    params : QuarterParams
        Stages, ``sla`` (may be None: the times are left blank to fill in by hand) and
        ``sla.recycling``.
    table : pandas.DataFrame, optional
        The normalised CRM table, for where compliance stands this quarter.
    as_of : date, optional
        When the export was taken.

    Returns
    -------
    SlaAgreement
    """
    handoff = handoff_stage(params)
    names = params.stage_names
    i = names.index(handoff)
    accepted = names[i + 1] if i + 1 < len(names) else None
    sla = params.sla
    stages = tuple(
        StageRow(s.name, s.label, s.owner, s.definition or "", s.entry_criteria or "")
        for s in params.stages
    )
    standing: Standing | None = None
    if sla is None:
        note = "No SLA in the parameters file yet: compliance is measured once the times are set."
    elif table is None or as_of is None:
        note = "No actuals in the parameters file: compliance cannot be measured yet."
    else:
        standing, note = standing_of(params, table, as_of, handoff, accepted)
    if sla is not None:
        rec = sla.recycling
        recycling: dict[str, Any] = {
            "attempts_before_recycling": rec.attempts_before_recycling,
            "nurture_days": rec.nurture_days,
            "reasons": tuple(rec.reasons.items()),
            "return_criteria": rec.return_criteria,
        }
    else:
        recycling = {
            "attempts_before_recycling": None,
            "nurture_days": None,
            "reasons": (),
            "return_criteria": "",
        }
    return SlaAgreement(
        quarter=params.quarter,
        segment=params.segment,
        handoff=handoff,
        accepted=accepted,
        stages=stages,
        has_sla=sla is not None,
        response_hours=sla.lead_response_hours if sla else None,
        acceptance_hours=sla.acceptance_hours if sla else None,
        compliance_target=sla.compliance_target if sla else None,
        measurement=measurement_sentences(params, handoff, accepted),
        standing=standing,
        standing_note=note,
        **recycling,
    )


def load_agreement(params: QuarterParams) -> SlaAgreement:
    """Load the actuals (when the parameters name them) and build the agreement.

    Parameters
    ----------
    params : QuarterParams
        The quarter.

    Returns
    -------
    SlaAgreement
    """
    if params.actuals is None or params.sla is None:
        return build_agreement(params)
    from alignlib.history.learning import read_actuals

    ingest = read_actuals(params)  # the learned reading: the export is not read again
    return build_agreement(params, ingest.table, ingest.as_of)


# ----------------------------------------------------------------------------------------
# HTML (every string escaped)
# ----------------------------------------------------------------------------------------


#: Every part of the agreement's page is written from the agreement alone.
_AGREEMENT_HTML = shared_doc(parameters={"agreement : SlaAgreement": "The agreement."})


def _table(headers: tuple[str, ...], widths: tuple[str, ...], rows: list[list[str]]) -> str:
    cols = "".join(f'<col style="width:{w}">' for w in widths)
    # text-align as an attribute too: the notebook theme's `:not(...) td` rule outranks classes
    left = ' style="text-align:left"'
    head = "".join(f'<th class="ag-th"{left}>{_e(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="ag-td"{left}>{cell}</td>' for cell in row) + "</tr>"
        for row in rows
    )
    return (
        f'<table class="ag-table" width="100%"><colgroup>{cols}</colgroup>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


@_AGREEMENT_HTML
def stages_html(agreement: SlaAgreement) -> str:
    """The stage definitions, entry criteria and owners.

    Returns
    -------
    str
        An HTML table.
    """
    rows = []
    for s in agreement.stages:
        mark = " (hand-off)" if s.name == agreement.handoff else ""
        rows.append(
            [
                f"<strong>{_e(s.label)}</strong>{_e(mark)}",
                _e(fmt.stage_label(s.owner)),
                _e(s.definition or "—"),
                _e(s.entry_criteria or "—"),
            ]
        )
    return _table(
        ("Stage", "Owner", "Definition", "Entry criteria"), ("17%", "11%", "36%", "36%"), rows
    )


@_AGREEMENT_HTML
def terms_html(agreement: SlaAgreement) -> str:
    """Response and acceptance times and the compliance target, as agreed terms.

    Returns
    -------
    str
        An HTML list (blanks to fill in where the parameters set no SLA).
    """
    a = agreement
    handoff = fmt.stage_label(a.handoff)
    target = fmt.pct(a.compliance_target) if a.compliance_target is not None else BLANK
    items = [
        f"Sales makes a first contact attempt on every {handoff} within "
        f"<strong>{_e(_hours(a.response_hours))} hours</strong> of the hand-off.",
        f"Sales answers at least <strong>{_e(target)}</strong> of hand-offs within that time "
        "(the compliance target).",
    ]
    if a.accepted is not None:
        items.append(
            f"Within <strong>{_e(_hours(a.acceptance_hours))} hours</strong> of the hand-off, "
            f"sales accepts the lead into {_e(fmt.stage_label(a.accepted))} or returns it to "
            "marketing with a recycling reason code."
        )
    lis = "".join(f'<li class="ag-li">{item}</li>' for item in items)
    note = (
        ""
        if a.has_sla
        else '<p class="ag-note">No SLA in the parameters file: fill in the blanks, then add '
        "them under <code>sla:</code>.</p>"
    )
    return f'<ul class="ag-list">{lis}</ul>{note}'


@_AGREEMENT_HTML
def recycling_html(agreement: SlaAgreement) -> str:
    """When a lead goes back to nurture, with which reason codes, and when it may return.

    Returns
    -------
    str
        A short list and the table of reason codes.
    """
    a = agreement
    items = [
        f"A lead goes back to nurture after <strong>{_e(_whole(a.attempts_before_recycling))}"
        "</strong> contact attempts without a reply, or earlier with one of the reason codes "
        "below, recorded in the CRM.",
        f"It stays in nurture for at least <strong>{_e(_whole(a.nurture_days))} days</strong>.",
        f"It may come back when: {_e(a.return_criteria or BLANK)}",
    ]
    lis = "".join(f'<li class="ag-li">{item}</li>' for item in items)
    rows = [[f"<code>{_e(code)}</code>", _e(text)] for code, text in a.reasons]
    if not rows:
        rows = [[BLANK, BLANK], [BLANK, BLANK]]
    return f'<ul class="ag-list">{lis}</ul>' + _table(
        ("Reason code", "Meaning"), ("28%", "72%"), rows
    )


@_AGREEMENT_HTML
def measurement_html(agreement: SlaAgreement) -> str:
    """How compliance is measured.

    Returns
    -------
    str
        An HTML list.
    """
    lis = "".join(f'<li class="ag-li">{_e(s)}</li>' for s in agreement.measurement)
    return f'<ul class="ag-list">{lis}</ul>'


@_AGREEMENT_HTML
def standing_html(agreement: SlaAgreement) -> str:
    """Where compliance stands this quarter: one row of figures and what it covers.

    Returns
    -------
    str
        An HTML table, or the one line saying why there is none.
    """
    note = f'<p class="ag-note">{_e(agreement.standing_note)}</p>'
    s = agreement.standing
    if s is None:
        return note
    target = agreement.compliance_target

    def hours(v: float | None) -> str:
        return "—" if v is None else f"{v:.1f} h"

    cells = [
        fmt.count(s.handoffs),
        fmt.pct(s.compliance) + (f" (target {fmt.pct(target)})" if target is not None else ""),
        hours(s.median_hours),
        hours(s.p90_hours),
        f"{fmt.count(s.never_answered)} ({fmt.pct(s.never_answered / s.handoffs if s.handoffs else None)})",
        fmt.pct(s.acceptance_rate),
        fmt.pct(s.accepted_within),
    ]
    table = _table(
        (
            "Hand-offs",
            "Compliance",
            "Typical response",
            "9 in 10 answered within",
            "Never answered",
            "Acceptance",
            "Accepted in time",
        ),
        ("11%", "20%", "13%", "13%", "15%", "13%", "15%"),
        [[_e(c) for c in cells]],
    )
    return table + note


@_AGREEMENT_HTML
def signatures_html(agreement: SlaAgreement) -> str:
    """Signature and date lines for the VP of Sales and the VP of Marketing.

    The agreement's quarter and segment are named above the lines.

    Returns
    -------
    str
        Two signature blocks side by side.
    """
    seg = "" if agreement.segment in ("all", "") else f", segment {agreement.segment}"
    intro = (
        f'<p class="ag-note">Agreed for {_e(agreement.quarter)}{_e(seg)}; reviewed every '
        "quarter and whenever a stage definition changes.</p>"
    )
    block = (
        '<td class="ag-sign" style="text-align:left"><div class="ag-line"></div>'
        '<div class="ag-caption">{role}</div>'
        '<div class="ag-line ag-date"></div><div class="ag-caption">Date</div></td>'
    )
    return (
        intro
        + '<table class="ag-signatures" width="100%"><tr>'
        + block.format(role="VP of Sales: name and signature")
        + '<td class="ag-gap"></td>'
        + block.format(role="VP of Marketing: name and signature")
        + "</tr></table>"
    )
