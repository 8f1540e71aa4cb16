"""Reading an export: the raw table (every column as text) and its columns by name."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from alignlib.errors import DataError

if TYPE_CHECKING:
    from alignlib.params import Actuals

#: File suffixes read as Parquet; anything else is read as CSV.
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})

#: Largest plausible amount when the parameters do not say (``actuals.max_amount``).
DEFAULT_MAX_AMOUNT = 1e9


@dataclass(frozen=True)
class ReadOptions:
    """How to read an export: what the parameters say, None where detection decides.

    Attributes
    ----------
    encoding : str or None
        Text encoding (``actuals.encoding``); None: detected.
    delimiter : str or None
        Field delimiter (``actuals.delimiter``); None: detected.
    decimal : {",", "."} or None
        Decimal mark of amounts (``actuals.decimal``); None: detected per column.
    date_format : str or None
        ``MDY``, ``DMY``, ``YMD`` or a strftime pattern (``actuals.date_format``);
        None: detected per column.
    max_amount : float
        Largest plausible amount; larger ones are row problems.
    as_of : datetime.date or None
        When the export was taken (``actuals.as_of``); None: the file's date or the
        latest plausible date in it.
    """

    encoding: str | None = None
    delimiter: str | None = None
    decimal: Literal[",", "."] | None = None
    date_format: str | None = None
    max_amount: float = DEFAULT_MAX_AMOUNT
    as_of: dt.date | None = None

    @classmethod
    def from_actuals(cls, actuals: Actuals | None) -> ReadOptions:
        """The options a parameters file's ``actuals`` section sets.

        Parameters
        ----------
        actuals : Actuals or None
            ``params.actuals`` (None: the defaults).

        Returns
        -------
        ReadOptions
        """
        if actuals is None:
            return cls()
        return cls(
            encoding=actuals.encoding,
            delimiter=actuals.delimiter,
            decimal=actuals.decimal,
            date_format=actuals.date_format,
            max_amount=actuals.max_amount,
            as_of=actuals.as_of,
        )


def read_raw(path: str | Path, options: ReadOptions | None = None) -> pd.DataFrame:
    """Read a CSV (all columns as text, blanks as "") or a Parquet file.

    Parameters
    ----------
    path : str or Path
        The export.
    options : ReadOptions, optional
        Encoding and delimiter (default: detected).

    Returns
    -------
    pandas.DataFrame
        One row per data row; CSV columns are pyarrow-backed text, Parquet columns
        text except native timestamps.

    Raises
    ------
    DataError
        The file is missing, a folder, empty, has repeated column names or cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(path, "file not found")
    if path.is_dir():
        raise DataError(path, "is a folder, not a file")
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            df = pd.read_parquet(path)
            for c in df.columns:
                if not pd.api.types.is_datetime64_any_dtype(df[c]):
                    df[c] = df[c].astype("str").where(df[c].notna(), "")
            return df
        import pyarrow as pa
        import pyarrow.csv as pacsv

        with open(path, newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), None)
        if not header:
            raise DataError(path, "the file is empty (no header row)")
        if len(set(header)) != len(header):
            dupes = sorted({h for h in header if header.count(h) > 1})
            raise DataError(path, f"repeated column names: {', '.join(dupes)}")
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding="utf-8"),
            convert_options=pacsv.ConvertOptions(
                # large_string is what pandas' "str" dtype stores: to_pandas() is then
                # zero-copy instead of a cast of every column.
                column_types={h: pa.large_string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        # One contiguous array per column: later takes (duplicates, rejects) and
        # pyarrow compute calls would otherwise stitch the ~1 MB read blocks each time.
        df = table.combine_chunks().to_pandas()
        first = df.columns[0]
        if first.startswith("\ufeff"):
            df = df.rename(columns={first: first.removeprefix("\ufeff")})
        return df
    except DataError:
        raise
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(path, f"could not be read as {path.suffix or 'CSV'}: {exc}") from None
    except Exception as exc:  # pyarrow.ArrowInvalid and friends
        raise DataError(path, f"could not be read: {exc}") from None


def arrow_text(values: pd.Series) -> Any:
    """The column as one contiguous pyarrow string array (zero-copy for pyarrow-backed str).

    Parameters
    ----------
    values : pandas.Series
        A text column.

    Returns
    -------
    pyarrow.Array
        One chunk.
    """
    import pyarrow as pa

    arr = values.array
    if isinstance(arr, pd.arrays.ArrowStringArray):
        chunked = arr.__arrow_array__()
    else:
        chunked = pa.chunked_array([pa.array(values.astype("str"), type=pa.large_string())])
    return chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)


def text(df: pd.DataFrame, col: str | None) -> pd.Series:
    """A column as stripped text; all blanks when ``col`` is None or not in the file.

    Parameters
    ----------
    df : pandas.DataFrame
        The raw table.
    col : str or None
        Source column.

    Returns
    -------
    pandas.Series
        ``str`` dtype, on ``df``'s index.
    """
    if col is None or col not in df.columns:
        return pd.Series("", index=df.index, dtype="str")
    return df[col].astype("str").str.strip()


def first_present(df: pd.DataFrame, names: Sequence[str]) -> str | None:
    """The first of ``names`` that is a column of ``df``, or None.

    Parameters
    ----------
    df : pandas.DataFrame
        The raw table.
    names : sequence of str
        Column names in order of preference.

    Returns
    -------
    str or None
        The column found.
    """
    return next((n for n in names if n in df.columns), None)


def require(path: Path, df: pd.DataFrame, required: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Find each required field's column, or name every missing one in a :class:`DataError`.

    Parameters
    ----------
    path : Path
        The file (for the message).
    df : pandas.DataFrame
        The raw table.
    required : mapping
        Field -> the column names it may have, in order of preference.

    Returns
    -------
    dict
        Field -> the column found.

    Raises
    ------
    DataError
        Some field has none of its columns.
    """
    found, missing = {}, []
    for name, options in required.items():
        col = first_present(df, options)
        if col is None:
            missing.append(" or ".join(repr(o) for o in options))
        else:
            found[name] = col
    if missing:
        raise DataError(
            path,
            f"missing required column(s): {', '.join(missing)} "
            f"(columns found: {', '.join(map(str, df.columns[:30]))})",
        )
    return found
