"""Readable tables and callouts for the report notebooks and their HTML pages.

Numbers are written by :mod:`alignlib.format` (one way to write each kind, shared with
the charts and the CLI); this module is the HTML side. :func:`table` returns a pandas
``Styler`` (so the raw numbers stay in the frame and only their display changes);
:func:`callout`, :func:`flags` and :func:`stage_definitions` return
``IPython.display.HTML`` objects.
Styles are inline so they look the same in JupyterLab and in the exported page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import pandas as pd

from alignlib.format import format_value, readable_id, stage_label

# Column-name patterns -> format kind, checked in order (first match wins).
_NAME_RULES: tuple[tuple[str, str], ...] = (
    (r"(^|_)(p_hit|prob|probability|chance)(_|$)", "pct"),
    (r"(^|_)coverage(_|$)(?!.*(share|rate))", "ratio"),
    # "x_to_y" is a rate; "plan_to_date" and "actual_to_date" are counts to a date
    (
        r"(rate|share|pct|percent|lift|growth|compliance|conversion|_vs_|mom|qoq|yoy|_to_(?!date))",
        "pct1",
    ),
    # people and deals are whole, whatever the plan's fractions: "742", never "742.40"
    (r"(^|_)(leads|contacts|deals|wins|reps|count|volume|opportunities)(_|$)", "count"),
    (
        r"(cost|budget|revenue|bookings|amount|cac|deal_size|spend|value|pipeline|target|impact)",
        "money",
    ),
    (r"(days|lag|hours|velocity)", "days"),
)


def guess_kind(column: str, values: pd.Series) -> str:
    """The format kind a column most likely wants, from its name and dtype."""
    name = str(column).lower().replace(" ", "_")
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "text"
    for pattern, kind in _NAME_RULES:
        if re.search(pattern, name):
            return kind
    if pd.api.types.is_integer_dtype(values):
        return "count"
    finite = values.dropna()
    if len(finite) and (finite.round() == finite).all():
        return "count"
    return "number"


#: Column names written as statistics, as a reader says them (``p90_hours``).
_PERCENTILE_WORDS = {"p90": "9 in 10 within", "p50": "most likely", "p10": "pessimistic"}


def _label(name: Any) -> str:
    """A snake_case column or index name as a header; anything else is kept as written.

    ``p90_hours`` reads "9 in 10 within (hours)", ``response_p90`` "Response (9 in 10
    within)", and a name with capitals such as ``volume_Oct_2026`` "Volume Oct 2026".
    """
    text = str(name)
    if " " not in text and "_" in text and text != text.lower():
        words = text.replace("_", " ")
        return words[:1].upper() + words[1:]
    if text != text.lower() or " " in text:
        return text
    head, _, rest = text.partition("_")
    if head in _PERCENTILE_WORDS:
        words = _PERCENTILE_WORDS[head]
        return f"{words[:1].upper()}{words[1:]}" + (
            f" ({stage_label(rest).lower()})" if rest else ""
        )
    start, _, tail = text.rpartition("_")
    if tail in _PERCENTILE_WORDS and start:
        return f"{stage_label(start)} ({_PERCENTILE_WORDS[tail]})"
    return stage_label(text)


def _escaped(formatter: Callable[[Any], str]) -> Callable[[Any], str]:
    """A cell formatter whose text is escaped for HTML (values may come from params or data).

    A snake_case id in a cell (a scenario, a reason code) reads as words.
    """

    def format_cell(value: Any) -> str:
        return html.escape(str(readable_id(formatter(value))))

    return format_cell


def _escape_name(name: Any) -> Any:
    """An index or columns name escaped for HTML (Styler shows names unescaped); None kept."""
    return None if name is None else html.escape(str(name))


def table(
    frame: pd.DataFrame | pd.Series,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    *,
    currency: str = "USD",
    caption: str | None = None,
    index: bool = True,
    labels: Mapping[str, str] | None = None,
    highlight: Mapping[str, Callable[[Any], bool]] | None = None,
    missing: Mapping[str, str] | None = None,
) -> Any:
    """A formatted, read-only view of a table for reports.

    Parameters
    ----------
    frame : DataFrame or Series
        The numbers (unchanged; only their display is formatted).
    formats : mapping, optional
        Column -> format kind (see :func:`alignlib.format.format_value`) or a callable. Columns not
        named are guessed from their name and dtype (rates as %, costs as money,
        counts with thousands separators).
    currency : str
        ISO code for money columns.
    caption : str, optional
        A line shown above the table.
    index : bool
        Show the index (default). Its name and values are prettified.
    labels : mapping, optional
        Column -> header text. Unnamed snake_case headers are turned into words.
    highlight : mapping, optional
        Column -> predicate; cells where it is true are shown in red bold (flags).
    missing : mapping, optional
        Column -> what its missing cells read as (default an em dash), e.g.
        :data:`alignlib.format.NOT_IN_EXPORT` for an amount the export does not give.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    formats = dict(formats or {})
    fmt: dict[Any, Callable[[Any], str]] = {}
    numeric_cols = []
    for col in frame.columns:
        spec = formats.get(col) or guess_kind(col, frame[col])
        if callable(spec):
            fmt[col] = spec
        else:
            fmt[col] = partial(format_value, kind=spec, currency=currency)
            if spec != "text":
                numeric_cols.append(col)
    shown = frame.rename(columns={c: (labels or {}).get(c, _label(c)) for c in frame.columns})
    fmt = {(labels or {}).get(c, _label(c)): _escaped(f) for c, f in fmt.items()}
    numeric_cols = [(labels or {}).get(c, _label(c)) for c in numeric_cols]
    if index and shown.index.name is not None:
        shown.index = shown.index.rename(_label(shown.index.name))
    # Styler writes labels and index names into the page as they are: escape them all
    # (cell values are escaped by `_escaped`, after formatting, so "<0.001" reads right)
    shown.index = shown.index.set_names([_escape_name(n) for n in shown.index.names])
    shown.columns = shown.columns.set_names([_escape_name(n) for n in shown.columns.names])
    styler = shown.style.format(fmt, na_rep="—")
    for col, text in (missing or {}).items():
        shown_col = (labels or {}).get(col, _label(col))
        if shown_col in fmt:
            styler = styler.format(fmt[shown_col], subset=[shown_col], na_rep=html.escape(text))
    # row labels that are ids (scenarios, channels, reasons) read as words
    styler = styler.format_index(lambda v: html.escape(str(readable_id(v))), axis=0).format_index(
        escape="html", axis=1
    )
    styles = [
        {
            "selector": "",
            "props": "border-collapse: collapse; font-size: 13.5px; margin: 4px 0 14px;",
        },
        {"selector": "th", "props": "background: #f7fafc; padding: 5px 10px; text-align: left;"},
        {"selector": "td", "props": "padding: 4px 10px; border-bottom: 1px solid #edf2f7;"},
        {
            "selector": "caption",
            "props": "caption-side: top; text-align: left; font-weight: 600; color: #2d3748; padding-bottom: 4px;",
        },
    ]
    styler = styler.set_table_styles(styles)
    if numeric_cols:
        styler = styler.set_properties(subset=numeric_cols, **{"text-align": "right"})
    text_cols = [c for c in shown.columns if c not in numeric_cols]
    if text_cols:
        styler = styler.set_properties(subset=text_cols, **{"text-align": "left"})
    if highlight:
        for col, pred in highlight.items():
            shown_col = (labels or {}).get(col, _label(col))
            styler = styler.map(
                lambda v, _p=pred: "color: #c53030; font-weight: 600;" if _p(v) else "",
                subset=[shown_col],
            )
    if caption:
        styler = styler.set_caption(html.escape(caption))
    if not index:
        styler = styler.hide(axis="index")
    return styler


# --------------------------------------------------------------------------------------
# Callouts, flags, key figures, stage definitions
# --------------------------------------------------------------------------------------

_CALLOUT = {
    "info": ("#ebf8ff", "#2b6cb0", "ℹ"),
    "ok": ("#f0fff4", "#2f855a", "✓"),
    "warning": ("#fffaf0", "#c05621", "⚠"),
    "danger": ("#fff5f5", "#c53030", "⛔"),
}


def callout_html(message: str, kind: str = "info", title: str | None = None) -> str:
    """HTML of a coloured box with an optional bold title (text is escaped)."""
    if kind not in _CALLOUT:
        raise ValueError(f"unknown callout kind {kind!r}; use one of {', '.join(_CALLOUT)}")
    bg, line, icon = _CALLOUT[kind]
    head = f"<strong>{html.escape(title)}</strong><br>" if title else ""
    return (
        f'<div class="al-callout al-{kind}" style="background:{bg};border-left:4px solid {line};'
        'padding:8px 14px;margin:8px 0;border-radius:4px;color:#1a202c;">'
        f"{icon} {head}{html.escape(message)}</div>"
    )


def callout(message: str, kind: str = "info", title: str | None = None) -> Any:
    """A coloured box for a message: ``info``, ``ok``, ``warning`` or ``danger``.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    return HTML(callout_html(message, kind, title))


def flags(
    messages: Iterable[str | tuple[str, str]],
    *,
    kind: str = "warning",
    none_message: str | None = "No flags: nothing needs attention.",
) -> Any:
    """Several warnings as callouts (``(kind, message)`` pairs set each box's kind).

    Parameters
    ----------
    messages : iterable of str or (kind, str)
        The flags to show.
    kind : str
        Kind of plain-string messages.
    none_message : str, optional
        Shown (as ``ok``) when there are no messages; ``None`` shows nothing.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    parts = []
    for item in messages:
        if isinstance(item, tuple):
            parts.append(callout_html(item[1], item[0]))
        else:
            parts.append(callout_html(str(item), kind))
    if not parts and none_message:
        parts.append(callout_html(none_message, "ok"))
    return HTML("".join(parts))


_FIGURE_LABELS = {
    "target": ("Bookings target", "money"),
    "p_hit": ("Chance of hitting target", "pct"),
    "required_leads": ("Leads needed", "count"),
    "budget": ("Marketing budget", "money"),
    "cac": ("Cost per customer (CAC)", "money"),
    "expected_revenue": ("Expected bookings", "money"),
    "confidence_leads": ("Leads for confidence", "count"),
    "lead_to_won": ("Lead to customer", "pct1"),
    "won_forecast_next_quarter": ("Deals forecast next quarter", "count"),
    "contacts": ("Contacts in the export", "count"),
    "experiments": ("Experiments", "count"),
    "trustworthy": ("With a clean traffic split", "count"),
}


def key_figures_html(figures: Mapping[str, Any], *, currency: str = "USD") -> str:
    """HTML cards for headline figures (known keys get labels and formats)."""
    cards = []
    for key, value in figures.items():
        if key == "currency" or value is None:
            continue
        label, kind = _FIGURE_LABELS.get(key, (_label(key), ""))
        if not kind:
            kind = guess_kind(key, pd.Series([value])) if not isinstance(value, str) else "text"
        cards.append(
            '<div style="flex:1 1 140px;border:1px solid #e2e8f0;border-radius:8px;'
            'padding:10px 14px;background:#f7fafc;">'
            f'<div style="font-size:12px;color:#4a5568;text-transform:uppercase;letter-spacing:.04em;">'
            f"{html.escape(label)}</div>"
            f'<div style="font-size:24px;font-weight:700;color:#1a202c;">'
            f"{html.escape(format_value(value, kind, currency))}</div></div>"
        )
    return (
        '<div class="al-key-figures" style="display:flex;flex-wrap:wrap;gap:12px;margin:8px 0 16px;">'
        + "".join(cards)
        + "</div>"
    )


def quarter_answer_html(numbers: Any, *, compact: bool = False, rendered_on: Any = None) -> str:
    """A page's opening: the quarter's answer in one line and at most five figures.

    Parameters
    ----------
    numbers : QuarterNumbers
        The quarter snapshot's headline.
    compact : bool
        The five figures on one line of text instead of cards (a one-page scorecard,
        which says the age of its week itself).
    rendered_on : date, optional
        When the page is made (default today): an export more than a week older gets a
        one-line notice above the answer (:func:`alignlib.reports.signals.data_age_notice`).

    Returns
    -------
    str
        HTML: the sentence, then booked, most likely landing, chance, gap and data date.
    """
    from alignlib.format import money_compact
    from alignlib.reports.signals import data_age_notice

    cur = numbers.currency
    chance = numbers.chance_text(dated=False)  # the data date is a figure of its own
    figures = [
        ("Booked", money_compact(numbers.booked, cur)),
        ("Most likely landing", money_compact(numbers.landing_p50, cur)),
        (f"Chance of {money_compact(numbers.target, cur)}", chance),
        ("Gap to target", money_compact(numbers.gap, cur)),
        ("Data date", numbers.as_of_text),
    ]
    if compact:
        line = " · ".join(f"{label}: <b>{html.escape(value)}</b>" for label, value in figures)
        return (
            '<div class="al-answer" style="margin:0 0 8px;">'
            '<p class="al-answer-line" style="font-size:15px;font-weight:600;margin:0 0 2px;">'
            f"{html.escape(numbers.sentence())}</p>"
            f'<p class="al-key-figures" style="font-size:13px;color:#4a5568;margin:0;">{line}</p>'
            "</div>"
        )
    cards = "".join(
        '<div class="al-figure" style="flex:1 1 120px;border:1px solid #e2e8f0;'
        'border-radius:8px;padding:8px 12px;background:#f7fafc;">'
        '<div style="font-size:12px;color:#4a5568;text-transform:uppercase;letter-spacing:.04em;">'
        f"{html.escape(label)}</div>"
        f'<div style="font-size:20px;font-weight:700;color:#1a202c;">{html.escape(value)}</div></div>'
        for label, value in figures
    )
    age = data_age_notice(numbers.as_of, rendered_on)
    stale = (
        f'<p class="al-stale" style="font-size:13px;color:#c05621;margin:0 0 4px;">{html.escape(age)}</p>'
        if age
        else ""
    )
    return (
        '<div class="al-answer" style="margin:4px 0 16px;">'
        f"{stale}"
        f'<p class="al-answer-line" style="font-size:16px;font-weight:600;margin:0 0 8px;">'
        f"{html.escape(numbers.sentence())}</p>"
        '<div class="al-key-figures" style="display:flex;flex-wrap:wrap;gap:10px;">'
        f"{cards}</div></div>"
    )


def stage_definitions(stages: Sequence[Any]) -> Any:
    """The shared stage definitions as a table both teams read the same way.

    Parameters
    ----------
    stages : sequence
        Objects with ``name``, ``label``, ``owner``, ``definition`` and
        ``entry_criteria`` (``alignlib.params.Stage``), top of the funnel first.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    rows = []
    for i, st in enumerate(stages, start=1):
        owner = str(getattr(st, "owner", "") or "")
        colour = "#2b6cb0" if owner == "marketing" else "#c05621" if owner == "sales" else "#4a5568"
        rows.append(
            "<tr>"
            f'<td style="padding:6px 10px;text-align:left;vertical-align:top;white-space:nowrap;"><b>{i}. '
            f"{html.escape(str(getattr(st, 'label', st)))}</b></td>"
            f'<td style="padding:6px 10px;text-align:left;vertical-align:top;color:{colour};font-weight:600;">'
            f"{html.escape(owner.capitalize())}</td>"
            f'<td style="padding:6px 10px;text-align:left;vertical-align:top;">{html.escape(str(getattr(st, "definition", "") or ""))}</td>'
            f'<td style="padding:6px 10px;text-align:left;vertical-align:top;">{html.escape(str(getattr(st, "entry_criteria", "") or ""))}</td>'
            "</tr>"
        )
    head = "".join(
        f'<th style="background:#f7fafc;padding:6px 10px;text-align:left;">{h}</th>'
        for h in ("Stage", "Owner", "Definition", "Entry criteria")
    )
    return HTML(
        '<table class="al-stages" style="border-collapse:collapse;font-size:13.5px;margin:4px 0 14px;">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def note(text: str) -> Any:
    """A paragraph of computed text (e.g. a sentence with this quarter's figures)."""
    from IPython.display import HTML

    return HTML(f'<p style="font-size:15px;margin:6px 0 10px;">{html.escape(text)}</p>')


def figure_title(fig: Any) -> str:
    """The title a chart shows (its suptitle or first axes title), for alternative text."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return sup.get_text()
    for ax in fig.get_axes():
        for loc in ("left", "center", "right"):
            if ax.get_title(loc=loc):
                return ax.get_title(loc=loc)
    return "Chart"


def show(fig: Any, *, dpi: int = 110) -> None:
    """Display a matplotlib figure as an embedded PNG, once, and close it.

    Rendering the PNG here (instead of relying on the kernel's matplotlib backend)
    makes the image the same in JupyterLab, under papermill and in the HTML page,
    and closing the figure stops inline backends from showing it a second time.
    """
    import io

    from IPython.display import Image, display

    from alignlib.charts._format import finish  # a figure exists, so matplotlib does

    finish(fig)  # text from params or data never read as maths, log ticks never TeX
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    display(Image(data=buf.getvalue(), format="png", alt=figure_title(fig)))
    import matplotlib.pyplot as plt  # a figure exists, so matplotlib does

    plt.close(fig)


def slug(text: str) -> str:
    """An HTML id from a heading's text (letters, digits and dashes)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "section"


def heading(text: str, level: int = 2) -> Any:
    """A section heading made at run time (e.g. one per experiment); it joins the page's TOC."""
    from IPython.display import HTML

    level = min(max(int(level), 1), 6)
    return HTML(f'<h{level} id="{slug(text)}">{html.escape(text)}</h{level}>')
