"""The plan on two printed pages for the VPs: read from the quarter snapshot, nothing recomputed.

:func:`plan_summary` picks what the quarterly plan's page shows at length (the funnel's
needs, leads by month, channels and budget, the odds, the landing and the deals that
matter most) from the segment's :class:`~alignlib.snapshot.QuarterSnapshot`; the figures
are the snapshot's, so the summary and the full plan cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alignlib.reports.forecast import (
    DEALS_COLUMNS,
    deals_note,
    landing_deals_table,
    landing_parts_table,
)
from alignlib.reports.plan import channel_table, monthly_table, plan_table

if TYPE_CHECKING:
    from alignlib.snapshot import QuarterSnapshot

#: Open deals the summary lists (the full plan lists more).
SUMMARY_DEALS = 5


@dataclass(frozen=True)
class PlanSummary:
    """What the VP summary shows.

    Attributes
    ----------
    needs : pandas.DataFrame
        Per stage: ``label``, ``conversion_rate`` into the next, ``required`` this quarter.
    months : pandas.DataFrame
        New leads needed per month (one row, months as columns, ``quarter total``).
    channels : pandas.DataFrame
        Per channel (and the total): share, leads, budget, customers, CAC.
    odds : pandas.DataFrame
        One row: the landing's pessimistic / most likely / optimistic bookings, the chance
        of the target now and at plan time, and the leads a plan sized for confidence needs.
    landing : pandas.DataFrame or None
        Booked, open pipeline and not yet created (None before the quarter).
    deals : pandas.DataFrame
        The open deals that matter most (at most :data:`SUMMARY_DEALS`).
    deals_note : str
        What a blank amount in ``deals`` means (said once).
    flags : tuple of str
        The plan's warnings (coverage, capacity, months already past).
    """

    needs: pd.DataFrame
    months: pd.DataFrame
    channels: pd.DataFrame
    odds: pd.DataFrame
    landing: pd.DataFrame | None
    deals: pd.DataFrame
    deals_note: str
    flags: tuple[str, ...]


def plan_summary(snapshot: QuarterSnapshot) -> PlanSummary:
    """The VP summary of one segment's plan, from its snapshot.

    Parameters
    ----------
    snapshot : QuarterSnapshot
        The segment's snapshot (the batch's, or one computed for the page).

    Returns
    -------
    PlanSummary
        Tables with raw numbers (the page formats them). Without a landing forecast,
        ``landing`` is None and ``deals`` empty.
    """
    plan, numbers = snapshot.plan, snapshot.numbers
    needs = plan_table(plan)[["label", "conversion_rate", "required"]]
    monthly = monthly_table(plan, snapshot.as_of)
    months = monthly.iloc[[0]].rename(index={monthly.index[0]: "New leads needed"})
    confidence = snapshot.confidence_plan
    odds = pd.DataFrame(
        {
            "pessimistic": [numbers.landing_p10],
            "most_likely": [numbers.landing_p50],
            "optimistic": [numbers.landing_p90],
            "chance_now": [numbers.p_hit],
            "chance_at_plan_time": [numbers.p_hit_at_plan],
            "leads_for_confidence": [confidence.leads if confidence is not None else np.nan],
        },
        index=pd.Index(["Bookings this quarter"], name="landing"),
    )
    landing: pd.DataFrame | None = None
    deals = pd.DataFrame(columns=list(DEALS_COLUMNS))
    note = ""
    forecast = snapshot.landing.forecast
    if forecast is not None:
        landing = landing_parts_table(forecast)[["p10", "p50", "p90"]]
        deals = landing_deals_table(forecast, snapshot.landing.stage_labels).head(SUMMARY_DEALS)
        note = deals_note(forecast, numbers.currency, snapshot.params.deal_size.mean)
    return PlanSummary(
        needs=needs,
        months=months,
        channels=channel_table(plan),
        odds=odds,
        landing=landing,
        deals=deals,
        deals_note=note,
        flags=tuple(str(w) for w in plan.warnings),
    )
