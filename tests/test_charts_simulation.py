"""Simulation charts build, with titles and labelled axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from alignlib.charts.simulation import (
    revenue_distribution_chart,
    tornado_chart,
)
from alignlib.simulation import LeadVolume, sensitivity, simulate_funnel

STAGES = ["lead", "mql", "sql", "won"]
RATES = [(300, 1000), (80, 200), (20, 80)]
INPUTS = dict(stages=STAGES, rates=RATES, deal_size=(20_000, 8_000))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _check(fig):
    ax = fig.axes[0]
    assert ax.get_title(loc="left")
    assert ax.get_xlabel() and ax.get_ylabel()
    fig.canvas.draw()  # renders without error


def test_revenue_distribution_states_p_hit_and_marks_the_target():
    res = simulate_funnel(leads=LeadVolume.poisson(2000), trials=5000, seed=1, **INPUTS)
    target = float(res.quantiles()["P50"])
    fig = revenue_distribution_chart(res, target)
    _check(fig)
    assert f"{res.p_hit(target):.0%}" in fig.axes[0].get_title(loc="left")
    assert any(abs(line.get_xdata()[0] - target) < 1e-6 for line in fig.axes[0].lines)


def test_tornado_has_one_row_per_input():
    sens = sensitivity(target=600_000, leads=2000, trials=3000, seed=1, **INPUTS)
    fig = tornado_chart(sens)
    _check(fig)
    assert len(fig.axes[0].get_yticklabels()) == len(RATES) + 2


def test_dollar_signs_in_labels_are_text_not_maths():
    import matplotlib.pyplot as plt

    from alignlib.charts._format import finish, new_figure

    title = "Target $2.4M vs $1.2M booked, channel $\\foo$ {x}_"
    fig, ax = new_figure(title)
    ax.bar(["$\\notacommand$", "paid_search $"], [1, 2])
    finish(fig)  # what every chart function does before it returns
    fig.canvas.draw()  # would raise "Unknown symbol" if the labels were read as maths
    # (text, is maths): what matplotlib prints, as written
    assert ax._left_title._preprocess_math(ax.get_title(loc="left")) == (title, False)
    labels = [t._preprocess_math(t.get_text()) for t in ax.get_xticklabels()]
    assert labels == [("$\\notacommand$", False), ("paid_search $", False)]
    plt.close(fig)
