"""Channels in the plan: their funnels as exact reverse-funnel inputs, and leads, budget and yield by channel."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib.docstrings import PARAMS_DOC
from alignlib.planning.funnel import ChannelInput, ReverseFunnel, _exact

if TYPE_CHECKING:
    from alignlib.history.channels import ChannelFunnel, ChannelRate
    from alignlib.params import QuarterParams


@PARAMS_DOC
def plan_channel_funnels(params: QuarterParams) -> tuple[ChannelFunnel, ...]:
    """The params' channels as funnels, with what their actuals teach (read once per file).

    Returns
    -------
    tuple of ChannelFunnel
    """
    from alignlib.history.channels import channel_funnels
    from alignlib.history.learning import actuals_history

    history = actuals_history(params)
    return channel_funnels(params, None if history is None else history.by_channel)


def channel_input(funnel: ChannelFunnel, share: float | Fraction | None = None) -> ChannelInput:
    """A channel funnel's share, rates and deal size as exact inputs to the reverse funnel.

    Rates given as counts are ``Fraction(converted, total)``; rates given as numbers and
    deal sizes are the decimals written.

    Parameters
    ----------
    funnel : ChannelFunnel
        One channel.
    share : float or Fraction, optional
        A share other than the channel's own.

    Returns
    -------
    ChannelInput
    """
    return ChannelInput(
        share=funnel.share if share is None else share,
        rates=[_channel_rate(r) for r in funnel.rates],
        deal_size=_exact(funnel.deal_size_mean),
    )


def revenue_per_lead(funnel: ChannelFunnel) -> Fraction:
    """A channel's expected bookings per lead, exactly: its rates' product times its deal size.

    Parameters
    ----------
    funnel : ChannelFunnel
        One channel.

    Returns
    -------
    Fraction
    """
    out = _exact(funnel.deal_size_mean)
    for rate in funnel.rates:
        out *= _channel_rate(rate)
    return out


def _channel_rate(rate: ChannelRate) -> Fraction:
    if rate.fixed is not None:
        return _exact(rate.fixed)
    assert rate.converted is not None and rate.total is not None
    return Fraction(rate.converted) / Fraction(rate.total)


@PARAMS_DOC
def channel_plan(
    params: QuarterParams,
    funnel: ReverseFunnel,
    funnels: Sequence[ChannelFunnel] | None = None,
) -> pd.DataFrame:
    """Leads, budget and downstream yield by channel, each at its own rates and deal size.

    Leads are the plan's required leads split by share (normalised by the shares' sum);
    each channel's stage volumes are its leads times its own rates, its bookings its wins
    times its own deal size. A channel without a cost per lead has an unknown (NaN)
    budget and CAC; with no channels the frame is empty (same columns).

    Parameters
    ----------
    funnel : ReverseFunnel
        The reverse funnel.
    funnels : sequence of ChannelFunnel, optional
        Each channel's funnel (default: every channel at the blended rates and deal size).

    Returns
    -------
    pandas.DataFrame
        One row per channel: ``label``, ``share``, ``leads``, ``cost_per_lead``,
        ``budget``, a column per stage below the top, ``bookings``, ``deal_size``,
        ``rate_to_won``, ``cac``, ``rate_source`` and ``deal_size_source``.
    """
    if funnels is None:
        from alignlib.history.channels import channel_funnels

        funnels = channel_funnels(params)
    total_share = sum((_exact(f.share) for f in funnels), Fraction(0))
    rows = []
    for f in funnels:
        share = _exact(f.share) / total_share if total_share > 0 else Fraction(0)
        leads = funnel.leads * share
        cost = float("nan") if f.cost_per_lead is None else f.cost_per_lead
        rates = [_channel_rate(r) for r in f.rates]
        deal = _exact(f.deal_size_mean)
        row: dict[str, Any] = {
            "label": f.label,
            "share": f.share,
            "leads": float(leads),
            "cost_per_lead": cost,
            "budget": float(leads) * cost,
        }
        volume = leads
        for stage, rate in zip(funnel.stages[1:], rates, strict=True):
            volume *= rate
            row[stage] = float(volume)
        row["bookings"] = float(volume * deal)
        row["deal_size"] = float(deal)
        row["rate_to_won"] = float(np.prod([float(r) for r in rates]))
        row["cac"] = row["budget"] / float(volume) if volume else np.nan
        row["rate_source"] = _sources([r.source for r in f.rates])
        row["deal_size_source"] = f.deal_size_source
        rows.append((f.name, row))
    columns = [
        "label",
        "share",
        "leads",
        "cost_per_lead",
        "budget",
        *funnel.stages[1:],
        "bookings",
        "deal_size",
        "rate_to_won",
        "cac",
        "rate_source",
        "deal_size_source",
    ]
    return pd.DataFrame(
        [r for _, r in rows], index=pd.Index([n for n, _ in rows], name="channel"), columns=columns
    )


def _sources(sources: Sequence[str]) -> str:
    """``actuals`` when every rate comes from one place, else ``params + actuals``."""
    return " + ".join(dict.fromkeys(sources)) or "blended"
