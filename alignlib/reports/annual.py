"""What the annual plan page shows: the year at a glance, the hiring plan, scenarios side by side.

The figures come from :func:`alignlib.planning.annual_plan`; this module picks the year,
builds the scenarios (hire earlier, raise attainment, shift budget between quarters) and
turns them into the tables and sentences the page displays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib.docstrings import shared_doc
from alignlib.errors import InputError
from alignlib.format import money, pct
from alignlib.planning.annual import AnnualPlan, annual_plan, simulate_year
from alignlib.planning.team import hires_needed

if TYPE_CHECKING:
    from alignlib.params import QuarterParams, SalesTeam

#: How much earlier the "hire earlier" scenario starts the planned hires.
HIRE_EARLIER_MONTHS = 3
#: Attainment points the "raise attainment" scenario adds.
ATTAINMENT_RAISE = 0.05
#: Share of one quarter's budget the "shift budget" scenario moves to another.
BUDGET_SHIFT = 0.10

#: The annual page's parts read either the plan or the whole view.
_PLAN_PART = shared_doc(parameters={"plan : AnnualPlan": "The annual plan."})
_VIEW_PART = shared_doc(parameters={"view : AnnualView": "From :func:`annual_view`."})


def default_year(params: QuarterParams) -> int:
    """The year an annual plan of these params covers by default: the next quarter's year.

    A Q4 file plans the year ahead (planning season); any other quarter plans its own year.

    Parameters
    ----------
    params : QuarterParams
        The params.

    Returns
    -------
    int
    """
    return int((params.quarter_period + 1).year)


@dataclass(frozen=True)
class AnnualScenario:
    """One scenario of the year beside the plan.

    Attributes
    ----------
    name, description : str
    demand : tuple of float
        Expected bookings of each quarter's leads (the plan: its targets).
    capacity : tuple of float or None
        The team's capacity per quarter (None without a team).
    hires_needed : int or None
        Hires beyond the planned ones that close every gap (None without a team).
    budget : float
        Marketing budget of the year.
    p_hit_year : float
        The chance of the year.
    skipped : str or None
        Why the scenario could not be built (then the figures are the plan's).
    """

    name: str
    description: str
    demand: tuple[float, ...]
    capacity: tuple[float, ...] | None
    hires_needed: int | None
    budget: float
    p_hit_year: float
    skipped: str | None = None

    @property
    def carried(self) -> float | None:
        """Bookings the team can carry: per quarter the lesser of demand and capacity."""
        if self.capacity is None:
            return None
        return float(sum(min(d, c) for d, c in zip(self.demand, self.capacity, strict=True)))


@dataclass(frozen=True)
class AnnualView:
    """The annual page's contents: the plan, its scenarios and notes.

    Attributes
    ----------
    plan : AnnualPlan
    scenarios : tuple of AnnualScenario
        The plan first, then hire earlier, raise attainment, shift budget.
    notes : tuple of str
        What is left out and why (no sales team, attainment not learnable).
    team : SalesTeam or None
        The team planned (None when left out).
    """

    plan: AnnualPlan
    scenarios: tuple[AnnualScenario, ...]
    notes: tuple[str, ...] = ()
    team: SalesTeam | None = None


def _scenario(
    name: str, description: str, plan: AnnualPlan, skipped: str | None = None
) -> AnnualScenario:
    caps = [q.bookings_capacity for q in plan.quarters]
    return AnnualScenario(
        name=name,
        description=description,
        demand=tuple(q.target for q in plan.quarters),
        capacity=None if any(c is None for c in caps) else tuple(float(c or 0.0) for c in caps),
        hires_needed=None if caps[0] is None else sum(h.count for h in plan.hires_needed),
        budget=plan.budget,
        p_hit_year=plan.p_hit_year,
        skipped=skipped,
    )


def _team_scenario(
    params: QuarterParams, plan: AnnualPlan, name: str, description: str, **team: object
) -> AnnualScenario:
    """The plan with the team changed: capacity and hires again, same demand and odds."""
    assert params.sales_team is not None and plan.team_reference is not None
    changed = params.sales_team.model_copy(update=team)
    attainment = float(
        changed.attainment if changed.attainment is not None else plan.attainment or 0
    )
    labels = [q.quarter for q in plan.quarters]
    quarters = [
        replace(q, bookings_capacity=cap, ramped_reps=reps)
        for q, (cap, reps) in zip(
            plan.quarters,
            (_capacity(changed, attainment, label, plan) for label in labels),
            strict=True,
        )
    ]
    needed = hires_needed(
        changed, attainment, labels, [q.target for q in quarters], plan.team_reference
    )
    return _scenario(
        name, description, replace(plan, quarters=tuple(quarters), hires_needed=needed)
    )


def _capacity(team: object, attainment: float, label: str, plan: AnnualPlan) -> tuple[float, float]:
    from alignlib.planning.team import quarter_capacity

    assert plan.team_reference is not None
    return quarter_capacity(team, attainment, label, plan.team_reference)  # type: ignore[arg-type]


def _shift_budget(
    params: QuarterParams, plan: AnnualPlan, trials: int, seed: int
) -> AnnualScenario:
    """Move :data:`BUDGET_SHIFT` of the shortest-staffed quarter's budget to the best-staffed one.

    The leads move with the budget (the same channels and costs in every quarter); each
    quarter's expected bookings follow its leads, and the year is simulated again.
    """
    if any(q.gap is None for q in plan.quarters):
        return _scenario("shift_budget", "Shift budget between quarters", plan,
                         skipped="needs a sales team in the parameters: without capacity no quarter has room")  # fmt: skip
    gaps = [float(q.gap or 0.0) for q in plan.quarters]
    short = int(np.argmax(gaps))
    room = int(np.argmin(gaps))
    if short == room:
        return _scenario("shift_budget", "Shift budget between quarters", plan,
                         skipped="every quarter has the same gap")  # fmt: skip
    src, dst = plan.quarters[short], plan.quarters[room]
    moved = int(round(src.leads * BUDGET_SHIFT))
    leads = [q.leads for q in plan.quarters]
    leads[short] -= moved
    leads[room] += moved
    rows = tuple(replace(q, leads=n) for q, n in zip(plan.quarters, leads, strict=True))
    result = simulate_year(params, rows, trials=trials, seed=seed)
    description = (
        f"{pct(BUDGET_SHIFT)} of {src.quarter}'s budget ({moved:,} leads) moved into "
        f"{dst.quarter}, where the team's gap is smallest"
    )
    demand = tuple(
        q.target * n / q.leads if q.leads else 0.0
        for q, n in zip(plan.quarters, leads, strict=True)
    )
    base = _scenario("shift_budget", description, plan)
    return replace(base, demand=demand, p_hit_year=result.p_hit(plan.target))


def annual_view(
    params: QuarterParams,
    year: int | None = None,
    *,
    trials: int | None = None,
    seed: int | None = None,
) -> AnnualView:
    """The annual plan and its scenarios, for the page.

    When the team's attainment can be neither read nor learned, the year is planned
    without the team and a note says why (the page still renders).

    Parameters
    ----------
    params : QuarterParams
        Learned params.
    year : int, optional
        Default :func:`default_year`.
    trials : int, optional
        Simulated years; default the file's.
    seed : int, optional
        Default the file's.

    Returns
    -------
    AnnualView
    """
    year = default_year(params) if year is None else int(year)
    notes: list[str] = []
    try:
        plan = annual_plan(params, year, trials=trials, seed=seed)
    except InputError as exc:
        if params.sales_team is None or not str(exc).startswith("sales_team"):
            raise
        notes.append(f"The sales team is left out: {exc}.")
        params = params.model_copy(update={"sales_team": None})
        plan = annual_plan(params, year, trials=trials, seed=seed)
    if params.sales_team is None and not notes:
        notes.append(
            "No sales team section in the parameters: capacity, gaps and hires are left out."
        )
    scenarios = [_scenario("plan", "The plan", plan)]
    team = params.sales_team
    if team is None:
        for name, description in (
            ("hire_earlier", "Hire earlier"),
            ("raise_attainment", "Raise attainment"),
        ):
            scenarios.append(
                _scenario(name, description, plan, skipped="needs a sales team in the parameters")
            )
    else:
        from alignlib.planning.team import add_months

        if team.hires:
            earlier = tuple(
                h.model_copy(update={"start": add_months(h.start, -HIRE_EARLIER_MONTHS)})
                for h in team.hires
            )
            scenarios.append(
                _team_scenario(
                    params,
                    plan,
                    "hire_earlier",
                    f"The planned hires start {HIRE_EARLIER_MONTHS} months earlier",
                    hires=earlier,
                )  # fmt: skip
            )
        else:
            scenarios.append(
                _scenario("hire_earlier", "Hire earlier", plan, skipped="no planned hires to move")
            )
        raised = float(plan.attainment or 0) + ATTAINMENT_RAISE
        scenarios.append(
            _team_scenario(
                params,
                plan,
                "raise_attainment",
                f"Attainment {pct(raised)} of quota ({ATTAINMENT_RAISE * 100:.0f} points more)",
                attainment=raised,
            )  # fmt: skip
        )
    scenarios.append(_shift_budget(params, plan, plan.trials, plan.seed))
    return AnnualView(plan=plan, scenarios=tuple(scenarios), notes=tuple(notes), team=team)


@_PLAN_PART
def year_sentence(plan: AnnualPlan) -> str:
    """The year in one or two sentences: target, chance, and the team against it.

    Returns
    -------
    str
    """
    cur = plan.currency
    text = (
        f"{plan.year} asks for {money(plan.target, cur)} of bookings over four quarters; "
        f"the demand plan books it in {pct(plan.p_hit_year)} of {plan.trials:,} simulated years."
    )
    capacity = plan.bookings_capacity
    if capacity is None:
        return text
    short = [q for q in plan.quarters if (q.gap or 0) > 0]
    if not short:
        return text + f" The sales team can carry {money(capacity, cur)}: every quarter fits."
    hires = sum(h.count for h in plan.hires_needed)
    return text + (
        f" The sales team as planned can carry {money(capacity, cur)}; "
        f"{len(short)} quarter{'s fall' if len(short) > 1 else ' falls'} short, "
        f"and {hires} more hire{'s' if hires != 1 else ''} would close the gaps."
    )


@_PLAN_PART
def year_table(plan: AnnualPlan) -> pd.DataFrame:
    """The year at a glance: per quarter target, demand plan, capacity, gap.

    Returns
    -------
    pandas.DataFrame
        One row per quarter and a ``Year`` row.
    """
    frame = plan.to_frame().drop(columns=["target_source"])
    total = {
        "target": plan.target,
        "leads": int(frame["leads"].sum()),
        "budget": plan.budget,
        "pipeline_created": float(frame["pipeline_created"].sum()),
        "bookings_capacity": plan.bookings_capacity,
        "ramped_reps": np.nan,
        "gap": None if plan.bookings_capacity is None else plan.target - plan.bookings_capacity,
    }
    frame.loc["Year"] = pd.Series(total)
    if plan.bookings_capacity is None:
        frame = frame.drop(columns=["bookings_capacity", "ramped_reps", "gap"])
    return frame


@_PLAN_PART
def gap_highlight(plan: AnnualPlan) -> dict[str, Callable[[Any], bool]] | None:
    """What :func:`year_table` flags: the quarters the team cannot carry.

    Returns
    -------
    dict or None
        ``{"gap": predicate}`` for :func:`alignlib.display.table`; None without a team.
    """
    if plan.bookings_capacity is None:
        return None
    return {"gap": lambda v: v is not None and bool(np.isfinite(v)) and v > 0}


@_VIEW_PART
def hiring_table(view: AnnualView) -> pd.DataFrame:
    """The hiring plan: the planned hires and the hires needed, with open-by dates.

    Returns
    -------
    pandas.DataFrame
        ``kind`` (``planned`` or ``needed``), ``start``, ``count``, ``opens_by``,
        ``for_quarter`` (the quarter whose gap a needed hire closes); empty without a team.
    """
    from alignlib.planning.team import add_months

    team = view.team
    lead = team.hiring_lead_months if team is not None else 0
    rows = [
        {"kind": "planned", "start": h.start, "count": h.count,
         "opens_by": add_months(h.start, -lead), "for_quarter": ""}
        for h in (team.hires if team is not None else ())
    ]  # fmt: skip
    rows += [
        {"kind": "needed", "start": h.start, "count": h.count, "opens_by": h.opens_by,
         "for_quarter": h.quarter}
        for h in view.plan.hires_needed
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["kind", "start", "count", "opens_by", "for_quarter"])


@_VIEW_PART
def scenario_table(view: AnnualView) -> pd.DataFrame:
    """The scenarios side by side.

    Returns
    -------
    pandas.DataFrame
        Index scenario name; ``description``, ``demand``, ``capacity``, ``carried``,
        ``hires_needed``, ``budget``, ``p_hit_year``, ``note``.
    """
    rows = []
    for s in view.scenarios:
        rows.append(
            {
                "scenario": s.name,
                "description": s.description,
                "demand": float(sum(s.demand)),
                "capacity": None if s.capacity is None else float(sum(s.capacity)),
                "carried": s.carried,
                "hires_needed": s.hires_needed,
                "budget": s.budget,
                "p_hit_year": s.p_hit_year,
                "note": f"skipped: {s.skipped}" if s.skipped else "",
            }
        )
    return pd.DataFrame(rows).set_index("scenario")
