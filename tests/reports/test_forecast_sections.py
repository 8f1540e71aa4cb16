"""'Where we will land' (plan report) and 'How good have our forecasts been' (trend report).

On the sample, on a synthetic three-stage export whose quarter is under way, and the cases
that leave a section out in one line: no actuals, the actuals before the quarter, too few
past quarters to backtest. The notebooks' cells run in this process (``run_notebook``).
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure

from alignlib import paths
from alignlib.charts import forecast as charts
from alignlib.params import load_params
from alignlib.reports import forecast as fr
from tests.reports._any_params_helpers import Case, run_notebook, write_case

HEADLINE = re.compile(
    r"^As of \d{1,2} [A-Z][a-z]{2}: \$[\d.]+[kM]? booked; we will most likely land at "
    r"\$[\d.]+[kM]? \(80% range \$[\d.]+[kM]?-\$[\d.]+[kM]?\); \d{1,3}% chance of hitting "
    r"\$[\d.]+[kM]?\.$"
)

#: Three stages, two years of history, the quarter under way (the export is from 20 May).
THREE_STAGES = Case(("lead", "deal", "won"), (0.3, 0.4), (5.0, 10.0), months=24, quarter="2026Q2")


@pytest.fixture(scope="module")
def sample():
    return load_params(paths.DEFAULT_PARAMS)


@pytest.fixture(scope="module")
def sample_landing(sample):
    return fr.landing_view(sample, trials=4_000, seed=sample.simulation.seed)


@pytest.fixture(scope="module")
def sample_backtest(sample):
    from alignlib import crm

    ingest = crm.load_actuals(sample)  # what the trend report passes (trend_data's load)
    return fr.backtest_view(sample, ingest, trials=1_000, seed=sample.simulation.seed)


@pytest.fixture(scope="module")
def three_stages(tmp_path_factory):
    return load_params(write_case(THREE_STAGES, tmp_path_factory.mktemp("three")))


# -- where we will land ---------------------------------------------------------------------


def test_sample_landing_headline_parts_and_deals(sample_landing) -> None:
    view = sample_landing
    assert view.shown and view.message is None and view.trials == 4_000
    f = view.forecast
    sentence = fr.landing_sentence(f, view.currency)
    assert HEADLINE.match(sentence), sentence
    # booked is what the export holds: fixed, whatever the trials
    assert sentence.startswith("As of 19 Nov: $1.2M booked; we will most likely land at $2.")
    assert sentence.endswith("chance of hitting $2.4M.")
    assert 2_100_000 < f.landing.p50 < 2_600_000 and 0.1 < f.p_hit < 0.7
    parts = fr.landing_parts_table(f)
    assert list(parts.index) == [
        "Booked so far",
        "Open pipeline",
        "Not yet created",
        "Where we land",
    ]
    assert parts.loc["Booked so far", "p10"] == parts.loc["Booked so far", "p90"] == 1_200_400
    assert (parts["p10"] <= parts["p50"]).all() and (parts["p50"] <= parts["p90"]).all()
    deals = fr.landing_deals_table(f, view.stage_labels)
    assert list(deals.columns) == list(fr.DEALS_FORMATS)
    assert 0 < len(deals) <= 10
    assert deals["expected"].is_monotonic_decreasing
    assert (deals["expected"] - deals["amount"] * deals["win_chance"]).abs().max() < 1e-6
    assert deals["win_chance"].between(0, 1).all()
    assert set(deals["stage"]) <= set(view.stage_labels.values())
    assert deals["deal"].str.fullmatch(r"\d+").all()  # CRM ids, nothing about the person
    method = fr.landing_method(view)
    assert "49 deals won since 1 Oct 2026" in method and "4,000 simulated quarters" in method
    fig = charts.landing_chart(f, view.currency)
    assert (
        isinstance(fig, Figure)
        and "Where 2026Q4 will land: most likely \\$2." in fig.texts[0].get_text()  # escaped: text
    )
    plt.close(fig)


def test_landing_on_three_stages_under_way(three_stages) -> None:
    view = fr.landing_view(three_stages, trials=500, seed=1)
    assert view.shown, view.message
    f = view.forecast
    assert f.as_of == pd.Timestamp("2026-05-20")
    assert HEADLINE.match(fr.landing_sentence(f, view.currency))
    assert f.landing.p10 <= f.landing.p50 <= f.landing.p90
    deals = fr.landing_deals_table(f, view.stage_labels)
    assert set(deals["stage"]) <= {"Lead", "Deal"}
    plt.close(charts.landing_chart(f, view.currency))


def test_landing_is_left_out_in_one_line(tmp_path, three_stages) -> None:
    # no actuals
    bare = load_params(
        write_case(Case(("a", "won"), (0.2,), (3.0,), actuals=False), tmp_path / "bare")
    )
    view = fr.landing_view(bare, trials=100)
    assert not view.shown and "needs a CRM export" in view.message
    assert "No actuals in the parameters file" not in view.message  # said once, elsewhere
    # the actuals end before the quarter starts
    ahead = load_params(
        write_case(
            Case(("a", "b", "won"), (0.5, 0.5), (2.0, 2.0), quarter="2026Q3"), tmp_path / "ahead"
        )
    )
    view = fr.landing_view(ahead, trials=100)
    assert not view.shown
    assert view.message.startswith("The actuals run to 20 May 2026, before the quarter starts")
    # ... or after it ended
    past = load_params(
        write_case(
            Case(("a", "b", "won"), (0.5, 0.5), (2.0, 2.0), quarter="2019Q4"), tmp_path / "past"
        )
    )
    view = fr.landing_view(past, trials=100)
    assert not view.shown and "after the quarter ends" in view.message
    assert fr.landing_method(view) == ""


# -- how good have our forecasts been ----------------------------------------------------------


def test_sample_backtest_in_words_and_tables(sample_backtest) -> None:
    view = sample_backtest
    assert view.shown and view.message is None and view.trials == 1_000
    bt = view.backtest
    assert bt.quarters == 6 and [c.point for c in view.calibrations] == list(bt.points)
    summary = fr.backtest_summary(view)
    assert re.match(
        r"\d of the last 6 quarters landed inside our 80% range \(plan-time forecast\)", summary[0]
    )
    assert summary[2].startswith(
        "Forecasts made inside the quarter landed inside their 80% range at week 0, "
    )
    assert (
        summary[3].startswith("The median forecast missed by $")
        and "at week 8 on average." in summary[3]
    )
    for warning in fr.backtest_warnings(view):
        assert re.match(r"At (plan time|week \d+), (our ranges|the median)", warning), warning
    by_quarter = fr.backtest_quarter_table(view)
    assert list(by_quarter.index) == ["2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert by_quarter.columns[0] == "actual" and len(by_quarter.columns) == 1 + len(bt.points)
    outside = sum(fr.is_outside(v) for col in by_quarter.columns[1:] for v in by_quarter[col])
    assert outside == int((~bt.rows["inside_80"].astype(bool)).sum())
    scores = fr.backtest_scores_table(view)
    assert list(scores.columns) == list(fr.SCORES_FORMATS)
    assert scores["inside_80"].str.fullmatch(r"\d of 6").all()
    method = fr.backtest_method(view)
    assert "2025Q2 to 2026Q3" in method and "1,000 simulated quarters" in method
    for fig in (
        charts.backtest_chart(bt.rows, bt.points, view.currency),
        charts.pit_chart(bt.rows, bt.points),
    ):
        assert isinstance(fig, Figure)
        plt.close(fig)


def test_warnings_say_plainly_when_ranges_are_too_narrow(sample_backtest) -> None:
    import dataclasses

    from alignlib.forecast import Backtest, calibration

    bt = sample_backtest.backtest
    # the same forecasts, as if every actual had landed far above every range
    rows = bt.rows.assign(actual=bt.rows["p90"] * 2, inside_80=False, inside_50=False, pit=1.0)
    narrow = Backtest(rows=rows, skipped=bt.skipped, by_point=bt.by_point, points=bt.points)
    view = dataclasses.replace(
        sample_backtest,
        backtest=narrow,
        calibrations=tuple(calibration(narrow, p) for p in narrow.points),
    )
    warnings = fr.backtest_warnings(view)
    assert (
        "At plan time, our ranges have been too narrow: only 0 of 6 inside the 80% range"
        in warnings[0]
    )
    assert fr.backtest_summary(view)[0].startswith(
        "0 of the last 6 quarters landed inside our 80% range"
    )


def test_backtest_on_three_stages(three_stages) -> None:
    from alignlib import crm

    view = fr.backtest_view(three_stages, crm.load_actuals(three_stages), trials=300, seed=1)
    assert view.shown, view.message
    assert view.backtest.quarters >= fr.MIN_BACKTEST_QUARTERS
    assert (
        fr.backtest_summary(view)[0]
        .split(" of the last ")[1]
        .startswith(f"{view.backtest.quarters} quarters")
    )
    assert len(fr.backtest_quarter_table(view)) == view.backtest.quarters


def test_backtest_is_left_out_in_one_line(tmp_path) -> None:
    from alignlib import crm

    # no actuals
    bare = load_params(
        write_case(Case(("a", "won"), (0.2,), (3.0,), actuals=False), tmp_path / "bare")
    )
    view = fr.backtest_view(bare, None)
    assert not view.shown and view.message.startswith(
        "Without a CRM export there are no past quarters"
    )
    assert fr.backtest_summary(view) == [] and fr.backtest_quarter_table(view).empty
    # seven months of history: no quarter has six complete months before it
    short = load_params(
        write_case(Case(("a", "b", "won"), (0.5, 0.5), (2.0, 2.0), months=7), tmp_path / "short")
    )
    view = fr.backtest_view(short, crm.load_actuals(short), trials=100)
    assert not view.shown
    assert view.message.startswith("Only 0 quarters could be forecast again from what was known")
    assert (
        "at least 2 are needed to judge our forecasts, so this section is left out." in view.message
    )


# -- the notebooks' sections ------------------------------------------------------------------


def test_both_sections_render_in_the_notebooks_on_three_stages(tmp_path) -> None:
    path = write_case(THREE_STAGES, tmp_path)
    plan = "\n".join(
        run_notebook("quarterly_plan", params_path=str(path), trials=300, interactive=False)
    )
    assert "As of 20 May: " in plan and "Where 2026Q2 will land" in plan
    assert "The open deals that matter most" in plan
    trend = "\n".join(run_notebook("trend_report", params_path=str(path), trials=200))
    assert "landed inside our 80% range" in trend
    assert "Our forecasts against what was booked" in trend
    assert "Where the actual fell inside our forecasts" in trend
    assert "Traceback" not in plan + trend


def test_sections_say_once_why_they_are_left_out_in_the_notebooks(tmp_path) -> None:
    path = write_case(
        Case(("a", "b", "won"), (0.5, 0.5), (2.0, 2.0), months=7, quarter="2026Q3"), tmp_path
    )
    plan = "\n".join(
        run_notebook("quarterly_plan", params_path=str(path), trials=200, interactive=False)
    )
    assert plan.count("before the quarter starts") == 1 and "will land:" not in plan
    trend = "\n".join(run_notebook("trend_report", params_path=str(path), trials=200))
    assert trend.count("so this section is left out.") == 1
    assert "Our forecasts against what was booked" not in trend
