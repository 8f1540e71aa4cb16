"""The annual plan: targets, four chained quarter plans, the team's gap and hires, the year's odds."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alignlib.errors import InputError
from alignlib.history.learning import learn_params
from alignlib.params import load_params
from alignlib.planning import annual_plan, build_plan
from alignlib.planning.annual import quarter_params, quarter_targets, year_quarters
from alignlib.targets import Seasonality

YEAR = ("2027Q1", "2027Q2", "2027Q3", "2027Q4")
HAND_TEAM = {
    "reps": 10,
    "quota_per_rep": 300_000,
    "attainment": 0.8,
    "ramp": [0.5, 0.5, 0.5],
    "hires": [{"start": "2027-04-01", "count": 3}],
}


def _year_file(params_dict, *, team=HAND_TEAM, targets=None, quarter="2027Q1"):
    params_dict["quarter"] = quarter
    params_dict["target"]["bookings"] = 2_400_000
    if team is not None:
        params_dict["sales_team"] = team
    if targets is not None:
        params_dict["targets"] = targets
    params_dict["simulation"] = {"trials": 4000, "seed": 24}
    return params_dict


def test_hand_checked_capacity_and_gaps_in_the_year(params_dict, write_params):
    targets = {"2027Q2": 2_600_000, "2027Q3": 3_000_000, "2027Q4": 3_300_000}
    path = write_params(_year_file(params_dict, targets=targets))
    plan = annual_plan(load_params(path), 2027)
    rows = plan.to_dict()["quarters"]
    assert [r["quarter"] for r in rows] == list(YEAR)
    assert [r["target"] for r in rows] == [2_400_000, 2_600_000, 3_000_000, 3_300_000]
    assert [r["bookings_capacity"] for r in rows] == pytest.approx(
        [2_400_000, 2_760_000, 3_120_000, 3_120_000]
    )
    assert [r["ramped_reps"] for r in rows] == pytest.approx([10, 11.5, 13, 13])
    assert [r["gap"] for r in rows] == pytest.approx([0, -160_000, -120_000, 180_000])
    # Q4 is 180,000 short: one hire ramped by October books 240,000 of it.
    (hire,) = plan.to_dict()["hires_needed"]
    assert hire["count"] == 1
    # The latest start that still books 180,000 in Q4 at ramp [0.5, 0.5, 0.5], 80,000 a
    # ramped month: 1 Aug (Oct 0.5 + Nov 1 + Dec 1 = 200,000); 1 Sep books 160,000.
    assert hire["start"] == "2027-08-01"
    assert hire["opens_by"] == "2027-05-01"  # three months' hiring lead by default
    assert set(plan.to_dict()) == {"quarters", "hires_needed", "p_hit_year"}


def test_each_quarter_is_the_quarter_plan_at_its_target(params_dict, write_params):
    targets = {"2027Q2": 1_800_000, "2027Q3": 3_000_000, "2027Q4": 1_200_000}
    params = load_params(write_params(_year_file(params_dict, targets=targets)))
    plan = annual_plan(params, 2027)
    for row in plan.quarters:
        alone = build_plan(quarter_params(params, row.quarter, row.target))
        assert row.leads == alone.funnel.leads
        assert row.budget == pytest.approx(alone.budget)
        assert row.pipeline_created == pytest.approx(alone.coverage.planned_pipeline)
        # leads arrive before the quarter whose bookings they make
        assert alone.monthly.index.min() < pd.Period(row.quarter, "Q").asfreq("M", "start")
        # a forward pass of the quarter's leads books at least its target
        rate = math.prod(params.rates)
        assert row.leads * rate * params.deal_size.mean >= row.target * (1 - 1e-9)
    # the lead arrivals by calendar month add up to each quarter's leads
    assert plan.lead_arrivals.sum().round().astype(int).tolist() == [q.leads for q in plan.quarters]
    # Q1's leads for Q2's bookings arrive while Q1 runs: carry-in of pipeline into Q2
    assert plan.lead_arrivals.loc[pd.Period("2027-02", "M"), "2027Q2"] > 0


def test_targets_without_history_are_flat_or_follow_the_growth(params_dict, write_params):
    params = load_params(write_params(_year_file(params_dict, quarter="2026Q4")))
    plan = annual_plan(params, 2027, trials=500)
    assert [q.target for q in plan.quarters] == pytest.approx([2_400_000] * 4)
    assert {q.target_source for q in plan.quarters} == {"seasonality"}
    params_dict["target"]["growth"] = 0.2
    params = load_params(write_params(params_dict))
    plan = annual_plan(params, 2027, trials=500)
    # growth compounds from the params quarter: Q1 2027 is a quarter after Q4 2026
    expected = [2_400_000 * 1.2 ** (k / 4) for k in range(1, 5)]
    assert [q.target for q in plan.quarters] == pytest.approx(expected)


def test_seasonality_moves_each_quarter_by_its_months_shifted_by_the_lag(params_dict, write_params):
    params = learn_params(load_params(write_params(_year_file(params_dict, team=None))))
    index = pd.Series([0.8, 0.8, 0.8, 1.0, 1.0, 1.0, 1.2, 1.2, 1.2, 1.0, 1.0, 1.0],
                      index=pd.RangeIndex(1, 13, name="month"))  # fmt: skip
    season = Seasonality(index, pd.Series(2, index=index.index))
    anchor = replace(build_plan(params), seasonality=season, growth=0.0)
    no_lag = params.model_copy(update={"lag_days": {}})
    got = quarter_targets(no_lag, YEAR, anchor)
    assert [t for t, _ in got] == pytest.approx([2_400_000, 3_000_000, 3_600_000, 3_000_000])
    assert [s for _, s in got] == ["target", "seasonality", "seasonality", "seasonality"]
    # with 74 days from lead to won, bookings of a month follow the leads of ~2.4 months before
    lag = sum(lag.typical for lag in params.lags)
    got = quarter_targets(params, YEAR, anchor)
    shifted = [sum(season.at(m - lag / (365.25 / 12)) for m in range(3 * k + 1, 3 * k + 4))
               for k in range(4)]  # fmt: skip
    assert [t for t, _ in got] == pytest.approx([2_400_000 * s / shifted[0] for s in shifted])


def test_targets_given_win_over_seasonality(params_dict, write_params):
    targets = dict(zip(YEAR, [1e6, 2e6, 3e6, 4e6], strict=True))
    params = load_params(write_params(_year_file(params_dict, targets=targets, quarter="2026Q4")))
    plan = annual_plan(params, 2027, trials=500)
    assert [q.target for q in plan.quarters] == [1e6, 2e6, 3e6, 4e6]
    assert [q.target_source for q in plan.quarters] == ["targets"] * 4
    assert plan.target == 10e6


def test_without_a_sales_team_capacity_is_left_out(params_dict, write_params):
    plan = annual_plan(load_params(write_params(_year_file(params_dict, team=None))), 2027)
    rows = plan.to_dict()["quarters"]
    assert all(r["bookings_capacity"] is None and r["gap"] is None for r in rows)
    assert all(r["ramped_reps"] is None for r in rows)
    assert plan.hires_needed == () and plan.bookings_capacity is None
    assert 0 <= plan.p_hit_year <= 1


def test_the_year_is_reproducible_from_its_seed(params_dict, write_params):
    params = load_params(write_params(_year_file(params_dict)))
    a = annual_plan(params, 2027, trials=3000, seed=5)
    b = annual_plan(params, 2027, trials=3000, seed=5)
    c = annual_plan(params, 2027, trials=3000, seed=6)
    assert a.p_hit_year == b.p_hit_year
    np.testing.assert_array_equal(a.year_bookings, b.year_bookings)
    assert not np.array_equal(a.year_bookings, c.year_bookings)


def test_p_hit_year_matches_the_poisson_answer_without_lags(params_dict, write_params):
    """Fixed rates, Poisson leads, a fixed deal and no lags: year wins are Poisson."""
    params_dict["conversion_rates"] = {s: 0.5 for s in ("lead", "mql", "sal", "sql")} | {
        "opportunity": 0.25
    }
    params_dict.pop("lag_days")
    params_dict.pop("channels")
    params_dict["deal_size"] = {"mean": 20_000}
    params_dict["target"].pop("monthly_phasing")
    targets = {"2027Q2": 1_000_000, "2027Q3": 1_400_000, "2027Q4": 2_000_000}
    params = load_params(write_params(_year_file(params_dict, team=None, targets=targets)))
    plan = annual_plan(params, 2027, trials=40_000, seed=1)
    expected_wins = sum(q.leads for q in plan.quarters) * 0.5**4 * 0.25
    need = math.ceil(plan.target / 20_000)
    exact = float(stats.poisson.sf(need - 1, expected_wins))
    se = math.sqrt(exact * (1 - exact) / 40_000)
    assert abs(plan.p_hit_year - exact) < 4 * se
    assert plan.year_bookings.mean() == pytest.approx(expected_wins * 20_000, rel=0.01)


def test_the_year_books_what_its_four_quarters_book_in_steady_state(params_dict, write_params):
    """With lags and carry-in, the year's mean bookings are the quarters' targets (point plan)."""
    params_dict["target"].pop("monthly_phasing")
    params = load_params(write_params(_year_file(params_dict, team=None)))
    plan = annual_plan(params, 2027, trials=20_000, seed=3)
    planned = sum(q.leads for q in plan.quarters) * math.prod(params.rates) * 20_000
    sd = plan.year_bookings.std()
    assert abs(plan.year_bookings.mean() - planned) < 4 * sd / math.sqrt(20_000)
    assert plan.year_bookings.mean() >= 0.99 * plan.target


@pytest.mark.parametrize(
    "stages",
    [("opportunity", "won"), ("lead", "opportunity", "won")],
)
def test_funnels_of_other_shapes(params_dict, write_params, stages):
    params_dict["stages"] = [{"name": s, "label": s.title(), "owner": "sales"} for s in stages]
    rates = {"lead": 0.2, "opportunity": {"converted": 300, "total": 1000}}
    params_dict["conversion_rates"] = {s: rates[s] for s in stages[:-1]}
    params_dict["lag_days"] = {s: {"typical": 20, "spread": 8} for s in stages[:-1]}
    for channel in params_dict["channels"].values():
        channel.pop("conversion_rates", None)
    params_dict.pop("capacity")
    params_dict.pop("scenarios")
    params = load_params(write_params(_year_file(params_dict)))
    plan = annual_plan(params, 2027, trials=2000)
    rows = plan.to_dict()["quarters"]
    assert [r["bookings_capacity"] for r in rows] == pytest.approx(
        [2_400_000, 2_760_000, 3_120_000, 3_120_000]
    )
    assert all(r["leads"] > 0 and r["pipeline_created"] > 0 for r in rows)
    assert rows[0]["pipeline_created"] == pytest.approx(
        plan.quarters[0].plan.funnel.required[stages.index(params.pipeline.stage)]
        * params.deal_size.mean
    )
    assert 0.2 < plan.p_hit_year < 0.8  # a point plan is a coin flip give or take skew


def test_attainment_is_learned_from_the_actuals_when_left_out(tmp_path):
    from alignlib.synthetic import SyntheticFunnel, synthetic_table, write_generic_export

    funnel = SyntheticFunnel(("opportunity", "won"), (0.3,), (30.0,), monthly_leads=200,
                             deal_size=10_000)  # fmt: skip
    table = synthetic_table(funnel, start="2025-01-01", months=18, as_of="2026-06-20", seed=5)
    columns = write_generic_export(table, tmp_path / "export.csv", funnel.stage_names)
    mapping = "".join(f"    {k}: {v}\n" for k, v in columns.items())
    (tmp_path / "2026Q3.yaml").write_text(
        "quarter: 2026Q3\ntarget: {bookings: 500000}\nstages:\n"
        "  - {name: opportunity, label: Opportunity, owner: sales}\n"
        "  - {name: won, label: Won, owner: sales}\n"
        "sales_team: {reps: 3, quota_per_rep: 200000}\n"
        "simulation: {trials: 1000}\n"
        "actuals:\n  crm_export: export.csv\n  format: csv\n  columns:\n" + mapping,
        encoding="utf-8",
    )
    params = learn_params(load_params(tmp_path / "2026Q3.yaml"))
    plan = annual_plan(params, 2026)
    ingest = params.history.ingest.table
    won = ingest[(ingest["outcome"] == "won") & ingest["close_date"].notna()]
    quarters = won["close_date"].dt.to_period("Q")
    # as of 20 June 2026 the last complete quarter is 2026Q1
    chosen = [pd.Period(q, "Q") for q in ("2025Q2", "2025Q3", "2025Q4", "2026Q1")]
    booked = won.loc[quarters.isin(chosen), "amount"].sum()
    assert plan.attainment_source == "actuals"
    assert plan.learned_attainment is not None
    assert plan.learned_attainment.quarters == tuple(str(q) for q in chosen)
    assert plan.learned_attainment.bookings == pytest.approx(booked)
    owners = plan.learned_attainment.owner_quarters
    assert owners == 12  # three reps, each active in each of the four quarters
    assert plan.attainment == pytest.approx(booked / (owners * 200_000))
    assert plan.quarters[0].bookings_capacity == pytest.approx(3 * 200_000 * plan.attainment)


def test_a_bad_year_is_refused():
    with pytest.raises(InputError, match="must be a year"):
        year_quarters(20270)
    assert year_quarters(2027) == YEAR
