"""The quarter's reverse funnel from the parameters: the blend or the mix of channels, and re-planned for what-if moves."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from alignlib.docstrings import PARAMS_DOC
from alignlib.planning.channels import _channel_rate, channel_input, plan_channel_funnels
from alignlib.planning.funnel import (
    ChannelInput,
    ReverseFunnel,
    _exact,
    mixed_reverse_funnel,
    plan_rates,
    reverse_funnel,
)

if TYPE_CHECKING:
    from alignlib.history.channels import ChannelFunnel
    from alignlib.params import QuarterParams


@PARAMS_DOC
def plan_funnel(params: QuarterParams, funnels: Sequence[ChannelFunnel] = ()) -> ReverseFunnel:
    """The quarter's reverse funnel: the blend, or the mix of channels that convert differently.

    Parameters
    ----------
    funnels : sequence of ChannelFunnel
        The channels (:func:`alignlib.history.channels.channel_funnels`). When none
        differs from the blend, or none has a share, the blended funnel is planned.

    Returns
    -------
    ReverseFunnel
    """
    names = params.stage_names
    blend = reverse_funnel(params.target.bookings, params.deal_size.mean, names, plan_rates(params))
    differ = any(not f.converts_like_blend for f in funnels)
    if not differ or sum(f.share for f in funnels) <= 0:
        return blend
    mix = mixed_reverse_funnel(params.target.bookings, names, [channel_input(f) for f in funnels])
    return _as_written(mix, blend)


def _as_written(mix: ReverseFunnel, blend: ReverseFunnel) -> ReverseFunnel:
    """The blend when the mix of channels plans the same volumes, else the mix.

    At the file's shares the channels average back to the rates and deal size the file
    states (:func:`alignlib.history.channels.channel_funnels` centres them): the plan is
    then the blend's, in exact fractions of what was written (1 of 3 toward 3,000 at
    1,000 a deal is 9 leads, not the 10 a float's rounding would give).
    """
    same = all(
        math.isclose(a, b, rel_tol=1e-9) for a, b in zip(mix.exact, blend.exact, strict=True)
    )
    return blend if same else mix


@PARAMS_DOC
def replan_funnel(
    params: QuarterParams,
    *,
    target: float | None = None,
    deal_size: float | None = None,
    rates: dict[str, float] | None = None,
    funnels: Sequence[ChannelFunnel] | None = None,
) -> ReverseFunnel:
    """The plan's reverse funnel with some inputs changed (what-if moves).

    A blended rate or the deal size moved moves every channel by the same factor (a
    channel's rate capped at 1), so channels keep how they differ from the blend.

    Parameters
    ----------
    target : float, optional
        Bookings target (default: the parameters').
    deal_size : float, optional
        Average deal size of the blend (default: the parameters').
    rates : dict, optional
        From-stage -> blended conversion rate into the next stage.
    funnels : sequence of ChannelFunnel, optional
        The channels (default: from the params and their actuals, read once).

    Returns
    -------
    ReverseFunnel
    """
    if funnels is None:
        funnels = plan_channel_funnels(params)
    target = params.target.bookings if target is None else target
    mean = params.deal_size.mean if deal_size is None else deal_size
    names = params.stage_names
    blend = plan_rates(params)
    factors = [Fraction(1)] * len(blend)
    for stage, value in (rates or {}).items():
        i = names.index(stage)
        blend_i = blend[i]
        blend[i] = _exact(value)
        factors[i] = blend[i] / blend_i
    blended = reverse_funnel(target, mean, names, blend)
    differ = any(not f.converts_like_blend for f in funnels)
    if not differ or sum(f.share for f in funnels) <= 0:
        return blended
    size_factor = _exact(mean) / _exact(params.deal_size.mean)
    inputs = []
    for f in funnels:
        own = [_channel_rate(r) for r in f.rates]
        inputs.append(
            ChannelInput(
                share=f.share,
                rates=[min(Fraction(1), r * k) for r, k in zip(own, factors, strict=True)],
                deal_size=_exact(f.deal_size_mean) * size_factor,
            )
        )
    return _as_written(mixed_reverse_funnel(target, names, inputs), blended)
