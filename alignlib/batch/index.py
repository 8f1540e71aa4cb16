"""The index page of a quarter: every report, its status, headline figures and files.

Built from the JSON summaries on disk (not from one run's results), so it lists the
reports of earlier runs too; rendered from ``templates/index_page.html.j2`` with every
value escaped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alignlib.batch.html import TEMPLATES_DIR
from alignlib.batch.jobs import ALL_REPORTS, QUARTER_DIR_DOC
from alignlib.files import atomic_write_text
from alignlib.format import format_value, timestamp_text

#: Headline figures the index page shows, in this order: (key, label, format kind).
INDEX_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("target", "Target", "money"),
    ("booked", "Booked", "money"),
    ("landing_p50", "Most likely landing", "money"),
    ("p_hit", "Chance of target", "pct"),
    ("required_leads", "Leads needed", "count"),
    ("budget", "Budget", "money"),
)


def _read_json(path: Path) -> dict[str, Any] | None:
    """A JSON file's content, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@QUARTER_DIR_DOC
def collect_summaries(quarter_dir: Path) -> list[dict[str, Any]]:
    """The state of every report under a quarter folder, from the summaries on disk.

    A report whose last attempt failed is listed as failed (with a link to the last
    good version when there is one).

    Returns
    -------
    list of dict
        One summary per (segment, report), with ``last_good`` for failed ones and
        ``_dir`` for the segment's folder name.
    """
    order = {spec.name: i for i, spec in enumerate(ALL_REPORTS)}
    entries: list[dict[str, Any]] = []
    if not quarter_dir.exists():
        return entries
    for seg_dir in sorted(
        p for p in quarter_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
    ):
        names = {
            p.name.removesuffix(".failed.json").removesuffix(".json")
            for p in seg_dir.glob("*.json")
        }
        for name in names:
            good = _read_json(seg_dir / f"{name}.json")
            failed = _read_json(seg_dir / f"{name}.failed.json")
            entry = failed or good
            if entry is None or "report" not in entry:
                continue
            entry = dict(entry, segment=entry.get("segment", seg_dir.name), _dir=seg_dir.name)
            if failed is not None and good is not None:
                entry["last_good"] = good
            entries.append(entry)
    entries.sort(
        key=lambda e: (e["segment"] != "all", e["segment"], order.get(e["report"], 99), e["report"])
    )
    return entries


def _href(folder: str, filename: str) -> str:
    """A relative link to a file of a segment folder (the template escapes it for HTML)."""
    return f"{quote(folder)}/{quote(filename)}"


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    """What the template shows for one report: plain strings, escaped by the template."""
    seg = entry["_dir"]
    name = entry["report"]
    failed = entry.get("status") != "ok"
    files = entry.get("files", {})
    links = []
    if "notebook" in files:
        links.append({"href": _href(seg, files["notebook"]), "text": "notebook"})
    if "summary" in files:
        links.append({"href": _href(seg, files["summary"]), "text": "JSON"})
    for kind, fname in files.items():
        if kind.startswith("csv:") or kind == "xlsx":
            links.append({"href": _href(seg, fname), "text": fname})
        elif kind == "email":  # the scorecard as one file to paste into a message
            links.append({"href": _href(seg, fname), "text": "e-mail version"})
    if failed and entry.get("last_good"):
        links.append({"href": _href(seg, f"{name}.html"), "text": "last good version"})
    head = entry.get("headline") or {}
    currency = head.get("currency", "USD")
    return {
        "segment": str(entry["segment"]),
        "page": _href(seg, f"{name}{'.failed' if failed else ''}.html"),
        "title": entry.get("title", name),
        "links": links,
        "failed": failed,
        "error": entry.get("error") or "unknown error",
        "figures": [
            format_value(head[key], kind, currency) if head.get(key) is not None else "—"
            for key, _label, kind in INDEX_FIGURES
        ],
        "rendered_at": timestamp_text(entry["rendered_at"]) if entry.get("rendered_at") else "",
    }


def segment_answers(entries: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Each segment's answer in one line, from its reports' ``quarter_numbers``.

    Every report of a segment carries the same block (one snapshot), so the first report
    that rendered gives it.

    Parameters
    ----------
    entries : list of dict
        From :func:`collect_summaries`.

    Returns
    -------
    list of dict
        ``segment``, ``answer`` (the sentence every page opens with) and ``as_of``.
    """
    from alignlib.snapshot import QuarterNumbers

    out: dict[str, dict[str, str]] = {}
    for entry in entries:
        block = (entry.get("headline") or {}).get("quarter_numbers")
        segment = str(entry["segment"])
        if entry.get("status") != "ok" or not block or segment in out:
            continue
        try:
            numbers = QuarterNumbers.from_dict(block)
        except (TypeError, ValueError):  # a summary from an older run
            continue
        out[segment] = {
            "segment": segment,
            "answer": numbers.sentence(),
            "as_of": numbers.as_of_text,
        }
    return list(out.values())


@QUARTER_DIR_DOC
def write_index(quarter_dir: Path, quarter: str) -> Path:
    """Write ``<quarter_dir>/index.html`` listing every report found there.

    Parameters
    ----------
    quarter : str
        The quarter label for the title.

    Returns
    -------
    Path
        The index file.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    entries = collect_summaries(quarter_dir)
    page = env.get_template("index_page.html.j2").render(
        quarter=quarter,
        figure_labels=[label for _key, label, _kind in INDEX_FIGURES],
        rows=[_row(e) for e in entries],
        answers=segment_answers(entries),
        n_failed=sum(1 for e in entries if e.get("status") != "ok"),
    )
    return atomic_write_text(quarter_dir / "index.html", page)
