"""FunnelModel: validation with clear errors, frozen, consistent under dataclasses.replace."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alignlib.errors import InputError
from alignlib.simulation import (
    DealSize,
    Lag,
    LeadVolume,
    Rate,
    build_model,
    simulate_funnel,
)
from tests.simulation._simulation_helpers import COUNT_RATES, FIXED_RATES, STAGES

# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("rates", "match"),
    [
        ([0.3, (70, 60), 0.5, 0.5, 0.2], r"'mql'.*converted=70 is more than total=60"),
        ([0.3, 0.6, (-1, 60), 0.5, 0.2], r"'sal'.*converted=-1"),
        ([0.3, 0.6, 0.5, (3, -5), 0.2], r"'sql'.*total=-5"),
        ([0.3, 0.6, 0.5, 0.5, 0.0], r"'opportunity'.*rate 0.0 is outside \(0, 1\]"),
        ([1.5, 0.6, 0.5, 0.5, 0.2], r"'lead'.*rate 1.5"),
        ([0.3, 0.6, 0.5, (0, 0), 0.2], r"'sql'.*total=0"),
        ([0.3, 0.6, 0.5, "half", 0.2], r"'sql'.*'half'"),
        ([0.3, 0.6, 0.5, 0.5], r"4 rates for 6 stages"),
    ],
)
def test_bad_rates_name_the_stage_and_value(rates, match):
    with pytest.raises(InputError, match=match):
        simulate_funnel(leads=10, stages=STAGES, rates=rates, deal_size=1.0, trials=10)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"trials": 0}, r"trials: 0"),
        ({"trials": -5}, r"trials: -5"),
        ({"leads": -3}, r"leads: -3"),
        ({"leads": 12.5}, r"leads: 12.5"),
        ({"deal_size": 0}, r"deal_size: mean 0"),
        ({"deal_size": (100, -1)}, r"deal_size spread: -1"),
        ({"seed": -1}, r"seed: -1"),
        ({"lags": [(1, 1)] * 4}, r"4 lags given for 5"),
        ({"lags": {"lead": (1, 1)}}, r"no lag for stage"),
        ({"lags": [(1, 1)] * 4 + [(-2, 1)]}, r"'opportunity'.*-2"),
        ({"workers": 0}, r"workers: 0"),
    ],
)
def test_bad_inputs_raise_clear_errors(change, match):
    kwargs = dict(leads=10, stages=STAGES, rates=FIXED_RATES, deal_size=1.0, trials=10) | change
    with pytest.raises(InputError, match=match):
        simulate_funnel(**kwargs)


def test_lead_volumes_too_large_for_the_counts_are_refused():
    with pytest.raises(InputError, match="too large"):
        LeadVolume.poisson(3e9)
    with pytest.raises(InputError, match="leads: 3000000000"):
        LeadVolume.fixed(3_000_000_000)


# --------------------------------------------------------------------------- the model


def _timed_model(**change):
    kwargs = dict(
        leads=LeadVolume.monthly([1000, 1000, 1500], 60.0),
        stages=STAGES,
        rates=COUNT_RATES,
        deal_size=(20_000, 8_000),
        lags=[(5, 2), (3, 2), (7, 3), (10, 5), (30, 10)],
        quarter_days=92,
        lead_window_start=-55,
        carry_in=True,
    )
    return build_model(**(kwargs | change))


def test_funnel_model_is_frozen_and_hashable():
    model = _timed_model()
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.leads = LeadVolume.fixed(10)  # type: ignore[misc]
    assert hash(model) == hash(_timed_model()) and model == _timed_model()
    assert isinstance(model.rates[0], Rate) and isinstance(model.lags, tuple)


def _timing_of(model):
    return (
        model.in_quarter_probability,
        model.before_quarter_probability,
        model.carry_from_previous,
        model.carry_from_next,
    )


def test_replace_recomputes_derived_timing_as_building_anew():
    base = _timed_model()
    # another lead volume with another number of months: timing per month changes shape
    poisson = LeadVolume.poisson(4000)
    replaced = dataclasses.replace(base, leads=poisson)
    assert _timing_of(replaced) == _timing_of(_timed_model(leads=poisson))
    assert len(replaced.in_quarter_probability) == 1 != len(base.in_quarter_probability)
    # other lags: other probabilities
    lags = [Lag(10, 5), Lag(3, 2), Lag(7, 3), Lag(20, 5), Lag(60, 20)]
    slower = dataclasses.replace(base, lags=tuple(lags))
    assert _timing_of(slower) == _timing_of(_timed_model(lags=lags))
    assert slower.in_quarter_probability != base.in_quarter_probability
    # the simulation of a replaced model is the simulation of the rebuilt one
    deal = DealSize(30_000, 9_000)
    both = dataclasses.replace(base, leads=poisson, deal_size=deal, lags=tuple(lags))
    a = simulate_funnel(both, trials=3000, seed=4)
    b = simulate_funnel(_timed_model(leads=poisson, deal_size=deal, lags=lags), trials=3000, seed=4)
    np.testing.assert_array_equal(a.stage_counts, b.stage_counts)
    np.testing.assert_array_equal(a.revenue, b.revenue)
    np.testing.assert_array_equal(a.won_carried_in, b.won_carried_in)


def test_replace_checks_the_new_values():
    base = _timed_model()
    with pytest.raises(InputError, match="not a LeadVolume"):
        dataclasses.replace(base, leads=5000)
    with pytest.raises(InputError, match="not a DealSize"):
        dataclasses.replace(base, deal_size=20_000)
    with pytest.raises(InputError, match="deal_size: mean"):
        dataclasses.replace(base, deal_size=DealSize(0.0))
    with pytest.raises(InputError, match="4 rates for 6 stages"):
        dataclasses.replace(base, rates=base.rates[:-1])
    with pytest.raises(InputError, match="one Lag per transition"):
        dataclasses.replace(base, lags=base.lags[:-1])
    # without lags there is nothing to carry in
    assert not dataclasses.replace(base, lags=None).carry_in
    assert dataclasses.replace(base, lags=None).in_quarter_probability is None


def test_with_rates_pins_some_rates_and_keeps_the_others():
    base = build_model(leads=100, stages=STAGES, rates=COUNT_RATES, deal_size=1.0)
    changed = base.with_rates({"sal": 0.5, "sql": (3, 10)})
    assert [r.spec for r in changed.rates] == [
        COUNT_RATES[0],
        COUNT_RATES[1],
        0.5,
        (3, 10),
        COUNT_RATES[4],
    ]
    assert changed.with_leads(LeadVolume.fixed(7)).leads == LeadVolume.fixed(7)
    with pytest.raises(InputError, match="unknown from-stage"):
        base.with_rates({"won": 0.5})
    with pytest.raises(InputError, match="'sal'.*rate 1.5"):
        base.with_rates({"sal": 1.5})
    assert [
        r.spec for r in build_model(leads=1, stages=STAGES, rates=FIXED_RATES, deal_size=1).rates
    ] == FIXED_RATES
