from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from alignlib.batch.email import email_page, inline_css, parse_css
from tests.batch._batch_helpers import PNG_1PX


def test_parse_css_reads_plain_rules_and_refuses_the_rest() -> None:
    rules = parse_css("/* c */ td.a, .b { color: red; }\np { margin: 0 }")
    assert [(r.tag, r.cls, r.declarations) for r in rules] == [
        ("td", "a", "color: red"),
        (None, "b", "color: red"),
        ("p", None, "margin: 0"),
    ]
    for bad in ("@media print { .a { x: 1 } }", "div .a { x: 1 }", ".a:hover { x: 1 }"):
        with pytest.raises(ValueError):
            parse_css(bad)


def test_inline_css_orders_by_specificity_and_keeps_own_styles_last() -> None:
    css = ".a { color: red } td { color: blue; padding: 1px } td.a { color: green }"
    out = inline_css('<td class="a x" style="padding: 2px">v</td><p class="z">w</p>', css)
    assert 'style="color: blue; padding: 1px; color: red; color: green; padding: 2px"' in out
    assert '<p class="z">' in out  # no rule matches: unchanged


def test_email_page_is_one_file_without_scripts_styles_or_links() -> None:
    nb = new_notebook()
    cell = new_code_cell("x", metadata={"tags": ["email"]})
    cell.outputs = [
        new_output(
            "display_data",
            data={
                "text/html": '<p class="sc-week">Hi <a href="https://x">there</a></p>'
                "<script>alert(1)</script><style>p{}</style>"
            },
        ),
        new_output(
            "display_data", data={"image/png": PNG_1PX}, metadata={"image/png": {"alt": "A <b>"}}
        ),
    ]
    hidden = new_code_cell("y")
    hidden.outputs = [new_output("display_data", data={"text/html": "<p>not mailed</p>"})]
    nb.cells = [cell, hidden]
    page = email_page(nb, title="Weekly <scorecard>", subtitle="2026Q4")
    assert page is not None
    assert "<script" not in page and "<link" not in page
    # the fragment's own style block is gone; the one left is the phone's, in the head
    head, body = page.split("</head>", 1)
    assert "<style" not in body and "p{}" not in page
    assert head.count("<style") == 1 and "@media screen and (max-width: 480px)" in head
    assert 'width="100%"' in page and "max-width:680px" in page  # as wide as the screen
    assert "href=" not in page and "there" in page
    assert f"data:image/png;base64,{PNG_1PX}" in page and 'alt="A &lt;b&gt;"' in page
    assert "not mailed" not in page
    assert "Weekly &lt;scorecard&gt;" in page
    assert '<p class="sc-week" style="' in page  # the sheet's rule inlined
    assert email_page(new_notebook(), title="t") is None
