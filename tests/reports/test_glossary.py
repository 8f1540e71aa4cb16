"""The shared glossary and each page's appendix: one source, every term a page names."""

from __future__ import annotations

import re

import pytest

from alignlib.reports import glossary


def test_every_page_term_is_in_the_one_glossary() -> None:
    names = {t.term for t in glossary.GLOSSARY}
    assert len(names) == len(glossary.GLOSSARY), "a term twice"
    for page, terms in glossary.PAGE_TERMS.items():
        assert set(terms) <= names, page
        assert page in glossary.METHODS


def test_the_glossary_explains_every_method_word_it_forbids() -> None:
    text = " ".join(f"{t.term} {t.meaning}" for t in glossary.GLOSSARY)
    missing = [p for p in glossary.JARGON if not re.search(p, text) and "confidence" not in p]
    assert not missing, missing


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("P(hit) 44% and P10/P90 of the posterior", ["P(hit", "P10", "P90", "posterior"]),
        ("chance 44%, likely range $2.1M to $2.6M", []),
        ("sized for the 80% confidence", ["80% confidence", "the 80% confidence"]),
        (
            "Erlang C at utilisation 21%; CRPS; PIT; SRM",
            ["Erlang", "utilisation", "CRPS", "PIT", "SRM"],
        ),
        ("a PITCH and a CVS file", []),
    ],
)
def test_jargon_in_finds_method_words_only(text, found) -> None:
    assert sorted(glossary.jargon_in(text)) == sorted(found)


def test_appendix_is_two_sections_and_escapes_its_text() -> None:
    page = glossary.appendix_html("experiment_analysis", ["<b>Routing</b>: Newcombe"])
    assert re.findall(r"<h2 id=\"([^\"]+)\"", page) == ["How-this-is-computed", "Glossary"]
    assert "&lt;b&gt;Routing&lt;/b&gt;: Newcombe" in page
    assert "Traffic split check (SRM)" in page and "al-screen-only" not in page
    screen = glossary.appendix_html("weekly_scorecard", printed=False)
    assert "al-screen-only" in screen and "@media print" in screen
    # an unknown page gets the whole glossary
    assert len(glossary.page_terms("unknown")) == len(glossary.GLOSSARY)
