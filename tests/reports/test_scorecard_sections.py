"""The scorecard's new sections as HTML: deals, the pipeline's week, links (no notebook run)."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from alignlib.metrics.pipeline_change import PipelineChange
from alignlib.reports import forecast as forecast_report
from alignlib.reports import scorecard as sc


def _deals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal": ["<b>Acme</b> - 40 seats", "CRM id 17"],
            "stage": ["Opportunity", "Opportunity"],
            "amount": [12_000.0, float("nan")],
            "likely_close": pd.to_datetime(["2026-11-28", None]),
            "owner": ["Rep A", "—"],
            "win_chance": [0.5, 0.25],
            "expected": [6_000.0, 5_875.0],
        }
    )


def test_deals_html_escapes_names_and_leaves_blank_amounts_to_the_note() -> None:
    page = sc.deals_html(_deals(), "A blank amount: the typical deal ($23,500).", "USD")
    assert "&lt;b&gt;Acme&lt;/b&gt; - 40 seats" in page and "<b>Acme" not in page
    assert "$12,000" in page and "28 Nov 2026" in page and "50%" in page
    assert page.count("typical deal") == 1  # said once, under the list, not per row
    assert not re.findall(r">\s*(nan|NaN|NaT|None|inf)\s*<", page)  # blanks read "—"


def test_owners_are_letters_in_order_of_first_appearance() -> None:
    owners = pd.Series(["Jordan Patel", "Blair Chen", "Jordan Patel", "", None])
    assert forecast_report.anonymised_owners(owners, 5) == ["Rep A", "Rep B", "Rep A", "—", "—"]
    assert forecast_report.anonymised_owners(None, 2) == ["—", "—"]


def test_pipeline_sentence_and_table_say_both_weeks() -> None:
    def week(start: str, counts: dict[str, int]) -> PipelineChange:
        first = dt.date.fromisoformat(start)
        return PipelineChange(
            first,
            first + dt.timedelta(days=6),
            counts,
            {m: 1000.0 * n for m, n in counts.items()},
            {},
        )

    this = week("2026-11-09", {"created": 3, "advanced": 0, "slipped": 1, "won": 2, "lost": 0})
    last = week("2026-11-02", {"created": 1, "advanced": 1, "slipped": 0, "won": 0, "lost": 4})
    card = sc.Scorecard(
        quarter="2026Q4",
        segment="all",
        currency="USD",
        week_start=this.week_start,
        week_ending=this.week_end,
        as_of=dt.date(2026, 11, 19),
        kpis=(),
        pipeline=(this, last),
    )
    assert sc.pipeline_sentence(card) == (
        "Pipeline this week: 3 created ($3k), 1 slipped ($1k), 2 won ($2k)."
    )
    page = sc.pipeline_html(card)
    for text in ("Created", "Slipped", "Deals 02 Nov to 08 Nov", "$4,000", "$3,000"):
        assert text in page
    no_data = sc.Scorecard(**{**card.__dict__, "pipeline": None})
    assert sc.pipeline_sentence(no_data) == "" and "No actuals" in sc.pipeline_html(no_data)


def test_section_links_are_relative_and_quote_the_anchor() -> None:
    assert sc.section_href("quarterly_plan", "Where we will land") == (
        "quarterly_plan.html#Where-we-will-land"
    )
    assert sc.section_href("quarterly_plan_summary", "") == "quarterly_plan_summary.html"
    page = sc.links_html()
    assert page.count('class="sc-link"') == len(sc.SECTION_LINKS)
    assert "http" not in page and 'href="/' not in page
