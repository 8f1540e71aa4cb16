"""Reading an export: the raw table (every column as text) and its columns by name."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from alignlib.crm._docs import HEADER_NAMES, TEXT_VALUES
from alignlib.docstrings import shared_doc
from alignlib.errors import DataError
from alignlib.files import check_regular_file, open_regular

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

    def with_as_of(self, as_of: dt.date | None) -> ReadOptions:
        """These options with ``as_of`` when one is given (a loader's own argument wins).

        Parameters
        ----------
        as_of : datetime.date or None
            The loader's ``as_of`` argument.

        Returns
        -------
        ReadOptions
        """
        return self if as_of is None else replace(self, as_of=as_of)

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


#: Bytes read from the top of a CSV to detect its encoding, delimiter and header.
HEAD_BYTES = 64 * 1024

#: Delimiters detected (European Excel writes ``;``; "Unicode text" is tab-separated).
DELIMITERS = (",", ";", "\t")

#: Bytes Windows-1252 leaves undefined: a file with them is read as Latin-1.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


@dataclass(frozen=True)
class MalformedRow:
    """A CSV line whose fields do not match the header (kept out of the table).

    Attributes
    ----------
    position : int
        Row position (0-based) the line takes in the raw table (a blank row there).
    line : int
        Line number in the file (the header is line 1).
    fields, expected : int
        Fields on the line and in the header.
    last : bool
        The file's last line (fewer fields there: the file was cut short).
    text : str
        The line as written: personal data, for the rejects file only.
    lines : int
        Lines of the file it takes (more than one after an unbalanced quote).
    """

    position: int
    line: int
    fields: int
    expected: int
    last: bool
    text: str = field(repr=False)
    lines: int = 1

    @property
    def reason(self) -> str:
        """What is wrong, without the line's content."""
        plural = "s" if self.fields != 1 else ""
        what = f"{self.fields} field{plural} where the header has {self.expected}"
        if self.text.count('"') % 2:
            span = f": lines {self.line}-{self.line + self.lines - 1} read as one" * (
                self.lines > 1
            )
            what += f" (an unbalanced quote{span})"
        elif self.last and self.fields < self.expected:
            what += " (the last line is cut short: was the file truncated?)"
        return f"malformed line: {what}"


def malformed_rows(raw: pd.DataFrame) -> tuple[MalformedRow, ...]:
    """The malformed lines :func:`read_raw` kept out of ``raw`` (blank rows hold their places).

    Parameters
    ----------
    raw : pandas.DataFrame
        From :func:`read_raw`.

    Returns
    -------
    tuple of MalformedRow
        In file order; empty for a well-formed file.
    """
    return tuple(raw.attrs.get("malformed", ()))


def detect_encoding(head: bytes) -> str:
    """The encoding of a file's first bytes: UTF-8 (BOM or not), UTF-16 (BOM), else cp1252/Latin-1.

    Parameters
    ----------
    head : bytes
        The file's first bytes (a multi-byte character cut at the end is allowed).

    Returns
    -------
    str
        ``utf-8``, ``utf-16``, ``cp1252`` or ``latin-1``.
    """
    import codecs

    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8-sig")("strict").decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252" if not _CP1252_UNDEFINED.intersection(head) else "latin-1"


def detect_delimiter(head: str) -> str:
    """The field delimiter (``,``, ``;`` or tab) that splits the first lines most consistently.

    Each candidate splits the header and up to 50 lines (quotes respected); the one
    giving more than one field on the header and the same count on most lines wins
    (ties: more fields, then the order of :data:`DELIMITERS`).

    Parameters
    ----------
    head : str
        The file's first characters.

    Returns
    -------
    str
        The delimiter (``,`` when no candidate splits the header).
    """
    lines = head.splitlines()
    if len(lines) > 1 and not head.endswith(("\n", "\r")):
        lines = lines[:-1]  # cut mid-line
    lines = lines[:51]
    best, best_score = ",", (False, 0.0, 0)
    for d in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        except csv.Error:
            continue
        if not counts:
            continue
        h = counts[0]
        body = counts[1:] or [h]
        score = (h > 1, sum(c == h for c in body) / len(body), h)
        if score > best_score:
            best, best_score = d, score
    return best


def read_raw(path: str | Path, options: ReadOptions | None = None) -> pd.DataFrame:
    """Read a CSV (all columns as text, blanks as "") or a Parquet file.

    A CSV's encoding (UTF-8 with or without a byte-order mark, UTF-16, Windows-1252,
    Latin-1) and delimiter (``,``, ``;``, tab) are detected unless ``options`` names
    them. A line whose field count differs from the header's (an extra field, an
    unbalanced quote, a last line cut short) does not stop the read: a blank row
    holds its place and :func:`malformed_rows` describes it (the loaders reject it
    with its line number; only the rejects file sees its content).

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
        The file is missing, a folder, empty, has repeated column names or cannot be
        read. The message never quotes a row.
    """
    path = Path(path)
    options = options or ReadOptions()
    if not path.exists():
        raise DataError(path, "file not found")
    if path.is_dir():
        raise DataError(path, "is a folder, not a file")
    # A FIFO hangs the reader and a device (/dev/zero, /dev/urandom) never ends.
    check_regular_file(path, what="a CRM export (a CSV or Parquet file)")
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            df = pd.read_parquet(path)
            for c in df.columns:
                if not pd.api.types.is_datetime64_any_dtype(df[c]):
                    df[c] = df[c].astype("str").where(df[c].notna(), "")
        else:
            df = _read_csv(path, options)
        df.attrs["mtime"] = path.stat().st_mtime
        return df
    except DataError:
        raise
    except (OSError, UnicodeError, LookupError) as exc:
        # These name a position or an encoding, never a row's content.
        raise DataError(path, f"could not be read as {path.suffix or 'CSV'}: {exc}") from None
    except Exception as exc:  # pyarrow.ArrowInvalid and friends may quote a row: never shown
        raise DataError(
            path, f"could not be read as {path.suffix or 'CSV'}: {_safe(exc)}"
        ) from None


def _safe(exc: Exception) -> str:
    """A pyarrow error's kind without the row text it may quote."""
    import re

    msg = str(exc)
    m = re.search(r"Expected \d+ columns, got \d+", msg)
    if m:
        return f"CSV parse error: {m.group(0)}"
    if "invalid UTF8" in msg:
        return "text that is not valid in the file's encoding (set actuals.encoding)"
    return type(exc).__name__ + " (details withheld: they may quote a row)"


def _read_csv(path: Path, options: ReadOptions) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open_regular(path, what="a CRM export (a CSV or Parquet file)") as fh:
        head_bytes = fh.read(HEAD_BYTES)
    if not head_bytes.strip(b"\xef\xbb\xbf\xff\xfe\r\n\t ,;"):
        raise DataError(path, "the file is empty (no header row)")
    encoding = options.encoding or detect_encoding(head_bytes)
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig"):
        encoding = "utf8"  # pyarrow's own decoder; any other name goes through Python's codecs
    head = head_bytes.decode("utf-8-sig" if encoding == "utf8" else encoding, errors="ignore")
    # Checked before the whole file is parsed: a file of zeros (a sparse file, a disk
    # image) would otherwise be read as one endless header into memory.
    if "\x00" in head:
        raise DataError(
            path,
            f"holds NUL bytes in its first {HEAD_BYTES // 1024} kB: not a text export "
            "(a UTF-16 export needs its byte-order mark, or set actuals.encoding)",
        )
    if not re.search(r"[\r\n]", head) and len(head_bytes) == HEAD_BYTES:
        raise DataError(
            path,
            f"no end of the header line in its first {HEAD_BYTES // 1024} kB: not a CSV export",
        )
    delimiter = options.delimiter or detect_delimiter(head)
    header = next(csv.reader(head.splitlines()[:1] or [""], delimiter=delimiter), None)
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0].removeprefix("\ufeff")
    if not header or not any(h.strip() for h in header):
        raise DataError(path, "the file is empty (no header row)")
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        shown = ", ".join(dupes) if not looks_like_data(header) else "(not shown: data-like)"
        raise DataError(path, f"repeated column names: {shown}")

    def read(enc: str) -> tuple[Any, list[Any]]:
        bad: list[Any] = []

        def invalid(row: Any) -> str:
            bad.append((row.actual_columns, row.expected_columns, row.text))
            return "skip"

        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=enc, column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                # large_string is what pandas' "str" dtype stores: to_pandas() is then
                # zero-copy instead of a cast of every column.
                column_types={h: pa.large_string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        return table, bad

    try:
        table, bad = read(encoding)
    except pa.ArrowInvalid:
        if options.encoding or encoding != "utf8":
            raise
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            # Valid UTF-8 at the top, not further down: an Excel (Windows-1252) file.
            encoding = "cp1252" if not _CP1252_UNDEFINED.intersection(data) else "latin-1"
            table, bad = read(encoding)
        else:
            raise
    # One contiguous array per column: later takes (duplicates, rejects) and
    # pyarrow compute calls would otherwise stitch the ~1 MB read blocks each time.
    table = table.combine_chunks()
    malformed: tuple[MalformedRow, ...] = ()
    if len(bad) >= 10 and len(bad) > table.num_rows:
        counts = sorted({f for f, _, _ in bad})
        raise DataError(
            path,
            f"{len(bad):,} of {len(bad) + table.num_rows:,} lines do not have the header's "
            f"{len(header)} fields (they have {', '.join(map(str, counts[:5]))}): is "
            f"{'tab' if delimiter == chr(9) else repr(delimiter)} the delimiter? "
            "If not, set actuals.delimiter",
        )
    if bad:
        table, malformed = _place_malformed(path, encoding, table, bad)
    df = table.to_pandas()
    df.attrs["encoding"] = encoding
    df.attrs["delimiter"] = delimiter
    if malformed:
        df.attrs["malformed"] = malformed
    return df


def _place_malformed(
    path: Path, encoding: str, table: Any, bad: list[Any]
) -> tuple[Any, tuple[MalformedRow, ...]]:
    """Put a blank row in each malformed line's place, with the line's number.

    pyarrow's threaded reader does not number the lines it skips: each is found in
    the file's bytes (rare, so the extra read costs nothing in a clean file).
    """
    import numpy as np
    import pyarrow as pa

    data = path.read_bytes()
    if encoding.lower().startswith("utf-16"):
        data = data.decode(encoding, errors="replace").encode("utf-8")
        encoding = "utf-8"
    starts = np.r_[0, np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1]
    n_lines = len(starts) - (1 if data.endswith(b"\n") else 0)

    def line_of(needle: bytes, start: int) -> int:
        at = data.find(needle, start)
        while at > 0 and data[at - 1] != 10:  # must start a line
            at = data.find(needle, at + 1)
        return at

    found = []  # (line, lines beyond the first, fields, expected, text)
    after = 0
    for fields, expected, text in bad:
        needle = text.encode(encoding, errors="replace")
        at = line_of(needle, after)
        if at < 0:  # found out of order (threads): from the top
            at = line_of(needle, 0)
        if at >= 0:
            after = at + len(needle)
        line = int(np.searchsorted(starts, at, side="right")) if at >= 0 else n_lines
        found.append((line, text.count("\n"), fields, expected, text))
    found.sort(key=lambda f: f[0])
    n = table.num_rows + len(found)
    rows: list[MalformedRow] = []
    extra = 0  # lines that earlier malformed rows took beyond their first
    for line, more, fields, expected, text in found:
        position = min(max(line - 2 - extra, 0), n - 1)
        if rows and position <= rows[-1].position:
            position = min(rows[-1].position + 1, n - 1)
        last = line + more >= n_lines
        rows.append(MalformedRow(position, line, fields, expected, last, text, more + 1))
        extra += more
    is_bad = np.zeros(n, dtype=bool)
    is_bad[[m.position for m in rows]] = True
    take = np.full(n, table.num_rows, dtype=np.int64)  # the blank row appended below
    take[~is_bad] = np.arange(table.num_rows)
    blank = pa.table(
        {c: pa.array([""], type=table.schema.field(c).type) for c in table.column_names}
    )
    whole = pa.concat_tables([table, blank])
    return whole.combine_chunks().take(pa.array(take)), tuple(rows)


@shared_doc(parameters=TEXT_VALUES)
def arrow_text(values: pd.Series) -> Any:
    """The column as one contiguous pyarrow string array (zero-copy for pyarrow-backed str).

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
            path, f"missing required column(s): {', '.join(missing)} ({columns_found(df.columns)})"
        )
    return found


@shared_doc(parameters=HEADER_NAMES)
def looks_like_data(names: Sequence[object]) -> bool:
    """True when a header row looks like a data row (an email, a number or a date in it).

    A file without a header row, or whose first line is a contact, would otherwise
    have its "column names" (a person's details) quoted in a message.

    Returns
    -------
    bool
    """
    import re

    data_like = re.compile(r"@|^[\s\d.,:/+\-$€£]+$")
    return any(data_like.search(str(n)) for n in names)


@shared_doc(parameters=HEADER_NAMES)
def columns_found(names: Sequence[object]) -> str:
    """The phrase "columns found: a, b, ..." for a message, unless the header looks like data.

    Returns
    -------
    str
        The phrase to put in a message.
    """
    names = list(names)
    if looks_like_data(names):
        return "the first line looks like data, not a header row: its values are not shown"
    more = f", ... ({len(names)} in all)" if len(names) > 30 else ""
    return f"columns found: {', '.join(map(str, names[:30]))}{more}"
