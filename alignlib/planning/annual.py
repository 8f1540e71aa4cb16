"""The year: four quarter plans chained, the sales team that carries them, the hires it needs.

Each quarter is planned as the quarter plan plans one (:func:`build_plan`: the reverse
funnel, its leads phased ahead of the bookings by the stage lags), at its own target: the
params' ``targets`` where they name it, else the params quarter's target moved by the
learned seasonality and growth. The team's capacity (:mod:`alignlib.planning.team`) is
set against each quarter's target; the chance of the year comes from the quarter's own
simulation model run over the year's lead windows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib.docstrings import TARGET_DOC
from alignlib.errors import InputError
from alignlib.planning.plan import QuarterPlan, build_plan
from alignlib.planning.team import (
    HireNeeded,
    LearnedAttainment,
    add_months,
    attainment_from_actuals,
    hires_needed,
    monthly_capacity,
    quarter_capacity,
)
from alignlib.targets import MONTH_DAYS

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.planning.team import Hire
    from alignlib.simulation import SimulationResult
    from alignlib.targets import Seasonality

#: Years an annual plan may cover.
YEARS = range(1900, 3000)


@TARGET_DOC
@dataclass(frozen=True)
class AnnualQuarter:
    """One quarter of the year: its target, the demand plan for it, the team's capacity.

    Attributes
    ----------
    quarter : str
        ``YYYYQn``.
    target_source : str
        ``targets`` (the params' ``targets``), ``target`` (the params quarter's own
        ``target.bookings``) or ``seasonality`` (the params quarter's target moved by the
        learned seasonality and growth).
    leads : int
        Leads the quarter's bookings need (they arrive before and during it, as
        :attr:`plan` phases them).
    budget : float
        Marketing budget for those leads (NaN when a channel's cost is unknown).
    pipeline_created : float
        Pipeline value created at the coverage stage for the quarter's bookings.
    bookings_capacity : float or None
        What the sales team can book in the quarter (None without ``sales_team``).
    ramped_reps : float or None
        The team's full-productivity equivalent headcount, averaged over the months.
    plan : QuarterPlan
        The quarter's plan.
    """

    quarter: str
    target: float
    target_source: str
    leads: int
    budget: float
    pipeline_created: float
    bookings_capacity: float | None
    ramped_reps: float | None
    plan: QuarterPlan = field(repr=False)

    @property
    def gap(self) -> float | None:
        """``target - bookings_capacity``: above 0 the team is short, below 0 it has room."""
        if self.bookings_capacity is None:
            return None
        return self.target - self.bookings_capacity

    def to_dict(self) -> dict[str, Any]:
        """The row as plain values (the ``quarters`` rows of ``alignlib annual --json``).

        Returns
        -------
        dict
            ``quarter``, ``target``, ``leads``, ``budget``, ``pipeline_created``,
            ``bookings_capacity``, ``ramped_reps``, ``gap``.
        """
        return {
            "quarter": self.quarter,
            "target": self.target,
            "leads": self.leads,
            "budget": self.budget,
            "pipeline_created": self.pipeline_created,
            "bookings_capacity": self.bookings_capacity,
            "ramped_reps": self.ramped_reps,
            "gap": self.gap,
        }


@dataclass(frozen=True)
class AnnualPlan:
    """The year at a glance: four quarters, the hiring plan and the chance of the year.

    Attributes
    ----------
    year : int
    segment : str
    scenario : str or None
    currency : str
    quarters : tuple of AnnualQuarter
    hires_needed : tuple of HireNeeded
        Hires beyond ``sales_team.hires`` that close each quarter's gap (empty without a
        ``sales_team`` or without gaps).
    p_hit_year : float
        Share of simulated years whose bookings reach the year's target.
    attainment : float or None
        The attainment the capacity uses (None without ``sales_team``).
    attainment_source : str or None
        Where ``attainment`` comes from: ``params`` or ``actuals``.
    learned_attainment : LearnedAttainment or None
        What the actuals' bookings per owner taught, when attainment was learned.
    team_reference : pandas.Period or None
        The month ``sales_team.reps`` is counted in (the params quarter's first month).
    monthly_team : pandas.DataFrame or None
        Per month of the year: ``ramped_reps`` and ``capacity`` with the planned hires,
        and ``ramped_reps_with_needed`` and ``capacity_with_needed`` with the needed ones.
    lead_arrivals : pandas.DataFrame
        Leads that must arrive per calendar month (rows) for each quarter's bookings
        (columns).
    year_bookings : numpy.ndarray
        Simulated bookings of the year, one per trial.
    trials, seed : int
    warnings : tuple of str
    """

    year: int
    segment: str
    scenario: str | None
    currency: str
    quarters: tuple[AnnualQuarter, ...]
    hires_needed: tuple[HireNeeded, ...]
    p_hit_year: float
    attainment: float | None
    attainment_source: str | None
    learned_attainment: LearnedAttainment | None
    team_reference: pd.Period | None
    monthly_team: pd.DataFrame | None = field(repr=False)
    lead_arrivals: pd.DataFrame = field(repr=False)
    year_bookings: np.ndarray = field(repr=False)
    trials: int = 0
    seed: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def target(self) -> float:
        """The year's bookings target (the sum of the quarters')."""
        return float(sum(q.target for q in self.quarters))

    @property
    def bookings_capacity(self) -> float | None:
        """What the team can book in the year (None without ``sales_team``)."""
        caps = [q.bookings_capacity for q in self.quarters]
        return None if any(c is None for c in caps) else float(sum(c or 0.0 for c in caps))

    @property
    def budget(self) -> float:
        """The year's marketing budget (NaN when a quarter's is unknown)."""
        return float(sum(q.budget for q in self.quarters))

    def quantiles(self, probs: tuple[float, ...] = (0.1, 0.5, 0.9)) -> dict[float, float]:
        """Quantiles of the simulated year's bookings.

        Parameters
        ----------
        probs : tuple of float
            Probabilities in [0, 1].

        Returns
        -------
        dict
            Probability -> bookings.
        """
        values = np.quantile(self.year_bookings, probs)
        return {p: float(v) for p, v in zip(probs, values, strict=True)}

    def to_frame(self) -> pd.DataFrame:
        """The quarters as a table (index ``quarter``).

        Returns
        -------
        pandas.DataFrame
            The ``quarters`` row fields and ``target_source``.
        """
        rows = [{**q.to_dict(), "target_source": q.target_source} for q in self.quarters]
        return pd.DataFrame(rows).set_index("quarter")

    def hires_frame(self) -> pd.DataFrame:
        """The needed hires as a table.

        Returns
        -------
        pandas.DataFrame
            ``quarter``, ``start``, ``count``, ``opens_by``, ``gap`` (empty without hires).
        """
        columns = ["quarter", "start", "count", "opens_by", "gap"]
        rows = [[getattr(h, c) for c in columns] for h in self.hires_needed]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """What ``alignlib annual --json`` prints.

        Returns
        -------
        dict
            ``quarters`` (rows), ``hires_needed`` (rows with ``start``, ``count``,
            ``opens_by`` as ISO dates) and ``p_hit_year``.
        """
        return {
            "quarters": [q.to_dict() for q in self.quarters],
            "hires_needed": [
                {"start": h.start.isoformat(), "count": h.count, "opens_by": h.opens_by.isoformat()}
                for h in self.hires_needed
            ],
            "p_hit_year": self.p_hit_year,
        }


def year_quarters(year: int) -> tuple[str, str, str, str]:
    """The four quarter labels of ``year``.

    Parameters
    ----------
    year : int
        A year in :data:`YEARS`.

    Returns
    -------
    tuple of str
        ``("2027Q1", ..., "2027Q4")``.
    """
    if isinstance(year, bool) or not isinstance(year, int | np.integer) or int(year) not in YEARS:
        raise InputError(f"year: {year!r} must be a year from {YEARS.start} to {YEARS.stop - 1}")
    return tuple(f"{int(year)}Q{n}" for n in range(1, 5))  # type: ignore[return-value]


def _bookings_level(
    quarter: str, lag_days: float, seasonality: Seasonality | None, growth: float, epoch: int
) -> float:
    """A quarter's relative bookings level: its leads' seasonality and growth.

    Bookings of month ``m`` come from leads of about ``lag_days`` earlier, so a month's
    level is the lead seasonality there; growth compounds yearly from month ``epoch``
    (``year * 12 + month``).
    """
    q = pd.Period(quarter, freq="Q")
    months = pd.period_range(q.asfreq("M", "start"), q.asfreq("M", "end"), freq="M")
    lag_months = lag_days / MONTH_DAYS
    level = 0.0
    for m in months:
        season = 1.0 if seasonality is None else seasonality.at(m.month - lag_months)
        level += season * (1.0 + growth) ** ((m.year * 12 + m.month - epoch) / 12.0)
    return level


def quarter_targets(
    params: QuarterParams, quarters: tuple[str, ...], anchor: QuarterPlan
) -> list[tuple[float, str]]:
    """Each quarter's bookings target and where it comes from.

    ``targets:`` in the params wins; the params quarter keeps ``target.bookings``; any other
    quarter is the params quarter's target times its bookings level over the params
    quarter's (the lead seasonality the plan learned, shifted by the lead-to-won lag, and
    the plan's growth).

    Parameters
    ----------
    params : QuarterParams
        The params (their quarter, target and ``targets``).
    quarters : tuple of str
        The quarters to target.
    anchor : QuarterPlan
        The params quarter's plan (its growth and seasonality).

    Returns
    -------
    list of (float, str)
        Target and source (``targets``, ``target`` or ``seasonality``) per quarter.
    """
    lag = sum(lag.typical for lag in params.lags)
    start = params.quarter_start
    epoch = start.year * 12 + start.month
    base = _bookings_level(params.quarter, lag, anchor.seasonality, anchor.growth, epoch)
    out = []
    for q in quarters:
        if q in params.targets:
            out.append((float(params.targets[q]), "targets"))
        elif q == params.quarter:
            out.append((float(params.target.bookings), "target"))
        else:
            level = _bookings_level(q, lag, anchor.seasonality, anchor.growth, epoch)
            out.append((float(params.target.bookings) * level / base, "seasonality"))
    return out


def quarter_params(params: QuarterParams, quarter: str, bookings: float) -> QuarterParams:
    """The params planning another quarter at another target (same funnel, same reading).

    Parameters
    ----------
    params : QuarterParams
        Learned params.
    quarter : str
        ``YYYYQn``.
    bookings : float
        The quarter's target.

    Returns
    -------
    QuarterParams
        A copy that keeps what the actuals taught (nothing is read again).
    """
    target = params.target.model_copy(update={"bookings": bookings})
    return params.model_copy(update={"quarter": quarter, "target": target})


def team_attainment(params: QuarterParams) -> tuple[float, str, LearnedAttainment | None]:
    """The attainment the team's capacity uses: the params', else the actuals'.

    Parameters
    ----------
    params : QuarterParams
        Learned params with a ``sales_team``.

    Returns
    -------
    tuple
        ``(attainment, source, learned)``; source ``params`` or ``actuals``.

    Raises
    ------
    InputError
        When the params leave attainment out and the actuals cannot teach it.
    """
    team = params.sales_team
    if team is None:
        raise InputError("sales_team: the params have no sales team")
    if team.attainment is not None:
        return float(team.attainment), "params", None
    history = params.history
    if history is None:
        why = params.actuals_problem or "there are no actuals"
        raise InputError(
            f"sales_team.attainment: left out, and it cannot be learned ({why}); give it"
        )
    learned = attainment_from_actuals(
        history.ingest.table, history.ingest.as_of, team.quota_per_rep
    )
    if learned is None:
        raise InputError(
            "sales_team.attainment: left out, and the actuals hold no won deal with an owner, "
            "amount and close date in a complete quarter to learn it from; give it"
        )
    return learned.attainment, "actuals", learned


def _lead_arrivals(quarters: tuple[AnnualQuarter, ...]) -> pd.DataFrame:
    """Leads per calendar month (rows) for each quarter's bookings (columns)."""
    columns = {q.quarter: q.plan.monthly[q.plan.funnel.stages[0]] for q in quarters}
    frame = pd.DataFrame(columns).fillna(0.0).sort_index()
    frame.index.name = "month"
    return frame


def annual_plan(
    params: QuarterParams,
    year: int,
    *,
    trials: int | None = None,
    seed: int | None = None,
) -> AnnualPlan:
    """Plan a year: four quarters chained, the team's capacity, the hires, the chance.

    * **Targets**: :func:`quarter_targets` (``targets:``, else the params quarter's
      target moved by the learned seasonality and growth).
    * **Demand**: each quarter planned by :func:`build_plan` at its target; its leads are
      phased ahead of its bookings by the stage lags (:attr:`AnnualPlan.lead_arrivals`
      shows them by calendar month, so a quarter's leads for the next quarter show
      beside its own).
    * **Capacity** (with ``sales_team``): per month, each rep books
      ``quota_per_rep / 3 x attainment x ramp share`` after attrition, from
      ``sales_team.reps`` counted in the params quarter's first month; a quarter is the
      sum of its months; ``gap = target - capacity``. The hires needed close the gaps in
      order, the fewest at the latest start that does, none starting before a role
      opened on the params quarter's first day could (``hiring_lead_months`` later;
      :func:`alignlib.planning.team.hires_needed`); a gap no hire can close in time is
      flagged in ``warnings``.
    * **The chance of the year**: the quarter's simulation model
      (:func:`alignlib.simulation.model_from_params`: rates drawn from their posteriors,
      lead volume as ``simulation.lead_volume`` says, lognormal deals, gamma lags, channel
      funnels) run over one window of the year's twelve months of planned leads; a deal
      counts when it closes inside the year, including deals from the previous year's
      leads (the actuals' lead counts where they cover that window) and the next's. A
      trial's rates hold for the whole year. The team does not cap the simulated
      bookings: a quarter's ``gap`` shows where it would.

    Parameters
    ----------
    params : QuarterParams
        From :func:`alignlib.params.load_params` (learned here when not learned yet).
    year : int
        The year to plan.
    trials : int, optional
        Simulated years; default ``params.simulation.trials``.
    seed : int, optional
        Seed of the ``numpy.random.Generator`` the run draws from; default
        ``params.simulation.seed`` (fresh entropy when that is null).

    Returns
    -------
    AnnualPlan

    Raises
    ------
    InputError
        A year outside :data:`YEARS`; attainment left out and not learnable.
    """
    from alignlib.history.learning import learn_params

    labels = year_quarters(year)
    params = learn_params(params)
    anchor = build_plan(params)
    targets = quarter_targets(params, labels, anchor)
    team = params.sales_team
    attainment: float | None = None
    source: str | None = None
    learned: LearnedAttainment | None = None
    reference: pd.Period | None = None
    if team is not None:
        attainment, source, learned = team_attainment(params)
        reference = pd.Period(params.quarter_start, freq="M")

    quarters = []
    for label, (target, target_source) in zip(labels, targets, strict=True):
        plan = (
            anchor if label == params.quarter else build_plan(quarter_params(params, label, target))
        )
        capacity: float | None = None
        reps: float | None = None
        if team is not None and attainment is not None and reference is not None:
            capacity, reps = quarter_capacity(team, attainment, label, reference)
        quarters.append(
            AnnualQuarter(
                quarter=label,
                target=target,
                target_source=target_source,
                leads=int(plan.funnel.leads),
                budget=plan.budget,
                pipeline_created=float(plan.coverage.planned_pipeline),
                bookings_capacity=capacity,
                ramped_reps=reps,
                plan=plan,
            )
        )
    rows = tuple(quarters)

    needed: tuple[HireNeeded, ...] = ()
    monthly_team = None
    warnings: list[str] = []
    if team is not None and attainment is not None and reference is not None:
        # a role opened on the params quarter's first day starts a hiring lead time later
        earliest = add_months(params.quarter_start, team.hiring_lead_months)
        targets_q = [q.target for q in rows]
        needed = hires_needed(team, attainment, labels, targets_q, reference, earliest)
        months = list(pd.period_range(f"{int(year)}-01", f"{int(year)}-12", freq="M"))
        monthly_team = monthly_capacity(team, attainment, months, reference)
        all_hires: list[Hire] = [*team.hires, *needed]
        with_needed = monthly_capacity(team, attainment, months, reference, all_hires)
        monthly_team["ramped_reps_with_needed"] = with_needed["ramped_reps"]
        monthly_team["capacity_with_needed"] = with_needed["capacity"]
        still_short = [
            q.quarter
            for q in rows
            if q.target - quarter_capacity(team, attainment, q.quarter, reference, all_hires)[0]
            > 1e-6 * max(q.target, 1.0)
        ]
        if still_short:
            warnings.append(
                f"No hire can close the gap of {', '.join(still_short)}: a role opened on "
                f"{params.quarter_start:%d %b %Y} starts {earliest:%d %b %Y} at the soonest "
                f"({team.hiring_lead_months} months' hiring lead time)."
            )

    from alignlib.simulation.from_params import trials_and_seed

    n_trials, root = trials_and_seed(params, trials, seed)
    result = simulate_year(params, rows, trials=n_trials, seed=root)
    year_target = float(sum(q.target for q in rows))
    return AnnualPlan(
        year=int(year),
        segment=params.segment,
        scenario=params.scenario_name,
        currency=params.currency,
        quarters=rows,
        hires_needed=needed,
        p_hit_year=result.p_hit(year_target),
        attainment=attainment,
        attainment_source=source,
        learned_attainment=learned,
        team_reference=reference,
        monthly_team=monthly_team,
        lead_arrivals=_lead_arrivals(rows),
        year_bookings=result.revenue,
        trials=result.trials,
        seed=result.seed,
        warnings=tuple(warnings) + anchor.warnings,
    )


def simulate_year(
    params: QuarterParams,
    quarters: tuple[AnnualQuarter, ...],
    *,
    trials: int,
    seed: int | None,
) -> SimulationResult:
    """Simulate the year's bookings with the quarter's model over the year's lead window.

    The model is the first quarter's (:func:`alignlib.simulation.model_from_params`), its
    window a year long and its lead volume the year's twelve months of planned leads
    (each quarter's leads over its lead window, phased by ``target.monthly_phasing``),
    drawn as ``simulation.lead_volume`` says; the window before keeps the leads the
    actuals counted in it.

    Parameters
    ----------
    params : QuarterParams
        Learned params.
    quarters : tuple of AnnualQuarter
        The year's four quarters, in order.
    trials : int
        Simulated years.
    seed : int or None
        Seed of the ``numpy.random.Generator`` (None: fresh entropy).

    Returns
    -------
    SimulationResult
        ``revenue`` is the year's bookings per trial.
    """
    from alignlib.simulation import LeadVolume, model_from_params, simulate_funnel
    from alignlib.simulation.from_params import _window_leads, volume_cv

    first = quarter_params(params, quarters[0].quarter, quarters[0].target)
    phasing = [float(x) / float(sum(params.phasing)) for x in params.phasing]
    means = [q.leads * ph for q in quarters for ph in phasing]
    total = sum(means)
    cv = volume_cv(params)
    if params.simulation.lead_volume == "fixed":
        volume = LeadVolume.fixed(int(round(total)))
    elif cv is not None and cv > 0:
        volume = LeadVolume.gamma_poisson(total, cv, means)
    else:
        volume = LeadVolume.monthly(means, [float(np.sqrt(m)) for m in means])
    model = model_from_params(first, leads=volume)
    year = int(quarters[0].quarter[:4])
    start = dt.date(year, 1, 1)
    days = float((dt.date(year + 1, 1, 1) - start).days)
    prior: tuple[Any, ...] = ()
    if model.carry_in and params.history is not None:
        window = pd.Timestamp(start) + pd.Timedelta(days=model.lead_window_start - days)
        counted = _window_leads(params.history.overall.monthly_volume, window, days)
        prior = () if counted is None else (LeadVolume.fixed(int(round(counted))),)
    model = replace(
        model, leads=volume, quarter_days=days if model.has_lags else None, prior_leads=prior
    )
    rng = np.random.default_rng(seed)
    return simulate_funnel(model, trials=trials, rng=rng)
