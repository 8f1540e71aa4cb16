from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from alignlib import paths
from alignlib.params import QuarterParams, load_params
from alignlib.params import Scorecard as Thresholds
from alignlib.reports import scorecard as sc
from tests.reports._printable_helpers import two_stage_params, two_stage_table


@pytest.fixture(scope="module")
def sample():
    from alignlib import crm

    params = load_params(paths.DEFAULT_PARAMS)
    ingest = crm.load_actuals(params)
    return params, ingest


# -- small pieces -----------------------------------------------------------------------


def test_last_full_week_is_the_sunday_on_or_before_the_export() -> None:
    assert sc.last_full_week("2026-11-19") == dt.date(2026, 11, 15)  # a Thursday
    assert sc.last_full_week("2026-11-15") == dt.date(2026, 11, 15)  # a Sunday: full
    assert sc.last_full_week(pd.Timestamp("2026-11-16")) == dt.date(2026, 11, 15)


def test_status_thresholds_and_missing_values() -> None:
    t = Thresholds(on_track=0.95, at_risk=0.85)
    assert sc.status_of(96, 100, t) is sc.Status.ON_TRACK
    assert sc.status_of(95, 100, t) is sc.Status.ON_TRACK
    assert sc.status_of(90, 100, t) is sc.Status.AT_RISK
    assert sc.status_of(84.9, 100, t) is sc.Status.BEHIND
    assert sc.status_of(None, 100, t) is sc.Status.NO_DATA
    assert sc.status_of(5, 0, t) is sc.Status.NO_DATA
    assert sc.status_of(float("nan"), 1, t) is sc.Status.NO_DATA


def test_plan_between_spreads_each_month_over_its_days() -> None:
    monthly = pd.Series([310.0, 300.0], index=pd.PeriodIndex(["2026-10", "2026-11"], freq="M"))
    day = pd.Timedelta(days=1)
    oct1 = pd.Timestamp("2026-10-01")
    assert sc.plan_between(monthly, oct1, oct1 + 7 * day) == pytest.approx(70.0)
    # a week across the month boundary: 3 days of October (10/day), 4 of November (10/day)
    assert sc.plan_between(
        monthly, pd.Timestamp("2026-10-29"), pd.Timestamp("2026-11-05")
    ) == pytest.approx(70.0)
    assert sc.plan_between(monthly, oct1, pd.Timestamp("2027-01-01")) == pytest.approx(610.0)
    assert sc.plan_between(monthly, pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01")) == 0


# -- the sample ------------------------------------------------------------------------


def test_sample_scorecard_for_the_last_full_week(sample) -> None:
    params, ingest = sample
    card = sc.build_scorecard(params, ingest.table, ingest.as_of, p_hit=(0.41, 0.5))
    assert card.week_ending == dt.date(2026, 11, 15)
    assert card.week_start == dt.date(2026, 11, 9)
    assert card.has_data and not card.message
    keys = [k.key for k in card.kpis]
    assert keys == list(sc.DEFAULT_KPIS)
    assert len(keys) <= sc.MAX_KPIS
    bookings = card.kpi("bookings")
    assert bookings is not None
    # quarter to date by hand: won from 1 Oct to the end of 15 Nov at their amounts
    t = ingest.table
    won = t["entered_won"].between(pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-16"))
    won &= t["entered_won"] < pd.Timestamp("2026-11-16")
    assert bookings.quarter_to_date == pytest.approx(t.loc[won, "amount"].sum())
    # plan to date: October's 30% in full, 15 of November's 30 days of its 30%
    assert bookings.plan_to_date == pytest.approx(2_400_000 * (0.3 + 0.3 * 15 / 30))
    mqls = card.kpi("handoffs")
    assert mqls is not None and mqls.label == "MQLs"
    week = t["entered_mql"].between(pd.Timestamp("2026-11-09"), pd.Timestamp("2026-11-15 23:59:59"))
    assert mqls.this_week == week.sum()
    p_hit = card.kpi("p_hit")
    assert p_hit is not None and p_hit.plan_to_date == params.simulation.confidence
    assert p_hit.status is sc.Status.BEHIND  # 0.41 / 0.8 is below 0.85
    for k in card.kpis:
        if k.kind == "pct" and k.this_week is not None:
            assert 0 <= k.this_week <= 1
        assert k.status is sc.status_of(k.quarter_to_date, k.plan_to_date, params.scorecard)
    frame = card.to_frame()
    assert list(frame.index) == keys
    assert {"this_week", "last_week", "quarter_to_date", "plan_to_date", "status"} <= set(frame)
    assert card.headline()["week_ending"] == "2026-11-15"


def test_sample_agenda_follows_the_set_topics_and_the_numbers(sample) -> None:
    params, ingest = sample
    from alignlib.experiments import analyse_experiments

    readouts = analyse_experiments(params)
    card = sc.build_scorecard(params, ingest.table, ingest.as_of, readouts=readouts)
    topics = [a.topic for a in card.agenda]
    assert topics == ["Plan and pacing", "Definitions and SLA", "The funnel", "Experiments"]
    text = " ".join(p for a in card.agenda for p in a.points)
    assert "2 experiments running, 0 ready to call." in text
    assert re.search(r"acceptance from .+ (fell|rose) \d+ pts week over week", text)
    assert "hand-offs were answered within 4 hours" in text
    # no P(hit) given: no KPI and no talking point about it
    assert card.kpi("p_hit") is None and "landing forecast" not in text


def test_kpis_picked_and_ordered_by_params(sample) -> None:
    params, ingest = sample
    picked = params.model_copy(
        update={"scorecard": Thresholds(kpis=("compliance", "bookings", "unknown"))}
    )
    card = sc.build_scorecard(picked, ingest.table, ingest.as_of)
    assert [k.key for k in card.kpis] == ["compliance", "bookings"]


def test_a_week_with_no_data_says_so(sample) -> None:
    params, ingest = sample
    card = sc.build_scorecard(params, ingest.table, ingest.as_of, week_ending="2026-12-27")
    assert not card.has_data
    assert "export ends on 19 Nov 2026" in card.message
    assert all(k.this_week is None for k in card.kpis)
    assert card.message in card.agenda[0].points[0]
    html = sc.scorecard_html(card)
    assert "sc-notice" in html and "27 Dec 2026" in html


def test_experiment_status_from_the_sequential_check() -> None:
    def readout(significant: bool, early: bool, trustworthy: bool = True):
        seq = SimpleNamespace(significant=significant, read_early=early)
        return SimpleNamespace(
            trustworthy=trustworthy,
            comparison=SimpleNamespace(results=[SimpleNamespace(sequential=seq)]),
        )

    assert sc.experiment_status(readout(False, True)) == "running"
    assert sc.experiment_status(readout(True, True)) == "ready"
    assert sc.experiment_status(readout(False, False)) == "ready"
    assert sc.experiment_status(readout(True, True, trustworthy=False)) == "check split"


# -- other shapes ------------------------------------------------------------------------


def test_two_stage_funnel_without_sla_or_capacity() -> None:
    params = two_stage_params()
    table = two_stage_table()
    card = sc.build_scorecard(params, table, "2026-05-20")
    assert card.week_ending == dt.date(2026, 5, 17)
    keys = [k.key for k in card.kpis]
    # no acceptance (nothing after the hand-off stage), no compliance (no sla), no P(hit)
    assert keys == ["bookings", "wins", "pipeline", "handoffs"]
    handoffs = card.kpi("handoffs")
    assert handoffs is not None and handoffs.label == "Entered customer"
    assert card.kpi("wins").quarter_to_date == handoffs.quarter_to_date  # the same stage
    sla_points = card.agenda[1].points
    assert any("No SLA in the parameters file" in p for p in sla_points)
    assert any("No experiments" in p for p in card.agenda[3].points)


def test_without_actuals_every_kpi_reads_no_data() -> None:
    card = sc.build_scorecard(two_stage_params(), None, None)
    assert not card.has_data and "No actuals" in card.message
    assert all(k.status is sc.Status.NO_DATA for k in card.kpis)


def test_week_before_the_quarter_has_no_plan_to_date() -> None:
    card = sc.build_scorecard(two_stage_params(), two_stage_table(), "2026-05-20", "2026-03-08")
    bookings = card.kpi("bookings")
    assert bookings is not None and bookings.plan_to_date is None
    assert bookings.status is sc.Status.NO_DATA


def test_html_escapes_labels_and_notes() -> None:
    hostile = "<script>alert(1)</script>"
    params = QuarterParams.model_validate(
        {
            "quarter": "2026Q2",
            "target": {"bookings": 200_000},
            "stages": [
                {"name": "signup", "label": hostile, "owner": "marketing"},
                {"name": "customer", "label": "Customer", "owner": "sales"},
            ],
            "conversion_rates": {"signup": 0.2},
            "deal_size": {"mean": 1_000},
            "channels": {"web": {"label": hostile, "share": 1.0}},
        }
    )
    card = sc.build_scorecard(params, two_stage_table(), "2026-05-20")
    page = sc.scorecard_html(card) + sc.agenda_html(card)
    assert "<script" not in page
    assert "&lt;script&gt;" in page
