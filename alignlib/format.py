"""One way to write each kind of number: money, percentages, p-values, stage labels, JSON.

Every page, chart axis and CLI verb formats through this module, so the same figure reads
the same everywhere ($1.2M on a chart, $1,234,567 in a table, ``<0.0001`` for a tiny
p-value). Missing values (None, NaN) read as an em dash.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from alignlib.docstrings import shared_doc

#: What a missing value reads as on a page.
MISSING = "—"
#: What a figure the export has no data for reads as (an amount never given is not $0).
NOT_IN_EXPORT = "not in the export"

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

#: The two ways of writing money take the amount and its currency.
_MONEY = shared_doc(parameters={"value : float": "Amount.", "currency : str": "ISO code."})

#: Format kinds understood by :func:`format_value`.
KINDS = (
    "money",
    "money_compact",
    "pct",
    "pct1",
    "count",
    "number",
    "ratio",
    "days",
    "p_value",
    "date",
    "text",
)

#: Words written in capitals when a name becomes a label.
ACRONYMS = frozenset(
    {"mql", "mqls", "sal", "sals", "sql", "sqls", "sla", "sdr", "bdr", "ae", "crm", "cac", "abm"}
    | {"seo", "roi", "arr", "mrr", "acv", "kpi", "ppc", "url", "id", "qbr", "pql", "pqls"}
)


def is_missing(value: Any) -> bool:
    """Whether a value is missing (None or NaN).

    Parameters
    ----------
    value : Any
        Any scalar.

    Returns
    -------
    bool
        True for None, NaN and pandas' missing markers.
    """
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def currency_symbol(currency: str) -> str:
    """Symbol for an ISO currency code.

    Parameters
    ----------
    currency : str
        ISO 4217 code, e.g. ``USD``.

    Returns
    -------
    str
        ``$`` for USD; the code and a space when the symbol is unknown (``CHF 1,000``).
    """
    return _SYMBOLS.get(currency.upper(), f"{currency.upper()} ")


def _infinity(v: float) -> str:
    """An infinite figure in words: ``∞`` or ``-∞``."""
    return "∞" if v > 0 else "-∞"


def _not_finite(value: Any) -> str | None:
    """How a missing (``—``) or infinite (``∞``, ``-∞``) figure reads; None for any other."""
    if is_missing(value):
        return MISSING
    v = float(value)
    return _infinity(v) if math.isinf(v) else None


def _sign(v: float, signed: bool) -> str:
    """The sign written before an amount: ``-`` below 0, ``+`` above it when ``signed``."""
    return "-" if v < 0 else "+" if signed and v > 0 else ""


#: Amounts from this size up are written to the nearest thousand (one precision rule).
ROUND_THOUSANDS_FROM = 1_000_000


@_MONEY
def money(value: Any, currency: str = "USD", *, signed: bool = False) -> str:
    """Money in full: ``$24,500``; from a million up to the nearest thousand (``$4,773,000``).

    One precision rule for every table: an estimate of ``$4,773,028`` would read beside a
    planned ``$5,067,000`` as more precise than it is. Cents only below 1,000 when not whole.

    Parameters
    ----------
    signed : bool
        Write a ``+`` before positive amounts (a change: ``+$12,000``).

    Returns
    -------
    str
        The amount with its symbol and thousands separators.
    """
    if (unbounded := _not_finite(value)) is not None:
        return unbounded
    v = float(value)
    sign = _sign(v, signed)
    digits = 0 if abs(v) >= 1000 or v.is_integer() else 2
    shown = round(abs(v), -3) if abs(v) >= ROUND_THOUSANDS_FROM else abs(v)
    return f"{sign}{currency_symbol(currency)}{shown:,.{digits}f}"


@_MONEY
def money_compact(value: Any, currency: str = "USD", *, signed: bool = False) -> str:
    """Compact money for charts and headlines: ``$1.2M``, ``$350k``, ``$900``.

    Parameters
    ----------
    signed : bool
        Write a ``+`` before positive amounts (a change: ``+$363k``).

    Returns
    -------
    str
        The amount rounded to a short form.
    """
    if (unbounded := _not_finite(value)) is not None:
        return unbounded
    v = float(value)
    sym = currency_symbol(currency)
    sign = _sign(v, signed)
    v = abs(v)
    if v >= 1e9:
        return f"{sign}{sym}{v / 1e9:.1f}B"
    if v >= 1e6:
        return f"{sign}{sym}{f'{v / 1e6:.2f}'.rstrip('0').rstrip('.')}M"
    if v >= 1e3:
        return f"{sign}{sym}{v / 1e3:.0f}k"
    return f"{sign}{sym}{v:,.0f}"


def pct(value: Any, decimals: int = 0, *, signed: bool = False) -> str:
    """A fraction as a percentage: ``0.125`` -> ``13%`` (``12.5%`` with one decimal).

    With ``decimals=0``, values below 1% keep one decimal so they do not read as 0%.

    Parameters
    ----------
    value : float
        A fraction (0.25 is 25%).
    decimals : int
        Decimal places.
    signed : bool
        Write a ``+`` before positive values (a change or a lift: ``+5.3%``).

    Returns
    -------
    str
        The percentage.
    """
    if is_missing(value):
        return MISSING
    v = float(value)
    if decimals == 0 and 0 < abs(v) < 0.01:
        decimals = 1
    return f"{v:{'+' if signed else ''}.{decimals}%}"


def points(value: Any, *, signed: bool = False, decimals: int = 2) -> str:
    """A difference of two rates in percentage points: ``0.034`` -> ``3.40 pts``.

    Parameters
    ----------
    value : float
        Difference of two fractions.
    signed : bool
        Write a ``+`` before positive differences.
    decimals : int
        Decimal places (0 for a sentence a person says: "fell 9 pts").

    Returns
    -------
    str
        The difference in points with its sign when negative.
    """
    if is_missing(value):
        return MISSING
    pts = 100 * float(value)
    smallest = 0.5 * 10.0**-decimals
    if 0 < pts < smallest:
        floor = f"<{10.0**-decimals:.{decimals}f}"
        return f"+{floor} pts" if signed else f"{floor} pts"
    return f"{pts:{'+' if signed else ''}.{decimals}f} pts"


def p_value(p: Any) -> str:
    """A p-value: ``<0.0001``, ``0.0123`` (below 0.01), ``0.123``.

    Parameters
    ----------
    p : float
        The p-value.

    Returns
    -------
    str
        The p-value, never rounded to zero.
    """
    if is_missing(p):
        return MISSING
    v = float(p)
    return "<0.0001" if v < 1e-4 else f"{v:.4f}" if v < 0.01 else f"{v:.3f}"


#: Below this a probability is written "< 0.0001%" (it is not measured that finely).
SMALLEST_PROBABILITY = 1e-6


def chance(value: Any) -> str:
    """A probability as a percentage that never rounds a small chance to 0%.

    ``0.25`` -> ``25%``, ``0.0034`` -> ``0.34%``, ``2.5e-5`` -> ``0.0025%``; below
    :data:`SMALLEST_PROBABILITY` (but above 0) ``< 0.0001%``; exactly 0 is ``0%``.

    Parameters
    ----------
    value : float
        A probability in [0, 1].

    Returns
    -------
    str
    """
    if is_missing(value):
        return MISSING
    v = float(value)
    if v <= 0:
        return "0%"
    if v < SMALLEST_PROBABILITY:
        return "< 0.0001%"
    if v >= 0.01:
        return pct(v)
    # two significant digits, at most four decimals of a percent
    digits = min(4, max(1, 1 - math.floor(math.log10(v * 100))))
    return f"{v * 100:.{digits}f}%"


def count(value: Any) -> str:
    """A count, rounded, with thousands separators: ``1,235``.

    Parameters
    ----------
    value : float
        The count.

    Returns
    -------
    str
        The rounded count.
    """
    if (unbounded := _not_finite(value)) is not None:
        return unbounded
    v = float(value)
    return f"{round(v):,}"


def ratio(value: Any) -> str:
    """A multiple such as pipeline coverage: ``3.0x``.

    Parameters
    ----------
    value : float
        The multiple.

    Returns
    -------
    str
        One decimal and an ``x``.
    """
    if is_missing(value):
        return MISSING
    return f"{float(value):,.1f}x"


def stage_label(name: str) -> str:
    """A stage or field name as people write it: ``mql`` -> ``MQL``, ``closed_won`` -> ``Closed won``.

    Parameters
    ----------
    name : str
        A stage name or a snake_case field name.

    Returns
    -------
    str
        Acronyms in capitals, the first word capitalised, underscores as spaces.
    """
    words = [w for w in re.split(r"[_\-\s]+", str(name)) if w]
    out = [w.upper() if w.lower() in ACRONYMS else w.lower() for w in words]
    if out and not out[0].isupper():
        out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out)


def date_text(value: Any) -> str:
    """A day as pages write it: ``19 Nov 2026`` (never ``2026-11-19``).

    Parameters
    ----------
    value : date, datetime, Timestamp or str
        The day (a time of day is dropped).

    Returns
    -------
    str
        Day, short month, year; an em dash when missing.
    """
    if is_missing(value):
        return MISSING
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%b %Y}"


def week_text(start: Any, end: Any) -> str:
    """A week as pages write it: ``9-15 Nov 2026``, ``28 Sep-4 Oct 2026``, across years in full.

    Parameters
    ----------
    start, end : date, Timestamp or str
        First and last day (both included).

    Returns
    -------
    str
        The shortest unambiguous span.
    """
    a, b = pd.Timestamp(start), pd.Timestamp(end)
    if a.year != b.year:
        return f"{date_text(a)}-{date_text(b)}"
    if a.month != b.month:
        return f"{a.day} {a:%b}-{date_text(b)}"
    return f"{a.day}-{date_text(b)}"


def timestamp_text(value: Any) -> str:
    """A moment as pages write it: ``6 Dec 2026 11:47 UTC`` (never ``2026-12-06 11:47:36+00:00``).

    Parameters
    ----------
    value : datetime, Timestamp or str
        The moment; a naive one is read as UTC, an aware one is shown in UTC.

    Returns
    -------
    str
        Day, short month, year, hours and minutes, ``UTC``; an em dash when missing.
    """
    if is_missing(value):
        return MISSING
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return f"{date_text(stamp)} {stamp:%H:%M} UTC"


_SNAKE_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def readable_id(value: Any) -> Any:
    """An id from params or data as words: ``threshold_70`` -> ``Threshold 70``; others as is.

    Only snake_case ids (lower case, with an underscore) change, so a sentence, a file name
    or a CRM id is left alone.

    Parameters
    ----------
    value : Any
        A cell, index value or name.

    Returns
    -------
    Any
        The words (:func:`stage_label`) for a snake_case id; anything else unchanged.
    """
    if isinstance(value, str) and _SNAKE_ID.fullmatch(value):
        return stage_label(value)
    return value


def format_value(value: Any, kind: str = "number", currency: str = "USD") -> str:
    """Format one value for a reader.

    Parameters
    ----------
    value : number or str
        The value; missing values (None, NaN) become an em dash.
    kind : str
        ``money`` ($1,234,567), ``money_compact`` ($1.2M), ``pct`` (12%), ``pct1``
        (12.3%), ``count`` (1,235), ``number`` (1,234.57 or 1,235), ``ratio`` (3.0x),
        ``days`` (12.5), ``p_value`` (<0.0001), ``date`` (19 Nov 2026), ``text`` (as is).
    currency : str
        ISO code for money.

    Returns
    -------
    str
        The formatted value.

    Raises
    ------
    ValueError
        For an unknown kind.
    """
    if is_missing(value):
        return MISSING
    if kind == "text" or isinstance(value, str):
        return str(value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if kind == "date":
        day = pd.Timestamp(value)
        return f"{day.day} {day:%b %Y}"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isinf(v) and kind != "p_value":
        return _infinity(v)
    if kind == "money":
        return money(v, currency)
    if kind == "money_compact":
        return money_compact(v, currency)
    if kind == "pct":
        return pct(v, 0)
    if kind == "pct1":
        return pct(v, 1)
    if kind == "count":
        return count(v)
    if kind == "ratio":
        return ratio(v)
    if kind == "days":
        return f"{v:,.1f}"
    if kind == "p_value":
        return p_value(v)
    if kind == "number":
        return f"{v:,.0f}" if v.is_integer() or abs(v) >= 100 else f"{v:,.2f}"
    raise ValueError(f"unknown format kind {kind!r}; use one of {', '.join(KINDS)}")


def jsonable(value: Any) -> Any:
    """Plain JSON values from numpy scalars and arrays, pandas dates, paths and tuples.

    NaN and infinity become ``None`` (JSON has no such numbers).

    Parameters
    ----------
    value : Any
        Nested mappings, sequences and scalars.

    Returns
    -------
    Any
        The same structure made of dict, list, str, int, float, bool and None.

    Raises
    ------
    TypeError
        For a value with no JSON form.
    """
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, pd.Period | pd.Timestamp | pd.Timedelta):
        return None if pd.isna(value) else str(value)
    if isinstance(value, _dt.date | _dt.datetime | _dt.time):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if value is pd.NaT or value is pd.NA:
        return None
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return jsonable(value.to_dict())
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(value: Any, *, indent: int | None = 2) -> str:
    """Write a value as JSON text through :func:`jsonable` (no NaN, no infinity).

    Parameters
    ----------
    value : Any
        What to write.
    indent : int or None
        Indentation; None for one line.

    Returns
    -------
    str
        Strict JSON.
    """
    return json.dumps(jsonable(value), indent=indent, allow_nan=False)
