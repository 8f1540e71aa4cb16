"""Sales capacity for the plan: reps for the busiest month's opportunities, SLA follow-up.

The hourly queueing check (Erlang C) is :mod:`alignlib.planning.response_queue`'s; this module asks it
about the plan's busiest month.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib.docstrings import PARAMS_DOC
from alignlib.format import stage_label

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.planning.response_queue import HourlyCapacity


@dataclass(frozen=True)
class CapacityCheck:
    """Can sales work the planned volume? Opportunities per rep, and SLA follow-up."""

    reps: int
    peak_opportunities_per_month: float
    reps_needed: int
    handoff_stage: str
    peak_handoffs_per_month: float
    followup_capacity_per_month: float
    sla_hours: float
    #: The hourly SLA check (Erlang C; :mod:`alignlib.planning.response_queue`), None without an ``sla``.
    hourly: HourlyCapacity | None = None

    @property
    def reps_short(self) -> int:
        """Reps missing to work the busiest month's opportunities (0 when enough)."""
        return max(0, self.reps_needed - self.reps)

    @property
    def exceeds_followup_capacity(self) -> bool:
        """True when more hand-offs arrive than sales can answer within the SLA."""
        return self.peak_handoffs_per_month > self.followup_capacity_per_month + 1e-9

    @property
    def messages(self) -> list[str]:
        """Plain-language flags (empty when capacity is enough)."""
        out = []
        if self.reps_short:
            out.append(
                f"The plan needs {self.reps_needed} reps to work "
                f"{self.peak_opportunities_per_month:,.0f} new opportunities in its busiest month; "
                f"there are {self.reps} ({self.reps_short} short)."
            )
        if self.exceeds_followup_capacity:
            within = (
                f"within the {self.sla_hours:g}-hour SLA"
                if math.isfinite(self.sla_hours)
                else "in a month"
            )
            out.append(
                f"{self.peak_handoffs_per_month:,.0f} {stage_label(self.handoff_stage)}s in the "
                f"busiest month exceed the {self.followup_capacity_per_month:,.0f} sales can "
                f"answer {within}."
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """The check as plain values, for JSON.

        Returns
        -------
        dict
            Every field (``hourly`` as its own ``to_dict``), with ``reps_short``,
            ``exceeds_followup_capacity`` and ``messages`` derived.
        """
        return {
            "reps": self.reps,
            "peak_opportunities_per_month": self.peak_opportunities_per_month,
            "reps_needed": self.reps_needed,
            "reps_short": self.reps_short,
            "handoff_stage": self.handoff_stage,
            "peak_handoffs_per_month": self.peak_handoffs_per_month,
            "followup_capacity_per_month": self.followup_capacity_per_month,
            "sla_hours": self.sla_hours,
            "exceeds_followup_capacity": self.exceeds_followup_capacity,
            "messages": self.messages,
            "hourly": None if self.hourly is None else self.hourly.to_dict(),
        }


@PARAMS_DOC
def capacity_check(params: QuarterParams, monthly: pd.DataFrame) -> CapacityCheck | None:
    """Reps needed for the busiest month's new opportunities, and SLA follow-up capacity.

    Parameters
    ----------
    monthly : pandas.DataFrame
        The quarter's monthly targets (:func:`steady_state_targets`): the volume sales
        works each month, for this quarter's deals and the next's.

    Returns
    -------
    CapacityCheck or None
        None when the parameters have no ``capacity`` section. Without an ``sla``
        section the follow-up check reads the SLA hours as NaN (no SLA to miss). Its
        ``hourly`` is the hourly SLA check of the busiest month's hand-offs
        (:func:`alignlib.planning.response_queue.hourly_capacity_for`; None without an ``sla``).
    """
    from alignlib.planning.response_queue import hourly_capacity_for

    cap = params.capacity
    if cap is None:
        return None
    peak_opps = float(monthly[params.pipeline.stage].max())
    peak_handoffs = float(monthly[cap.handoff_stage].max())
    return CapacityCheck(
        reps=cap.reps,
        peak_opportunities_per_month=peak_opps,
        reps_needed=math.ceil(peak_opps / cap.opportunities_per_rep_per_month - 1e-9),
        handoff_stage=cap.handoff_stage,
        peak_handoffs_per_month=peak_handoffs,
        followup_capacity_per_month=cap.reps
        * cap.responses_per_rep_per_day
        * cap.working_days_per_month,
        sla_hours=params.sla.lead_response_hours if params.sla is not None else float("nan"),
        hourly=hourly_capacity_for(params, peak_handoffs),
    )
