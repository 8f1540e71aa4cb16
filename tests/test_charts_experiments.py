"""Experiment charts: each returns a titled figure with labelled axes (light checks)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from alignlib import experiments as ex
from alignlib.charts import experiments as charts

EXPORT = Path(__file__).parent / "fixtures" / "experiments" / "routing_export.csv"


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _check(fig):
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title(loc="left")
    assert ax.get_xlabel() and ax.get_ylabel()
    fig.canvas.draw()  # renders without error


def test_posterior_chart_one_curve_per_arm():
    comp = ex.compare_variants((200, 1000), {"a": (240, 1000), "b": (190, 1000)}, stage="sal")
    fig = charts.posterior_chart(comp)
    _check(fig)
    assert len(fig.axes[0].lines) == 3
    assert "SAL->SQL" in fig.axes[0].get_xlabel()


def test_lift_forest_chart_rows_and_srm_mark():
    ok = ex.analyse_experiment(
        {"name": "routing", "stage": "sal", "control": (200, 1000), "variants": {"v": (240, 1000)}}
    )
    bad = ex.analyse_experiment(
        {"name": "broken", "stage": "mql", "control": (500, 5000), "variants": {"v": (600, 5400)}}
    )
    zero = ex.compare_proportions((0, 50), (3, 50))
    fig = charts.lift_forest_chart([ok, bad, zero])
    _check(fig)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    # ids read as words: "routing" -> "Routing", "v" -> "V"
    assert labels[0].startswith("Variant") and labels[-1].startswith("Routing: V")
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "traffic split off plan: do not trust" in texts and "undefined" in texts


def test_funnel_depth_chart_groups_by_later_stage():
    counts = ex.load_experiment_export(EXPORT, "sal")
    depth = ex.funnel_depth(counts.n, counts.reached, "sal")
    fig = charts.funnel_depth_chart(depth)
    _check(fig)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["SAL->SQL", "SAL->Opportunity", "SAL->Won"]


def test_revenue_impact_chart(params_dict, write_params):
    from alignlib.params import load_params

    params = load_params(write_params(params_dict))
    comp = ex.compare_proportions((200, 1000), (240, 1000), stage="sal")
    impact = ex.revenue_impact(params, comp, trials=4000, seed=1)
    fig = charts.revenue_impact_chart(impact)
    _check(fig)
    assert "chance of the target" in fig.axes[0].get_title(loc="left")
