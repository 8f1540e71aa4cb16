"""Plain words on every rendered page: method names only in "How this is computed" and the glossary.

Reads the pages the session already rendered (the quarterly batch of tests/_rendered.py, the
scorecard and its e-mail of tests/batch/_printable_helpers.py): no new render. The body of
each page (everything before its appendix) carries no jargon (P(hit), P10/P90, posterior,
Erlang C, CRPS, SRM, ...), no raw id such as ``threshold_70``, no raw column name such as
``volume_Oct_2026`` and no raw timestamp such as ``2026-12-06 11:47:36+00:00``; the appendix
is each page's last two sections.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup

from alignlib import batch
from alignlib.reports.glossary import GLOSSARY_HEADING, METHODS_HEADING, jargon_in
from tests._rendered import rendered_reports
from tests.batch._printable_helpers import printable_pages

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

#: A snake_case id as a reader would see it (not part of a file name or a path).
SNAKE_ID = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./])")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
COLUMN = re.compile(r"\b[a-z]+_[A-Z][a-z]{2}_\d{4}\b")
FILE_LINK = re.compile(r"\.(csv|xlsx|json|html|ipynb|yaml)$")


def _visible(page: str) -> tuple[str, str]:
    """A page's visible text before its appendix, and the appendix's (empty when none)."""
    soup = BeautifulSoup(page, "html.parser")
    # scripts, styles, the contents box, commands and links to the page's own files
    for tag in soup(["script", "style", "nav", "code"]):
        tag.decompose()
    for link in soup.find_all("a", href=FILE_LINK):
        link.decompose()
    appendix = soup.find(id=METHODS_HEADING.replace(" ", "-"))
    tail = ""
    if appendix is not None:
        section = appendix.find_parent("section") or appendix
        tail = section.get_text(" ")
        section.decompose()
    return soup.get_text(" "), tail


def _assert_plain(name: str, body: str) -> None:
    assert not jargon_in(body), f"{name}: method words in the body: {sorted(set(jargon_in(body)))}"
    assert not SNAKE_ID.findall(body), f"{name}: raw ids: {sorted(set(SNAKE_ID.findall(body)))}"
    assert not COLUMN.findall(body), f"{name}: raw column names: {COLUMN.findall(body)}"
    assert not TIMESTAMP.findall(body), f"{name}: raw timestamps: {TIMESTAMP.findall(body)}"


def _pages(tmp_path_factory) -> dict[str, Path]:
    out, result = rendered_reports(tmp_path_factory)
    assert result.ok, result.summary()
    printable, weekly = printable_pages(tmp_path_factory)
    assert weekly.ok, weekly.summary()
    seg, week_seg = out / "2026Q4" / "all", printable / "2026Q4" / "all"
    pages = {r.name: seg / f"{r.name}.html" for r in batch.REPORTS}
    pages["weekly_scorecard"] = week_seg / "weekly_scorecard.html"
    return pages


@pytest.mark.parametrize("name", [r.name for r in batch.ALL_REPORTS])
def test_method_words_only_in_the_appendix(tmp_path_factory, name) -> None:
    page = _pages(tmp_path_factory)[name].read_text(encoding="utf-8")
    body, appendix = _visible(page)
    assert appendix, f"{name} has no '{METHODS_HEADING}' section"
    _assert_plain(name, body)
    # the appendix names the methods the body leaves out, then the glossary ends the page
    assert METHODS_HEADING in appendix and GLOSSARY_HEADING in appendix
    headings = re.findall(r"<h2\b[^>]*\bid=\"([^\"]+)\"", page)
    assert headings[-2:] == [METHODS_HEADING.replace(" ", "-"), GLOSSARY_HEADING], headings[-3:]
    if name in ("quarterly_plan", "experiment_analysis", "trend_report"):
        assert jargon_in(appendix), f"{name}: the appendix names no method"


def test_the_email_and_the_index_read_plainly(tmp_path_factory) -> None:
    out, _ = rendered_reports(tmp_path_factory)
    printable, _ = printable_pages(tmp_path_factory)
    email = (printable / "2026Q4" / "all" / "scorecard.email.html").read_text(encoding="utf-8")
    index = (out / "2026Q4" / "index.html").read_text(encoding="utf-8")
    for name, page in (("e-mail", email), ("index", index)):
        body, _ = _visible(page)
        _assert_plain(name, body)
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} UTC", index), "render times"


def test_scorecard_links_reach_the_plan_and_trend_sections(tmp_path_factory) -> None:
    """Every link of the scorecard is relative to its folder and lands on a section there.

    The scorecard (``run --weekly``) and the quarterly pages (``run``) share a segment's
    folder, so each link is read against the quarterly render's pages of the same names.
    """
    pages = _pages(tmp_path_factory)
    card = BeautifulSoup(pages["weekly_scorecard"].read_text(encoding="utf-8"), "html.parser")
    links = [a["href"] for a in card.select("a.sc-link")]
    assert len(links) >= 6
    targets = {h.split("#")[0] for h in links}
    assert {"quarterly_plan.html", "quarterly_plan_summary.html", "trend_report.html"} <= targets
    for href in links:
        assert not href.startswith(("/", "file:", "http")), href
        page, _, anchor = href.partition("#")
        target = pages[page.removesuffix(".html")]
        assert target.exists(), href
        if anchor:
            soup = BeautifulSoup(target.read_text(encoding="utf-8"), "html.parser")
            assert soup.find(id=unquote(anchor)) is not None, f"{href}: no such section"
