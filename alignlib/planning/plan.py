"""The quarter plan: volumes, timing, channels and costs, coverage and capacity, in one result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib.docstrings import TARGET_DOC
from alignlib.planning.channels import channel_plan, plan_channel_funnels
from alignlib.planning.coverage import Coverage, coverage_check
from alignlib.planning.funnel import ReverseFunnel
from alignlib.planning.phasing import monthly_phasing, steady_state_targets
from alignlib.planning.quarter_funnel import plan_funnel
from alignlib.planning.sales_capacity import CapacityCheck, capacity_check
from alignlib.targets import Seasonality, learned_growth, seasonality_index

if TYPE_CHECKING:
    from alignlib.history.channels import ChannelFunnel
    from alignlib.history.learning import ActualsHistory
    from alignlib.params import QuarterParams


@TARGET_DOC
@dataclass(frozen=True)
class QuarterPlan:
    """The quarter's plan: volumes, timing, channels and costs, coverage, capacity.

    Attributes
    ----------
    quarter : str
        The quarter planned (``2026Q4``).
    segment : str
        The segment the parameters are for.
    scenario : str or None
        The scenario's name, when the parameters are one.
    currency : str
        Currency of every amount.
    avg_deal_size : float
        The blended average deal the funnel is sized with.
    stage_labels : dict of str to str
        How each stage is written on the pages.
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
    warnings : tuple of str
        What the planner should know about the inputs (shown on the plan).
    channel_funnels : tuple of ChannelFunnel
        Each channel's own rates and deal size (:func:`alignlib.history.channels.channel_funnels`).
    growth : float
        Year-over-year growth the monthly targets follow.
    growth_source : str
        Where ``growth`` comes from: ``params``, ``actuals`` or ``none``.
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
            "monthly": _month_records(self.monthly),
            "monthly_targets": _month_records(self.monthly_targets),
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


def _month_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One record per month (the index): ``month`` as a string, then each stage's volume."""
    return [
        {"month": str(month), **{s: float(v) for s, v in row.items()}}
        for month, row in frame.iterrows()
    ]


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
    read once, by :func:`alignlib.history.learning.learn_params`; parameters learned already (and their
    scenarios) are not read again, so a plan per scenario or per what-if move stays cheap.

    Parameters
    ----------
    params : QuarterParams
        From :func:`alignlib.params.load_params` (optionally ``.with_scenario(...)``).

    Returns
    -------
    QuarterPlan
    """
    from alignlib.history.learning import learn_params

    params = learn_params(params)  # reads the actuals only if not learned already
    names = params.stage_names
    history = params.history
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
    if history is None and (problem := params.actuals_problem):
        warnings.append(f"The actuals could not be read ({problem}): channels plan on the blend.")
    if history is not None and (past := past_months(monthly, history.ingest.as_of)):
        warnings.append(past)
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


def _monthly_volume(params: QuarterParams, history: ActualsHistory | None) -> pd.Series | None:
    """Complete months of top-stage volume the actuals hold (None without actuals)."""
    learned = params.learned
    if learned is not None and len(learned.monthly_volume):
        return learned.monthly_volume
    if history is not None and len(history.overall.monthly_volume):
        return history.overall.monthly_volume
    return None


def past_months(monthly: pd.DataFrame, as_of: pd.Timestamp) -> str | None:
    """The flag for plan months over before the data date (leads no one can still buy).

    Parameters
    ----------
    monthly : pandas.DataFrame
        The plan's volume per month (``Period[M]`` index) and stage.
    as_of : pandas.Timestamp
        The actuals' data date.

    Returns
    -------
    str or None
        None when every month with volume is the data date's month or later.
    """
    current = pd.Timestamp(as_of).to_period("M")
    first_stage = monthly.columns[0]
    past = [m for m in monthly.index if m < current and monthly.loc[m, first_stage] > 0]
    if not past:
        return None
    span = past[0].strftime("%b %Y") + (
        f" to {past[-1].strftime('%b %Y')}" if len(past) > 1 else ""
    )
    return (
        f"{len(past)} month(s) of the plan ({span}) ended before the data date "
        f"{pd.Timestamp(as_of):%d %b %Y}: the {first_stage} volume planned for them can no "
        "longer arrive; the monthly table marks them (past)."
    )


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
