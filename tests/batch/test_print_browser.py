"""The printable pages print within their page counts on Letter and A4, nothing cut; the
scorecard reads on a phone.

Printed to PDF by headless Chromium (``driver.print_page``); pages are counted from the
PDF's ``/Type /Page`` objects. "Nothing cut" is checked in the DOM with print media
emulated at the paper's content width: every table, chart and KPI card has
``break-inside: avoid`` and is shorter than a page's content height, so Chromium moves it
whole to the next page rather than splitting it. The e-mail scorecard and the page are
then laid out at 390 px: one column, every KPI with its status, nothing past the screen;
the page's contents list every section.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from tests.batch._printable_helpers import (
    BAD_CELLS_JS,
    MARGIN_MM,
    PAPERS,
    PX_PER_MM,
    emulate,
    printable_pages,
    reset_emulation,
)
from tests.batch._printable_helpers import pdf_pages as count_pages

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and Path(p).exists()), None
)
DRIVER = next(
    (p for p in ("/usr/bin/chromedriver", shutil.which("chromedriver")) if p and Path(p).exists()),
    None,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None, reason="no headless Chromium"),
]

#: Page budget of each printable page.
MAX_PAGES = {"weekly_scorecard": 1, "sla_agreement": 2}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-print')}",
        "--window-size=1200,900",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


def pdf_pages(driver, width_cm: float, height_cm: float) -> int:
    from selenium.webdriver.common.print_page_options import PrintOptions

    options = PrintOptions()
    options.page_width, options.page_height = width_cm, height_cm
    options.background = True
    return count_pages(base64.b64decode(driver.print_page(options)))


BLOCKS = "table, img, .sc-card, .ag-signatures"


@pytest.mark.parametrize("paper", sorted(PAPERS))
@pytest.mark.parametrize("report", sorted(MAX_PAGES))
def test_prints_within_its_pages_and_cuts_nothing(browser, tmp_path_factory, report, paper) -> None:
    out, result = printable_pages(tmp_path_factory)
    assert result.ok, result.summary()
    browser.get((out / "2026Q4" / "all" / f"{report}.html").as_uri())
    width_cm, height_cm = PAPERS[paper]
    pages = pdf_pages(browser, width_cm, height_cm)
    print(f"{report} on {paper}: {pages} page(s)")
    assert 1 <= pages <= MAX_PAGES[report], f"{report} prints on {pages} {paper} pages"

    content_w = round((width_cm * 10 - 2 * MARGIN_MM) * PX_PER_MM)
    content_h = (height_cm * 10 - 2 * MARGIN_MM) * PX_PER_MM
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": content_w, "height": 200, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        assert browser.execute_script("return matchMedia('print').matches")
        blocks = browser.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0])).map(e => {"
            " const r = e.getBoundingClientRect(), s = getComputedStyle(e);"
            " return [e.tagName + '.' + e.className, r.height, r.width,"
            " s.breakInside || s.pageBreakInside]; })",
            BLOCKS,
        )
        assert blocks, "no tables or charts found"
        for name, height, width, avoid in blocks:
            assert avoid == "avoid", f"{name} may be split across pages ({avoid})"
            assert height <= content_h, f"{name} ({height:.0f}px) is taller than a page"
            assert width <= content_w + 1, f"{name} ({width:.0f}px) is wider than the paper"
        if MAX_PAGES[report] == 1:  # the whole page fits one sheet's content box
            total = browser.execute_script("return document.documentElement.scrollHeight")
            assert total <= content_h, f"{report}: {total}px on a {content_h:.0f}px page"
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


#: A phone's width in CSS pixels.
PHONE = 390


@pytest.mark.parametrize("page", ["scorecard.email.html", "weekly_scorecard.html"])
def test_scorecard_fits_a_phone_with_every_status_shown(browser, tmp_path_factory, page) -> None:
    out, result = printable_pages(tmp_path_factory)
    assert result.ok, result.summary()
    browser.get((out / "2026Q4" / "all" / page).as_uri())
    emulate(browser, width=PHONE, mobile=True)
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
        reset_emulation(browser)


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
    listed = browser.execute_script(
        "return [...document.querySelectorAll('div.sc-deals')].map(d => d.innerText).join(' ');"
    )
    assert listed.count("typical deal") <= 1  # a note under the list, never per row
