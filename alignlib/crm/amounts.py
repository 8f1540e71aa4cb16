"""Money amounts in exports, in the style the export writes them.

``1,234.50``, ``$1,234``, ``1.234,50``, ``26.550,00``, ``1 234,50``, ``EUR 1.234``,
``(500)``: currency symbols and codes, spaces and apostrophes are dropped, and each
column's decimal mark is detected from all of its values (a value with both marks,
a mark used twice, or a mark not followed by exactly three digits settles it).
When no value settles it and some read either way (``1,234``), the column stops
with one error asking for ``actuals.decimal``. Text, negative, infinite and
implausibly large amounts are row problems.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alignlib.crm._docs import SHOWN_CELL
from alignlib.crm.problems import FIELD_DROPPED, Problems
from alignlib.crm.read import DEFAULT_MAX_AMOUNT, ReadOptions
from alignlib.crm.read import text as text_of
from alignlib.errors import DataError

#: What fixes a column whose decimal mark cannot be told.
DECIMAL_FIX = 'set actuals.decimal: "," or "."'

#: Dropped before reading the number: spaces (also no-break), apostrophes (1'234),
#: currency symbols, and a three-letter currency code or "kr" at either end.
_NOISE = "[\\s\u00a0\u202f'’$€£¥₹]|^[A-Za-z]{2,3}\\.?|[A-Za-z]{2,3}\\.?$"
_NUMBER = r"^[0-9]+(?:[.,][0-9]+)*$"
_NEGATIVE = r"^\(.*\)$|^[^0-9]*-|-$"
_SHOWN = re.compile(r"^[0-9 .,()'+\-eE$€£¥₹A-Za-z]{1,30}$")
_PLACEHOLDERS = frozenset({"n/a", "na", "none", "null", "nan", "-", "--", "?", "tbd", "#n/a"})


@SHOWN_CELL
def shown_amount(value: object) -> str:
    """An amount as a message may show it: numbers and placeholders, not free text."""
    t = str(value).strip()
    digits = sum(ch.isdigit() for ch in t)
    if t.lower() in _PLACEHOLDERS or t.lower().lstrip("+-") in ("inf", "infinity"):
        return t
    if _SHOWN.match(t) and digits and digits >= sum(ch.isalpha() for ch in t):
        return t
    return "(not shown)"


def _evidence(core: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct value: (says "." is decimal, says "," is decimal, reads either way)."""
    import pyarrow.compute as pc

    n_dot = pc.count_substring(core, ".").to_numpy(zero_copy_only=False)
    n_comma = pc.count_substring(core, ",").to_numpy(zero_copy_only=False)
    rev = pc.utf8_reverse(core)
    after_dot = pc.find_substring(rev, ".").to_numpy(zero_copy_only=False)
    after_comma = pc.find_substring(rev, ",").to_numpy(zero_copy_only=False)
    both = (n_dot > 0) & (n_comma > 0)
    only_dot = (n_dot > 0) & (n_comma == 0)
    only_comma = (n_comma > 0) & (n_dot == 0)
    dot = (both & (after_dot < after_comma)) | (only_comma & (n_comma > 1))
    dot |= only_dot & (n_dot == 1) & (after_dot != 3)
    comma = (both & (after_comma < after_dot)) | (only_dot & (n_dot > 1))
    comma |= only_comma & (n_comma == 1) & (after_comma != 3)
    either = (only_dot & (n_dot == 1) & (after_dot == 3)) | (
        only_comma & (n_comma == 1) & (after_comma == 3)
    )
    return dot, comma, either


def amounts(
    text: pd.Series, decimal: str | None = None, where: str | Path = "", column: str = ""
) -> tuple[pd.Series, np.ndarray]:
    """Parse amounts in the column's own style; only the distinct non-blank values are parsed.

    Parameters
    ----------
    text : pandas.Series
        Amounts as text.
    decimal : {",", "."}, optional
        The decimal mark (default: detected from the values).
    where, column : str
        File and column, for the error.

    Returns
    -------
    tuple
        (amounts as float, NaN where blank or unreadable; True where a non-blank
        cell is not a number).

    Raises
    ------
    DataError
        No value settles the decimal mark and some read either way (``1,234``).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    filled = (text != "").to_numpy(dtype=bool, na_value=True) & text.notna().to_numpy()
    num = np.full(len(text), np.nan)
    pos = np.flatnonzero(filled)
    if len(pos) == 0:
        return pd.Series(num, index=text.index), np.zeros(len(text), dtype=bool)
    sub = pa.array(text.iloc[pos].astype("str").to_numpy(dtype=object), type=pa.large_string())
    enc = pc.dictionary_encode(sub)
    uniq, idx = enc.dictionary, enc.indices.to_numpy(zero_copy_only=False)
    negative = pc.match_substring_regex(uniq, _NEGATIVE).to_numpy(zero_copy_only=False)
    core = pc.replace_substring_regex(pc.replace_substring_regex(uniq, _NOISE, ""), r"[()+\-]", "")
    ok = pc.match_substring_regex(core, _NUMBER).to_numpy(zero_copy_only=False)
    dot, comma, either = _evidence(core)
    if decimal is None:
        n_dot, n_comma = int((ok & dot).sum()), int((ok & comma).sum())
        if n_dot or n_comma:
            decimal = "." if n_dot >= n_comma else ","
        elif (ok & either).any():
            examples = ", ".join(str(v) for v in uniq.filter(pa.array(ok & either))[:3].to_pylist())
            raise DataError(
                where,
                f"column {column!r}: amounts such as {examples} read either with a thousands "
                f"separator or with a decimal mark; {DECIMAL_FIX}",
            )
        else:
            decimal = "."
    thousands = "," if decimal == "." else "."
    # A value that says the other mark is decimal is not read in this column's style.
    ok &= ~(comma if decimal == "." else dot)
    plain = pc.replace_substring(pc.replace_substring(core, thousands, ""), decimal, ".")
    values = pd.to_numeric(pd.Series(plain.to_pylist(), dtype=object), errors="coerce").to_numpy(
        dtype=float
    )
    values = np.where(ok, np.where(negative, -values, values), np.nan)
    # 1e300, inf: numbers, though not in a money style (found implausible later).
    rest = np.flatnonzero(np.isnan(values))
    if len(rest):
        other = pd.to_numeric(
            pd.Series(uniq.take(pa.array(rest)).to_pylist(), dtype=object).str.strip(),
            errors="coerce",
        ).to_numpy(dtype=float)
        values[rest] = other
    num[pos] = values[idx]
    bad = np.isnan(num) & filled
    return pd.Series(num, index=text.index), bad


def amount_column(
    raw: pd.DataFrame, col: str | None, probs: Problems, options: ReadOptions | None = None
) -> tuple[pd.Series, np.ndarray]:
    """:func:`amounts` of a column with its problems reported; return (amounts, bad mask).

    Bad: not a number, not finite, above ``options.max_amount``, or negative. An
    amount is an optional field: a bad one costs only itself (missing in the amounts
    returned; its problem says the field was dropped). No column: every amount
    missing, none bad.

    Parameters
    ----------
    raw : pandas.DataFrame
        The raw table.
    col : str or None
        The amount column.
    probs : Problems
        Where the problems go.
    options : ReadOptions, optional
        ``decimal`` and ``max_amount`` (default: detected, 1e9).

    Returns
    -------
    tuple
        (amounts, NaN where missing or bad; True where the amount was bad).

    Raises
    ------
    DataError
        The column's decimal mark cannot be told (see :func:`amounts`).
    """
    options = options or ReadOptions()
    text = text_of(raw, col)
    if col is None:
        return pd.Series(np.nan, index=raw.index), np.zeros(len(raw), dtype=bool)
    amount, not_number = amounts(text, options.decimal, probs.file, col)
    values = amount.to_numpy()
    infinite = np.isinf(values)
    limit = options.max_amount if options.max_amount is not None else DEFAULT_MAX_AMOUNT
    too_big = np.isfinite(values) & (np.abs(values) > limit)
    negative = (values < 0) & ~infinite & ~too_big
    for mask, reason in (
        (not_number, "amount is not a number"),
        (infinite, "amount is not finite"),
        (too_big, f"amount above actuals.max_amount ({limit:,.0f})"),
        (negative, "negative amount"),
    ):
        if mask.any():
            probs.add(
                np.flatnonzero(mask),
                col,
                reason,
                text[mask].map(shown_amount),
                action=FIELD_DROPPED,
            )
    bad = not_number | infinite | too_big | negative
    return amount.mask(bad), bad
