"""A report's HTML page: one self-contained file that opens offline, code hidden, with contents.

The page is nbconvert's ``lab`` template extended by ``templates/report.html.j2`` and styled
by ``templates/report.css``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Templates and style sheets shipped with the package.
TEMPLATES_DIR = Path(__file__).parent / "templates"

# The name nbconvert knows our template by; loaded on its own (not the whole folder) so
# that nothing of ours can shadow the lab template's own `index.html.j2`.
_REPORT_TEMPLATE = "alignlib_report.html.j2"
_HEADING = re.compile(r"<h2\b[^>]*\bid=\"([^\"]+)\"[^>]*>(.*?)</h2>", re.S)
_TOC_MARKER = "<!--ALIGNLIB_TOC-->"


def export_html(
    nb: Any,
    *,
    title: str,
    subtitle: str = "",
    failed: bool = False,
    stylesheets: Sequence[str] = (),
) -> str:
    """Export an executed notebook to one self-contained HTML page for readers.

    Code is hidden, charts are embedded as data URIs, there is a title and a table
    of contents built from the level-2 headings, and no script or stylesheet is
    loaded from the network (nbconvert's require.js, MathJax, mermaid and widget
    loaders are removed), so the page opens offline without console errors.
    Cells tagged ``report-hide`` are left out (e.g. the notebook's own title).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (left unchanged).
    title : str
        Page heading.
    subtitle : str
        The line below the heading (quarter and segment).
    failed : bool
        Mark the page as the output of a failed run.
    stylesheets : sequence of str
        More style sheets of ``templates/`` (e.g. ``print.css``), added last in the page's head.

    Returns
    -------
    str
        The HTML page.
    """
    import jinja2
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    # inputs are hidden, so a code cell without outputs would only leave a blank gap
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.get("outputs")]
    template = (TEMPLATES_DIR / "report.html.j2").read_text(encoding="utf-8")
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({_REPORT_TEMPLATE: template})],
        template_file=_REPORT_TEMPLATE,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"report-hide"}, enabled=True), enabled=True
    )
    page_title = f"{title} — {subtitle}" if subtitle else title
    if failed:
        page_title = f"FAILED: {page_title}"
    resources = {
        "metadata": {"name": page_title},
        "alignlib_title": title if not failed else f"{title} (failed run)",
        "alignlib_subtitle": subtitle,
        "alignlib_css": (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8"),
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    if stylesheets:
        # last in the head, so they outrank the notebook theme's rules of equal weight
        extra = "\n".join((TEMPLATES_DIR / n).read_text(encoding="utf-8") for n in stylesheets)
        body = body.replace("</head>", f'<style type="text/css">{extra}</style>\n</head>', 1)
    return _insert_toc(body, failed=failed)


#: Fewest sections a page has before it gets a contents box.
MIN_TOC_SECTIONS = 2


def _insert_toc(page: str, *, failed: bool = False) -> str:
    """Put the contents (and the failed-run notice) where the template left its marker.

    The headings are taken from the rendered page, so their text is already escaped HTML.
    """
    items = []
    for anchor, inner in _HEADING.findall(page):
        text = re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip()
        if text:
            items.append(f'<li><a href="#{anchor}">{text}</a></li>')
    toc = ""
    if failed:
        toc += (
            '<p class="al-failed">This report failed to render completely; the error is '
            "shown where it happened. The last good version, if any, is unchanged.</p>"
        )
    if len(items) >= MIN_TOC_SECTIONS:  # a contents box of one line is noise
        toc += '<nav class="al-toc"><h2>Contents</h2><ol>' + "".join(items) + "</ol></nav>"
    return page.replace(_TOC_MARKER, toc, 1)
