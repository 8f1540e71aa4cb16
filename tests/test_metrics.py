"""Metrics against values computed by hand from tests/fixtures/crm/hubspot_small.csv.

Accepted contacts (id: created, stages reached):
101 Jan lead; 102 Jan mql (recycled); 103 Jan sal; 104 Jan won; 114 Jan won (Evangelist);
105 Feb won (skipped SAL/SQL); 106 Feb lost; 107 Mar open opportunity; 108 Mar subscriber;
109 Mar mql (lifecycle only).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alignlib import crm, metrics
from alignlib.errors import InputError

FIX = Path(__file__).parent / "fixtures" / "crm"
AS_OF = pd.Timestamp("2026-04-20")


@pytest.fixture(scope="module")
def table():
    return crm.load_hubspot(
        FIX / "hubspot_small.csv", stage_mapping={"Sales Accepted Lead": "sal"}
    ).table


@pytest.fixture(scope="module")
def spend():
    return crm.load_spend(FIX / "spend_small.csv")


def test_funnel(table):
    f = metrics.funnel(table)
    assert f["reached"].tolist() == [9, 8, 6, 5, 5, 3]
    assert f.loc["mql", "conversion_to_next"] == pytest.approx(6 / 8)
    assert f.loc["won", "conversion_from_top"] == pytest.approx(3 / 9)
    assert math.isnan(f.loc["won", "conversion_to_next"])


def test_stage_volumes_and_period_conversion(table):
    v = metrics.stage_volumes(table)
    assert v.loc[pd.Period("2026-01"), "lead"] == 5  # 101, 102, 103, 104, 114
    assert v.loc[pd.Period("2026-02"), "lead"] == 2
    assert v.loc[pd.Period("2026-01"), "mql"] == 4  # 102, 103, 104, 114
    assert v["won"].to_dict() == {
        pd.Period("2026-01"): 0,
        pd.Period("2026-02"): 1,
        pd.Period("2026-03"): 1,
        pd.Period("2026-04"): 1,
    }
    pc = metrics.period_conversion(table)
    assert pc.loc[pd.Period("2026-01"), "lead_to_mql"] == pytest.approx(4 / 5)
    assert math.isnan(pc.loc[pd.Period("2026-04"), "lead_to_mql"])  # no leads in April
    by = metrics.stage_volumes(table, by="channel")
    assert by.loc[(pd.Period("2026-01"), "referral"), "lead"] == 2


def test_cohort_conversion_flags_maturing_cohorts(table):
    cc = metrics.cohort_conversion(table, AS_OF)
    # Creation -> won: 39, 68 and 77.125 days; P90 (linear) = 68 + 0.8 * 9.125.
    assert cc.maturity_days == pytest.approx(75.3)
    f = cc.frame
    jan, feb, mar = (pd.Period(m) for m in ("2026-01", "2026-02", "2026-03"))
    assert f.loc[jan, ["lead", "mql", "sal", "sql", "opportunity", "won"]].tolist() == [
        5,
        4,
        3,
        2,
        2,
        2,
    ]
    assert f.loc[feb, "won"] == 1 and f.loc[mar, "lead"] == 2
    assert f.loc[jan, "lead_to_won"] == pytest.approx(2 / 5)
    assert f.loc[jan, "age_days"] == 79
    assert f["maturing"].tolist() == [False, True, True]
    assert cc.curve["share"].iloc[-1] == 1.0
    assert cc.curve.loc[cc.curve["days"] == 40, "share"].item() == pytest.approx(1 / 3)


def test_historical_counts_use_matured_cohorts_only(table):
    assert metrics.historical_counts(table, AS_OF) == {
        "lead": (4, 5),
        "mql": (3, 4),
        "sal": (2, 3),
        "sql": (2, 2),
        "opportunity": (2, 2),
    }
    # Everything matured: all cohorts count.
    h = metrics.historical_counts(table, AS_OF, maturity_days=0)
    assert h["lead"] == (8, 9) and h["opportunity"] == (3, 5)


def test_no_conversions_means_everything_is_maturing(table):
    none_won = table.assign(entered_won=pd.NaT, reached_won=False)
    cc = metrics.cohort_conversion(none_won, AS_OF)
    assert math.isnan(cc.maturity_days) and cc.frame["maturing"].all()
    assert metrics.historical_counts(none_won, AS_OF) == {}


def test_velocity(table):
    v = metrics.velocity(table)
    row = v.summary.loc["lead_to_mql"]
    # 102: 4 d, 103: 2, 104: 0.125, 105: 1, 106: 2, 107: 1, 114: 1
    assert row["n"] == 7
    assert row["median"] == pytest.approx(1.0)
    assert row["p90"] == pytest.approx(2.8)
    assert row["mean"] == pytest.approx(11.125 / 7)
    assert v.summary.loc["lead_to_won", "n"] == 3
    by = v.by_group.loc[("lead_to_mql", "referral")]
    assert by["n"] == 3 and by["median"] == pytest.approx(1.0)  # 104 (0.125), 107, 114
    assert set(v.distribution.columns) == {"transition", "channel", "days"}


def test_costs(table, spend):
    c = metrics.costs(table, spend)
    ch = c.by_channel
    assert ch.loc["paid_search", "spend"] == 1800 and ch.loc["paid_search", "lead"] == 3
    assert ch.loc["paid_search", "cost_per_lead"] == pytest.approx(600)
    assert ch.loc["referral", "cost_per_lead"] == pytest.approx(800 / 3)
    assert ch.loc["referral", "won"] == 2 and ch.loc["referral", "cac"] == pytest.approx(400)
    assert math.isnan(ch.loc["paid_search", "cac"])  # 105 won in April: outside the spend months
    assert ch.loc["paid_social", "cost_per_lead"] == 0  # leads with no spend recorded
    assert c.total["cost_per_lead"] == pytest.approx(2800 / 9)
    assert c.total["cost_per_mql"] == pytest.approx(400)
    assert c.total["cac"] == pytest.approx(1400)
    m = c.by_month.loc[(pd.Period("2026-01"), "paid_search")]
    assert m["lead"] == 2 and m["cost_per_lead"] == pytest.approx(500)


def test_won_lost(table):
    wl = metrics.won_lost(table)
    opp = wl.by_stage.loc["opportunity"]
    assert (opp["won"], opp["lost"], opp["open"]) == (3, 1, 1)
    assert opp["win_rate"] == pytest.approx(0.75)
    assert wl.by_stage.loc["lead", "no_opportunity"] == 4
    assert wl.by_stage.loc["mql", "won_per_reached"] == pytest.approx(3 / 8)
    g = wl.by_group
    assert g.loc["referral", ["opportunities", "won", "lost", "open"]].tolist() == [3, 2, 0, 1]
    assert g.loc["referral", "avg_won_deal"] == pytest.approx(20000)
    assert g.loc["paid_social", "win_rate"] == 0
    assert math.isnan(g.loc["content_seo", "win_rate"])


def test_trends(table):
    tr = metrics.trends(table, AS_OF)
    assert tr.partial_month == pd.Period("2026-04")
    assert tr.monthly.index.max() == pd.Period("2026-03")
    assert tr.mom.loc[pd.Period("2026-02"), "lead"] == pytest.approx(-0.6)
    assert tr.mom.loc[pd.Period("2026-03"), "lead"] == 0
    assert tr.rolling3.loc[pd.Period("2026-03"), "lead"] == pytest.approx(3.0)
    assert tr.quarterly.loc[pd.Period("2026Q1"), "lead"] == 9
    assert bool(tr.quarterly.loc[pd.Period("2026Q1"), "complete"])
    assert tr.yoy.isna().all().all()  # less than a year of history
    # Month-end as_of: the month counts as complete.
    assert metrics.trends(table, "2026-04-30").partial_month is None


def test_trends_yoy_and_qoq_on_the_sample_truth():
    from alignlib.sample import simulate_contacts

    t = simulate_contacts(5, scale=0.3)
    t = t.assign(**{f"reached_{s}": t[f"entered_{s}"].notna() for s in metrics.stages_of(t)})
    tr = metrics.trends(t, "2026-11-20")
    v = tr.monthly["lead"]
    expected = (v[pd.Period("2026-09")] - v[pd.Period("2025-09")]) / v[pd.Period("2025-09")]
    assert tr.yoy.loc[pd.Period("2026-09"), "lead"] == pytest.approx(expected)
    q = tr.quarterly["lead"]
    assert tr.qoq.loc[pd.Period("2026Q3"), "lead"] == pytest.approx(q["2026Q3"] / q["2026Q2"] - 1)
    assert pd.Period("2026Q4") not in tr.qoq.index  # incomplete quarter


def test_forecast_matches_statsmodels_directly():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    idx = pd.period_range("2024-01", periods=30, freq="M")
    rng = np.random.default_rng(3)
    y = pd.Series(
        1000 + 20 * np.arange(30) + 80 * np.sin(np.arange(30) * np.pi / 6) + rng.normal(0, 20, 30),
        index=idx,
    )
    frame, paths, method = metrics.forecast_series(
        y, 3, confidence=0.8, rng=np.random.default_rng(1)
    )
    ts = pd.Series(y.to_numpy(), index=idx.to_timestamp()).asfreq("MS")
    fit = ETSModel(
        ts,
        error="add",
        trend="add",
        damped_trend=True,
        seasonal="add",
        seasonal_periods=12,
        initialization_method="heuristic",
    ).fit(disp=False)
    ref = fit.get_prediction(start=30, end=32).summary_frame(alpha=0.2)
    np.testing.assert_allclose(frame["forecast"], ref["mean"], rtol=1e-6)
    np.testing.assert_allclose(frame["lower"], ref["pi_lower"], rtol=1e-6)
    assert paths.shape == (3, 2000) and "seasonal" in method
    assert (frame["lower"] <= frame["forecast"]).all() and (
        frame["forecast"] <= frame["upper"]
    ).all()


def test_forecast_short_history_falls_back_to_mean():
    y = pd.Series([10.0, 12, 11], index=pd.period_range("2026-01", periods=3, freq="M"))
    frame, _paths, method = metrics.forecast_series(y, 2)
    assert frame["forecast"].tolist() == [11.0, 11.0] and "too little history" in method
    with pytest.raises(InputError):
        metrics.forecast_series(y, 0)


def test_forecast_volumes_quarter(table):
    f = metrics.forecast_volumes(table, AS_OF, quarter="2026Q2")
    assert f.target_quarter == pd.Period("2026Q2")
    assert list(f.monthly.loc["lead"].index) == list(
        pd.period_range("2026-04", "2026-06", freq="M")
    )
    q = f.quarter.loc["lead"]
    assert q["lower"] <= q["forecast"] <= q["upper"]
    with pytest.raises(InputError, match="already complete"):
        metrics.forecast_volumes(table, AS_OF, quarter="2025Q4")


def test_sla(table):
    s = metrics.sla(table, AS_OF, 4, acceptance_hours=48)
    sm = s.summary
    # Hand-offs with an MQL date: 102 (2 h), 103 (6 h), 104 (1 h), 105 (2 h), 106 (1 h),
    # 107 (no response: breach), 114 (1 h).
    assert sm["handoffs"] == 7 and sm["responded"] == 6
    assert sm["median_hours"] == pytest.approx(1.5)
    assert sm["p90_hours"] == pytest.approx(4.0)
    assert sm["compliance"] == pytest.approx(5 / 7)
    assert sm["acceptance_rate"] == pytest.approx(6 / 7)  # 102 went back to nurture
    assert sm["recycle_rate"] == pytest.approx(1 / 7)
    assert sm["accepted_within"] == pytest.approx(2 / 3)  # 103 24 h, 104 24 h, 106 72 h
    own = s.by_owner
    assert own.loc["Rep One", "compliance"] == 1.0 and own.loc["Rep One", "handoffs"] == 4
    assert own.loc["Rep Two", "compliance"] == pytest.approx(1 / 3)
    assert s.by_month.loc[pd.Period("2026-01"), "handoffs"] == 4


def test_sla_open_window_is_not_a_breach(table):
    # At 2026-03-02 10:00, 107's MQL is an hour old: not yet breached, so not counted.
    s = metrics.sla(table, "2026-03-02 10:00", 4)
    assert s.summary["handoffs"] == 6
    with pytest.raises(InputError):
        metrics.sla(table, AS_OF, 0)


def test_sla_empty_table(table):
    s = metrics.sla(table.iloc[0:0], AS_OF, 4)
    assert s.summary["handoffs"] == 0 and math.isnan(s.summary["compliance"])


def test_actual_to_plan(table):
    months = pd.period_range("2026-01", "2026-03", freq="M")
    plan = pd.DataFrame({"lead": [4, 4, 4], "mql": [3, 3, 3], "won": [1, 1, 1]}, index=months)
    a = metrics.actual_to_plan(table, plan, "2026-03-16")
    s = a.summary
    elapsed = 16 / 31
    assert s.loc["lead", "plan_to_date"] == pytest.approx(8 + 4 * elapsed)
    assert s.loc["lead", "actual_to_date"] == 9  # 5 + 2 + 2 (107 on 3/1, 109 on 3/10)
    assert s.loc["lead", "pacing"] == pytest.approx(9 / (8 + 4 * elapsed))
    assert s.loc["lead", "projected"] == pytest.approx(12 * 9 / (8 + 4 * elapsed))
    assert s.loc["won", "actual_to_date"] == 1  # 114 in Feb; 104 closes after as_of
    assert s.loc["won", "variance_to_date"] == pytest.approx(1 - (2 + elapsed))
    m = a.monthly.loc[(pd.Period("2026-01"), "lead")]
    assert (m["plan"], m["actual"], m["variance"]) == (4, 5, 1)
    assert m["attainment"] == pytest.approx(1.25) and bool(m["complete"])
    # Before the plan window: no pacing, projection = plan.
    early = metrics.actual_to_plan(table, plan, "2025-12-01").summary
    assert math.isnan(early.loc["lead", "pacing"]) and early.loc["lead", "projected"] == 12
    with pytest.raises(InputError, match="no stage columns"):
        metrics.actual_to_plan(table, plan.rename(columns=str.upper), "2026-03-16")


def test_actual_to_plan_against_the_lead_plan():
    from alignlib.params import load_params
    from alignlib.paths import DEFAULT_PARAMS
    from alignlib.planning import build_plan

    p = load_params(DEFAULT_PARAMS)
    plan = build_plan(p)
    monthly = getattr(plan, "monthly", None)
    if not isinstance(monthly, pd.DataFrame):
        pytest.skip("plan.monthly is not a DataFrame yet")
    t = crm.load_actuals(p).table
    a = metrics.actual_to_plan(t, monthly, "2026-11-20")
    assert set(a.summary.index) <= set(p.stage_names)
    assert (a.summary["actual_to_date"] >= 0).all()


def test_summarise_on_sample_has_no_personal_data():
    from alignlib.paths import SAMPLE_DIR

    path = SAMPLE_DIR / "hubspot_contacts.csv"
    r = crm.load_hubspot(path, stage_mapping={"Sales Accepted Lead": "sal"})
    out = metrics.summarise(
        r.table,
        "2026-11-20",
        spend=crm.load_spend(SAMPLE_DIR / "marketing_spend.csv"),
        acceptance_hours=48,
    )
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["Email", "Last Name"])
    text = []
    for v in out.values():
        if isinstance(v, pd.DataFrame):
            text.append(v.to_csv())
        elif hasattr(v, "to_dict"):
            text.append(json.dumps(v.to_dict(), default=str))
        else:
            text.append(json.dumps(v, default=str))
    blob = "\n".join(text)
    assert "@example.com" not in blob
    last_names = set(raw["Last Name"])
    assert not [n for n in last_names if f",{n}," in blob or f'"{n}"' in blob]
    # The sample's implied rates are those data/sample/README.md states.
    h = out["historical_counts"]
    assert h["lead"][0] / h["lead"][1] == pytest.approx(0.305, abs=0.02)
    assert h["opportunity"][0] / h["opportunity"][1] == pytest.approx(0.29, abs=0.04)


def test_bad_table_is_an_input_error():
    with pytest.raises(InputError, match="entered_"):
        metrics.funnel(pd.DataFrame({"x": [1]}))


# ----------------------------------------------------------------------------- fast paths
# summarise shares work between metrics and several metrics use numpy/pyarrow in place
# of pandas expressions; these pin the results to the plain ones.


def _assert_same(a, b, path="result"):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=path)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True, obj=path)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _assert_same(a[k], b[k], f"{path}.{k}")
    elif hasattr(a, "__dataclass_fields__"):
        for k in a.__dataclass_fields__:
            _assert_same(getattr(a, k), getattr(b, k), f"{path}.{k}")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), path
    else:
        assert a == b, path


def test_summarise_equals_each_metric_on_its_own():
    from alignlib.paths import SAMPLE_DIR

    t = crm.load_hubspot(
        SAMPLE_DIR / "hubspot_contacts.csv", stage_mapping={"Sales Accepted Lead": "sal"}
    ).table
    spend = crm.load_spend(SAMPLE_DIR / "marketing_spend.csv")
    plan = pd.DataFrame(
        {"lead": [4000.0, 4200.0, 4400.0], "won": [40.0, 42.0, 44.0]},
        index=pd.period_range("2026-10", periods=3, freq="M"),
    )
    as_of = "2026-11-20"
    together = metrics.summarise(
        t, as_of, spend=spend, sla_hours=4, acceptance_hours=48, plan_monthly=plan
    )
    alone = {
        "funnel": metrics.funnel(t),
        "period_conversion": metrics.period_conversion(t),
        "cohort_conversion": metrics.cohort_conversion(t, as_of),
        "historical_counts": metrics.historical_counts(t, as_of),
        "velocity": metrics.velocity(t),
        "won_lost": metrics.won_lost(t),
        "trends": metrics.trends(t, as_of),
        "forecast": metrics.forecast_volumes(t, as_of),
        "sla": metrics.sla(t, as_of, 4, acceptance_hours=48),
        "costs": metrics.costs(t, spend),
        "actual_to_plan": metrics.actual_to_plan(t, plan, as_of),
    }
    _assert_same(dict(together), alone)


def test_group_codes_and_outcomes_match_pandas(table):
    for col in ("channel", "owner", "outcome", "stage"):
        fast = metrics._groups(table, col)
        plain = pd.Categorical(table[col].astype("str").fillna("(none)"))
        assert list(fast.categories) == list(plain.categories)
        assert (fast.codes == plain.codes).all()
    kinds = ("won", "lost", "open", "none")
    text = table["outcome"].fillna("none").astype("str")
    expected = [kinds.index(v) if v in kinds else 4 for v in text]
    assert metrics._outcome_kinds(table["outcome"], kinds).tolist() == expected
    odd = pd.Series(["won", None, "(none)", "none", "x"], dtype="str")
    assert metrics._outcome_kinds(odd, kinds).tolist() == [0, 3, 4, 3, 4]


def test_time_to_convert_and_month_codes_match_pandas(table):
    days = (table["entered_won"] - table["created"]).dt.total_seconds() / 86400
    pd.testing.assert_series_equal(
        metrics.time_to_convert(table), days.dropna().clip(lower=0), check_exact=True
    )
    dates = pd.Series(
        [pd.Timestamp("1970-01-01"), pd.Timestamp("2024-02-29 12:00"), pd.NaT]
        + [pd.Timestamp("2100-12-31 23:59")],
        dtype="datetime64[s]",
    )
    expected = [0, 649, -1, 1571]  # months since 1970-01; -1 for a missing date
    assert metrics._month_codes_of(dates.to_numpy()).tolist() == expected


def test_group_median_and_quantile_match_pandas_groupby_exactly():
    rng = np.random.default_rng(5)
    for size, k in ((1, 1), (2, 3), (7, 2), (500, 9), (20_000, 40)):
        codes = rng.integers(0, k, size)
        values = np.round(rng.gamma(1.5, 30.0, size), rng.integers(0, 4))  # ties too
        values[rng.random(size) < 0.2] = np.nan
        n, median, p90 = metrics._group_median_quantile(codes, values, k, 0.9)
        g = pd.Series(values).groupby(codes)
        present = np.unique(codes)
        assert n[present].tolist() == g.count().tolist()
        np.testing.assert_array_equal(median[present], g.median().to_numpy())
        np.testing.assert_array_equal(p90[present], g.quantile(0.9).to_numpy())
        assert np.isnan(median[np.setdiff1d(np.arange(k), present)]).all()


@pytest.mark.parametrize("as_of", ["2026-01-31", "2026-02-01", "2026-03-15", "2026-04-30"])
def test_actual_to_plan_counts_entries_up_to_the_as_of_day(table, as_of):
    plan = pd.DataFrame(
        {"lead": [5.0, 5.0, 5.0, 5.0], "won": [1.0, 1.0, 1.0, 1.0]},
        index=pd.period_range("2026-01", periods=4, freq="M"),
    )
    a = metrics.actual_to_plan(table, plan, as_of)
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    cur = pd.Timestamp(as_of).to_period("M")
    for s in ("lead", "won"):
        d = table[f"entered_{s}"]
        d = d[d < cutoff]
        by_month = d.dt.to_period("M").value_counts()
        for m in plan.index:
            expected = int(by_month.get(m, 0)) if m <= cur else 0
            assert a.monthly.loc[(m, s), "actual"] == expected, (as_of, m, s)


@pytest.mark.parametrize("sla_hours", [0.001, 4, 4.5, 48, 10_000])
@pytest.mark.parametrize("as_of", ["2026-01-09 13:00", "2026-01-09 15:00:00.5", "2026-04-20"])
def test_sla_window_matches_timestamp_arithmetic(table, sla_hours, as_of):
    start = table["entered_mql"]
    answered = table["first_response"].notna()
    window_over = start + pd.Timedelta(hours=sla_hours) <= pd.Timestamp(as_of)
    expected = int((start.notna() & (answered | window_over)).sum())
    assert metrics.sla(table, as_of, sla_hours).summary["handoffs"] == expected
