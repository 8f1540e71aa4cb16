"""The rendered pages open in a real (headless) Chromium: title, contents, charts, no errors.

Skipped, with the reason, only when no Chromium/chromedriver is installed
(``apt-get install -y chromium chromium-driver``; ``.ci/run`` installs them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alignlib import batch
from tests._rendered import rendered_reports

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
