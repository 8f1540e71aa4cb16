"""The channel mix that reaches the target at the least budget, or books the most for a budget.

Each channel's leads book ``revenue_per_lead`` (its own rate to won times its own deal
size) and cost ``cost_per_lead``; a linear programme over leads per channel
(:func:`scipy.optimize.linprog`) finds the cheapest mix within each channel's
``max_leads_per_month`` and ``min_share``, beside today's mix. Point plan only: the odds
of the mix come from :mod:`alignlib.simulation`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from alignlib.errors import InputError

if TYPE_CHECKING:
    from alignlib.history.channels import ChannelFunnel
    from alignlib.params import QuarterParams
    from alignlib.planning import QuarterPlan

Objective = Literal["least_budget", "most_bookings"]

#: Leads within this of a bound count as at the bound.
_TOL = 1e-6


@dataclass(frozen=True)
class MixChannel:
    """One channel as the optimiser sees it.

    Attributes
    ----------
    name, label : str
        The channel.
    share : float
        Today's share of leads (normalised).
    cost_per_lead : float or None
        None when unknown: the channel keeps today's share.
    revenue_per_lead : float
        Expected bookings per lead (its rate to won times its deal size).
    max_leads : float
        The most leads it can supply in the period (inf when unbounded).
    min_share : float
        The least share of all leads it must keep.
    """

    name: str
    label: str
    share: float
    cost_per_lead: float | None
    revenue_per_lead: float
    max_leads: float = math.inf
    min_share: float = 0.0


@dataclass(frozen=True)
class MixPlan:
    """Today's channel mix beside the optimal one.

    Attributes
    ----------
    objective : {"least_budget", "most_bookings"}
        Least budget for the target, or most expected bookings for ``budget_limit``.
    target : float
        The bookings target.
    budget_limit : float or None
        The budget, for ``most_bookings``.
    currency : str
    table : pandas.DataFrame
        One row per channel: ``label``, ``cost_per_lead``, ``revenue_per_lead``,
        ``today_share``, ``today_leads``, ``today_budget``, ``today_bookings``,
        ``optimal_share``, ``optimal_leads``, ``optimal_budget``, ``optimal_bookings``
        and ``limit`` (which bound holds the channel: ``max``, ``min share``, ``kept``
        for a channel without a cost, else empty). Empty when there is nothing to solve.
    feasible : bool
        False when no mix meets the constraints (``message`` says which binds) or there
        is nothing to optimise.
    message : str
        One sentence: the saving (or extra bookings), or why there is no solution.
    notes : tuple of str
        Channels kept at today's share, and similar.
    """

    objective: Objective
    target: float
    budget_limit: float | None
    currency: str
    table: pd.DataFrame
    feasible: bool
    message: str
    notes: tuple[str, ...] = field(default=())

    def _sum(self, column: str) -> float:
        if self.table.empty or column not in self.table:
            return float("nan")
        values = self.table[column].to_numpy(dtype=float)
        return float(values.sum()) if np.isfinite(values).all() else float("nan")

    @property
    def today_budget(self) -> float:
        """Budget of today's mix (of the channels with a cost)."""
        return self._sum("today_budget")

    @property
    def optimal_budget(self) -> float:
        """Budget of the optimal mix (of the channels with a cost)."""
        return self._sum("optimal_budget")

    @property
    def today_bookings(self) -> float:
        """Expected bookings of today's mix."""
        return self._sum("today_bookings")

    @property
    def optimal_bookings(self) -> float:
        """Expected bookings of the optimal mix."""
        return self._sum("optimal_bookings")

    @property
    def today_leads(self) -> float:
        """Leads of today's mix."""
        return self._sum("today_leads")

    @property
    def optimal_leads(self) -> float:
        """Leads of the optimal mix."""
        return self._sum("optimal_leads")

    @property
    def saving(self) -> float:
        """Today's budget minus the optimal one (NaN when infeasible)."""
        if not self.feasible:
            return float("nan")
        return self.today_budget - self.optimal_budget

    @property
    def extra_bookings(self) -> float:
        """Optimal expected bookings minus today's (NaN when infeasible)."""
        if not self.feasible:
            return float("nan")
        return self.optimal_bookings - self.today_bookings

    def to_frame(self) -> pd.DataFrame:
        """The table with a total row.

        Returns
        -------
        pandas.DataFrame
            Indexed by channel, then ``total``.
        """
        if self.table.empty:
            return self.table
        total: dict[str, Any] = {"label": "Total", "limit": ""}
        for col in self.table.columns:
            if col.endswith(("_share", "_leads", "_budget", "_bookings")):
                total[col] = self._sum(col)
        for col in ("cost_per_lead", "revenue_per_lead"):
            total[col] = float("nan")
        if math.isfinite(self.today_leads) and self.today_leads > 0:
            total["cost_per_lead"] = self.today_budget / self.today_leads
            total["revenue_per_lead"] = self.today_bookings / self.today_leads
        frame = pd.concat([self.table, pd.DataFrame([total], index=["total"])])
        frame.index.name = "channel"
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values.

        Returns
        -------
        dict
        """
        from alignlib.format import jsonable

        return jsonable(
            {
                "objective": self.objective,
                "target": self.target,
                "budget_limit": self.budget_limit,
                "currency": self.currency,
                "feasible": self.feasible,
                "message": self.message,
                "notes": list(self.notes),
                "today": {
                    "leads": self.today_leads,
                    "budget": self.today_budget,
                    "bookings": self.today_bookings,
                },
                "optimal": {
                    "leads": self.optimal_leads,
                    "budget": self.optimal_budget,
                    "bookings": self.optimal_bookings,
                },
                "saving": self.saving,
                "extra_bookings": self.extra_bookings,
                "channels": [
                    {"channel": name, **row.to_dict()} for name, row in self.table.iterrows()
                ],
            }
        )


def mix_channels(funnels: Sequence[ChannelFunnel], months: int = 3) -> tuple[MixChannel, ...]:
    """The channels as the optimiser sees them, from their funnels.

    Parameters
    ----------
    funnels : sequence of ChannelFunnel
        :func:`alignlib.planning.plan_channel_funnels`.
    months : int
        Months in the period (``max_leads_per_month`` times this).

    Returns
    -------
    tuple of MixChannel
    """
    from alignlib.planning import revenue_per_lead

    total = sum(f.share for f in funnels)
    out = []
    for f in funnels:
        per_lead = float(revenue_per_lead(f))
        out.append(
            MixChannel(
                name=f.name,
                label=f.label,
                share=f.share / total if total > 0 else 0.0,
                cost_per_lead=f.cost_per_lead,
                revenue_per_lead=per_lead,
                max_leads=math.inf
                if f.max_leads_per_month is None
                else f.max_leads_per_month * months,
                min_share=f.min_share,
            )
        )
    return tuple(out)


def optimise_mix(
    params: QuarterParams,
    *,
    budget: float | None = None,
    plan: QuarterPlan | None = None,
) -> MixPlan:
    """The channel shares that reach the target at the least budget (or book most for one).

    Parameters
    ----------
    params : QuarterParams
        Validated parameters; each channel's ``max_leads_per_month`` (times the quarter's
        months) and ``min_share`` bound the mix.
    budget : float, optional
        Instead of the least budget for the target: the most expected bookings for this
        budget.
    plan : QuarterPlan, optional
        The quarter's plan (default: :func:`alignlib.planning.build_plan`); today's mix
        is its channel table.

    Returns
    -------
    MixPlan

    Raises
    ------
    InputError
        A budget that is not a positive amount.
    """
    from alignlib.planning import build_plan

    plan = build_plan(params) if plan is None else plan
    channels = mix_channels(plan.channel_funnels, months=len(params.months))
    if budget is None:
        today = [float(plan.channels.loc[c.name, "leads"]) for c in channels]
    else:
        today = _today_at_budget(channels, budget)
    return solve_mix(
        channels,
        target=params.target.bookings,
        budget=budget,
        today_leads=today,
        currency=params.currency,
    )


def _today_at_budget(channels: Sequence[MixChannel], budget: float) -> list[float]:
    """Today's shares scaled to spend ``budget`` on the channels with a cost."""
    if not (math.isfinite(budget) and budget > 0):
        raise InputError(f"the budget must be a positive amount (got {budget!r})")
    cost = sum(c.share * c.cost_per_lead for c in channels if c.cost_per_lead is not None)
    return [c.share * budget / cost if cost > 0 else 0.0 for c in channels]


def solve_mix(
    channels: Sequence[MixChannel],
    *,
    target: float,
    budget: float | None = None,
    today_leads: Sequence[float] | None = None,
    currency: str = "USD",
) -> MixPlan:
    """Solve the mix as a linear programme over leads per channel.

    Least budget: minimise ``sum c_k x_k`` subject to ``sum r_k x_k >= target``,
    ``0 <= x_k <= max_k`` and ``x_k >= min_share_k sum_j x_j``. Most bookings (with
    ``budget``): maximise ``sum r_k x_k`` subject to ``sum c_k x_k <= budget`` and the
    same bounds. A channel without a cost keeps today's share (``x_u = share_u sum_j
    x_j``) and costs nothing in the objective.

    Parameters
    ----------
    channels : sequence of MixChannel
        The channels.
    target : float
        Bookings target.
    budget : float, optional
        Budget for the most-bookings variant.
    today_leads : sequence of float, optional
        Today's leads per channel (default: target over the blended revenue per lead,
        split by share).
    currency : str
        For the messages.

    Returns
    -------
    MixPlan
    """
    from scipy.optimize import linprog

    from alignlib.format import money

    objective: Objective = "least_budget" if budget is None else "most_bookings"
    if budget is not None and not (math.isfinite(budget) and budget > 0):
        raise InputError(f"the budget must be a positive amount (got {budget!r})")
    if not (math.isfinite(target) and target > 0):
        raise InputError(f"the target must be a positive amount (got {target!r})")

    def give_up(message: str, notes: Sequence[str] = ()) -> MixPlan:
        return MixPlan(objective, target, budget, currency, pd.DataFrame(), False, message,
                       tuple(notes))  # fmt: skip

    if not channels:
        return give_up("No channels: there is no mix to optimise.")
    costed = [c.cost_per_lead is not None for c in channels]
    if not any(costed):
        return give_up("No channel has a cost per lead: there is no mix to optimise.")
    notes = []
    kept = [c.label for c in channels if c.cost_per_lead is None]
    if kept:
        notes.append(
            f"Without a cost per lead, {', '.join(kept)} cannot be optimised: kept at "
            "today's share."
        )
    if all(math.isinf(c.max_leads) and c.min_share == 0 for c in channels):
        notes.append(
            "No channel has a max_leads_per_month or min_share: the optimum puts every lead "
            "where a dollar books the most; give each channel the most leads it can supply a "
            "month for a mix that can be run."
        )
    n = len(channels)
    cost = np.array([c.cost_per_lead or 0.0 for c in channels])
    revenue = np.array([c.revenue_per_lead for c in channels])
    upper = np.array([c.max_leads for c in channels])
    shares = np.array([c.share for c in channels])
    if today_leads is None:
        per_lead = float(shares @ revenue)
        today = shares * (target / per_lead) if per_lead > 0 else shares * 0.0
    else:
        today = np.asarray(today_leads, dtype=float)

    a_ub: list[np.ndarray] = []
    b_ub: list[float] = []
    a_eq: list[np.ndarray] = []
    for k, c in enumerate(channels):
        if c.cost_per_lead is None:
            row = -shares[k] * np.ones(n)
            row[k] += 1.0
            a_eq.append(row)  # x_k = share_k * sum x
        elif c.min_share > 0:
            row = c.min_share * np.ones(n)
            row[k] -= 1.0
            a_ub.append(row)  # min_share_k * sum x - x_k <= 0
            b_ub.append(0.0)
    bounds = [(0.0, None if math.isinf(u) else float(u)) for u in upper]
    problem = _constraint_problem(channels, kept, budget)
    if problem:
        return give_up(problem, notes)
    if budget is None:
        c_vec = cost
        a_ub.append(-revenue)
        b_ub.append(-float(target))
    else:
        c_vec = -revenue
        a_ub.append(cost)
        b_ub.append(float(budget))
    result = linprog(
        c_vec,
        A_ub=np.array(a_ub),
        b_ub=np.array(b_ub),
        A_eq=np.array(a_eq) if a_eq else None,
        b_eq=np.zeros(len(a_eq)) if a_eq else None,
        bounds=bounds,
        method="highs",
    )
    if result.status == 3:
        free = [
            c.label for c in channels if (c.cost_per_lead or 0.0) == 0 and math.isinf(c.max_leads)
        ]
        return give_up(
            f"{', '.join(free) or 'A channel'} costs nothing and has no max_leads_per_month: "
            "bookings have no upper bound.",
            notes,
        )
    if result.status != 0:
        if budget is None:
            most = _most_bookings(channels, a_ub[:-1], b_ub[:-1], a_eq, bounds)
            return give_up(
                f"No mix reaches the {money(target, currency)} target: within each channel's "
                "max_leads_per_month (for the quarter's months) and min_share the channels "
                f"can book at most {money(most, currency)}.",
                notes,
            )
        return give_up(f"The optimiser found no solution ({result.message}).", notes)
    x = np.clip(result.x, 0.0, None)
    total = float(x.sum())
    limits = []
    for k, c in enumerate(channels):
        if c.cost_per_lead is None:
            limits.append("kept")
        elif math.isfinite(c.max_leads) and x[k] >= c.max_leads * (1 - _TOL) - _TOL:
            limits.append("max")
        elif c.min_share > 0 and x[k] <= c.min_share * total * (1 + _TOL) + _TOL:
            limits.append("min share")
        else:
            limits.append("")
    table = pd.DataFrame(
        {
            "label": [c.label for c in channels],
            "cost_per_lead": [
                np.nan if c.cost_per_lead is None else c.cost_per_lead for c in channels
            ],
            "revenue_per_lead": revenue,
            "today_share": today / today.sum() if today.sum() > 0 else shares,
            "today_leads": today,
            "today_budget": today * cost,
            "today_bookings": today * revenue,
            "optimal_share": x / total if total > 0 else x,
            "optimal_leads": x,
            "optimal_budget": x * cost,
            "optimal_bookings": x * revenue,
            "limit": limits,
        },
        index=pd.Index([c.name for c in channels], name="channel"),
    )
    draft = MixPlan(objective, target, budget, currency, table, True, "", tuple(notes))
    over = [c.label for k, c in enumerate(channels) if today[k] > c.max_leads * (1 + _TOL)]
    if over:
        notes.append(
            f"Today's mix asks more leads of {', '.join(over)} than its max_leads_per_month allows."
        )
    if budget is None:
        saving = draft.saving
        change = (
            f"{money(saving, currency)} less"
            if saving >= 0
            else f"{money(-saving, currency)} more, as today's mix is over a channel's max"
        )
        message = (
            f"The least-cost mix reaches the {money(target, currency)} target for "
            f"{money(draft.optimal_budget, currency)} against "
            f"{money(draft.today_budget, currency)} today: {change}."
        )
    else:
        message = (
            f"For {money(budget, currency)} the best mix books "
            f"{money(draft.optimal_bookings, currency)} expected against "
            f"{money(draft.today_bookings, currency)} with today's shares "
            f"({money(draft.extra_bookings, currency, signed=True)})."
        )
    return MixPlan(objective, target, budget, currency, table, True, message, tuple(notes))


def _constraint_problem(
    channels: Sequence[MixChannel], kept: Sequence[str], budget: float | None
) -> str | None:
    """A constraint no mix can meet, named (None when there is none)."""
    from alignlib.format import pct

    floor = sum(c.min_share for c in channels if c.cost_per_lead is not None)
    floor += sum(c.share for c in channels if c.cost_per_lead is None)
    if floor > 1 + 1e-9:
        fixed = " and the shares kept for channels without a cost" if kept else ""
        return f"The channels' min_share{fixed} add up to {pct(floor, 1)}, more than 100%."
    return None


def _most_bookings(
    channels: Sequence[MixChannel],
    a_ub: list[np.ndarray],
    b_ub: list[float],
    a_eq: list[np.ndarray],
    bounds: list[tuple[float, float | None]],
) -> float:
    """The most expected bookings any mix can reach within the bounds (inf when unbounded)."""
    from scipy.optimize import linprog

    revenue = np.array([c.revenue_per_lead for c in channels])
    result = linprog(
        -revenue,
        A_ub=np.array(a_ub) if a_ub else None,
        b_ub=np.array(b_ub) if b_ub else None,
        A_eq=np.array(a_eq) if a_eq else None,
        b_eq=np.zeros(len(a_eq)) if a_eq else None,
        bounds=bounds,
        method="highs",
    )
    return float(-result.fun) if result.status == 0 else math.inf
