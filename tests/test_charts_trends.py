"""Trend charts draw from metrics results without error and label what they show (light)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from alignlib import crm, metrics
from alignlib.charts import trends as charts

FIX = Path(__file__).parent / "fixtures" / "crm"
AS_OF = "2026-04-20"


@pytest.fixture(scope="module")
def table():
    r = crm.load_hubspot(FIX / "hubspot_small.csv", stage_mapping={"Sales Accepted Lead": "sal"})
    return r.table


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _titled(fig: Figure) -> str:
    ax = fig.axes[0]
    return ax.get_title(loc="left") or (fig._suptitle.get_text() if fig._suptitle else "")


def test_every_trend_chart_draws(table):
    stages = metrics.stages_of(table)
    tr = metrics.trends(table, AS_OF)
    cc = metrics.cohort_conversion(table, AS_OF)
    v = metrics.velocity(table)
    c = metrics.costs(table, crm.load_spend(FIX / "spend_small.csv"))
    wl = metrics.won_lost(table)
    s = metrics.sla(table, AS_OF, 4)
    f = metrics.forecast_volumes(table, AS_OF, quarter="2026Q2")
    figures = [
        charts.funnel_chart(metrics.funnel(table)),
        charts.monthly_volume_chart(tr.monthly, stages, partial=tr.partial_month),
        charts.conversion_trend_chart(tr.monthly, tr.rolling3, metrics.transition_names(stages)),
        charts.cohort_chart(cc.frame),
        charts.velocity_chart(v.summary.dropna()),
        charts.channel_chart(c.by_channel, wl.by_group),
        charts.sla_chart(s.by_month, 4),
        charts.forecast_chart(f.history, f.monthly, "lead"),
    ]
    for fig in figures:
        assert isinstance(fig, Figure)
        assert _titled(fig)


def test_cohort_chart_hatches_maturing_cohorts(table):
    cc = metrics.cohort_conversion(table, AS_OF)
    fig = charts.cohort_chart(cc.frame)
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == int(cc.frame["maturing"].sum()) == 2
