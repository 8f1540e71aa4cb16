"""The VP's pages in a real browser: the plan and its summary in print, the scorecard on a phone.

Headless Chromium prints the quarterly plan (at most 12 pages of Letter or A4) and its VP
summary (at most 2) to PDF; the PDF's outline says where each heading landed, so a heading
stranded at the foot of a page is seen. Print media is then emulated at the paper's
content width: no table (nor any of its cells) reaches past it, and no cell reads
nan/None/inf. The e-mail scorecard and the scorecard page are loaded at 390 px (a phone):
nothing reaches past the screen and every KPI shows its status. The scorecard's links are
followed to the plan's and the trend report's sections. Reuses the session's rendered
batches (tests/_rendered.py, tests/batch/_printable_helpers.py): nothing renders again.
"""

from __future__ import annotations

import shutil

import pytest

from tests._rendered import rendered_reports
from tests.batch._printable_helpers import (
    MARGIN_MM,
    PAPERS,
    PT_PER_MM,
    PX_PER_MM,
    pdf_headings,
    pdf_pages,
    print_pdf,
    printable_pages,
)
from tests.browser._browser_helpers import BROWSER_MARKS, new_driver

pytestmark = BROWSER_MARKS

#: Page budget of the plan's printed pages.
MAX_PAGES = {"quarterly_plan": 12, "quarterly_plan_summary": 2}
#: A heading needs this much of its page below it (points): itself and a few lines.
HEADING_ROOM_PT = 72
PHONE = 390

#: Cells that would read as a failed computation.
BAD_CELLS_JS = r"""
return [...document.querySelectorAll('td, th')]
  .map(c => c.innerText.trim())
  .filter(t => /^(nan|NaN|None|inf|-inf|NaT|undefined)$/.test(t) || /\b(nan|NaN|inf)%/.test(t));
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = new_driver(tmp_path_factory.mktemp("chromium-pages"))
    yield driver
    driver.quit()


def _emulate(driver, *, width: int, media: str = "", mobile: bool = False) -> None:
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile},
    )
    driver.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": True})


def _reset(driver) -> None:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    driver.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": False})


@pytest.mark.parametrize("paper", sorted(PAPERS))
@pytest.mark.parametrize("report", sorted(MAX_PAGES))
def test_plan_prints_within_its_pages_with_headings_kept_and_tables_inside(
    browser, tmp_path_factory, report, paper
) -> None:
    out, result = rendered_reports(tmp_path_factory)
    assert result.ok, result.summary()
    browser.get((out / "2026Q4" / "all" / f"{report}.html").as_uri())
    width_cm, height_cm = PAPERS[paper]
    pdf = print_pdf(browser, width_cm, height_cm)
    pages = pdf_pages(pdf)
    print(f"{report} on {paper}: {pages} page(s)")
    assert 1 <= pages <= MAX_PAGES[report], f"{report} prints on {pages} {paper} pages"
    headings = [h for h in pdf_headings(pdf) if h[2] not in ("Contents",)]
    assert len(headings) >= 4, headings
    floor = MARGIN_MM * PT_PER_MM + HEADING_ROOM_PT
    stranded = [(page, round(y), title) for page, y, title in headings if y < floor]
    assert not stranded, f"headings at the foot of a page: {stranded}"

    content_w = round((width_cm * 10 - 2 * MARGIN_MM) * PX_PER_MM)
    _emulate(browser, width=content_w, media="print")
    try:
        assert browser.execute_script("return matchMedia('print').matches")
        wide = browser.execute_script(
            "const w = document.documentElement.clientWidth;"
            "return [...document.querySelectorAll('table, td, th')].filter(e => {"
            " const r = e.getBoundingClientRect();"
            " return r.width > 0 && (r.right > w + 1 || r.left < -1 ||"
            "  (e.tagName === 'TABLE' && e.scrollWidth > e.clientWidth + 1)); })"
            ".map(e => e.tagName + ': ' + e.innerText.slice(0, 40));"
        )
        assert not wide, f"{report} on {paper}: past the page's edge: {wide[:5]}"
        assert not browser.execute_script(BAD_CELLS_JS)
        if report == "quarterly_plan":
            # the columns a printed scrollbar used to hide: there, and inside the page
            for header in ("swing in", "Capacity flags"):
                seen = browser.execute_script(
                    "const w = document.documentElement.clientWidth;"
                    "return [...document.querySelectorAll('th')]"
                    ".filter(t => t.innerText.includes(arguments[0]))"
                    ".map(t => t.getBoundingClientRect().right <= w + 1);",
                    header,
                )
                assert seen and all(seen), f"{header!r} column cut off on {paper}"
    finally:
        _reset(browser)


@pytest.mark.parametrize("page", ["scorecard.email.html", "weekly_scorecard.html"])
def test_scorecard_fits_a_phone_with_every_status_shown(browser, tmp_path_factory, page) -> None:
    out, result = printable_pages(tmp_path_factory)
    assert result.ok, result.summary()
    browser.get((out / "2026Q4" / "all" / page).as_uri())
    _emulate(browser, width=PHONE, mobile=True)
    try:
        browser.refresh()  # the media queries read the phone's width from the start
        state = browser.execute_script(
            "const w = document.documentElement.clientWidth;"
            "const seen = e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);"
            " return r.width > 0 && r.height > 0 && r.left >= -1 && r.right <= w + 1"
            "  && s.visibility !== 'hidden' && s.display !== 'none'; };"
            "const rows = [...document.querySelectorAll('table.sc-kpis tr.sc-row')];"
            "return {width: w, scroll: document.documentElement.scrollWidth,"
            " rows: rows.map(r => [r.querySelector('.sc-label').innerText,"
            "   seen(r.querySelector('.sc-label')), seen(r.querySelector('.sc-pill')),"
            "   [...r.querySelectorAll('td.sc-fig')].every(seen)]),"
            " past: [...document.querySelectorAll('body *')]"
            "   .filter(e => e.getBoundingClientRect().right > w + 1)"
            "   .map(e => e.tagName + '.' + e.className).slice(0, 5),"
            " head: getComputedStyle(document.querySelector('table.sc-kpis thead')).display};"
        )
        assert state["width"] == PHONE
        assert state["scroll"] <= PHONE, f"{page} scrolls sideways: {state['past']}"
        assert not state["past"], state["past"]
        assert len(state["rows"]) >= 5
        for label, label_seen, status_seen, figures_seen in state["rows"]:
            assert label_seen and status_seen and figures_seen, f"{label} is cut off at 390 px"
        assert state["head"] == "none"  # one column: each figure carries its own label
        assert not browser.execute_script(BAD_CELLS_JS)
        assert not browser.execute_script("return document.scripts.length")
    finally:
        _reset(browser)


def test_scorecard_links_reach_the_plan_and_trend_sections(browser, tmp_path_factory, tmp_path):
    """Every link of the scorecard opens a page of its folder at an existing section."""
    quarterly, _ = rendered_reports(tmp_path_factory)
    weekly, result = printable_pages(tmp_path_factory)
    assert result.ok, result.summary()
    # one segment folder as `alignlib run` and `run --weekly` leave it
    for page in ("quarterly_plan", "quarterly_plan_summary", "trend_report"):
        shutil.copy(quarterly / "2026Q4" / "all" / f"{page}.html", tmp_path / f"{page}.html")
    shutil.copy(weekly / "2026Q4" / "all" / "weekly_scorecard.html", tmp_path)
    browser.get((tmp_path / "weekly_scorecard.html").as_uri())
    links = browser.execute_script(
        "return [...document.querySelectorAll('a.sc-link')].map(a => a.getAttribute('href'));"
    )
    assert len(links) >= 6 and all(not h.startswith(("/", "file:", "http")) for h in links)
    pages = {h.split("#")[0] for h in links}
    assert {"quarterly_plan.html", "trend_report.html", "quarterly_plan_summary.html"} <= pages
    for href in links:
        browser.get((tmp_path / "weekly_scorecard.html").as_uri())
        browser.find_element("css selector", f'a.sc-link[href="{href}"]').click()
        target = browser.execute_script(
            "const id = decodeURIComponent(location.hash.slice(1));"
            "return [location.pathname.split('/').pop(), !id || !!document.getElementById(id)];"
        )
        assert target == [href.split("#")[0], True], f"{href} leads nowhere"


def test_scorecard_contents_list_every_section(browser, tmp_path_factory) -> None:
    out, result = printable_pages(tmp_path_factory)
    assert result.ok, result.summary()
    browser.get((out / "2026Q4" / "all" / "weekly_scorecard.html").as_uri())
    sections, contents = browser.execute_script(
        "return [[...document.querySelectorAll('h2[id]')].filter(h => !h.closest('nav'))"
        "  .map(h => h.id),"
        " [...document.querySelectorAll('nav.al-toc a')].map(a => a.getAttribute('href').slice(1))];"
    )
    assert contents == sections
    for name in ("KPIs against plan", "Pipeline this week", "Agenda", "Deals that matter"):
        assert name.replace(" ", "-") in sections
    # the deal list names deals (never by a CRM id alone), says "typical deal" once at most
    deals = browser.execute_script(
        "return [...document.querySelectorAll('div.sc-deals td.sc-kpi')].map(c => c.innerText);"
    )
    assert deals and all(not d.isdigit() and "@" not in d for d in deals)
    page = browser.page_source
    assert page.count("typical deal") <= 1
