"""Money amounts in exports: "$1,200" is read, text and negative amounts are problems."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alignlib.crm.problems import Problems
from alignlib.crm.read import ReadOptions
from alignlib.crm.read import text as text_of


def amounts(text: pd.Series, decimal: str | None = None) -> tuple[pd.Series, np.ndarray]:
    """Parse amounts ("$1,200" ok); only the non-blank cells (most are blank) are parsed.

    Parameters
    ----------
    text : pandas.Series
        Amounts as text.
    decimal : {",", "."}, optional
        The decimal mark (default: detected from the values).

    Returns
    -------
    tuple
        (amounts as float, NaN where blank or unreadable; True where a non-blank
        cell is not a number).
    """
    filled = (text != "").to_numpy(dtype=bool, na_value=True)
    num = np.full(len(text), np.nan)
    pos = np.flatnonzero(filled)
    if len(pos):
        sub = text.iloc[pos]
        cleaned = sub.str.replace(",", "", regex=False).str.replace("$", "", regex=False)
        num[pos] = pd.to_numeric(cleaned, errors="coerce").astype(float).to_numpy()
    bad = np.isnan(num) & filled
    return pd.Series(num, index=text.index), bad


def amount_column(
    raw: pd.DataFrame, col: str | None, probs: Problems, options: ReadOptions | None = None
) -> tuple[pd.Series, np.ndarray]:
    """:func:`amounts` of a column with its problems reported; return (amounts, bad mask).

    Bad: not a number, or negative. No column: every amount missing, none bad.

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
        (amounts, True where the amount rejects the row).
    """
    text = text_of(raw, col)
    options = options or ReadOptions()
    amount, not_number = amounts(text, options.decimal)
    negative = (amount < 0).to_numpy()
    if col:
        probs.add(np.flatnonzero(not_number), col, "amount is not a number", text[not_number])
        probs.add(np.flatnonzero(negative), col, "negative amount", text[negative])
    return amount, not_number | negative
