"""Render the printable pages once per session (the SLA agreement and the weekly scorecard),
and read a printed PDF: its pages and where each heading landed."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from alignlib import batch, paths

#: Trials of each landing forecast on the scorecard: enough for a P(hit), quick for CI.
TRIALS = 2_000
_CACHE: dict[str, object] = {}

#: Paper sizes in cm, and the margin of templates/print.css in mm.
PAPERS = {"letter": (21.59, 27.94), "a4": (21.0, 29.7)}
MARGIN_MM = 12
PX_PER_MM = 96 / 25.4
PT_PER_MM = 72 / 25.4


def printable_pages(tmp_path_factory) -> tuple[Path, batch.BatchResult]:
    """Outputs folder and batch result of the default segment's agreement and scorecard."""
    if "result" not in _CACHE:
        out = tmp_path_factory.mktemp("printable")
        sla = next(r for r in batch.REPORTS if r.name == "sla_agreement")
        result = batch.run_batch(
            [paths.DEFAULT_PARAMS],
            out_dir=out,
            trials=TRIALS,
            reports=(sla, *batch.WEEKLY_REPORTS),
            workers=2,
            progress=False,
        )
        _CACHE["out"], _CACHE["result"] = out, result
    return _CACHE["out"], _CACHE["result"]  # type: ignore[return-value]


def print_pdf(driver: Any, width_cm: float, height_cm: float) -> bytes:
    """The loaded page printed to PDF by Chromium, with an outline of its headings."""
    result = driver.execute_cdp_cmd(
        "Page.printToPDF",
        {
            "paperWidth": width_cm / 2.54,
            "paperHeight": height_cm / 2.54,
            "printBackground": True,
            "generateDocumentOutline": True,
        },
    )
    return base64.b64decode(result["data"])


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF (its ``/Type /Page`` objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


def _page_order(pdf: bytes) -> list[int]:
    """Object numbers of the pages, in reading order (the page tree walked from its root)."""
    objects = {
        int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", pdf, re.S)
    }
    is_tree = re.compile(rb"/Type\s*/Pages\b")
    root = next(n for n, body in objects.items() if is_tree.search(body) and b"/Parent" not in body)
    order: list[int] = []

    def walk(n: int) -> None:
        body = objects[n]
        if not is_tree.search(body):
            order.append(n)
            return
        kids = re.search(rb"/Kids\s*\[([^\]]*)\]", body)
        for kid in re.findall(rb"(\d+) 0 R", kids.group(1) if kids else b""):
            walk(int(kid))

    walk(root)
    return order


def pdf_headings(pdf: bytes) -> list[tuple[int, float, str]]:
    """Each heading of the PDF's outline: (page, points from the page's bottom, title)."""
    order = _page_order(pdf)
    found = []
    for m in re.finditer(
        rb"/Title\s*\(((?:[^()\\]|\\.)*)\).*?/Dest\s*\[(\d+) 0 R /XYZ [\d.]+ ([\d.]+)", pdf, re.S
    ):
        title = m.group(1).decode("latin-1").replace("\\(", "(").replace("\\)", ")")
        found.append((order.index(int(m.group(2))) + 1, float(m.group(3)), title))
    return found


#: Cells that would read as a failed computation.
BAD_CELLS_JS = r"""
return [...document.querySelectorAll('td, th')]
  .map(c => c.innerText.trim())
  .filter(t => /^(nan|NaN|None|inf|-inf|NaT|undefined)$/.test(t) || /\b(nan|NaN|inf)%/.test(t));
"""


def emulate(driver: Any, *, width: int, media: str = "", mobile: bool = False) -> None:
    """Lay the loaded page out at ``width`` px (print media, a phone), scrollbars hidden."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile},
    )
    driver.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": True})


def reset_emulation(driver: Any) -> None:
    """Undo :func:`emulate`."""
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    driver.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": False})
