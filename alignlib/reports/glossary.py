"""Plain words on the page, method names at its end: the shared glossary and each page's appendix.

The body of a page says "chance", "likely range (pessimistic to optimistic)" and "most
likely"; the statistics behind them (P10/P90, posteriors, Erlang C, ETS, CRPS, ...) are
named once, in a short "How this is computed" section per page and a glossary, the last
two sections of every page. :data:`GLOSSARY` is the one source of the glossary;
:data:`JARGON` lists the method words that may appear only there (a test reads every
rendered page against it).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: The appendix's two headings (each page's last two sections).
METHODS_HEADING = "How this is computed"
GLOSSARY_HEADING = "Glossary"


@dataclass(frozen=True)
class Term:
    """One glossary entry: the word a page uses, or a method's name, and what it means."""

    term: str
    meaning: str


#: Every term any page uses or names, in plain words (one source for every page).
GLOSSARY: tuple[Term, ...] = (
    Term(
        "Chance (of hitting the target)",
        "The share of simulated quarters that reach the target. Statisticians write P(hit).",
    ),
    Term(
        "Likely range (pessimistic to optimistic)",
        "Eight in ten simulated outcomes fall inside it: one in ten is worse than the "
        "pessimistic end (the 10th percentile, P10), one in ten better than the optimistic "
        "end (the 90th percentile, P90).",
    ),
    Term("Most likely", "The middle outcome: half of the simulated quarters land above it (P50)."),
    Term(
        "Slipped (a deal)",
        "Still open in its stage past the time most deals that went on to win spent there "
        "(80 in 100 of them had moved on by then). An export keeps no close date for open "
        "deals, so a slip is read from the deal's age.",
    ),
    Term(
        "Likely close",
        "The day by which half of an open deal's chance to win this quarter is reached, "
        "from how long deals in its stage, and that long in it, took to win before.",
    ),
    Term(
        "9 in 10 within",
        "The time nine in ten hand-offs or steps take at most (the 90th percentile, P90).",
    ),
    Term(
        "Simulated quarters (Monte Carlo)",
        "The quarter replayed thousands of times, each time drawing rates, volumes and deal "
        "sizes as uncertain as the history says they are.",
    ),
    Term(
        "How sure we are of a rate (posterior)",
        "What a rate is likely to be after seeing the history: a few contacts leave it "
        "uncertain, many pin it down. The statistical name is the posterior distribution.",
    ),
    Term(
        "Month-to-month variation (cv)",
        "How much lead volume moves from one month to the next, as a share of its level "
        "(the coefficient of variation).",
    ),
    Term(
        "Plan sized for a chance (confidence plan)",
        "The leads needed so that the given share of simulated quarters reaches the target, "
        "beside the plan that assumes every rate is exactly its average.",
    ),
    Term(
        "Hour-by-hour response check (Erlang C)",
        "A queueing model: hand-offs arrive hour by hour and wait for a free rep; it gives "
        "the share answered within the SLA.",
    ),
    Term("Busy share (utilisation)", "The share of the reps' working time spent answering."),
    Term(
        "Chance it is better",
        "How likely the variant's rate is above control's, given the counts so far "
        "(Bayesian, from the posteriors of the two rates); written P(better).",
    ),
    Term(
        "Risk if shipped (expected loss)",
        "If the variant is in fact worse, how many points of conversion shipping it costs on "
        "average, weighted by how likely that is.",
    ),
    Term(
        "Traffic split check (SRM)",
        "Whether each arm got the share of traffic planned; a sample-ratio mismatch (SRM) "
        "means the assignment is broken and the readout cannot be trusted.",
    ),
    Term(
        "Early look (mixture SPRT)",
        "A test that stays valid when an experiment is read before its planned sample: the "
        "mixture sequential probability ratio test.",
    ),
    Term(
        "Interval of a difference (Newcombe hybrid Wilson)",
        "The range a difference of two rates likely lies in; the Newcombe hybrid Wilson "
        "score interval stays sensible at small counts.",
    ),
    Term(
        "Interval of a lift (Katz)",
        "The range a relative lift likely lies in, from the Katz log interval of the ratio "
        "of two rates.",
    ),
    Term("p-value", "How surprising the data would be if the variant changed nothing."),
    Term(
        "Trend and seasonality forecast (ETS)",
        "Exponential smoothing: the level, a damped trend and the months' pattern learned "
        "from history; ETS(A,Ad,A) with a yearly season, ETS(A,Ad,N) without.",
    ),
    Term(
        "Forecast error score (CRPS)",
        "How far a forecast's whole range was from what happened, in money (lower is "
        "better); the continuous ranked probability score.",
    ),
    Term(
        "Where the actual fell (PIT)",
        "The share of a forecast's range below what was booked; good forecasts spread these "
        "evenly (the probability integral transform).",
    ),
    Term(
        "Pipeline coverage",
        "Open pipeline as a multiple of the bookings target; the win rate says which "
        "multiple is enough.",
    ),
    Term("Cost per customer (CAC)", "Marketing budget divided by the customers it wins."),
)

#: Method words a page's body never shows: only its appendix and glossary name them.
JARGON: tuple[str, ...] = (
    r"P\(hit",
    r"P\(better",
    r"\bP10\b",
    r"\bP90\b",
    r"\bP50\b",
    r"\bposteriors?\b",
    r"\bcv\b",
    r"Erlang",
    r"\butili[sz]ation\b",
    r"\bCRPS\b",
    r"\bPIT\b",
    r"\bETS\(",
    r"Newcombe",
    r"\bWilson\b",
    r"\bKatz\b",
    r"\bSPRT\b",
    r"\bSRM\b",
    r"expected loss",
    r"\d+% confidence\b",
    r"the \d+% confidence",
)

#: Each page's "How this is computed": a few lines naming the methods behind its figures.
METHODS: dict[str, tuple[str, ...]] = {
    "quarterly_plan": (
        "The reverse funnel divides the target by the average deal size and each stage's "
        "conversion rate, exactly, and phases the volumes month by month by each stage's lag.",
        "The chance of hitting the target is the share of Monte Carlo simulated quarters "
        "(rates drawn from their posteriors, lead volume varying by its month-to-month cv, "
        "deal sizes and lags drawn too) whose in-quarter bookings reach the target; the "
        "likely range is the P10 to P90 of those quarters, most likely the P50.",
        "The plan sized for a chance searches the leads at which that share of simulated "
        "quarters reaches the target (the 80% confidence plan by default).",
        "What we do not know: each input at the P10 and P90 of its posterior (or sampling "
        "distribution); what we can change: each input 10% lower and higher.",
        "The hour-by-hour response check is an Erlang C queue per working hour, with the "
        "hand-offs' weekly arrival pattern learned from the export; utilisation is the "
        "arrivals over what the reps can answer.",
        "The landing inside the quarter: survival curves of open deals by stage and age, plus the leads "
        "not yet created, simulated together.",
    ),
    "experiment_analysis": (
        "Differences of two rates: Newcombe hybrid Wilson score interval; relative lift: "
        "Katz log interval of the rate ratio; the test: pooled two-proportion z-test.",
        "Chance it is better: P(variant > control) under Beta(1 + conversions, 1 + n - "
        "conversions) posteriors; risk if shipped: the expected loss E[max(control - "
        "variant, 0)] under the same posteriors.",
        "Early looks: mixture SPRT on the pooled z statistic; traffic split: chi-square test "
        "of sample-ratio mismatch (SRM).",
        "What it is worth: the quarter simulated with and without the variant on the same "
        "random numbers.",
    ),
    "trend_report": (
        "Conversion by cohort counts each month's new leads until they convert or the "
        "window closes; maturing cohorts are still rising.",
        "The forecast of next quarter uses statsmodels exponential smoothing (ETS) per "
        "stage; its ranges are prediction intervals.",
        "How good past forecasts were: each past quarter forecast again from the data then, "
        "scored by CRPS (lower is better) and checked by where the actual fell (PIT).",
    ),
    "sla_agreement": (
        "Compliance is the share of hand-offs answered within the response SLA, counted in "
        "clock hours; 9 in 10 within is the P90 of response times.",
        "The predicted compliance is an Erlang C queue per working hour (see the plan).",
    ),
    "annual_plan": (
        "Each quarter is planned backwards from its target as the quarterly plan is; the "
        "team's capacity ramps each hire over their ramp months, less attrition.",
        "The year's chance is the share of simulated years (Monte Carlo) that reach the "
        "year's target.",
    ),
    "weekly_scorecard": (
        "Quarter to date and plan to date count the days of the quarter up to the data date; "
        "a KPI at or above its on-track share of plan is on track.",
        "The chance of the target is the landing forecast's, as of each week's end.",
        "The pipeline's week counts deals entering the pipeline stage (created), a later "
        "stage short of won (advanced), won and lost, and open deals crossing the age by "
        "which 80% of winners had left their stage (slipped); a deal without an amount "
        "counts as the typical deal.",
        "The deals that matter most are the open deals with the largest amount x chance to "
        "win this quarter; owners are shown as Rep A, Rep B (names stay in the export).",
    ),
    "quarterly_plan_summary": (
        "Every figure is the quarter snapshot's, the same as the full plan's: nothing is "
        "simulated again for the summary.",
        "The chance of the target and the likely range come from the landing forecast inside "
        "the quarter, from the plan's simulated quarters (Monte Carlo) before it.",
        "Leads for confidence: the smallest lead volume whose simulated quarters reach the "
        "target with the plan's confidence.",
    ),
}

#: The glossary terms each page shows (its words and the methods its appendix names).
PAGE_TERMS: dict[str, tuple[str, ...]] = {
    "quarterly_plan": (
        "Chance (of hitting the target)",
        "Likely range (pessimistic to optimistic)",
        "Most likely",
        "Likely close",
        "Simulated quarters (Monte Carlo)",
        "How sure we are of a rate (posterior)",
        "Month-to-month variation (cv)",
        "Plan sized for a chance (confidence plan)",
        "Hour-by-hour response check (Erlang C)",
        "Busy share (utilisation)",
        "9 in 10 within",
        "Pipeline coverage",
        "Cost per customer (CAC)",
    ),
    "experiment_analysis": (
        "Chance it is better",
        "Risk if shipped (expected loss)",
        "Traffic split check (SRM)",
        "Early look (mixture SPRT)",
        "Interval of a difference (Newcombe hybrid Wilson)",
        "Interval of a lift (Katz)",
        "p-value",
        "How sure we are of a rate (posterior)",
        "Chance (of hitting the target)",
        "Simulated quarters (Monte Carlo)",
    ),
    "trend_report": (
        "9 in 10 within",
        "Trend and seasonality forecast (ETS)",
        "Likely range (pessimistic to optimistic)",
        "Forecast error score (CRPS)",
        "Where the actual fell (PIT)",
        "Cost per customer (CAC)",
        "Chance (of hitting the target)",
    ),
    "sla_agreement": ("9 in 10 within", "Hour-by-hour response check (Erlang C)"),
    "annual_plan": (
        "Chance (of hitting the target)",
        "Simulated quarters (Monte Carlo)",
        "Likely range (pessimistic to optimistic)",
    ),
    "weekly_scorecard": (
        "Chance (of hitting the target)",
        "Traffic split check (SRM)",
        "Likely range (pessimistic to optimistic)",
        "Slipped (a deal)",
        "Likely close",
    ),
    "quarterly_plan_summary": (
        "Chance (of hitting the target)",
        "Likely range (pessimistic to optimistic)",
        "Most likely",
        "Simulated quarters (Monte Carlo)",
        "Likely close",
    ),
}

_BY_NAME = {t.term: t for t in GLOSSARY}


def page_terms(page: str) -> tuple[Term, ...]:
    """The glossary entries a page shows, in the glossary's order.

    Parameters
    ----------
    page : str
        A report name (``quarterly_plan``, ``experiment_analysis``, ...); an unknown page
        gets the whole glossary.

    Returns
    -------
    tuple of Term
    """
    names = set(PAGE_TERMS.get(page, _BY_NAME))
    return tuple(t for t in GLOSSARY if t.term in names)


def jargon_in(text: str) -> list[str]:
    """The method words of :data:`JARGON` that a text uses (for tests and checks).

    Parameters
    ----------
    text : str
        Visible text of a page's body.

    Returns
    -------
    list of str
        Each match as written, in order.
    """
    return [m.group(0) for pattern in JARGON for m in re.finditer(pattern, text)]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def appendix_html(page: str, methods: Sequence[str] = (), *, printed: bool = True) -> str:
    """A page's last two sections: "How this is computed" and the glossary.

    Parameters
    ----------
    page : str
        The report's name (its methods and terms).
    methods : sequence of str
        More method lines computed for this page (e.g. each experiment's methods).
    printed : bool
        Print the appendix too; ``False`` keeps it on screen only (a scorecard printed on
        one page, an agreement on two).

    Returns
    -------
    str
        HTML: two level-2 headings (so the contents box lists them), a list of methods and a
        definition list; every string escaped.
    """
    lines = [*METHODS.get(page, ()), *methods]
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    terms = "".join(
        f"<dt><b>{html.escape(t.term)}</b></dt><dd style='margin:0 0 6px 16px;'>"
        f"{html.escape(t.meaning)}</dd>"
        for t in page_terms(page)
    )
    screen_only = "" if printed else " al-screen-only"
    # not printed: the section and the notebook cell around it (its margins would cost a line)
    style = (
        ""
        if printed
        else "<style>@media print { .al-appendix.al-screen-only, "
        ".jp-Cell:has(.al-screen-only) { display: none !important; } }</style>"
    )
    return (
        f'{style}<section class="al-appendix{screen_only}" style="font-size:13px;color:#2d3748;">'
        f'<h2 id="{_slug(METHODS_HEADING)}">{html.escape(METHODS_HEADING)}</h2>'
        f'<ul style="margin:4px 0 12px;">{items}</ul>'
        f'<h2 id="{_slug(GLOSSARY_HEADING)}">{html.escape(GLOSSARY_HEADING)}</h2>'
        f'<dl style="margin:4px 0 12px;">{terms}</dl></section>'
    )


def show_appendix(page: str, methods: Sequence[str] = (), *, printed: bool = True) -> Any:
    """The appendix for a notebook cell (see :func:`appendix_html`).

    Parameters
    ----------
    page : str
        The report's name.
    methods : sequence of str
        More method lines computed for this page.
    printed : bool
        Print the appendix too.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    return HTML(appendix_html(page, methods, printed=printed))
