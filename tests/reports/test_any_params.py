"""Every report renders for any valid params file, and says in one line what it leaves out.

The three report notebooks run in this process (``run_notebook``: the notebook's own
cells, with charts built but not drawn) on params files of generated shapes. The batch
test in ``tests/test_any_params.py`` renders a few fixed shapes with ``alignlib run``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from alignlib.history.learning import load_learned as load_params
from tests.reports._any_params_helpers import Case, cases, run_notebook, write_case

REPORTS = ("quarterly_plan", "trend_report", "experiment_analysis")
EXAMPLES = int(os.environ.get("ALIGNLIB_ANY_PARAMS_EXAMPLES", "8"))

NO_CAPACITY = "No capacity section: the capacity check is left out."
NO_CHANNELS = "No channels in the parameters or the actuals"
NO_COSTS = "No channel costs in the parameters or a spend file: budget and CAC are left out."
NO_SLA = "No sla section"
NO_SPEND = "No spend file in the parameters"
NO_EXPERIMENTS = "No experiments in the parameters file"


def _render(case: Case, folder) -> dict[str, str]:
    path = write_case(case, folder)
    return {
        name: "\n".join(run_notebook(name, params_path=str(path), trials=200, interactive=False))
        for name in REPORTS
    }


def _check_left_out_lines(case: Case, folder, pages: dict[str, str]) -> None:
    params = load_params(folder / f"{case.quarter}.yaml")
    plan, trend, experiments = (pages[n] for n in REPORTS)
    # Each missing input is said once, in one line, where its section would be.
    assert plan.count(NO_CAPACITY) == (params.capacity is None)
    assert plan.count(NO_CHANNELS) == (not params.channels)
    costs_known = params.channels and all(
        c.cost_per_lead is not None for c in params.channels.values()
    )
    assert plan.count(NO_COSTS) == bool(params.channels and not costs_known)
    assert plan.count(NO_SLA) == (params.sla is None)
    assert experiments.count(NO_EXPERIMENTS) == (not params.experiments)
    if params.actuals is None:
        assert trend.count("No actuals in the parameters file") == 1
        assert plan.count("No actuals in the parameters file") == 1
    else:
        assert trend.count(NO_SLA) == (params.sla is None)
        assert trend.count(NO_SPEND) == (params.actuals.spend is None)
        if params.sla is not None and not case.responses:
            assert trend.count("No response dates") == 1
        if params.learned_keys:
            assert "learned from" in plan and "learned from" in trend
        assert "rows used" in plan and "rows used" in trend
    assert "Traceback" not in plan + trend + experiments


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    # An example runs three reports (seconds): report the failing case as found (a Case
    # reads plainly) rather than spend minutes shrinking it.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=cases())
def test_every_report_renders_for_any_valid_params_file(case, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("case")
    pages = _render(case, folder)
    _check_left_out_lines(case, folder, pages)


# -- the shapes of issue 11, each once (the crashes it names) --------------------------


SHAPES = {
    # InputError "hand-off stage 'mql' is not one of opportunity, won"; KeyError 'cost_per_lead'
    "opportunity_to_won_no_costs": Case(
        ("opportunity", "won"), (0.3,), (20.0,), channels="no_costs", handoff="opportunity",
        sla=True,
    ),
    # ValueError "Categorical categories must be unique" in metrics.velocity
    "mql_to_won_nothing_optional_one_month": Case(
        ("mql", "won"), (0.3,), (20.0,), channels="empty", months=1,
    ),
    "eight_stages_everything": Case(
        ("visit", "lead", "mql", "sal", "sql", "opportunity", "proposal", "won"),
        (0.5, 0.6, 0.6, 0.7, 0.6, 0.5, 0.5), (1.0, 3.0, 2.0, 3.0, 5.0, 10.0, 10.0),
        handoff="sal", sla=True, spend=True, experiment_stage="proposal", months=24,
    ),
    "learned_everything": Case(
        ("lead", "deal", "won"), (0.3, 0.4), (5.0, 10.0),
        learned=frozenset({"conversion_rates", "lag_days", "deal_size", "channels"}),
        spend=True, months=13,
    ),
    "no_actuals": Case(("lead", "won"), (0.1,), (30.0,), actuals=False, handoff="", sla=True),
    "no_lost_deals_no_response_dates": Case(
        ("lead", "sql", "won"), (0.3, 0.3), (3.0, 9.0), lost=False, responses=False, sla=True,
    ),
    "empty_quarter_ahead": Case(("a", "b", "c"), (0.5, 0.5), (2.0, 2.0), quarter="2029Q1"),
    "empty_quarter_past": Case(
        ("a", "b", "c"), (0.5, 0.5), (2.0, 2.0), quarter="2019Q4", sla=True, handoff="",
    ),
}  # fmt: skip


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_the_shapes_issue_11_names_render(shape, tmp_path) -> None:
    case = SHAPES[shape]
    pages = _render(case, tmp_path)
    _check_left_out_lines(case, tmp_path, pages)
