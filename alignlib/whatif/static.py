"""The what-if panel's static form: figure cards, the bookings histogram and the volume table as HTML.

The live panel shows the same HTML inside its widgets; a saved notebook, papermill's output
and any page without a kernel show it instead of the widget (:class:`StaticPanel`).
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from alignlib.docstrings import shared_doc
from alignlib.format import count, money, money_compact, pct

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.whatif.engine import Outcome, WhatIfEngine

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

#: The parts of the static form: each shows one state of the levers.
_STATE_HTML = shared_doc(
    parameters={
        "outcome : Outcome": "One state of the levers.",
        "params : QuarterParams": "The base parameters.",
    },
    returns={"str": "An HTML fragment."},
)

_CARD = (
    '<div class="al-whatif-card" style="flex:1 1 170px;border:1px solid #e2e8f0;'
    'border-radius:8px;padding:8px 12px;background:#f7fafc;">'
    '<div style="font-size:12px;color:#4a5568;text-transform:uppercase;letter-spacing:.04em;">'
    "{label}</div>"
    '<div class="al-whatif-value" data-figure="{key}" style="font-size:22px;font-weight:700;'
    'color:#1a202c;">{value}</div>'
    '<div style="font-size:12px;color:#4a5568;line-height:1.35;">{source}</div></div>'
)


def figure_cards(outcome: Outcome, params: QuarterParams) -> list[tuple[str, str, str, str]]:
    """Each figure the panel shows, with what it is computed from.

    Parameters
    ----------
    outcome : Outcome
        One state of the levers.
    params : QuarterParams
        The base parameters (currency, stage labels).

    Returns
    -------
    list of tuple
        ``(key, label, value, source)``, all plain text.
    """
    cur = params.currency
    lv = outcome.levers
    target = money_compact(lv.target, cur)
    leads_from = (
        "given these leads: the leads slider (reset it, or tick 'Leads follow the plan', to plan them)"
        if outcome.leads_given
        else "the leads needed: leads follow the plan"
    )
    if math.isnan(outcome.cost_per_lead):
        budget, budget_from = "unknown", "a channel has no cost per lead"
    else:
        whose = "the slider's" if outcome.leads_given else "the plan's"
        budget = money(outcome.budget, cur)
        budget_from = (
            f"{whose} {count(outcome.leads)} leads x {money(outcome.cost_per_lead, cur)} "
            "blended cost per lead (channel shares as set)"
        )
    run = (
        "the report's own simulation"
        if outcome.is_base
        else "the report's simulated quarters with these levers (common random numbers)"
    )
    cards = [
        ("target", "Bookings target", money(lv.target, cur), "the target slider"),
        (
            "required_leads",
            "Leads needed",
            count(outcome.required_leads),
            f"reverse funnel: {target} at {money(lv.deal_size, cur)} a deal, "
            "back through each stage's rate and the channel mix",
        ),
        ("leads", "Leads the quarter gets", count(outcome.leads), leads_from),
        ("budget", "Marketing budget", budget, budget_from),
        (
            "p_hit",
            "Chance of hitting target",
            pct(outcome.p_hit),
            f"share of {count(outcome.trials)} simulated quarters booking {target} or more: {run}",
        ),
    ]
    if outcome.bookings_capacity is not None and outcome.ramped_reps is not None:
        gap = outcome.gap or 0.0
        cards.append(
            (
                "bookings_capacity",
                "Sales team can book",
                money(outcome.bookings_capacity, cur),
                f"{outcome.ramped_reps:.1f} ramped reps on average x quota / 3 a month x "
                f"{pct(lv.attainment)} attainment; "
                + (f"{money(gap, cur)} short of the target" if gap > 0 else "carries the target"),
            )
        )
    return cards


@_STATE_HTML
def cards_html(outcome: Outcome, params: QuarterParams) -> str:
    """The figure cards as HTML (escaped)."""
    cards = [
        _CARD.format(
            key=key, label=html.escape(label), value=html.escape(value), source=html.escape(source)
        )
        for key, label, value, source in figure_cards(outcome, params)
    ]
    return (
        '<div class="al-whatif-cards" style="display:flex;flex-wrap:wrap;gap:10px;margin:6px 0;">'
        + "".join(cards)
        + "</div>"
    )


def histogram_svg(
    revenue: np.ndarray,
    target: float,
    currency: str = "USD",
    *,
    bins: int = 48,
    width: int = 640,
    height: int = 220,
) -> str:
    """The bookings distribution as an SVG histogram, the target and P10-P90 marked.

    Drawn by hand (no matplotlib) so a slider move redraws it in a few milliseconds and
    the same markup works in a widget and in a static page.

    Parameters
    ----------
    revenue : ndarray
        In-quarter bookings of each simulated quarter.
    target : float
        Bookings target (the red line; bars at or above it are green).
    currency : str
        ISO code for the axis labels.
    bins, width, height : int
        Bars and size in pixels.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    revenue = np.asarray(revenue, dtype=float)
    lo, hi = (float(v) for v in np.quantile(revenue, [0.001, 0.999]))
    lo, hi = min(lo, target), max(hi, target)
    pad = 0.03 * (hi - lo or 1.0)
    lo, hi = lo - pad, hi + pad
    counts, edges = np.histogram(revenue, bins=bins, range=(lo, hi))
    share = counts / max(revenue.shape[0], 1)
    left, right, top, bottom = 10, 10, 26, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = float(share.max()) or 1.0

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * plot_w

    p10, p50, p90 = (float(v) for v in np.quantile(revenue, [0.1, 0.5, 0.9]))
    parts = [
        f'<svg class="al-whatif-hist" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="Distribution of bookings over the simulated quarters" '
        'style="font-family:sans-serif;font-size:11px;">',
        f'<rect x="{x(p10):.1f}" y="{top}" width="{x(p90) - x(p10):.1f}" height="{plot_h}" '
        'fill="#3182ce" opacity="0.08"/>',
    ]
    for s, a, b in zip(share, edges[:-1], edges[1:], strict=True):
        if s <= 0:
            continue
        h = s / peak * plot_h
        color = "#38a169" if (a + b) / 2 >= target else "#a0aec0"
        parts.append(
            f'<rect x="{x(a):.1f}" y="{top + plot_h - h:.1f}" width="{max(x(b) - x(a) - 0.5, 0.5):.1f}" '
            f'height="{h:.1f}" fill="{color}"/>'
        )
    parts.append(
        f'<line x1="{x(p50):.1f}" x2="{x(p50):.1f}" y1="{top}" y2="{top + plot_h}" '
        'stroke="#3182ce" stroke-dasharray="4 3"/>'
    )
    tx = x(target)
    anchor = "end" if tx > width * 0.6 else "start"
    nudge = -4 if anchor == "end" else 4
    parts.append(
        f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top - 6}" y2="{top + plot_h}" '
        'stroke="#c53030" stroke-width="2"/>'
        f'<text x="{tx + nudge:.1f}" y="{top - 10}" fill="#c53030" text-anchor="{anchor}">'
        f"target {html.escape(money_compact(target, currency))}</text>"
    )
    base_y = top + plot_h
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{base_y}" y2="{base_y}" stroke="#718096"/>'
    )
    for v, label in ((lo, money_compact(lo, currency)), (hi, money_compact(hi, currency))):
        anchor = "start" if v == lo else "end"
        parts.append(
            f'<text x="{x(v):.1f}" y="{base_y + 14}" fill="#4a5568" text-anchor="{anchor}">'
            f"{html.escape(label)}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{base_y + 24}" fill="#4a5568" text-anchor="middle">'
        f"bookings in the quarter · pessimistic {html.escape(money_compact(p10, currency))} · "
        f"most likely {html.escape(money_compact(p50, currency))} · "
        f"optimistic {html.escape(money_compact(p90, currency))} (shaded: likely range)</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


@_STATE_HTML
def volumes_html(outcome: Outcome, params: QuarterParams) -> str:
    """The volume needed per stage as an HTML table."""
    from alignlib import display

    styler = display.table(
        outcome.required,
        index=False,
        caption="Volume needed per stage",
        labels={"stage": "Stage", "required": "Needed"},
        formats={"stage": "text", "required": "count"},
        currency=params.currency,
    )
    return str(styler.to_html())


@_STATE_HTML
def outcome_html(outcome: Outcome, params: QuarterParams) -> str:
    """Cards, histogram and volume table of one state, as one HTML fragment."""
    mode = (
        "<b>Given these leads</b>: the quarter gets the leads slider's volume, whatever the plan needs."
        if outcome.leads_given
        else "<b>Leads follow the plan</b>: the quarter gets the leads the target needs."
    )
    return (
        f'<div class="al-whatif-result"><div class="al-whatif-mode" style="margin:4px 0;">{mode}</div>'
        + cards_html(outcome, params)
        + histogram_svg(outcome.revenue, outcome.levers.target, params.currency)
        + volumes_html(outcome, params)
        + "</div>"
    )


def static_html(engine: WhatIfEngine, table_html: str = "") -> str:
    """The panel where no kernel runs: the base state and, optionally, the one-at-a-time table.

    Parameters
    ----------
    engine : WhatIfEngine
        The base quarter.
    table_html : str
        The static what-if table (:func:`alignlib.whatif.whatif_table`) as HTML.

    Returns
    -------
    str
    """
    outcome = engine.evaluate(engine.base)
    return (
        '<div class="al-whatif-static">'
        '<p style="margin:4px 0;color:#4a5568;">The what-if panel as planned (no live kernel: '
        "open the notebook in JupyterLab, or run <code>make whatif</code>, to move the levers).</p>"
        + outcome_html(outcome, engine.params)
        + table_html
        + "</div>"
    )


class StaticPanel:
    """A live widget that shows its static HTML wherever no kernel renders the widget.

    Its display bundle carries both the widget view (JupyterLab and Voilà with a kernel
    render it) and ``text/html`` (nbconvert, GitHub, a notebook opened without a kernel),
    and its ``text/plain`` says what the panel is instead of ``VBox(children=...``.

    Parameters
    ----------
    widget : ipywidgets.Widget
        The live panel.
    html_text : str
        Its static form.
    panel : WhatIfPanel, optional
        The object behind the widget (its levers, :meth:`refresh`, :meth:`save`).
    """

    def __init__(self, widget: Any, html_text: str, panel: Any = None) -> None:
        self.widget = widget
        self.html = html_text
        self.panel = panel

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = {
            "text/html": self.html,
            "text/plain": "What-if panel (live in JupyterLab or `make whatif`)",
        }
        model_id = getattr(self.widget, "model_id", None)
        if model_id:
            bundle[WIDGET_MIME] = {"version_major": 2, "version_minor": 0, "model_id": model_id}
        return bundle
