"""The memory budget: too many trials are refused before anything is allocated."""

from __future__ import annotations

import numpy as np
import pytest

from alignlib.errors import InputError
from alignlib.simulation import (
    CommonRandomNumbers,
    LeadVolume,
    build_model,
    engine,
    plan_for_confidence,
    sensitivity,
    simulate_funnel,
)
from alignlib.simulation.memory import (
    ENV_VAR,
    MAX_DEFAULT_BUDGET_GB,
    crn_bytes_per_trial,
    memory_budget,
    result_bytes_per_trial,
    size_text,
)
from tests.simulation._simulation_helpers import COUNT_RATES, STAGES

LAGS = [(10, 5)] * (len(STAGES) - 1)


@pytest.fixture
def model():
    return build_model(
        leads=LeadVolume.poisson(800), stages=STAGES, rates=COUNT_RATES, deal_size=(20_000, 9_000)
    )


@pytest.fixture
def no_allocation(monkeypatch):
    """Fail the test if the engine or the CRN allocate result arrays or draw a block."""

    def boom(*args, **kwargs):
        raise AssertionError("allocated before checking the budget")

    monkeypatch.setattr(engine, "_run", boom)
    monkeypatch.setattr("alignlib.simulation.crn.blocks", boom)


def test_bytes_per_trial_counts_the_arrays_the_engine_keeps(model):
    # 6 int32 stage counts + float64 revenue + the summaries' working copy
    assert result_bytes_per_trial(model) == 6 * 4 + 8 + 24
    lagged = build_model(
        leads=LeadVolume.poisson(800),
        stages=STAGES,
        rates=COUNT_RATES,
        deal_size=(20_000, 9_000),
        lags=LAGS,
        lead_window_start=-30,
        carry_in=True,
    )
    # + won_in (int32), revenue_after, revenue_before (float64), carried-in wins (int32)
    assert result_bytes_per_trial(lagged) == 6 * 4 + 8 + 4 + 8 + 8 + 4 + 24
    result = simulate_funnel(lagged, trials=1000, seed=1)
    kept = sum(
        a.nbytes
        for a in (
            result.stage_counts,
            result.revenue,
            result.won_in_quarter,
            result.won_carried_in,
            result.revenue_after,
            result.revenue_before,
        )
    )
    assert kept == (result_bytes_per_trial(lagged) - 24) * 1000


def test_crn_bytes_cover_what_the_draw_keeps(model):
    crn = CommonRandomNumbers.draw(model, 2000, 1)
    kept = sum(
        a.nbytes
        for a in (crn.rate_draws, crn.u_won, crn.u_before, crn.u_quarter, crn.deal_path, crn.z_deal)
        if a is not None
    )
    assert kept <= crn_bytes_per_trial(model) * 2000 <= 4 * kept


@pytest.mark.parametrize("trials", [100_000_000, 10**12])
def test_simulate_refuses_trials_over_the_budget_before_allocating(model, no_allocation, trials):
    with pytest.raises(InputError) as err:
        simulate_funnel(model, trials=trials, seed=1, memory_gb=0.5)
    msg = str(err.value)
    need = trials * result_bytes_per_trial(model)
    assert f"{trials:,} trials need about {size_text(need)} of result arrays" in msg
    assert "the limit is 500 MB" in msg and ENV_VAR in msg and "use fewer trials" in msg


def test_the_environment_variable_sets_the_budget(model, no_allocation, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "0.001")
    with pytest.raises(InputError, match=r"200,000 trials need about 11 MB .* limit is 1 MB"):
        simulate_funnel(model, trials=200_000, seed=1)


@pytest.mark.parametrize("entry", [plan_for_confidence, sensitivity])
def test_plan_and_sensitivity_refuse_common_random_numbers_over_the_budget(
    model, no_allocation, entry
):
    with pytest.raises(InputError, match=r"common random numbers.*limit is 1 MB") as err:
        entry(model, target=1_000_000, trials=1_000_000, seed=1, memory_gb=0.001)
    assert entry.__name__ in str(err.value)


def test_a_run_within_the_budget_gives_the_same_numbers(model):
    a = simulate_funnel(model, trials=3000, seed=5)
    b = simulate_funnel(model, trials=3000, seed=5, memory_gb=1)
    np.testing.assert_array_equal(a.revenue, b.revenue)


def test_budget_sources_and_bad_values(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    default = memory_budget()
    assert 0 < default <= MAX_DEFAULT_BUDGET_GB * 1e9
    assert memory_budget(2) == 2_000_000_000
    monkeypatch.setenv(ENV_VAR, "3")
    assert memory_budget() == 3_000_000_000
    assert memory_budget(1.5) == 1_500_000_000  # the argument wins over the environment
    for bad in ("abc", "-1", "0", "inf", "nan"):
        monkeypatch.setenv(ENV_VAR, bad)
        with pytest.raises(InputError, match=ENV_VAR):
            memory_budget()
    monkeypatch.delenv(ENV_VAR)
    for bad in (0, -2, float("inf"), "x", True):
        with pytest.raises(InputError, match="memory_gb"):
            memory_budget(bad)


def test_size_text():
    assert size_text(7.2e9) == "7.2 GB"
    assert size_text(3.5e8) == "350 MB"
    assert size_text(12_000) == "12 kB"
