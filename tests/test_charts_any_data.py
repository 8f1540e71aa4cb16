"""Charts read on data of any shape: 24+ months, 2 and 8 stages, `$` in labels, log scales.

Every chart is drawn from generated inputs and checked on the figure itself: no text is
read as maths (no "$\\mathdefault" tick, a label with `$` prints as written), a date axis
shows at most 12 labels written "Dec 2024" (never "Dec 24"), a log axis has readable
ticks, and no legend lies on any axes' data area.
"""

from __future__ import annotations

import re
import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from alignlib.charts import annual, forecast, plan, scorecard, simulation, trends
from alignlib.charts._format import (
    MOST_MONTH_LABELS,
    escape,
    finish,
    log_axis,
    new_figure,
    visible_tick_labels,
)

MONTH = re.compile(r"^[A-Z][a-z]{2}( \d{4})?$")
DOLLAR_LABEL = "$pay$ per click"  # two dollars: maths if not escaped


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _months(n: int, start: str = "2024-07") -> pd.PeriodIndex:
    return pd.period_range(start, periods=n, freq="M")


def _stages(n: int) -> list[str]:
    return [f"stage_{i}" for i in range(n)]


def _shown(text: Text) -> tuple[str, bool]:
    """What matplotlib prints for a text, and whether it reads it as maths."""
    shown, maths = text._preprocess_math(text.get_text())
    return shown, bool(maths)


def _drawn(fig: Figure) -> Figure:
    fig.canvas.draw()
    return fig


def _assert_reads(fig: Figure) -> None:
    """No maths anywhere, no TeX tick, no legend on the data."""
    _drawn(fig)
    for text in fig.findobj(Text):
        shown, maths = _shown(text)
        assert not maths, f"read as maths: {text.get_text()!r}"
        assert "mathdefault" not in shown and "\\times" not in shown, shown
    renderer = fig.canvas.get_renderer()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            if not ax.get_visible() or not ax.axison:
                continue
            data = ax.get_window_extent(renderer)
            width = min(box.x1, data.x1) - max(box.x0, data.x0)
            height = min(box.y1, data.y1) - max(box.y0, data.y0)
            assert width <= 1 or height <= 1, f"legend on the data of {ax.get_title(loc='left')!r}"


def _assert_months(labels: list[str]) -> None:
    assert 2 <= len(labels) <= MOST_MONTH_LABELS, labels
    assert all(MONTH.match(label) for label in labels), labels
    assert re.search(r"\d{4}$", labels[0]), f"the first month names its year: {labels}"
    assert not any(re.search(r"\b\d{2}$", label) for label in labels), labels


def _assert_log_ticks(axis) -> None:
    labels = visible_tick_labels(axis)
    assert len(labels) >= 2, f"a log axis with fewer than two labels: {labels}"
    for label in labels:
        assert re.fullmatch(r"[\d,.]+", label), label


# -- the helpers themselves -------------------------------------------------------------


def test_escape_keeps_every_dollar_as_text_and_is_idempotent() -> None:
    fig, ax = new_figure(DOLLAR_LABEL)
    assert escape(DOLLAR_LABEL) == escape(escape(DOLLAR_LABEL)) == r"\$pay\$ per click"
    finish(fig)
    assert _shown(ax._left_title) == (DOLLAR_LABEL, False)


@pytest.mark.parametrize("span", [(12, 40), (3, 90_000)])
def test_log_axis_ticks_are_numbers_not_tex(span) -> None:
    fig, ax = new_figure("log")
    ax.plot([0, 1], span)
    log_axis(ax, "y")
    _drawn(fig)
    _assert_log_ticks(ax.yaxis)
    # a plain log axis left to matplotlib's formatter gets the same treatment from finish
    fig2, ax2 = new_figure("log, untouched")
    ax2.plot([0, 1], span)
    ax2.set_yscale("log")
    _assert_reads(finish(fig2))
    _assert_log_ticks(ax2.yaxis)


# -- every chart on data of other shapes -----------------------------------------------


@pytest.mark.parametrize("n_stages", [2, 8])
def test_funnel_charts_with_few_or_many_stages_and_dollar_labels(n_stages) -> None:
    stages = _stages(n_stages)
    reached = np.geomspace(40, 12, n_stages) if n_stages == 2 else np.geomspace(90_000, 30, 8)
    funnel = pd.DataFrame(
        {"reached": reached, "conversion_to_next": [*(reached[1:] / reached[:-1]), np.nan]},
        index=stages,
    )
    labels = {s: f"{DOLLAR_LABEL} {i}" for i, s in enumerate(stages)}
    fig = trends.funnel_chart(funnel, labels)
    _assert_reads(fig)
    _assert_log_ticks(fig.axes[0].xaxis)
    ticks = [_shown(t)[0] for t in fig.axes[0].get_yticklabels()]
    assert f"{DOLLAR_LABEL} 0" in ticks  # printed as written

    quarter_plan = types.SimpleNamespace(
        funnel=types.SimpleNamespace(
            stages=tuple(stages), required=reached, rates=tuple(reached[1:] / reached[:-1])
        ),
        stage_labels=labels,
        target=2_400_000.0,
        currency="USD",
        scenario="$cheap$ leads",
        monthly=pd.DataFrame(
            {s: np.full(26, r / 3) for s, r in zip(stages, reached, strict=True)},
            index=_months(26),
        ),
        quarter="2026Q3",
    )
    owners = {s: "marketing" if i < n_stages // 2 else "sales" for i, s in enumerate(stages)}
    fig = plan.reverse_funnel_chart(quarter_plan, owners)
    _assert_reads(fig)
    _assert_log_ticks(fig.axes[0].xaxis)
    assert fig.legends, "the owners' legend is outside the axes"
    fig = plan.monthly_stages_chart(quarter_plan, owners)
    _assert_reads(fig)
    for ax in fig.axes:
        if ax.get_visible():
            labels_shown = visible_tick_labels(ax.xaxis)
            assert len(labels_shown) <= 6 and all(MONTH.match(m) for m in labels_shown)


def test_month_axes_with_thirty_months() -> None:
    months = _months(30)
    stages = _stages(3)
    rng = np.random.default_rng(3)
    monthly = pd.DataFrame({s: rng.integers(20, 900, 30) * 10.0**-i for i, s in enumerate(stages)})
    monthly.index = months
    fig = trends.monthly_volume_chart(monthly, stages, partial=months[-1])
    _assert_reads(fig)
    _assert_months(visible_tick_labels(fig.axes[0].xaxis))
    _assert_log_ticks(fig.axes[0].yaxis)

    rates = pd.DataFrame(
        {"stage_0_to_stage_1": rng.uniform(0.2, 0.4, 30), "stage_1_to_stage_2": 0.3}, index=months
    )
    fig = trends.conversion_trend_chart(rates, rates.rolling(3).mean(), list(rates.columns))
    _assert_reads(fig)
    _assert_months(visible_tick_labels(fig.axes[0].xaxis))

    cohorts = pd.DataFrame(
        {"lead_to_won": rng.uniform(0.01, 0.03, 30), "maturing": [False] * 26 + [True] * 4},
        index=months,
    )
    fig = trends.cohort_chart(cohorts, "lead_to_won")
    _assert_reads(fig)
    _assert_months(visible_tick_labels(fig.axes[0].xaxis))

    sla = pd.DataFrame(
        {"compliance": 0.7, "acceptance_rate": 0.8, "median_hours": rng.uniform(1, 9, 30)},
        index=months,
    )
    fig = trends.sla_chart(sla, 4)
    _assert_reads(fig)
    _assert_months(visible_tick_labels(fig.axes[0].xaxis))

    future = _months(3, str(months[-1] + 1))
    fc = pd.DataFrame(
        {"forecast": 500.0, "lower": 400.0, "upper": 600.0},
        index=pd.MultiIndex.from_product([["stage_0"], future]),
    )
    fig = trends.forecast_chart(monthly, fc, "stage_0", months=30)
    _assert_reads(fig)
    _assert_months(visible_tick_labels(fig.axes[0].xaxis))

    leads_plan = types.SimpleNamespace(
        monthly=pd.DataFrame({"lead": np.full(30, 1000.0)}, index=months),
        channels=pd.DataFrame(
            {"share": [0.6, 0.4], "label": [DOLLAR_LABEL, "Events"]}, index=["ppc", "events"]
        ),
        funnel=types.SimpleNamespace(stages=("lead", "won")),
        quarter="2026Q4",
        scenario=None,
    )
    fig = plan.monthly_leads_chart(leads_plan)
    _assert_reads(fig)
    _assert_months(visible_tick_labels(fig.axes[0].xaxis))
    assert DOLLAR_LABEL in [_shown(t)[0] for t in fig.legends[0].get_texts()]

    arrivals = types.SimpleNamespace(
        year=2027,
        lead_arrivals=pd.DataFrame(
            {q: 300.0 for q in ("2027Q1", "2027Q2", "2027Q3", "2027Q4")},
            index=_months(18, "2026-07"),
        ),
    )
    fig = annual.lead_arrivals_chart(arrivals)
    _assert_reads(fig)
    _assert_months(visible_tick_labels(fig.axes[0].xaxis))


def test_actual_against_plan_by_month_for_eight_stages() -> None:
    months, stages = _months(14), _stages(8)
    index = pd.MultiIndex.from_product([months, stages])
    monthly = pd.DataFrame({"plan": 100.0, "actual": 90.0}, index=index)
    fig = plan.actual_vs_plan_chart(monthly, as_of=pd.Timestamp("2025-06-15"))
    _assert_reads(fig)
    for ax in fig.axes:
        assert len(visible_tick_labels(ax.xaxis)) <= 6


def test_what_we_can_change_and_the_odds_keep_their_legends_off_the_bars() -> None:
    rows = [
        {"input": f"{DOLLAR_LABEL} {i}", "how": "10% lower / higher", "p_hit_low": 0.2 + i / 50,
         "p_hit_high": 0.7 - i / 50}
        for i in range(8)
    ]  # fmt: skip
    result = types.SimpleNamespace(
        rows=rows, uncertainty_rows=rows[:4], lever_rows=rows[4:], base_p_hit=0.43
    )
    fig = simulation.tornado_chart(result, "What we can change", which="levers")
    _assert_reads(fig)
    rng = np.random.default_rng(1)
    revenue = rng.normal(2.3e6, 3e5, 4000)
    sim = types.SimpleNamespace(
        revenue=revenue,
        trials=len(revenue),
        p_hit=lambda target: float((revenue >= target).mean()),
        quantiles=lambda qs: {f"P{round(100 * q)}": float(np.quantile(revenue, q)) for q in qs},
    )
    fig = simulation.revenue_distribution_chart(sim, 2.4e6)
    _assert_reads(fig)  # "pessimistic $1.9M · most likely $2.3M" is text, not maths
    fan = pd.DataFrame(
        {"P10": [1e6, 2e6], "P25": [1.2e6, 2.2e6], "P50": [1.4e6, 2.4e6], "P75": [1.6e6, 2.6e6],
         "P90": [1.8e6, 2.8e6], "p_hit": [0.1, 0.5], "label": ["", "$plan$"]},
        index=[1000, 2000],
    )  # fmt: skip
    _assert_reads(plan.fan_chart(fan, 2.4e6))
    scenarios = pd.DataFrame(
        {"p_hit": [0.4, 0.9], "p_hit_base_plan": [0.4, 0.3], "budget": [1e5, 2e5]},
        index=["base", "$cheap$"],
    )
    _assert_reads(plan.scenarios_chart(scenarios))


def test_forecast_and_scorecard_charts_keep_legends_outside() -> None:
    rng = np.random.default_rng(2)
    samples = rng.normal(2.3e6, 2e5, 3000)
    part = types.SimpleNamespace
    landing = types.SimpleNamespace(
        target=2.4e6,
        landing=part(p10=2.0e6, p50=2.3e6, p90=2.6e6),
        samples=samples,
        quarter="2026Q4",
        p_hit=0.36,
        booked=part(p50=1.2e6),
        open_pipeline=part(p50=0.8e6),
        not_yet_created=part(p50=0.3e6),
    )
    _assert_reads(forecast.landing_chart(landing))
    quarters = [f"{y}Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)]
    rows = pd.DataFrame(
        [
            {"quarter": q, "point": p, "p10": 1e6, "p50": 1.2e6, "p90": 1.4e6, "actual": 1.25e6,
             "pit": rng.uniform()}
            for q in quarters
            for p in ("plan", "week 0", "week 4")
        ]
    )  # fmt: skip
    _assert_reads(forecast.backtest_chart(rows, ["plan", "week 0", "week 4"]))
    _assert_reads(forecast.pit_chart(rows, ["plan", "week 0", "week 4"]))
    weeks = pd.date_range("2026-10-04", periods=13, freq="W-SAT")
    frame = pd.DataFrame({"actual": np.linspace(1e5, 2e6, 13), "plan": np.linspace(2e5, 2.4e6, 13)})
    frame.index = weeks
    fig = scorecard.bookings_pace_chart(frame, 2.4e6)
    _assert_reads(fig)
    assert len(visible_tick_labels(fig.axes[0].xaxis)) <= MOST_MONTH_LABELS
