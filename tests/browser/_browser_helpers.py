"""Headless Chromium for page tests: where it is, how to start it, whether a script ran."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and Path(p).exists()), None
)
DRIVER = next(
    (p for p in ("/usr/bin/chromedriver", shutil.which("chromedriver")) if p and Path(p).exists()),
    None,
)

#: Marks for a module of browser tests (skipped, with the reason, without Chromium).
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None or DRIVER is None,
        reason="no headless browser: install chromium and chromium-driver "
        "(apt-get install -y chromium chromium-driver) to run the page tests",
    ),
]


def new_driver(profile_dir: Path) -> Any:
    """A headless Chromium that leaves alerts open (so a test can see that one fired)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={profile_dir}",
        "--window-size=1200,900",
    ):
        opts.add_argument(flag)
    opts.set_capability("unhandledPromptBehavior", "ignore")
    return webdriver.Chrome(service=Service(str(DRIVER)), options=opts)


def alert_fired(driver: Any) -> str | None:
    """The text of an open alert (then dismissed), or None when no script raised one."""
    from selenium.common.exceptions import NoAlertPresentException

    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return None
    text = alert.text
    alert.dismiss()
    return text or "(alert)"


#: Elements or attributes that would run script, counted in the loaded page.
LIVE_SCRIPT_JS = """
const all = [...document.querySelectorAll('*')];
return {
  handlers: all.filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).map(e => e.outerHTML.slice(0, 120)),
  js_links: [...document.querySelectorAll('[href],[src]')].filter(
      e => /^\\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src') || '')
  ).map(e => e.outerHTML.slice(0, 120)),
  scripts_with_alert: [...document.scripts].filter(s => s.text.includes('alert(1)')).length,
  svgs: document.querySelectorAll('svg[onload], img[src="x"]').length,
};
"""
