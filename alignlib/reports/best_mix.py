"""What the plan report shows of the channels as funnels and of the least-cost mix.

Each channel at its own rates and deal size (where they come from), and today's mix beside
the one that reaches the target at the least budget (:func:`alignlib.planning.best_mix.optimise_mix`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alignlib.docstrings import PARAMS_DOC

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.planning import QuarterPlan
    from alignlib.planning.best_mix import MixPlan


def channel_funnel_table(plan: QuarterPlan) -> pd.DataFrame:
    """Per channel: leads, each stage's volume, wins, bookings, budget, CAC and rate sources.

    Parameters
    ----------
    plan : QuarterPlan
        The quarter's plan.

    Returns
    -------
    pandas.DataFrame
        Indexed by channel; stage columns are headed by their labels. Budget and CAC are
        left out when a channel's cost is unknown; empty without channels.
    """
    ch = plan.channels
    if ch.empty:
        return pd.DataFrame()
    stages = list(plan.funnel.stages)
    out = pd.DataFrame({"channel": ch["label"], "leads": ch["leads"]}, index=ch.index)
    for stage in stages[1:]:
        out[plan.stage_labels.get(stage, stage)] = ch[stage]
    out["bookings"] = ch["bookings"]
    out["deal_size"] = ch["deal_size"]
    if not np.isnan(plan.budget):
        out["budget"] = ch["budget"]
        out["cac"] = ch["cac"]
    out["rates_from"] = ch["rate_source"]
    out["deal_size_from"] = ch["deal_size_source"]
    return out


def mix_table(mix: MixPlan) -> pd.DataFrame:
    """Today's mix and the optimal one side by side, with a total row.

    Parameters
    ----------
    mix : MixPlan
        From :func:`alignlib.planning.best_mix.optimise_mix`.

    Returns
    -------
    pandas.DataFrame
        ``channel``, ``today_share``, ``today_leads``, ``today_budget``,
        ``optimal_share``, ``optimal_leads``, ``optimal_budget``, ``optimal_bookings``
        and ``limit``; empty when the mix could not be solved.
    """
    frame = mix.to_frame()
    if frame.empty:
        return frame
    out = frame[
        [
            "label",
            "today_share",
            "today_leads",
            "today_budget",
            "optimal_share",
            "optimal_leads",
            "optimal_budget",
            "optimal_bookings",
            "limit",
        ]
    ].rename(columns={"label": "channel"})
    return out


@dataclass(frozen=True)
class MixView:
    """The report's channel-mix section.

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`mix_table` (empty when there is no solution).
    message : str
        The saving, or why there is no solution.
    notes : tuple of str
        Channels kept at today's share, missing limits.
    """

    table: pd.DataFrame
    message: str
    notes: tuple[str, ...]


@PARAMS_DOC
def mix_view(params: QuarterParams, plan: QuarterPlan) -> MixView:
    """The least-cost mix beside today's, for the plan report.

    Parameters
    ----------
    plan : QuarterPlan
        Their plan (today's mix is its channel table).

    Returns
    -------
    MixView
    """
    from alignlib.planning.best_mix import optimise_mix

    mix = optimise_mix(params, plan=plan)
    return MixView(mix_table(mix), mix.message, mix.notes)
