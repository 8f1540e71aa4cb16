"""What the actuals teach, checked against a generator whose truth is known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignlib.errors import InputError
from alignlib.history import funnel as history
from alignlib.synthetic import SyntheticFunnel, stage_names_of, synthetic_table

AS_OF = "2025-12-20"


def _funnel(stages=("lead", "mql", "won"), rates=(0.3, 0.2), lags=(10.0, 40.0), **kw):
    return SyntheticFunnel(tuple(stages), tuple(rates), tuple(lags), **kw)


def test_learned_rates_lags_and_deal_size_match_the_truth():
    funnel = _funnel(monthly_leads=2_000, deal_size=25_000, deal_cv=0.4, lag_cv=0.5)
    table = synthetic_table(funnel, start="2024-01-01", months=24, as_of=AS_OF, seed=3)
    learned = history.learn(table, AS_OF, funnel.stage_names)
    for stage, true_rate in zip(funnel.stage_names[:-1], funnel.rates, strict=True):
        converted, total = learned.rates[stage]
        se = math.sqrt(true_rate * (1 - true_rate) / total)
        assert abs(converted / total - true_rate) < 4 * se, stage
    for stage, true_lag in zip(funnel.stage_names[:-1], funnel.lag_days, strict=True):
        lag = learned.lags[stage]
        true_sd = funnel.lag_cv * true_lag
        assert abs(lag.typical - true_lag) < 4 * true_sd / math.sqrt(lag.n), stage
        assert lag.spread == pytest.approx(true_sd, rel=0.1)
    deal = learned.deal_size
    assert deal is not None
    assert abs(deal.mean - 25_000) < 4 * 25_000 * 0.4 / math.sqrt(deal.n)
    month_end = table["created"].dt.to_period("M").dt.to_timestamp(how="end").dt.normalize()
    matured = (pd.Timestamp(AS_OF) - month_end).dt.days >= learned.maturity_days
    assert learned.contacts == int(matured.sum())
    assert learned.rates[funnel.stage_names[0]][1] == learned.contacts


def test_volume_variation_recovers_the_generator_cv():
    funnel = _funnel(
        stages=("lead", "won"), rates=(0.1,), lags=(5.0,), monthly_leads=10_000, volume_cv=0.15
    )
    estimates = []
    for seed in range(6):
        table = synthetic_table(
            funnel, start="2023-07-01", months=24, as_of="2025-07-15", seed=seed
        )
        cv = history.learn(table, "2025-07-15", funnel.stage_names).volume_cv
        assert cv is not None
        estimates.append(cv)
    # Poisson noise at 10k leads a month is 1%: the estimate is the gamma variation.
    # The sd of a sample sd from ~22 months is about cv / sqrt(2 * 21); over six runs the
    # mean's error is that / sqrt(6).
    se = 0.15 / math.sqrt(2 * 21) / math.sqrt(6)
    assert abs(np.mean(estimates) - 0.15) < 4 * se + 0.01


def test_poisson_volume_has_small_variation():
    funnel = _funnel(monthly_leads=10_000)
    table = synthetic_table(funnel, start="2024-01-01", months=20, as_of="2025-09-10", seed=1)
    cv = history.learn(table, "2025-09-10", funnel.stage_names).volume_cv
    assert cv is not None and cv < 0.03


def test_monthly_volume_skips_the_current_and_a_partial_first_month():
    funnel = _funnel(monthly_leads=300)
    table = synthetic_table(funnel, start="2025-01-01", months=6, as_of="2025-06-15", seed=2)
    table = table.loc[table["created"] >= "2025-01-10"]
    volume = history.monthly_volume(table, pd.Timestamp("2025-06-15"), "lead")
    assert list(volume.index.astype(str)) == ["2025-02", "2025-03", "2025-04", "2025-05"]
    assert volume.sum() == int(
        ((table["created"] >= "2025-02-01") & (table["created"] < "2025-06-01")).sum()
    )


def test_nothing_matured_learns_no_rates_not_zero_rates():
    funnel = _funnel(lags=(60.0, 90.0))
    table = synthetic_table(funnel, start="2025-11-01", months=1, as_of="2025-11-30", seed=0)
    learned = history.learn(table, "2025-11-30", funnel.stage_names)
    assert learned.rates == {}
    assert learned.volume_cv is None
    with pytest.raises(InputError, match="no conversion rate out of lead, mql"):
        history.require_rates(learned, ["lead", "mql"])


def test_no_won_amounts_means_no_deal_size():
    funnel = _funnel()
    table = synthetic_table(funnel, start="2024-01-01", months=12, as_of="2024-12-20", seed=0)
    table["amount"] = np.nan
    assert history.learn(table, "2024-12-20", funnel.stage_names).deal_size is None


def test_table_as_of_sees_only_what_was_known_then():
    funnel = _funnel(stages=("lead", "mql", "sql", "won"), rates=(0.4, 0.5, 0.3), lags=(5, 10, 30))
    table = synthetic_table(funnel, start="2024-01-01", months=18, as_of="2025-06-30", seed=4)
    cut = pd.Timestamp("2025-01-01")
    past = history.table_as_of(table, cut, funnel.stage_names)
    assert (past["created"] < cut).all()
    for s in funnel.stage_names:
        assert not (past[f"entered_{s}"] >= cut).any()
        assert past[f"reached_{s}"].to_numpy().sum() <= table[f"reached_{s}"].to_numpy().sum()
    assert not (past["close_date"] >= cut).any()
    assert set(past["outcome"].dropna()) <= {"won", "lost", "open"}
    # Deals closed after the cut are open again, so more are open than in the full table.
    full_open = (table.loc[table["created"] < cut, "outcome"] == "open").sum()
    assert (past["outcome"] == "open").sum() >= full_open
    # Learning from the past table equals learning from the full table cut the same way.
    learned = history.learn(past, cut, funnel.stage_names)
    assert learned.as_of == cut
    assert set(learned.rates) <= set(funnel.stage_names[:-1])


@settings(max_examples=15, deadline=None)
@given(
    stages=st.integers(min_value=2, max_value=8),
    seed=st.integers(min_value=0, max_value=10_000),
    months=st.integers(min_value=1, max_value=14),
)
def test_any_funnel_shape_learns_rates_within_zero_and_one(stages, seed, months):
    rng = np.random.default_rng(seed)
    names = stage_names_of(stages)
    funnel = SyntheticFunnel(
        names,
        tuple(rng.uniform(0.2, 0.9, stages - 1)),
        tuple(rng.uniform(0.0, 20.0, stages - 1)),
        monthly_leads=200,
    )
    as_of = pd.Period("2024-01", "M") + months
    table = synthetic_table(
        funnel, start="2024-01-01", months=months, as_of=as_of.start_time, seed=seed
    )
    learned = history.learn(table, as_of.start_time, names)
    for converted, total in learned.rates.values():
        assert 0 <= converted <= total
    for lag in learned.lags.values():
        assert lag.typical >= 0 and lag.spread >= 0 and lag.n > 0
    assert learned.to_dict()["stages"] == list(names)


def test_outcomes_without_dates_teach_the_rate_from_every_contact(tmp_path):
    """Issue 20: a lead file whose 0/1 Converted column is the outcome, with no date for it:
    no cohort can be judged mature, so the rate (won / every lead) is learned from all."""
    import numpy as np

    from alignlib import crm
    from alignlib.history.funnel import learn

    rng = np.random.default_rng(4)
    n = 300
    converted = (rng.random(n) < 0.385).astype(int)
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    path = tmp_path / "leads.csv"
    pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "created": created.strftime("%Y-%m-%d"),
            "Converted": converted,
        }
    ).to_csv(path, index=False)
    r = crm.load_csv(
        path,
        {"id": "id", "created": "created", "outcome": "Converted"},
        stage_names=("lead", "won"),
        outcome_mapping={"1": "won", "0": "lost"},
    )
    h = learn(r.table, r.as_of, ("lead", "won"))
    assert h.undated and h.rates == {"lead": (int(converted.sum()), n)}
    assert h.contacts == n and "lead" not in h.lags
    assert "outcomes carry no dates" in h.cohorts_note()
    # the same file with won dates: cohorts are judged by maturity again
    dated = tmp_path / "dated.csv"
    frame = pd.read_csv(path)
    frame["won_on"] = np.where(
        converted == 1, (created + pd.Timedelta(days=20)).strftime("%Y-%m-%d"), ""
    )
    frame.to_csv(dated, index=False)
    r2 = crm.load_csv(
        dated,
        {"id": "id", "created": "created", "outcome": "Converted", "close_date": "won_on"},
        stage_names=("lead", "won"),
        outcome_mapping={"1": "won", "0": "lost"},
    )
    h2 = learn(r2.table, r2.as_of, ("lead", "won"))
    assert not h2.undated and h2.lags["lead"].typical == pytest.approx(20.0)
    assert h2.contacts < n  # the youngest cohorts are still maturing
