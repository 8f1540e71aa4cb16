"""Hostile labels in params and data render as text: no script runs in a reader's browser.

Stage labels, definitions and entry criteria, channel labels, scenario and experiment
descriptions (experiment names only allow ``[A-Za-z0-9_.-]``) and the export's source and
owner values carry script payloads; the quarterly plan and trend report are rendered by
``alignlib run``, with a failing segment whose error quotes a payload, and every page,
the index included, is opened in headless Chromium.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from alignlib import paths
from alignlib.cli import main
from tests.browser._browser_helpers import BROWSER_MARKS, LIVE_SCRIPT_JS, alert_fired, new_driver

pytestmark = [*BROWSER_MARKS, pytest.mark.notebook]

PAYLOADS = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
)


def hostile_params(folder: Path) -> Path:
    """The sample params with a payload in every free-text label, and a hostile export."""
    base = yaml.safe_load(paths.DEFAULT_PARAMS.read_text(encoding="utf-8"))
    for i, stage in enumerate(base["stages"]):
        stage["label"] = f"{stage['label']} {PAYLOADS[i % 4]}"
        stage["definition"] = f"Definition {PAYLOADS[(i + 1) % 4]}"
        stage["entry_criteria"] = f"Criteria {PAYLOADS[(i + 2) % 4]}"
    for i, channel in enumerate(base["channels"].values()):
        channel["label"] = f"{channel['label']} {PAYLOADS[i % 4]}"
    for i, scenario in enumerate(base["scenarios"].values()):
        scenario["description"] = f"{scenario['description']} {PAYLOADS[i % 4]}"
    for i, experiment in enumerate(base["experiments"]):
        experiment["description"] = f"{experiment['description']} {PAYLOADS[i % 4]}"
    sample = paths.DEFAULT_PARAMS.parent
    base["actuals"]["crm_export"] = str(hostile_export(folder / "contacts.csv"))
    base["actuals"]["spend"] = str((sample / base["actuals"]["spend"]).resolve())
    path = folder / "2026Q4.yaml"
    path.write_text(yaml.safe_dump(base, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def hostile_export(path: Path) -> Path:
    """The sample HubSpot export with payloads as some rows' source and owner."""
    sample = paths.DEFAULT_PARAMS.parent / "../data/sample/hubspot_contacts.csv"
    rows = list(csv.reader(io.StringIO(sample.resolve().read_text(encoding="utf-8"))))
    header = rows[0]
    source, owner = header.index("Original Source"), header.index("Contact owner")
    for i, row in enumerate(rows[1:], start=1):
        if i % 400 == 7:
            row[source] = PAYLOADS[i % 4]
            row[owner] = PAYLOADS[(i + 1) % 4]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    good = hostile_params(folder)
    broken = folder / "2026Q4-broken.yaml"
    broken.write_text(
        f"extends: {good.name}\nsegment: broken\ntarget: {{bookings: {json.dumps(PAYLOADS[1])}}}\n"
    )
    out = folder / "out"
    code = main(
        [
            "run",
            str(good),
            str(broken),
            "--out",
            str(out),
            "--trials",
            "2000",
            "--report",
            "quarterly_plan",
            "--report",
            "trend_report",
            "--workers",
            "2",
            "--no-progress",
        ]
    )
    return out / "2026Q4", code


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = new_driver(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


def test_a_failed_segment_fails_the_run_and_the_good_ones_are_published(hostile_run) -> None:
    quarter_dir, code = hostile_run
    assert code == 1  # one segment failed: not a success
    assert (quarter_dir / "all" / "quarterly_plan.html").exists()
    assert (quarter_dir / "all" / "trend_report.html").exists()
    assert (quarter_dir / "broken" / "quarterly_plan.failed.json").exists()


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("all/quarterly_plan.html", PAYLOADS),
        ("all/trend_report.html", PAYLOADS),
        ("index.html", (PAYLOADS[1],)),  # the broken segment's error quotes its value
    ],
)
def test_hostile_text_is_shown_as_text_and_no_script_runs(
    hostile_run, browser, page, expected
) -> None:
    quarter_dir, _code = hostile_run
    path = quarter_dir / page
    assert path.exists(), sorted(p.name for p in path.parent.iterdir())
    browser.get(path.as_uri())
    assert alert_fired(browser) is None, f"a script ran in {page}"
    live = browser.execute_script(LIVE_SCRIPT_JS)
    assert live == {"handlers": [], "js_links": [], "scripts_with_alert": 0, "svgs": 0}, live
    text = browser.find_element("tag name", "body").text
    for payload in expected:
        assert payload in text, f"{payload!r} is not shown as text in {page}"
