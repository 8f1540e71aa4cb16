"""The whole workbook on the real public files: every page renders, and says what pandas says.

One batch over both files (quarterly pages and the weekly scorecard), as a user with these
exports would run it. Expected figures come from the raw files with pandas.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from alignlib import batch
from tests.realdata import DEALS, MAVEN, MQLS, REAL
from tests.realdata.test_realdata import MAVEN_PARAMS, OLIST_PARAMS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.notebook,
    pytest.mark.skipif(
        not (MAVEN.exists() and MQLS.exists() and DEALS.exists()),
        reason=f"the real public CRM files are not at {REAL}",
    ),
]

#: A cell or figure that reads as a missing number instead of words.
UNREADABLE = re.compile(r">\s*(nan|NaN|None|inf|-inf|NaT)\s*<")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("realdata_workbook")
    files = []
    for name, text in (("maven", MAVEN_PARAMS), ("olist", OLIST_PARAMS)):
        path = folder / "params" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        files.append(path)
    out = folder / "out"
    results = [
        batch.run_batch(files, out_dir=out, trials=500, reports=reports, workers=2, progress=False)
        for reports in (batch.REPORTS, batch.WEEKLY_REPORTS)
    ]
    return out, results


@pytest.mark.parametrize("quarter", ["2018Q1", "2018Q3"])
def test_every_page_renders_on_the_real_files(rendered, quarter) -> None:
    out, results = rendered
    for result in results:
        assert result.ok, result.summary()
    seg = out / quarter / "all"
    for report in (*batch.REPORTS, *batch.WEEKLY_REPORTS):
        page = (seg / f"{report.name}.html").read_text(encoding="utf-8")
        assert "Traceback" not in page, report.name
        assert not UNREADABLE.search(page), (report.name, UNREADABLE.findall(page)[:5])
    assert (out / quarter / "index.html").is_file()


def test_the_olist_quarter_books_what_pandas_counts(rendered) -> None:
    out, _ = rendered
    snapshot = json.loads((out / "2018Q3" / "all" / "snapshot.json").read_text(encoding="utf-8"))
    numbers = snapshot["quarter_numbers"]
    deals = pd.read_csv(DEALS)
    won = pd.to_datetime(deals["won_date"], format="%d-%m-%Y %H:%M")
    as_of = pd.Timestamp(numbers["as_of"])
    mqls = pd.read_csv(MQLS)
    first = pd.to_datetime(mqls["first_contact_date"], format="%d-%m-%Y")
    assert as_of == max(first.max(), won.max()).normalize()
    quarter_end = min(as_of, pd.Timestamp("2018-09-30"))
    in_quarter = (won >= "2018-07-01") & (won.dt.normalize() <= quarter_end)
    # no amounts in the export: every won deal books the params' deal size ($5,000)
    assert numbers["wins"] == int(in_quarter.sum())
    assert numbers["booked"] == pytest.approx(5_000 * int(in_quarter.sum()))


def test_the_maven_quarter_is_said_to_start_after_the_export(rendered) -> None:
    out, _ = rendered
    snapshot = json.loads((out / "2018Q1" / "all" / "snapshot.json").read_text(encoding="utf-8"))
    numbers = snapshot["quarter_numbers"]
    raw = pd.read_csv(MAVEN)
    last = pd.to_datetime(raw[["engage_date", "close_date"]].stack(), format="%m/%d/%Y").max()
    assert pd.Timestamp(numbers["as_of"]) == last.normalize()
    assert numbers["phase"] == "before" and numbers["booked"] == 0
