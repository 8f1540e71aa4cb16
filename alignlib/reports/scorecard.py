"""The weekly scorecard: a few result KPIs against plan, and the alignment meeting's agenda.

:func:`build_scorecard` is pure (parameters, the normalised CRM table, the export date,
optionally the landing forecast's P(hit) and the experiment readouts) and returns a typed
:class:`Scorecard`; the quarter snapshot builds it once, and :func:`scorecard_inputs` hands
the page what the snapshot holds.
:func:`scorecard_html` writes it as HTML with the classes of
``alignlib/batch/templates/scorecard.css``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib import format as fmt
from alignlib.docstrings import shared_doc
from alignlib.metrics.pipeline_change import won_dates
from alignlib.reports.common import handoff_stage
from alignlib.reports.common import html_text as _e
from alignlib.reports.signals import chance_goal_sentence, pace_chance_sentence, week_data_notice

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.planning import QuarterPlan

DAY = pd.Timedelta(days=1)
#: At most this many KPIs on the page (the meeting looks at few numbers).
MAX_KPIS = 8
#: The KPIs in their default order.
DEFAULT_KPIS = ("bookings", "wins", "p_hit", "pipeline", "handoffs", "acceptance", "compliance")
#: Hand-offs per week (in a channel) below which a change in a rate is not worth a talking point.
MIN_HANDOFFS = 20
#: A rate change (points) worth a talking point.
MIN_CHANGE = 0.05
#: At most this many channels named in the agenda (the largest changes).
MAX_CHANNEL_POINTS = 2


class Status(StrEnum):
    """Where a KPI stands against its plan to date."""

    ON_TRACK = "on track"
    AT_RISK = "at risk"
    BEHIND = "behind"
    NO_DATA = "no data"


@dataclass(frozen=True)
class Kpi:
    """One row of the scorecard.

    Attributes
    ----------
    key : str
        ``bookings``, ``wins``, ``p_hit``, ``pipeline``, ``handoffs``, ``acceptance`` or
        ``compliance``.
    label : str
        What the page calls it.
    kind : str
        Format kind of its values (:func:`alignlib.format.format_value`).
    this_week, last_week, quarter_to_date : float or None
        The actuals (None: no data).
    plan_to_date : float or None
        What the plan asks for by the end of the week (a volume to date, or a rate).
    status : Status
        ``quarter_to_date / plan_to_date`` against the ``scorecard`` thresholds.
    note : str
        How it is measured, in one line.
    """

    key: str
    label: str
    kind: str
    this_week: float | None
    last_week: float | None
    quarter_to_date: float | None
    plan_to_date: float | None
    status: Status
    note: str = ""

    @property
    def attainment(self) -> float | None:
        """Quarter to date as a share of plan to date (None when either is missing)."""
        if self.quarter_to_date is None or not self.plan_to_date:
            return None
        return self.quarter_to_date / self.plan_to_date


@dataclass(frozen=True)
class AgendaItem:
    """One topic of the meeting's set agenda and the talking points drafted for it."""

    topic: str
    points: tuple[str, ...]


@dataclass(frozen=True)
class Scorecard:
    """The week's scorecard for one segment.

    Attributes
    ----------
    quarter, segment, currency : str
    week_start, week_ending : datetime.date
        The week (Monday to Sunday by default), both days included.
    as_of : datetime.date or None
        When the export was taken (None without actuals).
    kpis : tuple of Kpi
        At most eight.
    agenda : tuple of AgendaItem
        Plan and pacing, definitions and SLA, the funnel, experiments.
    has_data : bool
        False when no contact entered any stage in the week.
    message : str
        Why the week has no data (empty when it has).
    quarter_to : datetime.date or None
        Last day of "quarter to date" (the snapshot's data date, or the week's end).
    rejections : str
        What the export's rejected rows removed, and from which stages ("" when none
        were): every figure of the card is computed after them.
    p_hit_at_plan : float or None
        The chance the plan gave at plan time (what its volumes are sized for), if known.
    pipeline : tuple or None
        How the pipeline moved this week and last week
        (:class:`~alignlib.metrics.pipeline_change.PipelineChange`), None without actuals.
    """

    quarter: str
    segment: str
    currency: str
    week_start: dt.date
    week_ending: dt.date
    as_of: dt.date | None
    kpis: tuple[Kpi, ...]
    agenda: tuple[AgendaItem, ...] = field(default=())
    has_data: bool = True
    message: str = ""
    quarter_to: dt.date | None = None
    rejections: str = ""
    p_hit_at_plan: float | None = None
    pipeline: tuple[Any, Any] | None = None

    def kpi(self, key: str) -> Kpi | None:
        """The KPI named ``key``, or None when the scorecard does not show it.

        Parameters
        ----------
        key : str
            A KPI key.

        Returns
        -------
        Kpi or None
        """
        return next((k for k in self.kpis if k.key == key), None)

    def to_frame(self) -> pd.DataFrame:
        """One row per KPI: the four figures, attainment and status.

        Returns
        -------
        pandas.DataFrame
            Indexed by KPI key.
        """
        rows = [
            {
                "kpi": k.key,
                "label": k.label,
                "this_week": k.this_week,
                "last_week": k.last_week,
                "quarter_to_date": k.quarter_to_date,
                "plan_to_date": k.plan_to_date,
                "attainment": k.attainment,
                "status": k.status.value,
            }
            for k in self.kpis
        ]
        columns = ["label", "this_week", "last_week", "quarter_to_date", "plan_to_date"]
        columns += ["attainment", "status"]
        if not rows:
            return pd.DataFrame(columns=columns, index=pd.Index([], name="kpi"))
        return pd.DataFrame(rows).set_index("kpi")[columns]

    def headline(self) -> dict[str, Any]:
        """Figures for the batch summary and the index page.

        Returns
        -------
        dict
            ``week_ending``, ``on_track``/``at_risk``/``behind`` counts, and P(hit) when shown.
        """
        out: dict[str, Any] = {"week_ending": self.week_ending.isoformat()}
        for s in (Status.ON_TRACK, Status.AT_RISK, Status.BEHIND):
            out[s.name.lower()] = sum(k.status is s for k in self.kpis)
        p_hit = self.kpi("p_hit")
        if p_hit is not None and p_hit.this_week is not None:
            out["p_hit"] = p_hit.this_week
        return out


# ----------------------------------------------------------------------------------------
# Weeks, plans, statuses
# ----------------------------------------------------------------------------------------


def last_full_week(as_of: dt.date | pd.Timestamp | str) -> dt.date:
    """The Sunday that ends the last full Monday-to-Sunday week of an export.

    The export covers its ``as_of`` day in full, so a Sunday ``as_of`` ends a full week.

    Parameters
    ----------
    as_of : date
        When the export was taken.

    Returns
    -------
    datetime.date
        The Sunday on or before ``as_of``.
    """
    day = pd.Timestamp(as_of).date()
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


def status_of(
    actual: float | None,
    plan: float | None,
    thresholds: Any,
) -> Status:
    """A KPI's status: actual as a share of plan against ``scorecard`` thresholds.

    Parameters
    ----------
    actual, plan : float or None
        Quarter to date and plan to date (or a rate and its target).
    thresholds : alignlib.params.Scorecard
        ``on_track`` and ``at_risk`` as shares of plan.

    Returns
    -------
    Status
        ``NO_DATA`` when either is missing or the plan is not positive.
    """
    if actual is None or plan is None or fmt.is_missing(actual) or fmt.is_missing(plan):
        return Status.NO_DATA
    if plan <= 0:
        return Status.NO_DATA
    share = actual / plan
    if share >= thresholds.on_track:
        return Status.ON_TRACK
    if share >= thresholds.at_risk:
        return Status.AT_RISK
    return Status.BEHIND


def plan_between(monthly: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """A monthly plan spread evenly over each month's days, summed over ``[start, end)``.

    Parameters
    ----------
    monthly : pandas.Series
        Plan per month (``Period[M]`` index).
    start, end : pandas.Timestamp
        The span (days; ``end`` excluded).

    Returns
    -------
    float
        0 when the span holds no planned month.
    """
    total = 0.0
    if end <= start:
        return total
    for period, value in monthly.items():
        p = pd.Period(period, freq="M")
        m_start, m_end = p.start_time.normalize(), (p.end_time + DAY).normalize()
        days = (min(end, m_end) - max(start, m_start)) / DAY
        if days > 0:
            total += float(value) * days / p.days_in_month
    return total


def _in(col: pd.Series | np.ndarray, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    values = np.asarray(col, dtype="datetime64[s]")
    s64, e64 = np.datetime64(start.to_datetime64(), "s"), np.datetime64(end.to_datetime64(), "s")
    return ~np.isnat(values) & (values >= s64) & (values < e64)


def _amounts(table: pd.DataFrame, rows: np.ndarray, fallback: float) -> float:
    """Sum of the rows' amounts, ``fallback`` for a row without a positive amount."""
    if "amount" not in table:
        return float(rows.sum()) * fallback
    amount = table["amount"].to_numpy(dtype=float)[rows]
    ok = np.isfinite(amount) & (amount > 0)
    return float(amount[ok].sum()) + fallback * int((~ok).sum())


@dataclass(frozen=True)
class _Spans:
    this: tuple[pd.Timestamp, pd.Timestamp]
    last: tuple[pd.Timestamp, pd.Timestamp]
    qtd: tuple[pd.Timestamp, pd.Timestamp]


def _spans(
    params: QuarterParams, week_ending: dt.date, quarter_to: dt.date | None = None
) -> _Spans:
    end = pd.Timestamp(week_ending) + DAY
    start = end - 7 * DAY
    q_start = pd.Timestamp(params.quarter_start)
    q_end = pd.Timestamp(params.quarter_end) + DAY
    # quarter to date runs to the data date when one is given: the same span as every page
    qtd_end = end if quarter_to is None else pd.Timestamp(quarter_to) + DAY
    return _Spans(
        (start, end), (start - 7 * DAY, start), (q_start, max(q_start, min(qtd_end, q_end)))
    )


# ----------------------------------------------------------------------------------------
# The KPIs
# ----------------------------------------------------------------------------------------


def _volume_kpi(
    key: str,
    label: str,
    kind: str,
    measure: Callable[[pd.Timestamp, pd.Timestamp], float],
    plan_monthly: pd.Series,
    spans: _Spans,
    thresholds: Any,
    note: str,
    week_has_data: bool,
    dated: bool = True,
) -> Kpi:
    if not dated:  # the export has no dates for this stage: nothing can be counted
        return Kpi(key, label, kind, None, None, None, None, Status.NO_DATA, note)
    qtd = measure(*spans.qtd) if spans.qtd[1] > spans.qtd[0] else None
    plan = plan_between(plan_monthly, *spans.qtd) if qtd is not None else None
    return Kpi(
        key=key,
        label=label,
        kind=kind,
        this_week=measure(*spans.this) if week_has_data else None,
        last_week=measure(*spans.last),
        quarter_to_date=qtd,
        plan_to_date=plan,
        status=status_of(qtd, plan, thresholds),
        note=note,
    )


def _acceptance(
    table: pd.DataFrame,
    handoff: str,
    accepted: str,
    window_hours: float,
    as_of: pd.Timestamp,
    rows: np.ndarray,
) -> tuple[float | None, int]:
    """Share of hand-offs accepted within the window, of those whose window has closed."""
    start = table[f"entered_{handoff}"].to_numpy(dtype="datetime64[s]")[rows]
    entered = table[f"entered_{accepted}"].to_numpy(dtype="datetime64[s]")[rows]
    reached = table[f"reached_{accepted}"].to_numpy(dtype=bool)[rows]
    hours = (entered - start).astype("timedelta64[s]").astype(float) / 3600
    timed = ~np.isnat(entered)
    within = reached & (~timed | (hours <= window_hours))
    window = np.timedelta64(int(window_hours * 3600), "s")
    closed = (start + window) <= np.datetime64(as_of.to_datetime64(), "s")
    counted = closed | within
    n = int(counted.sum())
    return (float(within[counted].sum()) / n if n else None), n


def _compliance(
    table: pd.DataFrame, rows: np.ndarray, params: QuarterParams, handoff: str, as_of: Any
) -> tuple[float | None, int]:
    from alignlib.metrics import sla as sla_metric

    assert params.sla is not None
    if not rows.any():
        return None, 0
    report = sla_metric(
        table.loc[rows],
        as_of,
        params.sla.lead_response_hours,
        acceptance_hours=params.sla.acceptance_hours,
        handoff_stage=handoff,
        accepted_stage=None,
    )
    n = int(report.summary["handoffs"])
    value = report.summary["compliance"]
    return (None if n == 0 or fmt.is_missing(value) else float(value)), n


def build_scorecard(
    params: QuarterParams,
    table: pd.DataFrame | None,
    as_of: dt.date | pd.Timestamp | str | None,
    week_ending: dt.date | pd.Timestamp | str | None = None,
    *,
    plan: QuarterPlan | None = None,
    p_hit: tuple[float | None, float | None] | None = None,
    readouts: Sequence[Any] = (),
    quarter_to: dt.date | None = None,
    p_hit_at_plan: float | None = None,
) -> Scorecard:
    """The week's KPIs against plan and the agenda's talking points.

    Parameters
    ----------
    params : QuarterParams
        The quarter (thresholds in ``scorecard:``).
    table : pandas.DataFrame or None
        The normalised CRM table (None without actuals: every KPI reads "no data").
    as_of : date or None
        When the export was taken (windows still open then are not judged).
    week_ending : date, optional
        Last day of the week; default :func:`last_full_week` of ``as_of``.
    plan : QuarterPlan, optional
        Default :func:`alignlib.planning.build_plan` of ``params``.
    p_hit : (float or None, float or None), optional
        The landing forecast's P(hit target) as of this week's end and last week's end;
        None leaves the KPI out.
    readouts : sequence of ExperimentReadout
        The experiments' readouts, for the agenda.
    quarter_to : date, optional
        Last day of "quarter to date" (the quarter snapshot's data date, so the
        scorecard's bookings and wins to date are every page's); default the week's end.
    p_hit_at_plan : float, optional
        The chance the plan gave at plan time: the agenda says the chance against what the
        plan is sized for, not only against ``simulation.confidence``.

    Returns
    -------
    Scorecard
        A week with no contact entering any stage has ``has_data=False`` and a message;
        its "this week" figures are None.
    """
    from alignlib.planning import build_plan

    plan = plan if plan is not None else build_plan(params)
    stages = params.stage_names
    last_stage = stages[-1]
    handoff = handoff_stage(params)
    h_index = stages.index(handoff)
    accepted = stages[h_index + 1] if h_index + 1 < len(stages) else None
    pipe = params.pipeline.stage
    as_of_ts = pd.Timestamp(as_of).normalize() if as_of is not None else None
    if week_ending in (None, ""):
        if as_of_ts is None:
            week_end = last_full_week(params.quarter_start + dt.timedelta(days=6))
        else:
            week_end = last_full_week(as_of_ts)
    else:
        week_end = pd.Timestamp(week_ending).date()
    spans = _spans(params, week_end, quarter_to)
    thresholds = params.scorecard
    # "no data" in a week: the export ends before it, or nothing entered any stage in it
    if table is None or as_of_ts is None:
        has_data, message = False, "No actuals in the parameters file: nothing to score yet."
        table = None
    elif as_of_ts < spans.this[0]:
        has_data = False
        message = (
            f"No data for the week ending {fmt.date_text(week_end)}: the export ends on "
            f"{fmt.date_text(as_of_ts)}, before the week began."
        )
    else:
        active = np.zeros(len(table), dtype=bool)
        for s in stages:
            active |= _in(table[f"entered_{s}"], *spans.this)
        has_data = bool(active.any())
        message = (
            ""
            if has_data
            else f"No contact entered any stage in the week ending {fmt.date_text(week_end)}."
        )
        if has_data and as_of_ts + DAY < spans.this[1]:
            message = (
                f"The export ends on {fmt.date_text(as_of_ts)}: the week ending "
                f"{fmt.date_text(week_end)} is not complete."
            )

    targets = plan.monthly_targets
    bookings_plan = pd.Series(
        [params.target.bookings * share for share in params.phasing],
        index=pd.PeriodIndex(params.months, freq="M"),
    )
    deal = params.deal_size.mean
    kpis: list[Kpi] = []
    label_of = params.stage_labels

    def short(stage: str) -> str:
        text = fmt.stage_label(stage)
        return f"{text}s" if text.isupper() else f"Entered {label_of.get(stage, text).lower()}"

    if table is not None:
        won_at = won_dates(table, last_stage)
        pipe_col = table[f"entered_{pipe}"]
        handoff_col = table[f"entered_{handoff}"]

        def bookings(a: pd.Timestamp, b: pd.Timestamp) -> float:
            return _amounts(table, _in(won_at, a, b), deal)

        def wins(a: pd.Timestamp, b: pd.Timestamp) -> float:
            return float(_in(won_at, a, b).sum())

        def pipeline(a: pd.Timestamp, b: pd.Timestamp) -> float:
            return _amounts(table, _in(pipe_col, a, b), deal)

        def handoffs(a: pd.Timestamp, b: pd.Timestamp) -> float:
            return float(_in(handoff_col, a, b).sum())

    else:

        def bookings(a: pd.Timestamp, b: pd.Timestamp) -> float:
            return float("nan")

        wins = pipeline = handoffs = bookings

    measures: dict[str, Callable[[], Kpi | None]] = {}
    data = table is not None

    def dated(stage: str) -> bool:
        return table is None or bool(table[f"entered_{stage}"].notna().any())

    def undated(stage: str) -> str:
        return "" if dated(stage) else f" The export has no dates for {label_of[stage]}."

    measures["bookings"] = lambda: _volume_kpi(
        "bookings",
        "Bookings",
        "money",
        bookings,
        bookings_plan,
        spans,
        thresholds,
        "Won deals by win date, at their amount (average deal size where none).",
        has_data,
    )
    measures["wins"] = lambda: _volume_kpi(
        "wins",
        "Wins",
        "count",
        wins,
        targets[last_stage],
        spans,
        thresholds,
        f"Contacts entering {label_of[last_stage]}." + undated(last_stage),
        has_data,
        dated(last_stage),
    )

    def p_hit_kpi() -> Kpi | None:
        if p_hit is None:
            return None
        now, before = p_hit
        goal = params.simulation.confidence
        return Kpi(
            "p_hit",
            "Chance of hitting target",
            "pct",
            now,
            before,
            now,
            goal,
            status_of(now, goal, thresholds),
            f"Landing forecast at each week's end; plan: the {fmt.pct(goal)} chance the "
            "parameters aim for.",
        )

    measures["p_hit"] = p_hit_kpi
    measures["pipeline"] = lambda: _volume_kpi(
        "pipeline",
        "Pipeline created",
        "money",
        pipeline,
        targets[pipe] * deal,
        spans,
        thresholds,
        f"Value entering {label_of[pipe]} (amount, else average deal size); "
        "plan: planned count x deal size." + undated(pipe),
        has_data,
        dated(pipe),
    )
    measures["handoffs"] = lambda: _volume_kpi(
        "handoffs",
        short(handoff),
        "count",
        handoffs,
        targets[handoff],
        spans,
        thresholds,
        f"Contacts entering {label_of[handoff]} (the hand-off to sales)." + undated(handoff),
        has_data,
        dated(handoff),
    )

    window = params.sla.acceptance_hours if params.sla is not None else 48.0

    def rate_kpi(key: str) -> Kpi | None:
        if key == "acceptance" and accepted is None:
            return None
        if key == "compliance" and params.sla is None:
            return None
        values: list[float | None] = []
        for span in (spans.this, spans.last, spans.qtd):
            if table is None or as_of_ts is None or span[1] <= span[0]:
                values.append(None)
                continue
            rows = _in(table[f"entered_{handoff}"], *span)
            if key == "acceptance":
                assert accepted is not None
                value, _ = _acceptance(table, handoff, accepted, window, as_of_ts + DAY, rows)
            else:
                value, _ = _compliance(table, rows, params, handoff, as_of_ts + DAY)
            values.append(value)
        if not has_data:
            values[0] = None
        if key == "acceptance":
            assert accepted is not None
            goal = params.conversion_rates[handoff].rate
            label = f"{fmt.stage_label(handoff)} -> {fmt.stage_label(accepted)} acceptance"
            note = (
                f"Accepted within {fmt.count(window)} hours, of hand-offs whose window "
                f"closed; plan: the {fmt.pct(goal, 1)} planned rate."
            )
        else:
            assert params.sla is not None
            goal = params.sla.compliance_target
            label = "Response SLA compliance"
            note = (
                f"Answered within {fmt.count(params.sla.lead_response_hours)} clock "
                f"hours; plan: the {fmt.pct(goal)} target."
            )
        this, last, qtd = values
        return Kpi(key, label, "pct", this, last, qtd, goal, status_of(qtd, goal, thresholds), note)

    measures["acceptance"] = lambda: rate_kpi("acceptance")
    measures["compliance"] = lambda: rate_kpi("compliance")

    chosen = thresholds.kpis or DEFAULT_KPIS
    for key in chosen:
        if key in measures:
            kpi = measures[key]()
            if kpi is not None:
                kpis.append(kpi)
    kpis = kpis[:MAX_KPIS]
    movements: tuple[Any, Any] | None = None
    if table is not None and pipe in stages[:-1]:
        from alignlib.metrics.pipeline_change import pipeline_change

        movements = (
            pipeline_change(table, stages, pipe, spans.this[0], spans.this[1] - DAY, deal),
            pipeline_change(table, stages, pipe, spans.last[0], spans.last[1] - DAY, deal),
        )
    card = Scorecard(
        quarter=params.quarter,
        segment=params.segment,
        currency=params.currency,
        week_start=spans.this[0].date(),
        week_ending=week_end,
        as_of=as_of_ts.date() if as_of_ts is not None else None,
        kpis=tuple(kpis),
        has_data=has_data and data,
        message=message,
        quarter_to=(spans.qtd[1] - DAY).date(),
        p_hit_at_plan=p_hit_at_plan,
        pipeline=movements,
    )
    agenda = _agenda(card, params, table, spans, handoff, accepted, window, as_of_ts, readouts)
    return replace(card, agenda=agenda)


# ----------------------------------------------------------------------------------------
# The agenda
# ----------------------------------------------------------------------------------------


def _value(kpi: Kpi, value: float | None, currency: str) -> str:
    return fmt.format_value(value, kpi.kind, currency)


def _pacing_point(kpi: Kpi, currency: str) -> str | None:
    """A pacing line, e.g. "Bookings behind: $1.2M of $1.5M planned to date (80%); ..."."""
    if kpi.status is Status.NO_DATA or kpi.attainment is None:
        return None
    assert kpi.quarter_to_date is not None and kpi.plan_to_date is not None

    def said(value: float) -> str:  # money as a sentence says it ($1.2M); the table has it in full
        return (
            fmt.money_compact(value, currency)
            if kpi.kind == "money"
            else _value(kpi, value, currency)
        )

    text = (
        f"{kpi.label} {kpi.status.value}: {said(kpi.quarter_to_date)} "
        f"of {said(kpi.plan_to_date)} planned to date ({fmt.pct(kpi.attainment)})"
    )
    if kpi.status is Status.ON_TRACK:
        return text + "."
    gap = kpi.plan_to_date - kpi.quarter_to_date
    return text + f"; agree who closes the gap of {said(gap)}, and by when."


def _channel_label(params: QuarterParams, channel: str) -> str:
    spec = params.channels.get(channel)
    return (spec.label if spec is not None and spec.label else fmt.stage_label(channel)) or channel


def _acceptance_changes(
    params: QuarterParams,
    table: pd.DataFrame,
    spans: _Spans,
    handoff: str,
    accepted: str,
    window: float,
    as_of: pd.Timestamp,
) -> list[str]:
    """Channels whose acceptance moved by at least :data:`MIN_CHANGE` week over week."""
    if "channel" not in table:
        return []
    this_rows = _in(table[f"entered_{handoff}"], *spans.this)
    last_rows = _in(table[f"entered_{handoff}"], *spans.last)
    channel = table["channel"].astype("string").fillna("(no channel)").to_numpy(dtype=object)
    changes = []
    for name in sorted(set(channel[this_rows | last_rows])):
        mine = channel == name
        now, n_now = _acceptance(table, handoff, accepted, window, as_of, this_rows & mine)
        before, n_before = _acceptance(table, handoff, accepted, window, as_of, last_rows & mine)
        if now is None or before is None or min(n_now, n_before) < MIN_HANDOFFS:
            continue
        diff = now - before
        if abs(diff) >= MIN_CHANGE:
            changes.append((diff, str(name), now, before))
    changes.sort()
    points = []
    for diff, name, now, before in changes[:MAX_CHANNEL_POINTS]:
        verb = "fell" if diff < 0 else "rose"
        text = (
            f"{fmt.stage_label(accepted)} acceptance from {_channel_label(params, name)} {verb} "
            f"{fmt.points(abs(diff), decimals=0)} week over week "
            f"({fmt.pct(before)} -> {fmt.pct(now)})"
        )
        points.append(
            text + (": review this week's rejected hand-offs with marketing." if diff < 0 else ".")
        )
    return points


def experiment_status(readout: Any) -> str:
    """Where an experiment stands: ``ready``, ``check split`` or ``running``.

    ``ready``: a variant is significant allowing for peeking (the sequential check), or
    the planned sample is reached; ``check split``: sample-ratio mismatch.

    Parameters
    ----------
    readout : ExperimentReadout
        One experiment's readout.

    Returns
    -------
    str
    """
    if not readout.trustworthy:
        return "check split"
    for result in readout.comparison.results:
        seq = getattr(result, "sequential", None)
        if seq is not None and (seq.significant or not seq.read_early):
            return "ready"
    return "running"


def _agenda(
    card: Scorecard,
    params: QuarterParams,
    table: pd.DataFrame | None,
    spans: _Spans,
    handoff: str,
    accepted: str | None,
    window: float,
    as_of: pd.Timestamp | None,
    readouts: Sequence[Any],
) -> tuple[AgendaItem, ...]:
    cur = card.currency
    pacing: list[str] = []
    if not card.has_data and card.message:
        pacing.append(card.message + " Check the CRM export before the meeting.")
    booked_at = None  # where the bookings line is, for the sentence beside it
    for key in ("bookings", "wins"):
        kpi = card.kpi(key)
        if kpi is not None and (point := _pacing_point(kpi, cur)):
            booked_at = len(pacing) if key == "bookings" else booked_at
            pacing.append(point)
    p_hit = card.kpi("p_hit")
    if p_hit is not None and p_hit.this_week is not None:
        change = ""
        if p_hit.last_week is not None:
            moved = fmt.points(p_hit.this_week - p_hit.last_week, signed=True, decimals=0)
            change = f" ({moved} on last week)"
        pacing.append(
            f"Chance of {fmt.money_compact(params.target.bookings, cur)}: "
            f"{fmt.pct(p_hit.this_week)}{change}"
            + chance_goal_sentence(
                p_hit.this_week,
                params.simulation.confidence,
                card.p_hit_at_plan,
                on_track=p_hit.status is Status.ON_TRACK,
            )
        )
        # the chance line names the plan-time chance: the sentence need not repeat it
        why = pace_chance_sentence(
            card.kpi("bookings"), p_hit, target=fmt.money_compact(params.target.bookings, cur)
        )
        if why and booked_at is not None:  # beside the bookings line it explains
            pacing[booked_at] = f"{pacing[booked_at]} {why}"
        elif why:
            pacing.append(why)

    sla_points: list[str] = []
    compliance = card.kpi("compliance")
    if params.sla is None:
        sla_points.append(
            "No SLA in the parameters file: agree a response time and an acceptance time "
            "(the sla section of the parameters file) and print the SLA agreement."
        )
    elif compliance is not None and compliance.this_week is not None:
        target = params.sla.compliance_target
        verdict = "meets" if compliance.this_week >= target else "misses"
        sla_points.append(
            f"{fmt.pct(compliance.this_week)} of this week's hand-offs were answered within "
            f"{fmt.count(params.sla.lead_response_hours)} hours; {verdict} the "
            f"{fmt.pct(target)} target"
            + ("." if verdict == "meets" else ": name who follows up the late ones.")
        )
    elif compliance is not None and table is not None:
        missing = (
            f"no {params.stage_labels[handoff]} dates"
            if not table[f"entered_{handoff}"].notna().any()
            else "no first-response dates for this week's hand-offs"
        )
        sla_points.append(
            f"Response times cannot be measured: the export has {missing}; ask the CRM "
            "admin to add them to the export."
        )
    if table is not None and accepted is not None and as_of is not None and card.has_data:
        sla_points += _acceptance_changes(
            params, table, spans, handoff, accepted, window, as_of + DAY
        )

    funnel: list[str] = []
    for key in ("handoffs", "pipeline"):
        kpi = card.kpi(key)
        if kpi is None or kpi.this_week is None or kpi.plan_to_date is None:
            continue
        if kpi.last_week is not None:
            diff = kpi.this_week - kpi.last_week
            verb = "up" if diff > 0 else "down" if diff < 0 else "flat"
            change = f"{verb} from {_value(kpi, kpi.last_week, cur)}"
        else:
            change = "no figure for last week"
        text = f"{kpi.label}: {_value(kpi, kpi.this_week, cur)} this week ({change})"
        if kpi.status in (Status.AT_RISK, Status.BEHIND):
            text += f"; {kpi.status.value} on plan to date: decide what fills the gap"
        funnel.append(text + ".")
    if card.pipeline is not None:
        funnel.append(pipeline_sentence(card))

    experiments: list[str] = []
    if readouts:
        statuses = [experiment_status(r) for r in readouts]
        n_ready = statuses.count("ready")
        experiments.append(
            f"{len(readouts)} experiment{'s' if len(readouts) != 1 else ''} running, "
            f"{n_ready} ready to call."
        )
        for r, s in zip(readouts, statuses, strict=True):
            if s == "ready":
                experiments.append(f"Call {r.name}: decide whether to ship it.")
            elif s == "check split":
                experiments.append(
                    f"{r.name}: the traffic split is off (sample-ratio mismatch); fix the "
                    "assignment before reading it."
                )
    else:
        experiments.append(
            "No experiments in the parameters file: pick one for the KPI furthest behind plan."
        )
    return (
        AgendaItem("Plan and pacing", tuple(pacing)),
        AgendaItem("Definitions and SLA", tuple(sla_points)),
        AgendaItem("The funnel", tuple(funnel)),
        AgendaItem("Experiments", tuple(experiments)),
    )


# ----------------------------------------------------------------------------------------
# Loading for a notebook
# ----------------------------------------------------------------------------------------


def landing_p_hit(
    params: QuarterParams,
    ingest: Any,
    week_ending: dt.date,
    *,
    trials: int | None = None,
) -> tuple[float | None, float | None] | None:
    """P(hit target) of the landing forecast as of this week's and last week's end.

    Parameters
    ----------
    params : QuarterParams
        The quarter.
    ingest : IngestResult
        The loaded actuals.
    week_ending : date
        This week's last day.
    trials : int, optional
        Simulated quarters per forecast (default the file's ``simulation.trials``).

    Returns
    -------
    tuple of (float or None, float or None), or None
        None when there is no forecast module, or it cannot forecast these actuals
        (the scorecard then leaves the KPI out).
    """
    try:
        from alignlib.forecast import landing
    except ImportError:
        return None
    out: list[float | None] = []
    for day in (week_ending, week_ending - dt.timedelta(days=7)):
        if pd.Timestamp(day) > pd.Timestamp(ingest.as_of):
            out.append(None)
            continue
        try:
            result = landing(params, pd.Timestamp(day), trials=trials, ingest=ingest)
        except Exception:  # a forecast that cannot run leaves the KPI out, not the page
            return None
        out.append(None if result.p_hit is None else float(result.p_hit))
    return out[0], out[1]


@dataclass(frozen=True)
class WeeklyInputs:
    """The scorecard page's inputs, read from the quarter snapshot (see :func:`scorecard_inputs`)."""

    scorecard: Scorecard
    table: pd.DataFrame | None
    plan: Any


def scorecard_inputs(snapshot: Any) -> WeeklyInputs:
    """The scorecard page's inputs from the quarter snapshot.

    Parameters
    ----------
    snapshot : QuarterSnapshot
        The segment's snapshot.

    Returns
    -------
    WeeklyInputs
        Its scorecard, the CRM table and the plan.
    """
    card = snapshot.require("scorecard")
    ingest = snapshot.ingest
    table = ingest.table if ingest is not None else None
    plan = snapshot.plan
    return WeeklyInputs(card, table, plan)


# ----------------------------------------------------------------------------------------
# HTML
# ----------------------------------------------------------------------------------------


#: The scorecard's parts are written from the week's scorecard.
_CARD_HTML = shared_doc(parameters={"card : Scorecard": "The week's scorecard."})


@_CARD_HTML
def scorecard_html(card: Scorecard, *, rendered_on: dt.date | None = None) -> str:
    """The KPI table: one row per KPI, the four figures and a status pill.

    Parameters
    ----------
    rendered_on : date, optional
        When the page is made (default today): a week, export and page far apart get a
        notice at the top (:func:`alignlib.reports.signals.week_data_notice`).

    Returns
    -------
    str
        An HTML fragment (every string escaped) using the ``sc-`` classes of
        ``templates/scorecard.css``.
    """
    cur = card.currency
    # the week, the export and (when they are far apart) the page's date: the card's first line
    stale = week_data_notice(card.week_start, card.week_ending, card.as_of, rendered_on, brief=True)
    head = (
        f'<p class="sc-week">Week {_e(card.week_start.strftime("%a %d %b"))} to '
        f"{_e(card.week_ending.strftime('%a %d %b %Y'))}"
        + (f" · export as of {_e(fmt.date_text(card.as_of))}" if card.as_of else "")
        + (
            f' · <strong class="sc-stale" style="color:#c05621;">{_e(stale)}</strong>'
            if stale
            else ""
        )
        + "</p>"
    )
    notice = f'<p class="sc-notice">{_e(card.message)}</p>' if card.message else ""
    if card.rejections:
        notice += (
            f'<p class="sc-notice">From the export as read: {_e(card.rejections)} '
            "(<code>alignlib ingest</code> lists why).</p>"
        )
    # Status second, beside the KPI's name: read first, and on a narrow screen without the
    # phone rules (templates/scorecard_phone.css) it is never the column pushed off the edge.
    widths = ("39%", "11%", "12%", "12%", "13%", "13%")
    cols = "".join(f'<col style="width:{w}">' for w in widths)
    # text-align as an attribute too: the notebook theme's `:not(...) td` rule outranks classes
    left, right = ' style="text-align:left"', ' style="text-align:right"'
    figures = (
        "This week",
        "Last week",
        "Quarter to date"
        + (f" (to {card.quarter_to.day} {card.quarter_to:%b})" if card.quarter_to else ""),
        "Plan to date",
    )
    header = "".join(
        f'<th class="sc-th{" sc-num" if i > 1 else ""}"{right if i > 1 else left}>{_e(t)}</th>'
        for i, t in enumerate(("KPI", "Status", *figures))
    )
    rows = []
    for k in card.kpis:
        pill = f'<span class="sc-pill sc-{k.status.name.lower()}">{_e(k.status.value)}</span>'
        cells = [
            f'<td class="sc-td sc-kpi"{left}><span class="sc-label">{_e(k.label)}</span>'
            f'<br><span class="sc-note">{_e(k.note)}</span></td>',
            f'<td class="sc-td sc-status"{left}>{pill}</td>',
            *(
                f'<td class="sc-td sc-num sc-fig" data-label="{_e(label)}"{right}>'
                f"{_e(fmt.format_value(v, k.kind, cur))}</td>"
                for label, v in zip(
                    ("This week", "Last week", "Quarter to date", "Plan to date"),
                    (k.this_week, k.last_week, k.quarter_to_date, k.plan_to_date),
                    strict=True,
                )
            ),
        ]
        rows.append('<tr class="sc-row">' + "".join(cells) + "</tr>")
    table = (
        f'<table class="sc-table sc-kpis" width="100%" cellpadding="0" cellspacing="0">'
        f"<colgroup>{cols}</colgroup><thead><tr>{header}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return f'<div class="sc-card">{head}{notice}{table}</div>'


def section_html(title: str) -> str:
    """A section heading of the scorecard (it joins the page's contents; the e-mail keeps it).

    Parameters
    ----------
    title : str
        The heading.

    Returns
    -------
    str
        An ``h2`` with an id made from its text (escaped).
    """
    from alignlib.display import slug

    return f'<h2 class="sc-h2" id="{_e(slug(title))}">{_e(title)}</h2>'


@_CARD_HTML
def pipeline_sentence(card: Scorecard) -> str:
    """The week's pipeline movements in one line (a talking point of the agenda's funnel).

    Returns
    -------
    str
        ``"Pipeline this week: 30 created ($705k), 7 slipped ($164k), ..."`` (movements
        with no deal left out); empty without actuals.
    """
    if card.pipeline is None:
        return ""
    this = card.pipeline[0]
    parts = [
        f"{fmt.count(n)} {m} ({fmt.money_compact(this.amounts[m], card.currency)})"
        for m, n in this.counts.items()
        if n
    ]
    return f"Pipeline this week: {', '.join(parts) or 'no deal moved'}."


@_CARD_HTML
def pipeline_html(card: Scorecard) -> str:
    """The pipeline's movements this week beside last week's: deals and amounts.

    Returns
    -------
    str
        An HTML fragment (escaped, ``sc-`` classes); a note when there are no actuals.
    """
    if card.pipeline is None:
        return '<p class="sc-week sc-deals">No actuals: no pipeline to follow yet.</p>'
    from alignlib.metrics.pipeline_change import MOVES

    this, last = card.pipeline
    cur = card.currency
    left, right = ' style="text-align:left"', ' style="text-align:right"'
    before = f"{last.week_start:%d %b} to {last.week_end:%d %b}"
    heads = ("Deals this week", "Amount this week", f"Deals {before}", f"Amount {before}")
    header = f'<th class="sc-th"{left}>Movement</th>' + "".join(
        f'<th class="sc-th sc-num"{right}>{_e(h)}</th>' for h in heads
    )
    meaning = {
        "created": "entered the pipeline",
        "advanced": "moved to a later stage",
        "slipped": "open longer than most won deals took",
        "won": "closed won",
        "lost": "closed lost",
    }
    rows = []
    for m in MOVES:
        values = (
            fmt.count(this.counts[m]),
            fmt.money(this.amounts[m], cur),
            fmt.count(last.counts[m]),
            fmt.money(last.amounts[m], cur),
        )
        cells = f'<td class="sc-td sc-kpi"{left}><span class="sc-label">{_e(m.capitalize())}</span>'
        cells += f'<br><span class="sc-note">{_e(meaning[m])}</span></td>'
        cells += "".join(
            f'<td class="sc-td sc-num sc-fig" data-label="{_e(h)}"{right}>{_e(v)}</td>'
            for h, v in zip(heads, values, strict=True)
        )
        rows.append(f'<tr class="sc-row">{cells}</tr>')
    return (
        '<div class="sc-card sc-pipeline"><table class="sc-table" width="100%" '
        'cellpadding="0" cellspacing="0"><thead><tr>'
        f"{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def deals_html(deals: pd.DataFrame, note: str, currency: str) -> str:
    """The open deals that matter most: name, stage, amount, likely close, owner, chance.

    Parameters
    ----------
    deals : pandas.DataFrame
        :func:`alignlib.reports.forecast.landing_deals_table` (sorted by expected bookings).
    note : str
        Said once under the list (what a blank amount means).
    currency : str
        ISO code.

    Returns
    -------
    str
        An HTML fragment (escaped, ``sc-`` classes).
    """
    if not len(deals):
        return '<p class="sc-week sc-deals">No open deal can still win this quarter.</p>'
    left, right = ' style="text-align:left"', ' style="text-align:right"'
    heads = (
        ("Deal", "text"),
        ("Stage", "text"),
        ("Amount", "money"),
        ("Likely close", "date"),
        ("Owner (anonymised)", "text"),
        ("Chance", "pct"),
        ("Expected", "money"),
    )
    columns = ("deal", "stage", "amount", "likely_close", "owner", "win_chance", "expected")
    header = "".join(
        f'<th class="sc-th{"" if kind == "text" else " sc-num"}"'
        f"{left if kind == 'text' else right}>{_e(h)}</th>"
        for h, kind in heads
    )
    widths = ("25%", "13%", "11%", "13%", "13%", "9%", "16%")
    cols = "".join(f'<col style="width:{w}">' for w in widths)
    rows = []
    for _, row in deals.iterrows():
        cells = []
        for (h, kind), col in zip(heads, columns, strict=True):
            text = fmt.format_value(row[col], kind, currency) if str(row[col]) != "" else "—"
            if col == "deal":
                cells.append(
                    f'<td class="sc-td sc-kpi"{left}><span class="sc-label">{_e(text)}</span></td>'
                )
            else:
                align = left if kind == "text" else right
                cls = "sc-td sc-fig" + ("" if kind == "text" else " sc-num")
                cells.append(f'<td class="{cls}" data-label="{_e(h)}"{align}>{_e(text)}</td>')
        rows.append(f'<tr class="sc-row">{"".join(cells)}</tr>')
    foot = f'<p class="sc-week">{_e(note)}</p>' if note else ""
    return (
        '<div class="sc-card sc-deals"><table class="sc-table" width="100%" cellpadding="0" '
        f'cellspacing="0"><colgroup>{cols}</colgroup><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody>"
        f"</table>{foot}</div>"
    )


#: Where the scorecard sends a reader for more: (page, its section heading, link text).
#: The pages are the segment's others in the same folder; a heading renamed there must be
#: renamed here (tests/batch/test_scorecard_browser.py follows every link).
SECTION_LINKS: tuple[tuple[str, str, str], ...] = (
    ("quarterly_plan_summary", "", "The plan on two pages (VP summary)"),
    ("quarterly_plan", "Where we will land", "Where we will land, and every open deal"),
    ("quarterly_plan", "The odds of hitting the target", "The odds of hitting the target"),
    ("quarterly_plan", "Pipeline coverage", "Pipeline coverage"),
    ("quarterly_plan", "Sales capacity", "Sales capacity"),
    ("quarterly_plan", "Actuals against plan", "Actuals against plan, by stage and month"),
    ("trend_report", "Month over month", "The funnel month over month"),
    ("trend_report", "Conversion and cost by source", "Conversion and cost by source"),
    ("trend_report", "Response-time SLA over time", "Response time against the SLA"),
)


def section_href(page: str, heading: str) -> str:
    """A relative link to a section of a page beside the scorecard (``page.html#Heading-text``).

    The anchor is the id nbconvert gives a markdown heading: its text with spaces as dashes.

    Parameters
    ----------
    page : str
        The page's file stem.
    heading : str
        The section's heading text (empty: the top of the page).

    Returns
    -------
    str
        The link, URL-quoted.
    """
    from urllib.parse import quote

    href = f"{quote(page)}.html"
    return f"{href}#{quote(heading.replace(' ', '-'), safe=':,()?')}" if heading else href


def links_html(links: Sequence[tuple[str, str, str]] = SECTION_LINKS) -> str:
    """The pages behind the scorecard, as relative links (the e-mail keeps their text).

    Parameters
    ----------
    links : sequence of (page, heading, text)
        Default :data:`SECTION_LINKS`.

    Returns
    -------
    str
        An HTML list.
    """
    items = "".join(
        f'<li class="sc-point"><a class="sc-link" href="{_e(section_href(page, heading))}">'
        f"{_e(text)}</a></li>"
        for page, heading, text in links
    )
    return f'<ul class="sc-points sc-links">{items}</ul>'


@_CARD_HTML
def agenda_html(card: Scorecard) -> str:
    """The agenda: each topic with its talking points.

    Returns
    -------
    str
        An HTML fragment (escaped) using the ``sc-`` classes.
    """
    parts = []
    for i, item in enumerate(card.agenda, 1):
        points = item.points or ("Nothing to raise this week.",)
        lis = "".join(f'<li class="sc-point">{_e(p)}</li>' for p in points)
        parts.append(
            f'<div class="sc-topic"><h3 class="sc-h3">{i}. {_e(item.topic)}</h3>'
            f'<ul class="sc-points">{lis}</ul></div>'
        )
    return f'<div class="sc-agenda">{"".join(parts)}</div>'


def bookings_to_date(
    params: QuarterParams, table: pd.DataFrame | None, week_ending: dt.date
) -> pd.DataFrame:
    """Cumulative bookings and plan by week of the quarter, up to ``week_ending``.

    Parameters
    ----------
    params : QuarterParams
        The quarter.
    table : pandas.DataFrame or None
        The normalised CRM table.
    week_ending : date
        The last week shown.

    Returns
    -------
    pandas.DataFrame
        Indexed by week end (Timestamp), columns ``actual`` and ``plan`` (cumulative);
        empty before the quarter or without actuals.
    """
    q_start = pd.Timestamp(params.quarter_start)
    q_end = pd.Timestamp(params.quarter_end) + DAY
    plan_monthly = pd.Series(
        [params.target.bookings * s for s in params.phasing],
        index=pd.PeriodIndex(params.months, freq="M"),
    )
    ends = []
    day = pd.Timestamp(last_full_week(q_start + 6 * DAY)) + DAY
    stop = min(pd.Timestamp(week_ending) + DAY, q_end)
    while day <= stop:
        ends.append(day)
        day += 7 * DAY
    if table is None or not ends:
        return pd.DataFrame(columns=["actual", "plan"], dtype=float)
    won_at = won_dates(table, params.stage_names[-1])
    rows: dict[pd.Timestamp, Mapping[str, float]] = {}
    for end in ends:
        rows[end - DAY] = {
            "actual": _amounts(table, _in(won_at, q_start, end), params.deal_size.mean),
            "plan": plan_between(plan_monthly, q_start, end),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def deals_section_html(landing: Any, typical_deal: float) -> str:
    """The scorecard's "Deals that matter": the landing forecast's top open deals.

    Parameters
    ----------
    landing : LandingView
        The snapshot's landing (:attr:`~alignlib.snapshot.QuarterSnapshot.landing`).
    typical_deal : float
        The amount a deal without its own counts as.

    Returns
    -------
    str
        The list and its note, or the one line saying why there is none.
    """
    from alignlib.reports.forecast import deals_note, landing_deals_table

    if landing.forecast is None:
        return f'<p class="sc-week sc-deals">{_e(landing.message or "No landing forecast.")}</p>'
    table = landing_deals_table(landing.forecast, landing.stage_labels)
    note = deals_note(landing.forecast, landing.currency, typical_deal)
    return deals_html(table, note, landing.currency)
