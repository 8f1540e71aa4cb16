"""The live panel: every lever does what it says; its static form where no kernel runs."""

from __future__ import annotations

import ipywidgets as w
import pytest

from alignlib import paths
from alignlib import simulation as sim
from alignlib.params import load_params
from alignlib.planning import build_plan, replan_funnel
from alignlib.whatif import StaticPanel, whatif_panel
from alignlib.whatif.static import WIDGET_MIME

TRIALS = 2_000


@pytest.fixture(scope="module")
def params():
    return load_params(paths.DEFAULT_PARAMS)


@pytest.fixture(scope="module")
def report(params):
    return sim.simulate_from_params(params, trials=TRIALS, seed=params.simulation.seed)


@pytest.fixture
def shown(params, report):
    return whatif_panel(params, trials=TRIALS, seed=params.simulation.seed, base_result=report)


def test_whatif_panel_recomputes_when_a_slider_moves(params, shown) -> None:
    panel = shown.panel
    plan = build_plan(params)
    sliders = {s.description: s for s in (panel.target, panel.deal, *panel.rates)}
    assert panel.leads.value == plan.funnel.leads
    # a 20% higher target re-plans: the lead slider follows the new requirement
    panel.target.value = params.target.bookings * 1.2
    expected = replan_funnel(params, target=params.target.bookings * 1.2).leads
    assert panel.leads.value == expected
    assert panel.follow.value and not panel.outcome.leads_given
    assert {"Bookings target (USD)", "Average deal size (USD)"} <= set(sliders)
    assert "Marketing qualified lead → Sales accepted lead" in sliders


def test_moving_the_leads_slider_gives_these_leads_and_says_so(params, shown, report) -> None:
    panel = shown.panel
    assert panel.outcome.p_hit == report.p_hit(params.target.bookings)  # the headline
    panel.leads.value = panel.leads.value + 500
    assert not panel.follow.value and panel.outcome.leads_given
    assert panel.outcome.leads == panel.leads.value  # not undone
    assert "Given these leads" in panel.result.value
    assert f"the slider&#x27;s {panel.leads.value:,} leads x $92.50" in panel.result.value
    assert panel.outcome.p_hit > report.p_hit(params.target.bookings)
    # switch back: leads follow the plan again
    panel.follow.value = True
    assert panel.leads.value == build_plan(params).funnel.leads
    assert "Leads follow the plan" in panel.result.value and "the plan&#x27;s" in (
        panel.result.value
    )


def test_levers_are_grouped_with_a_reset(params, shown, report) -> None:
    panel = shown.panel
    titles = [panel.tabs.get_title(i) for i in range(len(panel.tabs.children))]
    assert titles == ["Target and deals", "Funnel rates", "Lags", "Channels", "SLA", "Sales team"]
    assert len(panel.rates) == len(panel.lags) == 5 and len(panel.shares) == 6
    for s in (*panel.rates, *panel.lags, *panel.shares, panel.target, panel.leads):
        assert s.style.description_width == "240px" and s.layout.width == "600px"
    panel.rates[0].value = 0.4
    panel.shares[2].value = 0.3
    panel.lags[-1].value = 80.0
    assert panel.outcome.p_hit != report.p_hit(params.target.bookings)
    panel.reset()
    assert panel.outcome.is_base and panel.follow.value
    assert panel.outcome.p_hit == report.p_hit(params.target.bookings)


def test_every_card_says_what_it_is_computed_from(shown) -> None:
    html = shown.panel.result.value
    for source in ("reverse funnel:", "blended cost per lead", "simulated quarters booking"):
        assert source in html
    assert "<svg" in html and "target $2.4M" in html  # the histogram with the target


def test_the_static_form_is_html_never_the_widget_text(shown) -> None:
    assert isinstance(shown, StaticPanel)
    bundle = shown._repr_mimebundle_()
    assert bundle[WIDGET_MIME]["model_id"] == shown.widget.model_id
    assert "Volume needed per stage" in bundle["text/html"] and "<svg" in bundle["text/html"]
    assert "VBox(children=" not in bundle["text/plain"]


def test_the_batch_gets_only_the_static_form(params, report) -> None:
    out = whatif_panel(
        params, trials=TRIALS, base_result=report, live=False, table_html="<table>t</table>"
    )
    assert not isinstance(out, StaticPanel) and "<table>t</table>" in out.data
    assert isinstance(w.HTML(out.data), w.HTML)


@pytest.mark.slow
@pytest.mark.notebook
def test_an_executed_app_notebook_keeps_the_static_form(tmp_path) -> None:
    import nbformat
    import papermill as pm

    out = tmp_path / "whatif_app.ipynb"
    pm.execute_notebook(
        str(paths.PROJECT_ROOT / "notebooks" / "whatif_app.ipynb"),
        str(out),
        parameters={"trials": 500},
        cwd=str(paths.PROJECT_ROOT / "notebooks"),
        progress_bar=False,
        kernel_name="python3",
    )
    outputs = [o for cell in nbformat.read(out, 4).cells for o in cell.get("outputs", [])]
    data = [o["data"] for o in outputs if "data" in o]
    panels = [d for d in data if WIDGET_MIME in d]
    assert len(panels) == 1
    assert "Volume needed per stage" in panels[0]["text/html"] and "<svg" in panels[0]["text/html"]
    assert not any("VBox(children=" in d.get("text/plain", "") for d in data)
