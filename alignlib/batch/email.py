"""A report as one e-mail-safe HTML file: inline styles, images as data URIs, no scripts.

Mail clients drop ``<style>`` blocks, scripts and external resources, and honour table
widths better than CSS layout. :func:`email_page` takes the outputs of the cells tagged
``email`` in an executed notebook, wraps them in a table layout at most 680 px wide (and
as narrow as the screen) and moves the rules of ``templates/scorecard.css`` into ``style``
attributes (:func:`inline_css`). One ``<style>`` block stays in the head:
``templates/scorecard_phone.css``, the single column under 480 px, for the mail apps that
apply media queries; the inline styles alone still show every KPI with its status.

A hand-made inliner rather than ``premailer``: our style sheet is a few dozen plain
``.class`` / ``tag`` / ``tag.class`` rules that we write ourselves, and premailer would pull
in lxml and cssutils for it. Anything else in the sheet (at-rules, combinators, pseudo
classes) is refused when the sheet is parsed, so the inliner never silently drops a rule.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from alignlib.batch.html import TEMPLATES_DIR

#: Cells whose outputs make the e-mail.
EMAIL_TAG = "email"
#: Widest the e-mail's body gets, in pixels (what most clients show without scrolling).
EMAIL_WIDTH = 680
#: The one style sheet kept as a ``<style>`` block (media queries cannot be inlined).
PHONE_CSS = "scorecard_phone.css"

_SELECTOR = re.compile(r"^([a-z][a-z0-9]*)?(?:\.([A-Za-z_][\w-]*))?$")
_OPEN_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)(\s[^<>]*?)?(\s*/)?>")
_ATTR = re.compile(r'\s([a-zA-Z_:][-\w:.]*)\s*=\s*"([^"]*)"')


@dataclass(frozen=True)
class CssRule:
    """One rule of the sheet: a tag and/or a class, and its declarations."""

    tag: str | None
    cls: str | None
    declarations: str
    order: int

    @property
    def specificity(self) -> tuple[int, int, int]:
        """(class, tag, source order): later and more specific rules win."""
        return (int(self.cls is not None), int(self.tag is not None), self.order)


def parse_css(css: str) -> list[CssRule]:
    """The rules of a plain style sheet.

    Parameters
    ----------
    css : str
        Rules such as ``.sc-td, th.sc-th { padding: 4px; }``; comments are ignored.

    Returns
    -------
    list of CssRule
        One per selector, in source order.

    Raises
    ------
    ValueError
        For an at-rule or a selector other than ``tag``, ``.class`` or ``tag.class``.
    """
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules: list[CssRule] = []
    for block in css.split("}"):
        if not block.strip():
            continue
        if "{" not in block:
            raise ValueError(f"not a CSS rule: {block.strip()[:60]!r}")
        selectors, declarations = block.split("{", 1)
        if selectors.strip().startswith("@"):
            raise ValueError(f"at-rules cannot be inlined: {selectors.strip()[:60]!r}")
        decl = " ".join(declarations.split()).strip().rstrip(";")
        for selector in selectors.split(","):
            m = _SELECTOR.match(selector.strip())
            if not m or not (m.group(1) or m.group(2)):
                raise ValueError(f"selector cannot be inlined: {selector.strip()!r}")
            rules.append(CssRule(m.group(1), m.group(2), decl, len(rules)))
    return rules


def inline_css(fragment: str, css: str | Iterable[CssRule]) -> str:
    """Move style-sheet rules into the ``style`` attribute of every element they match.

    Declarations already in an element's ``style`` come last, so they keep winning.

    Parameters
    ----------
    fragment : str
        HTML whose attributes are double-quoted (as this package writes them).
    css : str or iterable of CssRule
        The style sheet.

    Returns
    -------
    str
        The same HTML with ``style`` attributes filled in.
    """
    rules = parse_css(css) if isinstance(css, str) else list(css)

    def rewrite(m: re.Match[str]) -> str:
        tag = m.group(1).lower()
        attrs = m.group(2) or ""
        found = {k.lower(): v for k, v in _ATTR.findall(attrs)}
        classes = set(html.unescape(found.get("class", "")).split())
        matched = sorted(
            (
                r
                for r in rules
                if (r.tag is None or r.tag == tag) and (r.cls is None or r.cls in classes)
            ),
            key=lambda r: r.specificity,
        )
        if not matched:
            return m.group(0)
        own = html.unescape(found.get("style", "")).strip().rstrip(";")
        style = "; ".join([*(r.declarations for r in matched), *([own] if own else [])])
        attrs = _ATTR.sub(lambda a: "" if a.group(1).lower() == "style" else a.group(0), attrs)
        return f'<{m.group(1)}{attrs} style="{html.escape(style, quote=True)}"{m.group(3) or ""}>'

    return _OPEN_TAG.sub(rewrite, fragment)


def _strip_unsafe(fragment: str) -> str:
    """No scripts, style blocks, external style sheets or links out of the message."""
    fragment = re.sub(r"<script\b.*?</script\s*>", "", fragment, flags=re.S | re.I)
    fragment = re.sub(r"<style\b.*?</style\s*>", "", fragment, flags=re.S | re.I)
    fragment = re.sub(r"<link\b[^>]*>", "", fragment, flags=re.I)
    # a link out of an e-mail is a link to a file the reader does not have: keep the text
    return re.sub(r"</?a\b[^>]*>", "", fragment, flags=re.I)


def _output_html(output: Any) -> str:
    data = output.get("data", {}) if isinstance(output, dict) else {}
    if "image/png" in data:
        png = "".join(data["image/png"]).replace("\n", "")
        alt = (output.get("metadata", {}).get("image/png") or {}).get("alt") or "Chart"
        width = EMAIL_WIDTH - 40
        return (
            f'<img src="data:image/png;base64,{html.escape(png, quote=True)}" '
            f'width="{width}" alt="{html.escape(str(alt), quote=True)}" '
            f'style="display:block; width:100%; max-width:{width}px; height:auto; border:0">'
        )
    if "text/html" in data:
        value = data["text/html"]
        return "".join(value) if isinstance(value, list) else str(value)
    return ""


def email_page(nb: Any, *, title: str, subtitle: str = "", css: str | None = None) -> str | None:
    """The outputs of a notebook's ``email`` cells as one self-contained e-mail page.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook.
    title, subtitle : str
        The heading and the line under it (escaped here).
    css : str, optional
        Style sheet to inline (default ``templates/scorecard.css``).

    Returns
    -------
    str or None
        The page, or None when no cell is tagged ``email``.
    """
    parts = []
    for cell in nb.cells:
        if EMAIL_TAG in cell.get("metadata", {}).get("tags", []):
            parts += [_output_html(o) for o in cell.get("outputs", [])]
    parts = [p for p in parts if p]
    if not parts:
        return None
    sheet = css if css is not None else (TEMPLATES_DIR / "scorecard.css").read_text("utf-8")
    phone = re.sub(r"/\*.*?\*/", "", (TEMPLATES_DIR / PHONE_CSS).read_text("utf-8"), flags=re.S)
    blocks = "".join(
        f'<tr><td class="sc-pad" style="padding: 0 20px 10px">{_strip_unsafe(p)}</td></tr>'
        for p in parts
    )
    # as wide as the screen up to EMAIL_WIDTH: a fixed width cuts the columns off a phone
    body = (
        f'<table role="presentation" class="sc-email" width="100%" cellpadding="0" '
        f'cellspacing="0" style="width:100%; max-width:{EMAIL_WIDTH}px; background:#ffffff; '
        'border:1px solid #e2e8f0">'
        '<tr><td class="sc-pad" style="padding: 18px 20px 4px; border-top: 4px solid #2b6cb0">'
        f'<h1 class="sc-email-head">{html.escape(title)}</h1>'
        f'<p class="sc-email-sub">{html.escape(subtitle)}</p></td></tr>'
        f"{blocks}</table>"
    )
    font = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f'<style type="text/css">{phone}</style></head>'
        f'<body style="margin:0; padding:16px 0; background:#f4f6f8; font-family:{font}">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0">'
        f'<tr><td align="center">{body}</td></tr></table></body></html>'
    )
    return inline_css(page, sheet)
