"""The one loader pipeline: read -> find columns -> check ids, dates, labels, amounts -> finish.

Every source module (:mod:`~alignlib.crm.generic`, :mod:`~alignlib.crm.hubspot`,
:mod:`~alignlib.crm.hubspot_deals`, :mod:`~alignlib.crm.salesforce`, the deals join)
is its :class:`ColumnSpec` plus what only that source knows (where its stage dates
are, how it says an outcome). The steps they share are :class:`Source`'s methods,
and each decides what a bad value costs the same way: a bad id or created date
rejects the row; a bad optional field (a stage date, a close date, an amount)
costs only that field, which is missing instead (``field dropped``). An unknown
stage or outcome label rejects its rows: it is a gap in the mapping (one problem
with the line to add), and keeping the rows would count a won deal as not won.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, Unpack

import numpy as np
import pandas as pd

from alignlib.crm._docs import STAGE_NAMES, TEXT_VALUES
from alignlib.crm.amounts import amount_column
from alignlib.crm.dates import Dates, order_problems
from alignlib.crm.duplicates import duplicates
from alignlib.crm.labels import (
    UnknownLabels,
    outcome_index,
    outside_funnel,
    reached_stages,
    stage_index,
)
from alignlib.crm.problems import Problems
from alignlib.crm.read import ReadOptions, first_present, read_raw, require, text
from alignlib.crm.table import RECYCLE_STATUSES, IngestResult, assemble, finish
from alignlib.docstrings import shared_doc
from alignlib.errors import DataError

#: Values of a yes/no column that mean yes (``IsWon``, ``Converted``, ``Closed``).
TRUE_VALUES = frozenset({"true", "1", "yes", "y", "t"})


@shared_doc(parameters=TEXT_VALUES)
def flag(values: pd.Series) -> np.ndarray:
    """A yes/no column as booleans (:data:`TRUE_VALUES`, case ignored; anything else is no).

    Returns
    -------
    numpy.ndarray
        Boolean, one per row.
    """
    return values.str.lower().isin(TRUE_VALUES).to_numpy()


class LoadArgs(TypedDict, total=False):
    """What every loader takes besides its file: each optional, the same for every source.

    Attributes
    ----------
    stage_names : sequence of str
        The company's stages, top to bottom (``p.stage_names``; the loader's default).
    stage_mapping : mapping
        Stage label -> canonical stage (None: outside the funnel), over the source's
        defaults; case and spaces are ignored.
    columns : mapping
        Canonical field -> source column, over the source's headers
        (``actuals.columns``; also ``entered_<stage>`` for a stage date column).
    channel_mapping : mapping
        Source value -> channel (default: the source's own, :attr:`ColumnSpec.channels`).
    as_of : date
        When the export was taken (default: ``options.as_of``, else the latest date in it).
    options : ReadOptions
        Encoding, delimiter, decimal mark, date format, largest amount (default: detected).
    outcome_mapping : mapping
        Outcome label -> won, lost or open (``actuals.outcome_mapping``), over the
        labels every source understands.
    raw : pandas.DataFrame
        The rows already read as text columns with the export's names (a SQL source,
        :mod:`alignlib.crm.sql`); the path then only names them in messages.
    """

    stage_names: Sequence[str]
    stage_mapping: Mapping[str, str | None] | None
    columns: Mapping[str, str] | None
    channel_mapping: Mapping[str, str] | None
    as_of: dt.date | pd.Timestamp | None
    options: ReadOptions | None
    outcome_mapping: Mapping[str, str] | None
    raw: pd.DataFrame | None


@shared_doc(parameters=STAGE_NAMES)
def check_fields(
    columns: Mapping[str, str], fields: Sequence[str], stage_names: Sequence[str], where: str
) -> None:
    """Refuse a column mapping that names a field no loader knows.

    Parameters
    ----------
    columns : mapping
        Field -> column, as the parameters write it.
    fields : sequence of str
        The fields the mapping may name (besides ``entered_<stage>``).
    where : str
        The mapping, for the message (``the column mapping``, ``actuals.deals.columns``).

    Raises
    ------
    InputError
        Naming each unknown field and the known ones.
    """
    from alignlib.errors import InputError

    unknown = [
        k
        for k in columns
        if k not in fields and not (k.startswith("entered_") and k[8:] in stage_names)
    ]
    if unknown:
        raise InputError(
            f"unknown field(s) in {where}: {', '.join(unknown)}; "
            f"known: {', '.join(fields)}, entered_<stage>"
        )


@dataclass(frozen=True)
class ColumnSpec:
    """What a source's columns mean: each field's headers, the required ones, its labels.

    Attributes
    ----------
    format : str
        The format name (``hubspot``, ``hubspot_deals``, ``salesforce``, ``csv``).
    fields : mapping
        Canonical field -> the headers it may have, in order of preference (``id``,
        ``created``, ``stage``, ``outcome``, ``close_date``, ``amount``, ``owner``,
        ``source``, ... and the source's own fields).
    required : tuple of str
        Fields whose column must be in the file (a missing one stops the load); of
        these, ``id`` and ``created`` also reject a row whose value is bad.
    channels : mapping
        Source value -> channel, when the parameters give no channel mapping.
    recycle_statuses : frozenset of str
        Lead statuses that mean "returned to nurture".
    """

    format: str
    fields: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...] = ("id", "created")
    channels: Mapping[str, str] = field(default_factory=dict)
    recycle_statuses: frozenset[str] = RECYCLE_STATUSES


class Source:
    """One file going through the pipeline: its columns, problems and rejected rows.

    Built by :func:`open_source`; the loader then asks for its dates, labels and
    amounts (each reports its own problems) and ends with :meth:`finish`.

    Parameters
    ----------
    spec : ColumnSpec
        The source's columns.
    path : Path
        The file (names it in messages).
    raw : pandas.DataFrame
        The raw table.
    options : ReadOptions
        How it was read (as-of date included).
    cols : dict
        Field -> the column found (None: not in the file).
    overrides : dict
        The parameters' column mapping (``actuals.columns``).
    offset : int
        Line number of the first data row.
    args : LoadArgs, optional
        The loader's arguments (mappings: :attr:`args`).
    """

    def __init__(
        self,
        spec: ColumnSpec,
        path: Path,
        raw: pd.DataFrame,
        options: ReadOptions,
        cols: dict[str, str | None],
        overrides: dict[str, str],
        offset: int = 2,
        args: LoadArgs | None = None,
    ):
        self.spec = spec
        self.path = path
        self.raw = raw
        self.options = options
        self.cols = cols
        self.overrides = overrides
        self.offset = offset
        self.probs = Problems(path.name, offset)
        self.ids = text(raw, cols.get("id"))
        self.labels = UnknownLabels()
        self.drop = np.zeros(len(raw), dtype=bool)
        self.exact_duplicates = 0
        self.dates_of: Dates | None = None
        self.args: LoadArgs = args or {}
        self.created_dates: pd.Series | None = None
        self.amounts: pd.Series | None = None
        self.extra_problems: list[pd.DataFrame] = []
        self.extra_rejects: list[pd.DataFrame] = []
        self.stage_values: pd.Series | None = None
        self.position = np.full(len(raw), -1)
        self.outside = np.zeros(len(raw), dtype=bool)

    def text(self, key: str) -> pd.Series:
        """A field's column as stripped text (blanks when the file has no such column).

        Parameters
        ----------
        key : str
            Field name.

        Returns
        -------
        pandas.Series
        """
        return text(self.raw, self.cols.get(key))

    def mapped(self, prefix: str = "entered_", extra: Sequence[str] = ()) -> dict[str, str]:
        """The column mapping's keys that start with ``prefix`` (or are in ``extra``), checked.

        Parameters
        ----------
        prefix : str
            E.g. ``entered_``.
        extra : sequence of str
            Other keys to take (``first_response``).

        Returns
        -------
        dict
            Key -> column (:func:`open_source` checked each is in the file).
        """
        return {k: c for k, c in self.overrides.items() if k.startswith(prefix) or k in extra}

    def read_dates(self, columns: Sequence[str | None], *, with_ids: bool = True) -> Dates:
        """Parse every date column the loader will use (once, up front).

        Parameters
        ----------
        columns : sequence of str or None
            The date columns.
        with_ids : bool
            Find the repeated ids alongside (big files: on a second thread).

        Returns
        -------
        Dates
            Call it with a column name for that column's dates.
        """
        self.dates_of = Dates(
            self.raw, self.probs, columns, self.ids if with_ids else None, self.options
        )
        return self.dates_of

    def created(self) -> pd.Series:
        """The created dates: required, so a bad one rejects its row.

        Returns
        -------
        pandas.Series
        """
        assert self.dates_of is not None, "read_dates first"
        self.created_dates = self.dates_of(self.cols.get("created"), required=True)
        return self.created_dates

    def check_ids(self) -> None:
        """Reject exact and conflicting duplicate ids, and blank ids."""
        id_col = self.cols["id"]
        assert id_col is not None
        repeated = self.dates_of.repeated_ids if self.dates_of is not None else None
        dup, self.exact_duplicates = duplicates(self.raw, self.ids, self.probs, id_col, repeated)
        blank = (self.ids == "").to_numpy()
        self.probs.add(np.flatnonzero(blank), id_col, "missing id", self.ids[blank])
        self.drop |= dup | blank

    @shared_doc(parameters=STAGE_NAMES)
    def stages(
        self,
        labels: pd.Series,
        mapping: Mapping[str, str | None],
        stage_names: Sequence[str],
        column: str,
        what: str,
    ) -> tuple[pd.Series, np.ndarray, np.ndarray]:
        """Stage labels placed (:func:`~alignlib.crm.labels.stage_index`); unknown ones reject.

        Parameters
        ----------
        labels : pandas.Series
            The labels as written.
        mapping : mapping
            Label -> stage (None: outside the funnel).
        column : str
            Source column (for the problem).
        what : str
            What the label is (``lifecycle stage label``, ``deal stage`` ...).

        Returns
        -------
        tuple
            (canonical stage, position, unknown mask).
        """
        stage, position, unknown = self.place(labels, mapping, stage_names)
        self.labels.report(self.probs, unknown, labels, column, what, "stage_mapping", stage_names)
        self.drop |= unknown
        return stage, position, unknown

    def place(
        self, labels: pd.Series, mapping: Mapping[str, str | None], stage_names: Sequence[str]
    ) -> tuple[pd.Series, np.ndarray, np.ndarray]:
        """Stage labels placed, kept as the rows' stage, position and outside-the-funnel mask.

        Parameters
        ----------
        labels, mapping, stage_names
            As for :meth:`stages`, which also reports (and rejects) unknown labels.

        Returns
        -------
        tuple
            (canonical stage, position, unknown mask).
        """
        stage, position, unknown = stage_index(labels, mapping, stage_names)
        self.stage_values, self.position = stage, position
        self.outside = outside_funnel(labels, position, unknown)
        return stage, position, unknown

    def outcomes(
        self,
        labels: pd.Series,
        mapping: Mapping[str, str] | None,
        column: str,
        skip: np.ndarray | None = None,
    ) -> np.ndarray:
        """Outcome labels as ``won``/``lost``/``open``/"" per row; unknown ones reject.

        Parameters
        ----------
        labels : pandas.Series
            The labels as written.
        mapping : mapping, optional
            Label -> outcome (over the defaults).
        column : str
            Source column (for the problem).
        skip : numpy.ndarray, optional
            Rows already reported for this label (an unknown stage label).

        Returns
        -------
        numpy.ndarray
            Object array of outcomes ("" where blank or unknown).
        """
        said, bad = outcome_index(labels, mapping)
        if skip is not None:
            bad &= ~skip
        self.labels.report(self.probs, bad, labels, column, "outcome", "outcome_mapping")
        self.drop |= bad
        return said.fillna("").to_numpy(dtype=object)

    def amount(self, key: str = "amount") -> pd.Series:
        """A field's amounts; a bad one costs only itself (NaN, its problem says so).

        Parameters
        ----------
        key : str
            The field.

        Returns
        -------
        pandas.Series
        """
        amount, _ = amount_column(self.raw, self.cols.get(key), self.probs, self.options)
        self.amounts = amount
        return amount

    def in_order(
        self,
        entered: pd.DataFrame,
        sources: Sequence[str],
        *,
        after_created: pd.Series | None = None,
        by_day: bool = False,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The stage dates with each date out of funnel order dropped (the later one).

        Parameters
        ----------
        entered : pandas.DataFrame
            One date column per stage, top to bottom.
        sources : sequence of str
            The source column of each (for the problems).
        after_created : pandas.Series, optional
            The created dates, which every stage date must follow too.
        by_day : bool
            Compare days, not times (a conversion recorded on a date may precede a
            same-day creation time).

        Returns
        -------
        tuple of pandas.DataFrame
            (``entered`` with the dropped dates NaT, True where a date was dropped).
        """
        frame, names = entered, list(sources)
        if after_created is not None:
            frame = pd.concat([after_created.rename("created"), entered], axis=1)
            names = [str(self.cols.get("created")), *names]
        if by_day:
            frame = frame.apply(lambda c: c.dt.normalize())
        bad = order_problems(frame, names, self.probs, ~self.drop, self.raw)
        if after_created is not None:
            bad = bad[:, 1:]
        dropped = pd.DataFrame(bad, index=entered.index, columns=entered.columns)
        return (entered.mask(dropped) if bad.any() else entered), dropped

    def beside(self, other: Source) -> None:
        """Carry another file's problems and rows to fix into this file's result.

        Parameters
        ----------
        other : Source
            A file read beside this one (Salesforce opportunities), fully checked.
        """
        frame, rejects = other.settled()
        self.extra_problems.append(frame)
        self.extra_rejects.append(rejects)

    def settled(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Close a file read beside the main one: its problems and its rows to fix.

        Its rejected rows are settled (``drop``, dates included) and the dropped
        fields of rows rejected anyway are marked rejected.

        Returns
        -------
        tuple of pandas.DataFrame
            (problems with ``_pos``, :func:`~alignlib.crm.rejects.rejected_rows`).
        """
        from alignlib.crm.rejects import rejected_rows
        from alignlib.crm.table import rejected_with_fields

        if self.dates_of is not None:
            self.drop |= self.dates_of.bad
        rejected_with_fields(self.probs, self.drop)
        frame = self.probs.frame()
        return frame, rejected_rows(self.raw, self.drop, frame, self.probs)

    @shared_doc(parameters=STAGE_NAMES)
    def finish(
        self, *, stage_names: Sequence[str], source: str | None = None, **columns: Any
    ) -> IngestResult:
        """Assemble the normalised table and put the result together.

        Parameters
        ----------
        source : str, optional
            What to call the source (default: the path).
        **columns
            :func:`~alignlib.crm.table.assemble`'s columns; ``created`` and ``amount``
            default to what :meth:`created` and :meth:`amount` read, ``source``,
            ``owner``, ``lead_status`` and ``first_response`` to the spec's fields,
            ``channel`` to the sources through ``channel_mapping`` or the spec's
            channels, ``stage`` and ``outside`` to :meth:`place`'s, ``reached`` to the
            stages reached by ``entered`` and ``position`` (default: :meth:`place`'s).

        Returns
        -------
        IngestResult
        """
        from alignlib.crm.labels import channels

        blank_text = pd.Series("", index=self.raw.index, dtype="str")
        src = self.text("source")
        columns.setdefault("owner", self.text("owner") if "owner" in self.cols else blank_text)
        columns.setdefault(
            "deal_name", self.text("deal_name") if "deal_name" in self.cols else None
        )
        columns.setdefault(
            "lead_status", self.text("lead_status") if "lead_status" in self.cols else blank_text
        )
        if "first_response" not in columns:
            col = self.cols.get("first_response")
            dates_of = self.dates_of
            columns["first_response"] = (
                dates_of(col)
                if dates_of is not None and col in dates_of.parsed
                else pd.Series(pd.NaT, index=self.raw.index, dtype="datetime64[s]")
            )
        columns.setdefault("created", self.created_dates)
        if "amount" not in columns:
            columns["amount"] = (
                self.amounts
                if self.amounts is not None
                else pd.Series(np.nan, index=self.raw.index)
            )
        channel_mapping = self.args.get("channel_mapping")
        if "stage" not in columns:
            assert self.stage_values is not None, "place the stage labels first"
            columns["stage"] = self.stage_values
        if "reached" not in columns:
            position = columns.pop("position", self.position)
            columns["reached"] = reached_stages(columns["entered"], position, len(stage_names))
        columns.setdefault("outside", self.outside)
        if "channel" not in columns:
            columns["channel"] = channels(src, channel_mapping or self.spec.channels)
        columns.setdefault("recycle_statuses", self.spec.recycle_statuses)
        table = assemble(
            ids=self.ids, source=src, offset=self.offset, stage_names=stage_names, **columns
        )
        if self.dates_of is not None:
            self.drop |= self.dates_of.bad
        result = finish(
            path=self.path,
            fmt=self.spec.format,
            raw=self.raw,
            table=table,
            probs=self.probs,
            drop=self.drop,
            duplicates=self.exact_duplicates,
            stage_names=stage_names,
            as_of=self.options.as_of,
            extra_problems=self.extra_problems,
            extra_rejects=self.extra_rejects,
            source=source,
        )
        return self.labels.explain(result)


def open_source(
    spec: ColumnSpec, path: str | Path, offset: int = 2, **kw: Unpack[LoadArgs]
) -> Source:
    """Read a file and find its columns: the pipeline's first step.

    Parameters
    ----------
    spec : ColumnSpec
        The source's columns.
    path : str or Path
        The export (names the rows when ``raw`` is given).
    offset : int
        Line number of the first data row.
    **kw : LoadArgs
        The loader's arguments: ``columns`` (over the spec's headers), ``options``,
        ``as_of`` (wins over ``options.as_of``) and ``raw`` are used here; the rest is
        kept as :attr:`Source.args`.

    Returns
    -------
    Source

    Raises
    ------
    DataError
        The file cannot be read, a required field's column is missing, or a column
        the mapping names is not in the file.
    """
    path = Path(path)
    options = (kw.get("options") or ReadOptions()).with_as_of(kw.get("as_of"))
    raw = kw.get("raw")
    raw = read_raw(path, options) if raw is None else raw
    overrides = dict(kw.get("columns") or {})
    fields = {**spec.fields, **{k: (c,) for k, c in overrides.items()}}
    found = require(path, raw, {k: fields[k] for k in spec.required})
    missing = [
        f"{c!r} (for {k})"
        for k, c in overrides.items()
        if k not in spec.required and c not in raw.columns
    ]
    if missing:
        raise DataError(path, f"missing mapped column(s): {', '.join(missing)}")
    cols: dict[str, str | None] = {k: first_present(raw, v) for k, v in fields.items()}
    cols.update(found)
    return Source(spec, path, raw, options, cols, overrides, offset, kw)
