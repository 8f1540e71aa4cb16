"""The index page of a quarter: every report from the summaries on disk, every value escaped."""

from __future__ import annotations

import stat

import nbformat

from alignlib import batch
from tests.batch._batch_helpers import FIXTURES, executed_like_notebook


def _publish(quarter_dir, spec, segment, *, ok=True, error=None, headline=None):
    nb = executed_like_notebook()
    rendered = batch.RenderedReport(
        ok=ok,
        error=error,
        notebook_json=nbformat.writes(nb),
        html="<html></html>",
        headline=headline if headline is not None else batch.read_records(nb)[0],
        tables={},
        parameters={},
        seconds=0.1,
    )
    job = batch.ReportJob(spec, "2026Q4", segment, None)
    return batch.finalize_report(job, rendered, quarter_dir, quarter_dir / ".staging-t")


def test_index_lists_reports_with_figures_and_is_0644(tmp_path) -> None:
    quarter_dir = tmp_path / "2026Q4"
    plan, trend = batch.REPORTS[0], batch.REPORTS[2]
    _publish(quarter_dir, trend, "all")
    _publish(quarter_dir, plan, "emea", headline={"target": 1_200_000, "currency": "EUR"})
    _publish(quarter_dir, plan, "all")
    path = batch.write_index(quarter_dir, "2026Q4")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    entries = batch.collect_summaries(quarter_dir)
    assert [(e["segment"], e["report"]) for e in entries] == [
        ("all", "quarterly_plan"),
        ("all", "trend_report"),
        ("emea", "quarterly_plan"),
    ]
    page = path.read_text()
    assert page.count('class="ok">ok') == 3
    assert "<title>Quarterly reports 2026Q4</title>" in page
    assert '<a href="all/quarterly_plan.html"><b>Quarterly plan</b></a>' in page
    assert '<a href="all/quarterly_plan.ipynb">notebook</a>' in page
    assert "$100" in page and "50%" in page and "€1,200,000" in page
    assert 'class="bad-banner"' not in page


def test_index_escapes_every_value_and_links_the_last_good_version(tmp_path) -> None:
    quarter_dir = tmp_path / "2026Q4"
    spec = batch.ReportSpec("odd", "<script>alert(1)</script>", FIXTURES / "x.ipynb")
    _publish(quarter_dir, spec, "a&b #1")
    _publish(quarter_dir, spec, "a&b #1", ok=False, error="<img src=x onerror=alert(1)>")
    page = batch.write_index(quarter_dir, "<Q>").read_text()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<td>a&amp;b #1</td>" in page
    assert "Quarterly reports — &lt;Q&gt;" in page
    assert 'href="a%26b%20%231/odd.failed.html"' in page
    assert '<a href="a%26b%20%231/odd.html">last good version</a>' in page
    assert "1 report(s) failed in their last run." in page


def test_index_of_an_empty_quarter(tmp_path) -> None:
    page = batch.write_index(tmp_path / "2026Q4", "2026Q4").read_text()
    assert '<td colspan="10">No reports yet.</td>' in page


def test_index_opens_each_segment_with_the_answer_its_pages_open_with(tmp_path) -> None:
    from alignlib.snapshot import QuarterNumbers

    quarter_dir = tmp_path / "2026Q4"
    numbers = QuarterNumbers(
        quarter="2026Q4",
        segment="emea",
        currency="EUR",
        as_of=__import__("datetime").date(2026, 11, 19),
        phase="during",
        target=2_400_000,
        booked=1_200_400,
        wins=49,
        landing_p10=2_100_000,
        landing_p50=2_340_000,
        landing_p90=2_560_000,
        p_hit=0.36,
        p_hit_at_plan=0.43,
        required_leads=7318,
        budget=676_915,
    )
    block = numbers.to_dict()
    assert QuarterNumbers.from_dict(block) == numbers
    head = {"quarter_numbers": block, "p_hit": 0.36, "booked": 1_200_400, "currency": "EUR"}
    _publish(quarter_dir, batch.REPORTS[0], "emea", headline=head)
    _publish(quarter_dir, batch.REPORTS[2], "emea", headline=head)
    page = batch.write_index(quarter_dir, "2026Q4").read_text()
    assert (
        page.count(numbers.sentence().replace("€", "&euro;")) + page.count(numbers.sentence()) == 1
    )
    assert "36% chance" in numbers.sentence() and "43% at plan time" in numbers.sentence()
    assert "Data as of 19 Nov 2026." in page
    # from a million up money reads to the nearest thousand (one precision rule)
    assert page.count(">36%<") == 2 and page.count(">€1,200,000<") == 2
