"""The reverse funnel ("actual to plan"): from the bookings target back to leads.

Deterministic: volumes per stage, phased by month with the stage lags, by channel
with their costs, checked against pipeline coverage and sales capacity. No random
numbers here; the odds of hitting the plan are :mod:`alignlib.simulation`'s job.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.format import stage_label
from alignlib.targets import MONTH_DAYS, Seasonality, learned_growth, seasonality_index

if TYPE_CHECKING:
    from alignlib.actuals_history import ActualsHistory
    from alignlib.capacity import HourlyCapacity
    from alignlib.channel_funnels import ChannelFunnel, ChannelRate
    from alignlib.params import QuarterParams


def _exact(x: float | int | Fraction) -> Fraction:
    """The decimal a person wrote (0.35), not its binary neighbour (0.34999...)."""
    if isinstance(x, Fraction | int):
        return Fraction(x)
    return Fraction(repr(float(x)))


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


@dataclass(frozen=True)
class ReverseFunnel:
    """Volumes each stage must reach for the target, top to bottom.

    Attributes
    ----------
    stages : tuple of str
        Stage names, top to bottom.
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


def plan_rates(params: QuarterParams) -> list[Fraction]:
    """The params' blended conversion rates as exact fractions, top to bottom.

    Counts ``{converted, total}`` are ``Fraction(converted, total)`` (not the float
    ``params.rates`` holds, whose binary rounding can push a ceiling up: 1 of 3 converting
    toward a 3,000 target at 1,000 a deal needs 9 leads, not 10); rates are the decimals
    written.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters.

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


# -- time phasing ---------------------------------------------------------------------------


def monthly_phasing(
    required: pd.Series,
    lags_to_won: pd.Series,
    months: Sequence[pd.Period],
    phasing: Sequence[float],
) -> pd.DataFrame:
    """When each stage's volume must enter so that its deals close in their month.

    Wins in quarter month ``m`` are spread evenly over that month; a contact enters
    stage ``s`` ``lags_to_won[s]`` days before it is won, so stage ``s``'s volume for
    month ``m`` falls in the calendar months that window overlaps, shifted back.

    Parameters
    ----------
    required : Series
        Volume per stage for the quarter (indexed by stage).
    lags_to_won : Series
        Typical days from entering each stage to closing won (0 for the last stage).
    months : sequence of Period
        The quarter's months, in order.
    phasing : sequence of float
        Share of the quarter's wins closing in each month (sums to 1).

    Returns
    -------
    DataFrame
        Indexed by month (``Period[M]``, earliest first, including months before the
        quarter), one column per stage; each column sums to ``required``.
    """
    if len(months) != len(phasing):
        raise InputError(
            f"{len(months)} months need {len(months)} phasing shares (got {len(phasing)})"
        )
    first = min(months) - int(math.ceil(float(lags_to_won.max()) / 28) + 1)
    calendar = pd.period_range(first, max(months), freq="M")
    cal_start = calendar.start_time.to_numpy()
    cal_end = (calendar.end_time + pd.Timedelta(1, "ns")).to_numpy()
    out = pd.DataFrame(0.0, index=calendar, columns=required.index)
    for month, share in zip(months, phasing, strict=True):
        m_start, m_end = month.start_time, month.end_time + pd.Timedelta(1, "ns")
        length = (m_end - m_start) / pd.Timedelta(1, "D")
        for stage, lag in lags_to_won.items():
            shift = pd.Timedelta(float(lag), "D")
            lo = np.maximum(cal_start, (m_start - shift).to_datetime64())
            hi = np.minimum(cal_end, (m_end - shift).to_datetime64())
            overlap_days = np.clip((hi - lo) / np.timedelta64(1, "D"), 0, None)
            out[stage] += share * overlap_days / length
    out = out.mul(required.astype(float), axis=1)
    out.index.name = "month"
    return out.loc[(out.sum(axis=1) > 1e-9).cumsum() > 0]


def steady_state_targets(
    required: pd.Series,
    lags_to_won: pd.Series,
    months: Sequence[pd.Period],
    phasing: Sequence[float],
    *,
    growth: float = 0.0,
    seasonality: Seasonality | None = None,
) -> pd.DataFrame:
    """Each stage's monthly target inside the quarter, when every quarter runs this plan.

    :func:`monthly_phasing` answers "when must the volume for *this* quarter's deals
    enter"; a sales or marketing team, though, works every month for the deals of
    the quarters that follow too. With the following quarters running this plan grown by
    ``growth`` a year (quarter ``q`` after this one books ``(1 + growth) ** (q / 4)``
    times as much, as the simulation's carry-in assumes with no growth), the volume a
    stage must see in each of this quarter's months is the sum of what every quarter's
    wins need then. Time runs in months of equal length (lags in days over 365.25 / 12),
    so without growth each stage's targets add up to exactly its required volume.

    Seasonality then moves each stage's volume between the quarter's months (its total
    kept): a month whose leads are weak every year (the index of the calendar month the
    stage's contacts arrived as leads, its lag from the top stage earlier) is asked for
    less, the others for more. The last stage keeps the plan's phasing.

    Parameters
    ----------
    required : pandas.Series
        Volume per stage for the quarter (indexed by stage, top first).
    lags_to_won : pandas.Series
        Typical days from entering each stage to closing won (0 for the last stage).
    months : sequence of Period
        The quarter's months, in order.
    phasing : sequence of float
        Share of the quarter's wins closing in each month (sums to 1).
    growth : float
        Year-over-year growth of the plan (0.2 = +20%); 0 repeats this quarter.
    seasonality : Seasonality, optional
        Month-of-year index of lead volume (:func:`alignlib.targets.seasonality_index`).

    Returns
    -------
    pandas.DataFrame
        Indexed by the quarter's months, one column per stage.
    """
    if len(months) != len(phasing):
        raise InputError(
            f"{len(months)} months need {len(months)} phasing shares (got {len(phasing)})"
        )
    if not (math.isfinite(growth) and growth > -1):
        raise InputError(f"growth must be more than -100% (got {growth!r})")
    n = len(months)
    lag_months = lags_to_won.astype(float).to_numpy() / MONTH_DAYS
    quarters_after = int(math.ceil(float(lag_months.max(initial=0.0)) / n)) + 1
    slots = np.arange(n, dtype=float)
    weights = np.zeros((n, len(lag_months)))
    for q in range(quarters_after + 1):
        scale = (1.0 + growth) ** (q * n / 12.0)
        for j, share in enumerate(phasing):
            lo = n * q + j - lag_months  # when stage s enters for wins in slot j
            hi = lo + 1.0
            overlap = np.clip(
                np.minimum(slots[:, None] + 1.0, hi[None, :]) - np.maximum(slots[:, None], lo),
                0.0,
                None,
            )
            weights += scale * float(share) * overlap
    targets = pd.DataFrame(
        weights * required.astype(float).to_numpy()[None, :],
        index=pd.PeriodIndex(list(months), name="month"),
        columns=required.index,
    )
    if seasonality is not None:
        top = float(lag_months[0])
        for k, stage in enumerate(required.index[:-1]):
            shift = top - float(lag_months[k])
            index = np.array([seasonality.at(m.month - shift) for m in months])
            column = targets[stage].to_numpy()
            total = column.sum()
            moved = column * index
            if total > 0 and moved.sum() > 0:
                targets[stage] = moved * total / moved.sum()
    return targets


# -- the quarter plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Pipeline coverage: needed for the target multiple, and implied by the win rate."""

    stage: str
    coverage_target: float
    pipeline_needed: float
    planned_pipeline: float
    win_rate: float
    implied_coverage: float

    @property
    def target_below_implied(self) -> bool:
        """True when the coverage rule asks for less pipeline than the win rate needs."""
        return self.coverage_target < self.implied_coverage - 1e-9

    @property
    def message(self) -> str:
        """One sentence both VPs can read."""
        if self.target_below_implied:
            books = self.coverage_target / self.implied_coverage
            return (
                f"The {self.coverage_target:.1f}x coverage target is below the "
                f"{self.implied_coverage:.1f}x that the {self.win_rate:.0%} win rate implies: "
                f"{self.coverage_target:.1f}x pipeline books only about {books:.0%} of target."
            )
        return (
            f"The {self.coverage_target:.1f}x coverage target covers the "
            f"{self.implied_coverage:.1f}x that the {self.win_rate:.0%} win rate implies."
        )

    def to_dict(self) -> dict[str, Any]:
        """The check as plain values, for JSON.

        Returns
        -------
        dict
            Every field and the derived flags and messages.
        """
        return {
            "stage": self.stage,
            "coverage_target": self.coverage_target,
            "pipeline_needed": self.pipeline_needed,
            "planned_pipeline": self.planned_pipeline,
            "win_rate": self.win_rate,
            "implied_coverage": self.implied_coverage,
            "target_below_implied": self.target_below_implied,
            "message": self.message,
        }


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
    #: The hourly SLA check (Erlang C; :mod:`alignlib.capacity`), None without an ``sla``.
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
            Every field and the derived flags and messages.
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


@dataclass(frozen=True)
class QuarterPlan:
    """The quarter's plan: volumes, timing, channels and costs, coverage, capacity.

    Attributes
    ----------
    funnel : ReverseFunnel
        Required volume per stage.
    monthly : DataFrame
        Volume that must enter each stage (columns) in each month (index,
        ``Period[M]``), including months before the quarter.
    in_funnel_at_start : Series
        Per stage, the volume that must already have entered before the quarter starts.
    monthly_targets : DataFrame
        Per quarter month and stage, the volume to see when every quarter runs this
        plan (:func:`steady_state_targets`): what actuals are paced against.
    channels : DataFrame
        Per channel: share, leads, cost per lead, budget, and the MQLs, SQLs,
        opportunities and wins those leads yield at the plan's rates.
    costs : Series
        Budget and cost per stage (``cost_per_lead``, ``cost_per_mql``, ...), and CAC.
    coverage : Coverage
    capacity : CapacityCheck or None
        None when the parameters have no ``capacity`` section.
    channel_funnels : tuple of ChannelFunnel
        Each channel's own rates and deal size (:func:`alignlib.channel_funnels.channel_funnels`).
    growth : float
        Year-over-year growth the monthly targets follow; ``growth_source`` says where
        it comes from (``params``, ``actuals`` or ``none``).
    seasonality : Seasonality or None
        The month-of-year index the monthly targets follow (None: flat).
    targets_note : str or None
        Why the monthly targets' totals differ from the required volumes (None when
        they agree).
    """

    quarter: str
    segment: str
    scenario: str | None
    currency: str
    target: float
    avg_deal_size: float
    stage_labels: dict[str, str]
    funnel: ReverseFunnel
    monthly: pd.DataFrame
    in_funnel_at_start: pd.Series
    monthly_targets: pd.DataFrame
    channels: pd.DataFrame
    costs: pd.Series
    coverage: Coverage
    capacity: CapacityCheck | None
    warnings: tuple[str, ...] = field(default=())
    channel_funnels: tuple[ChannelFunnel, ...] = field(default=(), repr=False)
    growth: float = 0.0
    growth_source: str = "none"
    seasonality: Seasonality | None = field(default=None, repr=False)
    targets_note: str | None = None

    @property
    def budget(self) -> float:
        """Marketing budget for the planned leads (NaN when a channel's cost is unknown)."""
        return float(self.costs["budget"])

    @property
    def cac(self) -> float:
        """Marketing cost per won customer."""
        return float(self.costs["cac"])

    def to_frame(self) -> pd.DataFrame:
        """The plan by stage: label, rates, required volume, cost per stage, in funnel at start."""
        frame = self.funnel.to_frame()
        frame.insert(0, "label", [self.stage_labels.get(s, s) for s in frame.index])
        frame["cost_per_stage"] = [self.budget / v if v else np.nan for v in frame["required"]]
        frame["in_funnel_at_start"] = self.in_funnel_at_start.reindex(frame.index).to_numpy()
        return frame

    def monthly_table(self) -> pd.DataFrame:
        """Monthly volumes in whole contacts, months as ``Oct 2026`` strings.

        Each column is rounded by largest remainder, so it still adds up to the
        stage's required volume (rounding every month up would plan extra contacts).
        """
        table = self.monthly.apply(_round_to_total)
        table.index = [p.strftime("%b %Y") for p in self.monthly.index]
        return table

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready values."""
        return {
            "quarter": self.quarter,
            "segment": self.segment,
            "scenario": self.scenario,
            "currency": self.currency,
            "target": self.target,
            "avg_deal_size": self.avg_deal_size,
            "stages": [
                {
                    "stage": s,
                    "label": self.stage_labels.get(s, s),
                    "conversion_rate": (
                        self.funnel.rates[i] if i < len(self.funnel.rates) else None
                    ),
                    "required": self.funnel.required[i],
                    "exact": self.funnel.exact[i],
                    "in_funnel_at_start": float(self.in_funnel_at_start.get(s, 0.0)),
                }
                for i, s in enumerate(self.funnel.stages)
            ],
            "monthly": [
                {"month": str(month), **{s: float(v) for s, v in row.items()}}
                for month, row in self.monthly.iterrows()
            ],
            "monthly_targets": [
                {"month": str(month), **{s: float(v) for s, v in row.items()}}
                for month, row in self.monthly_targets.iterrows()
            ],
            "channels": [
                {"channel": name, **{k: _plain(v) for k, v in row.items()}}
                for name, row in self.channels.iterrows()
            ],
            "budget": self.budget,
            "costs": {k: _plain(v) for k, v in self.costs.items()},
            "coverage": self.coverage.to_dict(),
            "capacity": None if self.capacity is None else self.capacity.to_dict(),
            "growth": self.growth,
            "growth_source": self.growth_source,
            "seasonality": None
            if self.seasonality is None
            else {int(k): float(v) for k, v in self.seasonality.index.items()},
            "targets_note": self.targets_note,
            "warnings": list(self.warnings),
        }


def _round_to_total(column: pd.Series) -> pd.Series:
    """Whole numbers that keep the column's (rounded) total: largest remainder first."""
    floors = np.floor(column.to_numpy() + 1e-9)
    short = int(round(float(column.sum()))) - int(floors.sum())
    order = np.argsort(-(column.to_numpy() - floors), kind="stable")
    floors[order[: max(short, 0)]] += 1
    return pd.Series(floors.astype(int), index=column.index)


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    return value


def build_plan(params: QuarterParams) -> QuarterPlan:
    """The full quarter plan from validated parameters.

    Channels whose funnels differ from the blend (their own rates or deal size, in the
    params or learned from the actuals) make the plan a mix of funnels
    (:func:`mixed_reverse_funnel`); otherwise the blended reverse funnel. The actuals are
    read once per file version (:func:`alignlib.actuals_history.actuals_history`), so a
    plan per scenario or per what-if move stays cheap.

    Parameters
    ----------
    params : QuarterParams
        From :func:`alignlib.params.load_params` (optionally ``.with_scenario(...)``).

    Returns
    -------
    QuarterPlan
    """
    from alignlib.actuals_history import actuals_history, actuals_problem

    names = params.stage_names
    history = actuals_history(params)
    funnels = plan_channel_funnels(params)
    funnel = plan_funnel(params, funnels)
    required = pd.Series(funnel.required, index=pd.Index(names, name="stage"))

    lags = [lag.typical for lag in params.lags]
    lags_to_won = pd.Series(
        [sum(lags[i:]) for i in range(len(names))], index=required.index, dtype=float
    )
    monthly = monthly_phasing(required, lags_to_won, params.months, params.phasing)
    before = monthly.index < params.months[0]
    in_funnel_at_start = monthly.loc[before].sum()

    volume = _monthly_volume(params, history)
    growth, growth_source = _growth(params, volume)
    seasonality = None if volume is None else seasonality_index(volume)
    if seasonality is not None and int(seasonality.years.sum()) == 0:
        seasonality = None
    monthly_targets = steady_state_targets(
        required,
        lags_to_won,
        params.months,
        params.phasing,
        growth=growth,
        seasonality=seasonality,
    )
    targets_note = _targets_note(params, funnel, monthly_targets, growth, growth_source)

    channels = channel_plan(params, funnel, funnels)
    # Unknown when there are no channels or a channel's cost per lead is not given.
    budget = (
        float(channels["budget"].sum())
        if len(channels) and channels["budget"].notna().all()
        else float("nan")
    )
    costs = {"budget": budget}
    for stage, volume_needed in zip(names, funnel.required, strict=True):
        costs[f"cost_per_{stage}"] = budget / volume_needed if volume_needed else float("nan")
    costs["cac"] = budget / funnel.wins if funnel.wins else float("nan")
    costs_series = pd.Series(costs)

    coverage = coverage_check(funnel, params.pipeline.stage, params.pipeline.coverage_target)
    capacity = capacity_check(params, monthly_targets)

    warnings = [coverage.message] if coverage.target_below_implied else []
    warnings += capacity.messages if capacity is not None else []
    if history is None and (problem := actuals_problem(params)):
        warnings.append(f"The actuals could not be read ({problem}): channels plan on the blend.")
    return QuarterPlan(
        quarter=params.quarter,
        segment=params.segment,
        scenario=params.scenario_name,
        currency=params.currency,
        target=params.target.bookings,
        avg_deal_size=funnel.avg_deal_size,
        stage_labels=params.stage_labels,
        funnel=funnel,
        monthly=monthly,
        in_funnel_at_start=in_funnel_at_start,
        monthly_targets=monthly_targets,
        channels=channels,
        costs=costs_series,
        coverage=coverage,
        capacity=capacity,
        warnings=tuple(warnings),
        channel_funnels=funnels,
        growth=growth,
        growth_source=growth_source,
        seasonality=seasonality,
        targets_note=targets_note,
    )


def plan_funnel(params: QuarterParams, funnels: Sequence[ChannelFunnel] = ()) -> ReverseFunnel:
    """The quarter's reverse funnel: the blend, or the mix of channels that convert differently.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters.
    funnels : sequence of ChannelFunnel
        The channels (:func:`alignlib.channel_funnels.channel_funnels`). When none
        differs from the blend, or none has a share, the blended funnel is planned.

    Returns
    -------
    ReverseFunnel
    """
    names = params.stage_names
    differ = any(not f.converts_like_blend for f in funnels)
    if not differ or sum(f.share for f in funnels) <= 0:
        return reverse_funnel(
            params.target.bookings, params.deal_size.mean, names, plan_rates(params)
        )
    return mixed_reverse_funnel(params.target.bookings, names, [channel_input(f) for f in funnels])


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
    params : QuarterParams
        Validated parameters.
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
    differ = any(not f.converts_like_blend for f in funnels)
    if not differ or sum(f.share for f in funnels) <= 0:
        return reverse_funnel(target, mean, names, blend)
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
    return mixed_reverse_funnel(target, names, inputs)


def plan_channel_funnels(params: QuarterParams) -> tuple[ChannelFunnel, ...]:
    """The params' channels as funnels, with what their actuals teach (read once per file).

    Parameters
    ----------
    params : QuarterParams
        Validated parameters.

    Returns
    -------
    tuple of ChannelFunnel
    """
    from alignlib.actuals_history import actuals_history
    from alignlib.channel_funnels import channel_funnels

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


def _monthly_volume(params: QuarterParams, history: ActualsHistory | None) -> pd.Series | None:
    """Complete months of top-stage volume the actuals hold (None without actuals)."""
    learned = params.learned
    if learned is not None and len(learned.monthly_volume):
        return learned.monthly_volume
    if history is not None and len(history.overall.monthly_volume):
        return history.overall.monthly_volume
    return None


def _growth(params: QuarterParams, volume: pd.Series | None) -> tuple[float, str]:
    """The growth monthly targets follow and where it comes from."""
    if params.target.growth is not None:
        return float(params.target.growth), "params"
    found = None if volume is None else learned_growth(volume)
    return (found, "actuals") if found is not None else (0.0, "none")


def _targets_note(
    params: QuarterParams,
    funnel: ReverseFunnel,
    targets: pd.DataFrame,
    growth: float,
    growth_source: str,
) -> str | None:
    """Why the monthly targets' lead total differs from the plan's required leads."""
    top = funnel.stages[0]
    paced = float(targets[top].sum())
    planned = funnel.leads
    if abs(paced - planned) < 0.5:
        return None
    source = "the parameters" if growth_source == "params" else "the actuals, year over year"
    return (
        f"The monthly targets add up to {paced:,.0f} {top}s against the plan's {planned:,}: "
        f"they include next quarter's pipeline build-up at {growth:+.0%} a year growth "
        f"(from {source})."
    )


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
    params : QuarterParams
        Validated parameters.
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
        from alignlib.channel_funnels import channel_funnels

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


def coverage_check(funnel: ReverseFunnel, stage: str, coverage_target: float) -> Coverage:
    """Pipeline needed for ``coverage_target`` x target, against what the win rate implies.

    The win rate is the product of the conversion rates from ``stage`` down to won;
    the coverage it implies is ``1 / win rate``.
    """
    i = funnel.stages.index(stage)
    win_rate = funnel.rate_to_won[i]
    return Coverage(
        stage=stage,
        coverage_target=coverage_target,
        pipeline_needed=coverage_target * funnel.target_revenue,
        planned_pipeline=funnel.required[i] * funnel.avg_deal_size,
        win_rate=win_rate,
        implied_coverage=1.0 / win_rate,
    )


def capacity_check(params: QuarterParams, monthly: pd.DataFrame) -> CapacityCheck | None:
    """Reps needed for the busiest month's new opportunities, and SLA follow-up capacity.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters.
    monthly : pandas.DataFrame
        The quarter's monthly targets (:func:`steady_state_targets`): the volume sales
        works each month, for this quarter's deals and the next's.

    Returns
    -------
    CapacityCheck or None
        None when the parameters have no ``capacity`` section. Without an ``sla``
        section the follow-up check reads the SLA hours as NaN (no SLA to miss). Its
        ``hourly`` is the hourly SLA check of the busiest month's hand-offs
        (:func:`alignlib.capacity.hourly_capacity_for`; None without an ``sla``).
    """
    from alignlib.capacity import hourly_capacity_for

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


# -- scenarios ------------------------------------------------------------------------------


def compare_scenarios(params: QuarterParams) -> pd.DataFrame:
    """Every scenario beside the base plan: volumes, budget, CAC, coverage, capacity.

    Returns
    -------
    DataFrame
        One row per measure, one column per plan (``base`` first), plus a
        ``<scenario> vs base`` column of differences for each scenario.
    """
    plans = {"base": build_plan(params)}
    for name in params.scenarios:
        plans[name] = build_plan(params.with_scenario(name))
    rows: dict[str, dict[str, float]] = {}
    for name, plan in plans.items():
        col: dict[str, float] = {"target": plan.target, "avg_deal_size": plan.avg_deal_size}
        for stage, volume in zip(plan.funnel.stages, plan.funnel.required, strict=True):
            col[f"required_{stage}"] = volume
        col["budget"] = plan.budget
        col["cac"] = plan.cac
        col["implied_coverage"] = plan.coverage.implied_coverage
        col["pipeline_needed"] = plan.coverage.pipeline_needed
        col["reps_needed"] = plan.capacity.reps_needed if plan.capacity else float("nan")
        col["capacity_flags"] = len(plan.capacity.messages) if plan.capacity else 0
        rows[name] = col
    table = pd.DataFrame(rows)
    for name in params.scenarios:
        table[f"{name} vs base"] = table[name] - table["base"]
    table.index.name = "measure"
    return table
