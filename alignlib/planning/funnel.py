"""The reverse funnel: from the bookings target back to the volume each stage needs.

In exact rational arithmetic from the decimals written (or counts as fractions), for one
blended funnel (:func:`reverse_funnel`) or a mix of channels that convert differently
(:func:`mixed_reverse_funnel`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alignlib.docstrings import PARAMS_DOC, STAGES_DOC
from alignlib.errors import InputError

if TYPE_CHECKING:
    from alignlib.params import QuarterParams


def _exact(x: float | int | Fraction) -> Fraction:
    """The decimal a person wrote (0.35), not its binary neighbour (0.34999...)."""
    if isinstance(x, Fraction | int):
        return Fraction(x)
    return Fraction(repr(float(x)))


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


@STAGES_DOC
@dataclass(frozen=True)
class ReverseFunnel:
    """Volumes each stage must reach for the target, top to bottom.

    Attributes
    ----------
    rates : tuple of float
        ``rates[i]`` converts ``stages[i]`` into ``stages[i + 1]``.
    target_revenue, avg_deal_size : float
        The inputs.
    exact : tuple of float
        The unrounded volume per stage: target / (deal size x product of the rates
        from that stage down).
    required : tuple of int
        ``exact`` rounded up, once per stage (not cascaded).
    """

    stages: tuple[str, ...]
    rates: tuple[float, ...]
    target_revenue: float
    avg_deal_size: float
    exact: tuple[float, ...]
    required: tuple[int, ...]

    @property
    def leads(self) -> int:
        """Volume required at the top of the funnel."""
        return self.required[0]

    @property
    def wins(self) -> int:
        """Deals that must be won."""
        return self.required[-1]

    @property
    def rate_to_won(self) -> tuple[float, ...]:
        """Chance that a contact entering each stage is eventually won."""
        out = [1.0] * len(self.stages)
        for i in range(len(self.stages) - 2, -1, -1):
            out[i] = out[i + 1] * self.rates[i]
        return tuple(out)

    def forward_revenue(self) -> float:
        """Bookings the required leads produce at the plan's rates and deal size."""
        return self.required[0] * float(np.prod(self.rates)) * self.avg_deal_size

    def to_frame(self) -> pd.DataFrame:
        """One row per stage: ``conversion_rate`` (into the next), ``rate_to_won``, ``exact``, ``required``.

        Returns
        -------
        DataFrame
            Indexed by stage.
        """
        return pd.DataFrame(
            {
                "conversion_rate": [*self.rates, np.nan],
                "rate_to_won": self.rate_to_won,
                "exact": self.exact,
                "required": self.required,
            },
            index=pd.Index(self.stages, name="stage"),
        )


def _checked_rates(
    stages: Sequence[str], rates: Sequence[float | Fraction | tuple[int, int]]
) -> list[Fraction]:
    """Rates as exact fractions, each checked to lie in (0, 1]."""
    if len(rates) != len(stages) - 1:
        raise InputError(
            f"{len(stages)} stages need {len(stages) - 1} conversion rates (got {len(rates)})"
        )
    exact_rates: list[Fraction] = []
    for stage, rate in zip(stages, rates, strict=False):
        if isinstance(rate, tuple):
            converted, total = rate
            if total <= 0 or converted < 0 or converted > total:
                raise InputError(
                    f"stage {stage!r}: counts must satisfy 0 <= converted <= total and "
                    f"total > 0 (got converted={converted}, total={total})"
                )
            r = Fraction(converted) / Fraction(total)
        else:
            if not (isinstance(rate, Fraction) or math.isfinite(rate)):
                raise InputError(
                    f"stage {stage!r}: conversion rate must be a number (got {rate!r})"
                )
            r = _exact(rate)
        if not (0 < r <= 1):
            raise InputError(
                f"stage {stage!r}: conversion rate must be in (0, 1] (got {float(r):g})"
            )
        exact_rates.append(r)
    return exact_rates


@PARAMS_DOC
def plan_rates(params: QuarterParams) -> list[Fraction]:
    """The params' blended conversion rates as exact fractions, top to bottom.

    Counts ``{converted, total}`` are ``Fraction(converted, total)`` (not the float
    ``params.rates`` holds, whose binary rounding can push a ceiling up: 1 of 3 converting
    toward a 3,000 target at 1,000 a deal needs 9 leads, not 10); rates are the decimals
    written.

    Returns
    -------
    list of Fraction
    """
    out = []
    for stage in params.transitions:
        spec = params.conversion_rates[stage]
        counts = spec.counts
        out.append(Fraction(counts[0], counts[1]) if counts is not None else _exact(spec.rate))
    return out


def reverse_funnel(
    target_revenue: float,
    avg_deal_size: float,
    stages: Sequence[str],
    rates: Sequence[float | Fraction | tuple[int, int]],
) -> ReverseFunnel:
    """Volumes each stage needs so the funnel books ``target_revenue``.

    Parameters
    ----------
    target_revenue : float
        Bookings target for the period.
    avg_deal_size : float
        Average bookings per won deal.
    stages : sequence of str
        Stage names, top to bottom (e.g. lead, mql, sal, sql, opportunity, won).
    rates : sequence of float or (converted, total)
        ``rates[i]`` converts ``stages[i]`` into ``stages[i + 1]``; counts are read
        as ``converted / total``.

    Returns
    -------
    ReverseFunnel
        ``required[i] = ceil(target / (deal size x prod(rates[i:])))``, computed in
        exact rational arithmetic from the decimals given, so 14 deals at 40%, 50%,
        35% and 10% need exactly 35, 70, 200 and 2,000 (not 2,001).

    Raises
    ------
    InputError
        Non-positive target or deal size, a rate outside (0, 1], counts that make no
        sense, or a number of rates that does not match the stages.
    """
    stages = tuple(stages)
    if len(stages) < 2:
        raise InputError(f"the funnel needs at least two stages (got {list(stages)})")
    if len(rates) != len(stages) - 1:
        raise InputError(
            f"{len(stages)} stages need {len(stages) - 1} conversion rates (got {len(rates)})"
        )
    if not (math.isfinite(target_revenue) and target_revenue > 0):
        raise InputError(f"target revenue must be a positive amount (got {target_revenue!r})")
    if not (math.isfinite(avg_deal_size) and avg_deal_size > 0):
        raise InputError(f"average deal size must be a positive amount (got {avg_deal_size!r})")

    exact_rates = _checked_rates(stages, rates)
    wins = _exact(target_revenue) / _exact(avg_deal_size)
    exact: list[Fraction] = [wins]
    for r in reversed(exact_rates):
        exact.insert(0, exact[0] / r)
    return ReverseFunnel(
        stages=stages,
        rates=tuple(float(r) for r in exact_rates),
        target_revenue=float(target_revenue),
        avg_deal_size=float(avg_deal_size),
        exact=tuple(float(x) for x in exact),
        required=tuple(_ceil(x) for x in exact),
    )


@dataclass(frozen=True)
class ChannelInput:
    """One channel of a mix: share of leads, conversion rates and deal size.

    Rates are numbers (read as the decimal written), fractions, or ``(converted, total)``.
    """

    share: float | Fraction
    rates: Sequence[float | Fraction | tuple[int, int]]
    deal_size: float | Fraction


def mixed_reverse_funnel(
    target_revenue: float,
    stages: Sequence[str],
    channels: Sequence[ChannelInput],
) -> ReverseFunnel:
    """The reverse funnel of a mix of channels that convert differently.

    The leads ``L`` solve ``sum_k L x share_k x rate_to_won_k x deal_k = target``; each
    stage's volume is the sum of every channel's leads times its own rates down to that
    stage. The result reads like :func:`reverse_funnel`'s: its rates are the mix's
    effective rates (stage volume over the stage above) and its deal size the mix's
    average (target over wins), so a forward pass gets the target back. All in exact
    rational arithmetic from the inputs given (decimals as written, counts as fractions).

    Parameters
    ----------
    target_revenue : float
        Bookings target for the period.
    stages : sequence of str
        Stage names, top to bottom.
    channels : sequence of ChannelInput
        Each channel's share of leads (normalised by their sum), rates and deal size.

    Returns
    -------
    ReverseFunnel
        ``exact`` holds the mix's stage volumes, ``required`` their ceilings.

    Raises
    ------
    InputError
        No channel with a positive share, a negative share, or a channel's rate or deal
        size out of range.
    """
    stages = tuple(stages)
    if not channels:
        raise InputError("a mix of channels needs at least one channel")
    shares = [_exact(ch.share) for ch in channels]
    if any(x < 0 for x in shares) or sum(shares) <= 0:
        raise InputError(f"channel shares must be non-negative and not all 0 (got {shares})")
    total_share = sum(shares, Fraction(0))
    reach = [Fraction(0)] * len(stages)  # leads-weighted reach of each stage, per lead
    revenue_per_lead = Fraction(0)
    for ch, share in zip(channels, shares, strict=True):
        rates = _checked_rates(stages, ch.rates)
        deal = _exact(ch.deal_size)
        if not (deal > 0):
            raise InputError(f"average deal size must be a positive amount (got {ch.deal_size!r})")
        weight = share / total_share
        path = Fraction(1)
        for i in range(len(stages)):
            reach[i] += weight * path
            if i < len(rates):
                path *= rates[i]
        revenue_per_lead += weight * path * deal
    if revenue_per_lead <= 0:
        raise InputError("the channels with a share book nothing per lead")
    effective = [reach[i + 1] / reach[i] for i in range(len(stages) - 1)]
    deal_size = revenue_per_lead / reach[-1]
    return reverse_funnel(target_revenue, deal_size, stages, effective)  # type: ignore[arg-type]
