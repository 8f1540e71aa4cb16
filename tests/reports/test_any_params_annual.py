"""The annual plan page renders for any valid params file, with and without a sales team.

The notebook runs in this process (``run_notebook``) on params files of generated shapes
(:func:`tests.reports._any_params_helpers.cases`), each with no team, a team whose
attainment is given, or one whose attainment is left to the actuals.
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from alignlib.history.learning import load_learned
from tests.reports._any_params_helpers import Case, cases, run_notebook, write_case

EXAMPLES = int(os.environ.get("ALIGNLIB_ANY_PARAMS_EXAMPLES", "15")) // 3
NO_TEAM = "No sales team section in the parameters"

TEAMS = {
    "none": None,
    "given": {
        "reps": 3, "quota_per_rep": 150_000, "attainment": 0.7, "ramp": [0.3, 0.6],
        "attrition_per_year": 0.15, "hires": [{"start": "2026-09-15", "count": 1}],
    },
    "learned": {"reps": 2, "quota_per_rep": 200_000, "hiring_lead_months": 0},
}  # fmt: skip


def _render_and_check(case: Case, folder) -> str:
    path = write_case(case, folder)
    page = "\n".join(run_notebook("annual_plan", params_path=str(path), trials=200))
    params = load_learned(path)
    assert "Traceback" not in page
    assert page.count(NO_TEAM) == (params.sales_team is None)
    assert page.count("<img") == 4
    assert "Scenarios of the year" in page
    return page


@settings(
    max_examples=max(EXAMPLES, 1),
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=cases(), team=st.sampled_from(sorted(TEAMS)))
def test_the_annual_page_renders_for_any_valid_params_file(case, team, tmp_path_factory):
    if TEAMS[team] is not None:
        case = replace(case, extra={"sales_team": TEAMS[team]})
    _render_and_check(case, tmp_path_factory.mktemp("case"))


@pytest.mark.parametrize(
    ("case", "says"),
    [
        # one month of actuals: no complete quarter to learn attainment from
        (Case(("mql", "won"), (0.3,), (20.0,), channels="empty", months=1,
              extra={"sales_team": TEAMS["learned"]}), "The sales team is left out"),
        (Case(("lead", "sql", "won"), (0.3, 0.3), (3.0, 9.0), months=13,
              extra={"sales_team": TEAMS["learned"]}), "Ramped reps"),
        (Case(("lead", "won"), (0.1,), (30.0,), actuals=False,
              extra={"sales_team": TEAMS["given"]}), "Ramped reps"),
        (Case(("a", "b", "c"), (0.5, 0.5), (2.0, 2.0), quarter="2029Q1"), NO_TEAM),
    ],
    ids=["learned_from_one_month", "learned", "given_no_actuals", "empty_quarter_ahead"],
)  # fmt: skip
def test_shapes_render_with_what_they_leave_out(case, says, tmp_path):
    assert says in _render_and_check(case, tmp_path)
