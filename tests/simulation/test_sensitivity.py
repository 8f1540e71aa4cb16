"""Sensitivity: ranking by uncertainty, relative swings, stable table columns."""

from __future__ import annotations

import json
import math

from alignlib.simulation import LeadVolume, sensitivity
from tests.simulation._simulation_helpers import FIXED_RATES, STAGES

# --------------------------------------------------------------------------- sensitivity


def test_sensitivity_ranks_the_least_certain_rate_first():
    # same rates, but one measured on 40 deals and the others on thousands
    rates = [(3000, 10000), (6000, 10000), (2500, 5000), (20, 40), (2500, 10000)]
    p = math.prod((1 + c) / (2 + t) for c, t in rates)
    leads = 20_000
    target = leads * p * 10_000 * 0.97
    res = sensitivity(
        target=target,
        leads=leads,
        stages=STAGES,
        rates=rates,
        deal_size=10_000.0,
        trials=20_000,
        seed=4,
    )
    table = res.to_frame()
    assert len(table) == len(rates) + 2
    rate_rows = table[table["kind"] == "conversion_rate"]
    assert rate_rows.index[0] == "conversion sql→opportunity"
    assert (table["p_hit_high"] >= table["p_hit_low"]).all()  # monotone on common randomness
    assert table["effect"].abs().is_monotonic_decreasing
    assert (
        ((table[["p_hit_low", "p_hit_high"]] >= 0) & (table[["p_hit_low", "p_hit_high"]] <= 1))
        .all()
        .all()
    )
    assert 0 < res.base_p_hit < 1
    json.dumps(res.to_dict())


def test_relative_swings_of_rates_move_p_hit_alike():
    res = sensitivity(
        target=2_250_000.0,
        leads=LeadVolume.poisson(20_000),
        stages=STAGES,
        rates=FIXED_RATES,
        deal_size=10_000.0,
        method="relative",
        trials=20_000,
        seed=4,
    )
    effects = res.to_frame().query("kind == 'conversion_rate'")["effect"]
    assert effects.max() - effects.min() < 1e-12 and effects.max() > 0.1


def test_sensitivity_table_columns_do_not_depend_on_the_ranking():
    kwargs = dict(stages=["lead", "won"], deal_size=1_000.0, trials=4_000, seed=1)
    by_rate = sensitivity(target=20_000, leads=200, rates=[(10, 100)], **kwargs).to_frame()
    by_volume = sensitivity(target=20_000, leads=200, rates=[0.1], **kwargs).to_frame()
    assert list(by_rate.columns) == list(by_volume.columns)
    assert list(by_rate.columns[:5]) == ["kind", "stage", "low_value", "base_value", "high_value"]
