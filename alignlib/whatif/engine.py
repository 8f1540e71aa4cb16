"""The what-if engine: levers in, the re-planned quarter and its odds out, fast enough for a slider.

The base state is the report's own simulation (same model, trials and seed), so the panel
opens on exactly the headline P(hit). A moved lever re-runs the quarter on common random
numbers (:class:`~alignlib.simulation.CommonRandomNumbers`: every trial keeps its draws,
so a small move moves P(hit) a little, and more leads never lower it); each trial's
revenue is then read through the one monotone map that sends the common-random-numbers
base onto the report's base (matching quantiles). The two runs are the same model, so the
map only removes the Monte Carlo difference between them: P(hit) is continuous from the
headline, and monotone in every lever the common random numbers are monotone in.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alignlib.docstrings import PARAMS_DOC, TARGET_DOC
from alignlib.errors import InputError

if TYPE_CHECKING:
    from alignlib.history.channels import ChannelFunnel
    from alignlib.params import QuarterParams, SalesTeam
    from alignlib.simulation import CommonRandomNumbers, FunnelModel, SimulationResult


@TARGET_DOC
@dataclass(frozen=True)
class Levers:
    """What a planner moves: one value per lever, in the params' own units.

    Attributes
    ----------
    deal_size : float
        Average (blended) deal size; its spread moves in proportion.
    rates : tuple of float
        Blended conversion rate of each transition, from the top (channels move by the
        same factor).
    lags : tuple of float
        Typical days of each transition (empty when the params have no lags).
    shares : tuple of float
        Each channel's share of leads, in the params' order (normalised to sum to 1).
    leads : float or None
        Leads the quarter gets; None: the leads follow the plan's requirement.
    sla_hours : float or None
        The response SLA in hours (None without an ``sla`` section).
    reps : int or None
        The sales team's ramped reps today (None without a ``sales_team``, or when its
        attainment can be neither read nor learned: then no team lever applies).
    attainment : float or None
        Share of quota a ramped rep books (the file's, else the learned one).
    ramp_months : int or None
        Months to full productivity: the file's ramp at its own length, else a straight
        ramp (``k / (n + 1)`` in month ``k``).
    hires : tuple of int
        Count of each of ``sales_team.hires``, in the file's order.
    new_hires : int
        Hires beyond those, starting on the quarter's first day.
    """

    target: float
    deal_size: float
    rates: tuple[float, ...]
    lags: tuple[float, ...] = ()
    shares: tuple[float, ...] = ()
    leads: float | None = None
    sla_hours: float | None = None
    reps: int | None = None
    attainment: float | None = None
    ramp_months: int | None = None
    hires: tuple[int, ...] = ()
    new_hires: int = 0

    @classmethod
    @PARAMS_DOC
    def base(cls, params: QuarterParams) -> Levers:
        """The parameters' own values (leads follow the plan).

        Returns
        -------
        Levers
        """
        team = params.sales_team
        attainment = _base_attainment(params)
        return cls(
            target=float(params.target.bookings),
            deal_size=float(params.deal_size.mean),
            rates=tuple(float(r) for r in params.rates),
            lags=tuple(float(lag.typical) for lag in params.lags) if params.lag_days else (),
            shares=tuple(float(c.share) for c in params.channels.values()),
            sla_hours=None if params.sla is None else float(params.sla.lead_response_hours),
            reps=None if team is None or attainment is None else team.reps,
            attainment=attainment,
            ramp_months=None if team is None or attainment is None else len(team.ramp),
            hires=() if team is None or attainment is None else tuple(h.count for h in team.hires),
        )

    @property
    def normalised_shares(self) -> tuple[float, ...]:
        """The shares scaled to sum to 1 (unchanged when they are all 0)."""
        total = sum(self.shares)
        return tuple(s / total for s in self.shares) if total > 0 else self.shares


def _base_attainment(params: QuarterParams) -> float | None:
    """The team's attainment: the file's, else learned (None: no team, or not learnable)."""
    team = params.sales_team
    if team is None:
        return None
    if team.attainment is not None:
        return float(team.attainment)
    from alignlib.history.learning import learn_params
    from alignlib.planning.annual import team_attainment

    try:
        return team_attainment(learn_params(params))[0]
    except InputError:
        return None


def straight_ramp(months: int) -> tuple[float, ...]:
    """A ramp of ``months`` months rising evenly to full productivity.

    Parameters
    ----------
    months : int
        Months before a hire is fully productive (0: from the first day).

    Returns
    -------
    tuple of float
        ``k / (months + 1)`` for ``k = 1 .. months``, to three decimals.
    """
    return tuple(round((k + 1) / (months + 1), 3) for k in range(months))


def team_from_levers(params: QuarterParams, levers: Levers) -> SalesTeam | None:
    """The ``sales_team`` the team levers describe (None when they do not apply).

    Parameters
    ----------
    params : QuarterParams
        The base parameters.
    levers : Levers
        The state.

    Returns
    -------
    SalesTeam or None
        Reps, attainment, ramp and hires as the levers say; planned hires moved to 0 are
        dropped, new hires start on the quarter's first day.
    """
    team = params.sales_team
    if team is None or levers.reps is None or levers.attainment is None:
        return None
    ramp = (
        team.ramp
        if levers.ramp_months == len(team.ramp)
        else straight_ramp(levers.ramp_months or 0)
    )
    hires = [
        h.model_copy(update={"count": n})
        for h, n in zip(team.hires, levers.hires, strict=True)
        if n > 0
    ]
    if levers.new_hires > 0:
        from alignlib.params import Hire

        hires.append(Hire(start=params.quarter_start, count=levers.new_hires))
    return team.model_copy(
        update={
            "reps": levers.reps,
            "attainment": levers.attainment,
            "ramp": ramp,
            "hires": tuple(hires),
        }
    )


@dataclass(frozen=True)
class Outcome:
    """One state of the levers: the re-planned quarter, its budget and its odds.

    Attributes
    ----------
    levers : Levers
        The state.
    required_leads : float
        Leads the reverse funnel needs for the target at these rates, deal size and mix.
    leads : float
        Leads the quarter gets (the slider's when ``leads_given``, else ``required_leads``).
    leads_given : bool
        True when the leads are the slider's ("given these leads").
    cost_per_lead : float
        Blended cost per lead at these channel shares (NaN when a channel has no cost).
    budget : float
        ``leads x cost_per_lead``.
    p_hit : float
        Share of simulated quarters whose in-quarter bookings reach the target.
    revenue : ndarray
        In-quarter bookings of each simulated quarter.
    required : DataFrame
        Volume needed per stage (``stage`` label and ``required``), indexed by stage name.
    is_base : bool
        True when nothing the simulation reads moved (the report's own run).
    bookings_capacity : float or None
        What the sales team (as the team levers say) can book in the quarter (None
        without a team).
    ramped_reps : float or None
        Its full-productivity headcount, averaged over the quarter's months.
    """

    levers: Levers
    required_leads: float
    leads: float
    leads_given: bool
    cost_per_lead: float
    budget: float
    p_hit: float
    revenue: np.ndarray = field(repr=False)
    required: pd.DataFrame = field(repr=False)
    is_base: bool = False
    bookings_capacity: float | None = None
    ramped_reps: float | None = None

    @property
    def gap(self) -> float | None:
        """``target - bookings_capacity`` (above 0: the team cannot carry it; None: no team)."""
        if self.bookings_capacity is None:
            return None
        return self.levers.target - self.bookings_capacity

    @property
    def trials(self) -> int:
        """Simulated quarters."""
        return int(self.revenue.shape[0])


def _monotone_map(xp: np.ndarray, fp: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Piecewise-linear ``xp -> fp`` (both sorted), shifted beyond the ends."""
    out = np.interp(x, xp, fp)
    low, high = x < xp[0], x > xp[-1]
    out[low] = x[low] + (fp[0] - xp[0])
    out[high] = x[high] + (fp[-1] - xp[-1])
    return out


class WhatIfEngine:
    """The quarter's funnel built once; :meth:`evaluate` re-plans and re-simulates a state.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters (the base); learned here when not learned yet
        (:attr:`params` holds the learned copy).
    trials : int, optional
        Simulated quarters (default ``params.simulation.trials``); use the report's.
    seed : int, optional
        Default ``params.simulation.seed``; use the report's.
    base_result : SimulationResult, optional
        The report's simulation of the base (``simulate_from_params(params, trials=,
        seed=)``), so it is not run twice; run here when not given.
    """

    def __init__(
        self,
        params: QuarterParams,
        *,
        trials: int | None = None,
        seed: int | None = None,
        base_result: SimulationResult | None = None,
    ) -> None:
        from alignlib.history.learning import learn_params
        from alignlib.planning import build_plan, plan_channel_funnels
        from alignlib.simulation import CommonRandomNumbers, model_from_params, simulate_funnel
        from alignlib.simulation.engine import root_entropy
        from alignlib.simulation.from_params import trials_and_seed

        params = learn_params(params)  # read once here: the plan, model and levers share it
        self.params = params
        n, self.seed = trials_and_seed(params, trials, seed)
        self.trials = int(n)
        self.base = Levers.base(params)
        self.model: FunnelModel = model_from_params(params)
        self.plan = build_plan(params)
        self.funnels: tuple[ChannelFunnel, ...] = (
            plan_channel_funnels(params) if params.channels else ()
        )
        self.costs = tuple(c.cost_per_lead for c in params.channels.values())
        if base_result is None:
            base_result = simulate_funnel(self.model, trials=self.trials, seed=self.seed)
        elif base_result.trials != self.trials:
            raise InputError(
                f"base_result has {base_result.trials} trials, the what-if {self.trials}"
            )
        self.result = base_result
        self._entropy = root_entropy(self.seed, None)
        self._draw = CommonRandomNumbers.draw
        self._crns: OrderedDict[tuple[float, ...], CommonRandomNumbers] = OrderedDict()
        base_crn = self._crn_for(self.base.lags)
        self._xp = np.sort(base_crn.revenue(self.model.leads.mean))
        self._fp = np.sort(np.asarray(base_result.revenue, dtype=float))

    @property
    def base_leads(self) -> float:
        """Leads of the base plan (the model's expected lead volume)."""
        return float(self.model.leads.mean)

    def _crn_for(self, lags: tuple[float, ...]) -> CommonRandomNumbers:
        """Common random numbers of the model with these typical lags (a few kept)."""
        from alignlib.simulation import Lag

        if lags in self._crns:
            self._crns.move_to_end(lags)
            return self._crns[lags]
        model = self.model
        if lags and lags != self.base.lags:
            assert model.lags is not None
            model = replace(
                model,
                lags=tuple(
                    Lag(typical, lag.spread) for typical, lag in zip(lags, model.lags, strict=True)
                ),
                # leads are planned the typical lead-to-won lag ahead, as the monthly plan does
                lead_window_start=-sum(lags),
            )
        crn = self._draw(model, self.trials, self._entropy, where="what-if")
        self._crns[lags] = crn
        if len(self._crns) > 4:
            self._crns.popitem(last=False)
        return crn

    def cost_per_lead(self, shares: tuple[float, ...]) -> float:
        """Blended cost per lead at these (normalised) channel shares.

        Parameters
        ----------
        shares : tuple of float
            Each channel's share, in the params' order.

        Returns
        -------
        float
            NaN when there are no channels or a channel has no cost.
        """
        if not self.costs or any(c is None for c in self.costs):
            return math.nan
        return float(sum(s * float(c or 0.0) for s, c in zip(shares, self.costs, strict=True)))

    def evaluate(self, levers: Levers) -> Outcome:
        """Re-plan and re-simulate the quarter with these levers.

        Parameters
        ----------
        levers : Levers
            The state (see :meth:`Levers.base` for the parameters' own).

        Returns
        -------
        Outcome

        Raises
        ------
        InputError
            A target or deal size not positive, a rate outside (0, 1], a lag or a lead
            volume below 0, or channel shares that are all 0.
        """
        from alignlib.planning import replan_funnel

        p, base = self.params, self.base
        if levers.target <= 0 or levers.deal_size <= 0:
            raise InputError(
                f"target and deal size must be positive (got {levers.target}, {levers.deal_size})"
            )
        if len(levers.rates) != len(base.rates) or not all(0 < r <= 1 for r in levers.rates):
            raise InputError(f"conversion rates must be in (0, 1], one per stage: {levers.rates}")
        if any(lag < 0 for lag in levers.lags) or (levers.leads is not None and levers.leads < 0):
            raise InputError("lags and leads cannot be negative")
        if levers.shares and sum(levers.shares) <= 0:
            raise InputError("channel shares add up to 0: give at least one channel a share")
        names = p.stage_names
        moved = {
            names[i]: r
            for i, (r, b) in enumerate(zip(levers.rates, base.rates, strict=True))
            if r != b
        }
        shares = levers.normalised_shares
        funnels = self.funnels
        if funnels and shares != base.normalised_shares:
            by_name = dict(zip(p.channels, shares, strict=True))
            funnels = tuple(replace(f, share=by_name[f.name]) for f in funnels)
        funnel = replan_funnel(
            p, target=levers.target, deal_size=levers.deal_size, rates=moved, funnels=funnels
        )
        required_leads = float(funnel.leads)
        leads = required_leads if levers.leads is None else float(levers.leads)
        cost = self.cost_per_lead(shares) if shares else math.nan
        required = pd.DataFrame(
            {"stage": [p.stage_labels.get(s, s) for s in names], "required": funnel.required},
            index=pd.Index(names, name="stage_name"),
        )
        is_base = (
            leads == self.base_leads
            and levers.deal_size == base.deal_size
            and not moved
            and levers.lags == base.lags
            and shares == base.normalised_shares
        )
        if is_base:
            revenue = np.asarray(self.result.revenue, dtype=float)
        else:
            revenue = self._revenue(levers, leads, shares)
        p_hit = float(np.count_nonzero(revenue >= levers.target) / revenue.shape[0])
        capacity, reps = self._capacity(levers)
        return Outcome(
            levers=levers,
            required_leads=required_leads,
            leads=leads,
            leads_given=levers.leads is not None,
            cost_per_lead=cost,
            budget=leads * cost,
            p_hit=p_hit,
            revenue=revenue,
            required=required,
            is_base=is_base,
            bookings_capacity=capacity,
            ramped_reps=reps,
        )

    def _capacity(self, levers: Levers) -> tuple[float | None, float | None]:
        """The quarter's bookings capacity and ramped reps with the team levers."""
        if levers.reps is None or levers.attainment is None:
            return None, None
        if levers.reps < 0 or levers.attainment <= 0 or (levers.ramp_months or 0) < 0:
            raise InputError(
                "reps and ramp months cannot be negative, and attainment must be positive"
            )
        if len(levers.hires) != len(self.base.hires) or min((*levers.hires, levers.new_hires)) < 0:
            raise InputError(f"hires: one count (0 or more) per planned hire: {levers.hires}")
        team = team_from_levers(self.params, levers)
        if team is None:
            return None, None
        from alignlib.planning.team import quarter_capacity

        reference = pd.Period(self.params.quarter_start, freq="M")
        return quarter_capacity(team, levers.attainment, self.params.quarter, reference)

    def _revenue(self, levers: Levers, leads: float, shares: tuple[float, ...]) -> np.ndarray:
        """In-quarter bookings per trial on the common random numbers, mapped onto the base."""
        base = self.base
        crn = self._crn_for(levers.lags)
        model = crn.model
        if model.channels and shares != base.normalised_shares:
            by_name = dict(zip(self.params.channels, shares, strict=True))
            channels = tuple(replace(ch, share=by_name[ch.name]) for ch in model.channels)
            crn = replace(crn, model=replace(model, channels=channels))
        factors = [r / b for r, b in zip(levers.rates, base.rates, strict=True)]
        raw = crn.revenue(
            leads,
            rate_factors=None if all(f == 1.0 for f in factors) else factors,
            deal_factor=levers.deal_size / base.deal_size,
        )
        return _monotone_map(self._xp, self._fp, np.asarray(raw, dtype=float))
