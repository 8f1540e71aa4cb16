"""The sales team's levers: reps, hires, ramp and attainment move the quarter's capacity."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from alignlib.history.learning import learn_params
from alignlib.params import load_params
from alignlib.planning.team import quarter_capacity
from alignlib.whatif import Levers, WhatIfEngine, overrides_from_levers, save_scenario, whatif_panel
from alignlib.whatif.engine import straight_ramp, team_from_levers

TRIALS = 1_000
TEAM = {
    "reps": 10,
    "quota_per_rep": 300_000,
    "attainment": 0.8,
    "ramp": [0.5, 0.5, 0.5],
    "hires": [{"start": "2026-11-01", "count": 3}],
}


@pytest.fixture
def params(params_dict, write_params):
    params_dict["sales_team"] = TEAM
    params_dict["simulation"] = {"trials": TRIALS, "seed": 4}
    return load_params(write_params(params_dict))


def test_team_levers_start_at_the_files_team(params):
    base = Levers.base(params)
    assert (base.reps, base.attainment, base.ramp_months, base.hires) == (10, 0.8, 3, (3,))
    assert base.new_hires == 0
    engine = WhatIfEngine(params, trials=TRIALS)
    outcome = engine.evaluate(base)
    # Q4 2026: 10 reps x 3 months x 80,000, plus 3 hires from 1 Nov at half productivity
    assert outcome.bookings_capacity == pytest.approx(2_400_000 + 3 * 2 * 40_000)
    assert outcome.gap == pytest.approx(1_200_000 - 2_640_000)


def test_each_team_lever_moves_capacity_as_the_arithmetic_says(params):
    engine = WhatIfEngine(params, trials=TRIALS)
    base = engine.base
    p_hit = engine.evaluate(base).p_hit
    cases = {
        "reps": (replace(base, reps=5), 1_200_000 + 240_000),
        "attainment": (replace(base, attainment=0.4), 1_320_000),
        "hires": (replace(base, hires=(0,)), 2_400_000),
        # a 0-month ramp: the hires book fully from their start
        "ramp": (replace(base, ramp_months=0), 2_400_000 + 3 * 2 * 80_000),
        # two more from 1 October, through a straight 1-month ramp (0.5, then full)
        "new_hires": (replace(base, new_hires=2, ramp_months=1),
                      2_400_000 + 2 * 80_000 * 2.5 + 3 * 80_000 * 1.5),
    }  # fmt: skip
    for name, (levers, capacity) in cases.items():
        outcome = engine.evaluate(levers)
        assert outcome.bookings_capacity == pytest.approx(capacity), name
        assert outcome.p_hit == p_hit, name  # the team is not the demand: same odds
        team = team_from_levers(params, levers)
        reference = pd.Period(params.quarter_start, freq="M")
        expected, _ = quarter_capacity(team, levers.attainment, params.quarter, reference)
        assert outcome.bookings_capacity == pytest.approx(expected)


def test_straight_ramp():
    assert straight_ramp(0) == ()
    assert straight_ramp(3) == (0.25, 0.5, 0.75)


def test_bad_team_levers_are_refused(params):
    from alignlib.errors import InputError

    engine = WhatIfEngine(params, trials=TRIALS)
    for bad in (
        replace(engine.base, reps=-1),
        replace(engine.base, attainment=0.0),
        replace(engine.base, hires=(1, 2)),
        replace(engine.base, new_hires=-3),
    ):
        with pytest.raises(InputError):
            engine.evaluate(bad)


def test_moved_team_levers_save_as_a_scenario_that_plans_the_same_capacity(
    params, params_dict, write_params
):
    levers = replace(Levers.base(params), reps=12, attainment=0.7, ramp_months=2, new_hires=1)
    overrides, skipped = overrides_from_levers(params, levers)
    assert skipped == ""
    assert overrides == {
        "sales_team": {
            "reps": 12,
            "attainment": 0.7,
            "ramp": [0.333, 0.667],
            "hires": [{"start": "2026-11-01", "count": 3}, {"start": "2026-10-01", "count": 1}],
        }
    }
    assert overrides_from_levers(params, Levers.base(params)) == ({}, "")
    path = params.source_path
    save_scenario(path, "bigger_team", overrides, description="two more reps")
    saved = load_params(path).with_scenario("bigger_team")
    engine = WhatIfEngine(params, trials=TRIALS)
    assert WhatIfEngine(saved, trials=TRIALS).evaluate(
        Levers.base(saved)
    ).bookings_capacity == pytest.approx(engine.evaluate(levers).bookings_capacity)


def test_the_panel_has_a_team_tab_whose_sliders_move_capacity(params):
    panel = whatif_panel(params, trials=TRIALS).panel
    titles = [panel.tabs.get_title(i) for i in range(len(panel.tabs.children))]
    assert titles[-1] == "Sales team"
    assert panel.hires[0].description == "Hires starting 01 Nov 2026"
    panel.reps.value = 2  # 2 x 240,000 + the hires' 240,000 against the 1,200,000 target
    assert panel.outcome.bookings_capacity == pytest.approx(720_000)
    assert "Sales team can book" in panel.result.value
    assert "$480,000 short of the target" in panel.result.value
    panel.reset()
    assert panel.outcome.bookings_capacity == pytest.approx(2_640_000)
    assert "carries the target" in panel.result.value


def test_without_a_team_there_are_no_team_levers(params_dict, write_params):
    params = load_params(write_params(params_dict))
    base = Levers.base(params)
    assert base.reps is None and base.hires == ()
    assert WhatIfEngine(params, trials=TRIALS).evaluate(base).bookings_capacity is None
    assert "Sales team" not in [
        whatif_panel(params, trials=TRIALS).panel.tabs.get_title(i) for i in range(5)
    ]


def test_attainment_left_to_the_actuals_is_the_learned_one(tmp_path):
    from alignlib.synthetic import SyntheticFunnel
    from tests.test_params import _small_file

    funnel = SyntheticFunnel(("opportunity", "won"), (0.3,), (30.0,), monthly_leads=200)
    path = _small_file(tmp_path, funnel, extra="sales_team: {reps: 3, quota_per_rep: 100000}\n")
    params = learn_params(load_params(path))
    from alignlib.planning.annual import team_attainment

    assert Levers.base(params).attainment == pytest.approx(team_attainment(params)[0])
