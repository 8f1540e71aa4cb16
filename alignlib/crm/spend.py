"""The monthly marketing spend file: month, channel, spend (and currency)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alignlib.crm.amounts import amounts
from alignlib.crm.read import ReadOptions, read_raw, require, text
from alignlib.errors import DataError


def load_spend(path: str | Path, options: ReadOptions | None = None) -> pd.DataFrame:
    """Read the monthly spend file: columns ``month`` (YYYY-MM), ``channel``, ``spend``.

    Parameters
    ----------
    path : str or Path
        The spend file (CSV or Parquet).
    options : ReadOptions, optional
        Encoding, delimiter and decimal mark (default: detected).

    Returns
    -------
    pandas.DataFrame
        ``month`` (Period[M]), ``channel`` (str), ``spend`` (float), ``currency``
        (when the file has it); one row per month and channel (repeats summed).

    Raises
    ------
    DataError
        Missing columns, unparseable months, non-numeric or negative spend.
    """
    path = Path(path)
    options = options or ReadOptions()
    raw = read_raw(path, options)
    require(path, raw, {"month": ("month",), "channel": ("channel",), "spend": ("spend",)})
    month_text = text(raw, "month")
    month = pd.to_datetime(month_text, format="%Y-%m", errors="coerce")
    bad = month.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(path, f"line {i + 2}: month {month_text.iloc[i]!r} is not YYYY-MM")
    spend, bad_spend = amounts(text(raw, "spend"), options.decimal, path, "spend")
    bad_spend |= spend.isna().to_numpy() | (spend < 0).to_numpy()
    if bad_spend.any():
        i = int(np.flatnonzero(bad_spend)[0])
        raise DataError(path, f"line {i + 2}: spend {raw['spend'].iloc[i]!r} is not an amount >= 0")
    out = pd.DataFrame(
        {"month": month.dt.to_period("M"), "channel": text(raw, "channel"), "spend": spend}
    )
    out = out.groupby(["month", "channel"], as_index=False)["spend"].sum()
    if "currency" in raw.columns:
        cur = text(raw, "currency").unique()
        if len(cur) > 1:
            raise DataError(path, f"more than one currency: {', '.join(map(str, cur))}")
        out["currency"] = cur[0]
    return out
