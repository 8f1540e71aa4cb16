"""A report's page: self-contained, code hidden, title and contents, failed runs marked."""

from __future__ import annotations

from alignlib import batch
from tests.batch._batch_helpers import executed_like_notebook


def test_export_html_is_self_contained_with_title_and_toc() -> None:
    page = batch.export_html(executed_like_notebook(), title="Quarterly plan", subtitle="2026Q4")
    assert "<title>Quarterly plan — 2026Q4</title>" in page
    assert '<nav class="al-toc">' in page
    toc = page.split('<nav class="al-toc">')[1].split("</nav>")[0]
    assert "First section" in toc and "Second section" in toc
    assert 'src="data:image/png;base64,' in page
    # nothing fetched from the network: no external scripts, styles or fonts
    assert "<script src=" not in page
    for needle in ('src="http', 'href="http', "@import url(http", "cdn.jsdelivr", "mathjax"):
        assert needle.lower() not in page.lower(), needle
    # code is hidden, the notebook's own title is left to the page header
    assert "batch.record_headline" not in page
    assert "Notebook title" not in page


def test_export_html_marks_failed_runs() -> None:
    page = batch.export_html(executed_like_notebook(), title="Plan", failed=True)
    assert "<title>FAILED: Plan</title>" in page
    assert "failed to render completely" in page


def test_export_html_uses_the_packaged_style_and_escapes_the_header() -> None:
    from alignlib.batch.html import TEMPLATES_DIR

    css = (TEMPLATES_DIR / "report.css").read_text()
    page = batch.export_html(executed_like_notebook(), title="<Plan & co>", subtitle="<b>x</b>")
    assert css.strip() in page
    assert "<h1>&lt;Plan &amp; co&gt;</h1>" in page
    assert "<p>&lt;b&gt;x&lt;/b&gt;</p>" in page
    assert "<!--ALIGNLIB_TOC-->" not in page


def test_failed_page_shows_hostile_error_text_and_headings_as_text() -> None:
    from nbformat.v4 import new_code_cell, new_output

    nb = executed_like_notebook()
    bad = new_code_cell("load()")
    bad.outputs = [
        new_output(
            "display_data",
            data={"text/html": '<h2 id="x-script">&lt;script&gt;alert(1)&lt;/script&gt;</h2>'},
        ),
        new_output(
            "error",
            ename="InputError",
            evalue="<script>alert(1)</script>",
            traceback=["InputError: <img src=x onerror=alert(1)>"],
        ),
    ]
    nb.cells.append(bad)
    page = batch.export_html(nb, title="<b>T</b>", subtitle='"><svg onload=alert(1)>', failed=True)
    assert "<script>alert" not in page and "<img src=x" not in page and "<svg onload" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    # the contents entry of an escaped heading stays escaped
    assert '<li><a href="#x-script">&lt;script&gt;alert(1)&lt;/script&gt;</a></li>' in page
