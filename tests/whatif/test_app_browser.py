"""`make whatif`: the panel served by Voilà, used in headless Chromium like a VP would."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from alignlib import paths
from alignlib.format import pct
from alignlib.params import load_params
from tests.browser._browser_helpers import BROWSER_MARKS, new_driver

pytestmark = BROWSER_MARKS

APP = paths.PROJECT_ROOT / "notebooks" / "whatif_app.ipynb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    voila = Path(sys.executable).with_name("voila")
    if not voila.exists() and shutil.which("voila") is None:
        pytest.skip("voila is not installed (pip install voila)")
    port = _free_port()
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(voila if voila.exists() else "voila"), str(APP), "--no-browser",
             f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
             "--strip_sources=True"],
            stdout=out, stderr=subprocess.STDOUT, cwd=paths.PROJECT_ROOT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.skip(f"voila could not start: {log.read_text()[-800:]}")
            try:
                urllib.request.urlopen(url + "voila/ping", timeout=2)
                break
            except urllib.error.HTTPError:  # any answer (404 here): the server is up
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.skip(f"voila did not answer in 60 s: {log.read_text()[-800:]}")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def page(app_url, tmp_path_factory):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = new_driver(tmp_path_factory.mktemp("chromium"))
    driver.set_window_size(1100, 1500)
    try:
        driver.get(app_url)
        WebDriverWait(driver, 120).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, '[data-figure="p_hit"]')
        )
        yield driver
    finally:
        driver.quit()


def _figure(driver, key: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'[data-figure="{key}"]').text


def test_the_app_opens_on_the_reports_headline_and_hides_the_code(page) -> None:
    from alignlib.snapshot import quarter_snapshot

    # the quarter snapshot's plan-time chance: what the plan page and the index show
    numbers = quarter_snapshot(load_params(paths.DEFAULT_PARAMS)).numbers
    assert _figure(page, "p_hit") == pct(numbers.p_hit_at_plan)
    assert "whatif_panel(" not in page.page_source  # --strip_sources: no code on the page
    assert "Leads follow the plan" in page.find_element("css selector", ".al-whatif-mode").text


def test_moving_the_leads_slider_updates_the_odds(page) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    before = _figure(page, "p_hit")
    slider = next(
        s for s in page.find_elements(By.CSS_SELECTOR, ".widget-slider")
        if "Leads the quarter gets" in s.text
    )  # fmt: skip
    readout = slider.find_element(By.CSS_SELECTOR, ".widget-readout")
    planned = int(readout.text.replace(",", ""))
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys(str(round(planned * 1.15)))
    readout.send_keys(Keys.ENTER)
    started = time.monotonic()
    # the card is re-drawn when the odds change: a figure read mid-redraw is read again
    WebDriverWait(page, 30, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: _figure(d, "p_hit") != before
    )
    print(f"the page showed the new P(hit) {time.monotonic() - started:.2f} s after the move")
    after = _figure(page, "p_hit")
    assert float(after.rstrip("%")) > float(before.rstrip("%"))
    assert _figure(page, "leads") == f"{round(planned * 1.15):,}"
    mode = page.find_element(By.CSS_SELECTOR, ".al-whatif-mode").text
    assert mode.startswith("Given these leads")
    assert "the slider's" in page.find_element(By.CSS_SELECTOR, ".al-whatif-cards").text
    shots = os.environ.get("WHATIF_SCREENSHOTS")
    if shots:  # docs/whatif-app.png and docs/whatif-panel.png
        page.save_screenshot(str(Path(shots) / "whatif-app.png"))
        panel = page.find_element(By.CSS_SELECTOR, ".widget-vbox")
        panel.screenshot(str(Path(shots) / "whatif-panel.png"))
