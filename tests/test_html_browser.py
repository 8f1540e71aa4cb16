"""The rendered pages open in a real (headless) Chromium: title, contents, charts, no errors.

The quarterly plan prints on at most 12 pages of Letter or A4 and its VP summary on 2: the
PDF's outline shows no heading at the foot of a page, and with print media emulated at the
paper's width no table or cell reaches past it and none reads nan/None/inf.

Skipped, with the reason, only when no Chromium/chromedriver is installed
(``apt-get install -y chromium chromium-driver``; ``.ci/run`` installs them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alignlib import batch
from tests._rendered import rendered_reports
from tests.batch._printable_helpers import (
    BAD_CELLS_JS,
    MARGIN_MM,
    PAPERS,
    PT_PER_MM,
    PX_PER_MM,
    emulate,
    pdf_headings,
    pdf_pages,
    print_pdf,
    reset_emulation,
)

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
    pytest.mark.skipif(
        CHROMIUM is None or DRIVER is None,
        reason="no headless browser: install chromium and chromium-driver "
        "(apt-get install -y chromium chromium-driver) to run the page tests",
    ),
]


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
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--window-size=1200,900",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


def _severe(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


@pytest.mark.parametrize("report", [r.name for r in batch.REPORTS])
def test_report_page_renders(browser, tmp_path_factory, report) -> None:
    out, result = rendered_reports(tmp_path_factory)
    page = out / "2026Q4" / "all" / f"{report}.html"
    assert page.exists(), [r.error for r in result.results]
    browser.get(page.as_uri())
    title = browser.title
    assert title.startswith(next(r.title for r in batch.REPORTS if r.name == report))
    toc = browser.find_elements("css selector", "nav.al-toc li a")
    assert len(toc) >= 3
    for link in toc:  # every contents entry points at a heading on the page
        anchor = link.get_attribute("href").split("#", 1)[1]
        assert browser.find_elements("id", anchor), anchor
    images = browser.find_elements("css selector", "img")
    # the agreement is text to sign; the VP summary has one chart on its two pages
    assert report in ("sla_agreement", "quarterly_plan_summary") or len(images) >= 3
    for img in images:
        assert img.get_attribute("src").startswith("data:image/png;base64,")
        assert browser.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", img
        ), "an image did not load"
    # code is hidden from readers
    assert not browser.find_elements(
        "css selector", ".jp-InputArea-editor, .jp-CodeCell .highlight"
    )
    for img in images:  # charts carry their title as alternative text
        assert img.get_attribute("alt") not in (
            "",
            "No description has been provided for this image",
        )
    assert _severe(browser) == []


def test_index_page_lists_every_report(browser, tmp_path_factory) -> None:
    out, result = rendered_reports(tmp_path_factory)
    browser.get((out / "2026Q4" / "index.html").as_uri())
    rows = browser.find_elements("css selector", "tbody tr")
    assert len(rows) == len(result.results)
    assert all("ok" in r.text for r in rows)
    link = browser.find_element("link text", "Quarterly plan")
    link.click()
    assert browser.title.startswith("Quarterly plan")
    assert _severe(browser) == []


#: Page budget of the plan and its VP summary, printed on Letter or A4.
PLAN_PAGES = {"quarterly_plan": 12, "quarterly_plan_summary": 2}
#: A heading needs this much of its page below it (points): itself and a few lines.
HEADING_ROOM_PT = 72


@pytest.mark.parametrize("paper", sorted(PAPERS))
@pytest.mark.parametrize("report", sorted(PLAN_PAGES))
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
    assert 1 <= pages <= PLAN_PAGES[report], f"{report} prints on {pages} {paper} pages"
    headings = [h for h in pdf_headings(pdf) if h[2] not in ("Contents",)]
    assert len(headings) >= 4, headings
    floor = MARGIN_MM * PT_PER_MM + HEADING_ROOM_PT
    stranded = [(page, round(y), title) for page, y, title in headings if y < floor]
    assert not stranded, f"headings at the foot of a page: {stranded}"

    content_w = round((width_cm * 10 - 2 * MARGIN_MM) * PX_PER_MM)
    emulate(browser, width=content_w, media="print")
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
        reset_emulation(browser)
