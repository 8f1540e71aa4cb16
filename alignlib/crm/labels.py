"""Labels to canonical values: stages (and how far each contact got), channels, outcomes.

Labels match case- and whitespace-insensitively (:func:`normalise_label`). A label
no mapping knows is reported once (:class:`UnknownLabels`), with how many rows carry
it and the mapping line that would place it, not once per row.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd

from alignlib.crm._docs import STAGE_NAMES, TEXT_VALUES
from alignlib.crm.read import arrow_text
from alignlib.docstrings import shared_doc
from alignlib.errors import InputError
from alignlib.format import count

if TYPE_CHECKING:
    from alignlib.crm.problems import Problems
    from alignlib.crm.table import IngestResult

#: Channel given to sources no mapping knows.
OTHER_CHANNEL = "other"

#: The outcomes a deal can have.
OUTCOMES = ("won", "lost", "open")

#: Outcome labels understood without a mapping (matched after :func:`normalise_label`).
DEFAULT_OUTCOME_MAPPING: dict[str, str] = {
    "won": "won",
    "lost": "lost",
    "open": "open",
    "closed won": "won",
    "closed lost": "lost",
    "closedwon": "won",
    "closedlost": "lost",
}

_V = TypeVar("_V")


def normalise_label(label: object) -> str:
    """A label as matched: case folded, runs of whitespace made one space, ends trimmed.

    Parameters
    ----------
    label : object
        A label as written in an export or a parameters file.

    Returns
    -------
    str
        E.g. ``"  Closed   WON "`` -> ``"closed won"``.
    """
    return " ".join(str(label).casefold().split())


def normalised(mapping: Mapping[str, _V]) -> dict[str, _V]:
    """A label mapping keyed by :func:`normalise_label` (later keys win on a clash).

    Parameters
    ----------
    mapping : mapping
        Label -> value.

    Returns
    -------
    dict
        Normalised label -> value.
    """
    return {normalise_label(k): v for k, v in mapping.items()}


def guess_outcome(label: str) -> str:
    """A best guess of a label's outcome from its words (won, lost, else open).

    Parameters
    ----------
    label : str
        An outcome or deal-stage label.

    Returns
    -------
    str
        ``won`` for words like won/win/closed won/signed, ``lost`` for lost/lose/
        dead/disqualified/churned, else ``open``.
    """
    words = set(re.findall(r"[a-z]+", normalise_label(label)))
    if words & {"won", "win", "signed", "closedwon", "booked"}:
        return "won"
    if words & {"lost", "lose", "dead", "disqualified", "closedlost", "churned", "rejected"}:
        return "lost"
    return "open"


@shared_doc(parameters=TEXT_VALUES)
def codes(values: pd.Series) -> tuple[list[str], np.ndarray]:
    """Distinct values of a text column and each row's code into them (missing -> len).

    Returns
    -------
    tuple
        (distinct values, one code per row).
    """
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(arrow_text(values))
    cats = [str(c) for c in enc.dictionary.to_pylist()]
    out = pc.fill_null(enc.indices, len(cats)).to_numpy(zero_copy_only=False)
    return cats, out.astype(np.intp, copy=False)


def pick(choices: Sequence[str | None], codes: np.ndarray) -> pd.Series:
    """A str column holding ``choices[code]`` per row (None -> missing), built in pyarrow.

    Parameters
    ----------
    choices : sequence of str or None
        The value of each code.
    codes : numpy.ndarray
        One code per row.

    Returns
    -------
    pandas.Series
        ``str`` dtype, on a fresh range index.
    """
    import pyarrow as pa

    table = pa.array(list(choices), type=pa.large_string())
    return pd.Series(table.take(pa.array(codes)), dtype="str")


@shared_doc(parameters=STAGE_NAMES)
def check_stages(stage_names: Sequence[str]) -> None:
    """Refuse an empty list of stages.

    Raises
    ------
    InputError
        No stage.
    """
    if not stage_names:
        raise InputError("stage_names is empty: a funnel needs at least one stage")


@shared_doc(parameters=STAGE_NAMES)
def stage_index(
    labels: pd.Series, mapping: Mapping[str, str | None], stage_names: Sequence[str]
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Map labels to (canonical stage or NA, stage position or -1, unknown-label mask).

    Parameters
    ----------
    labels : pandas.Series
        Stage labels as the export writes them.
    mapping : mapping
        Label -> canonical stage (None: outside the funnel); case and spaces ignored.

    Returns
    -------
    tuple
        (canonical stage per row, its position in ``stage_names`` or -1, True where
        a non-blank label is not in ``mapping``).
    """
    cats, label_codes = codes(labels)
    pos_of = {s: i for i, s in enumerate(stage_names)}
    norm = normalised(mapping)
    keys = [normalise_label(c) for c in cats]
    # Per distinct label: known? canonical stage (in this company's stages)? position?
    known = np.array([k in norm for k in keys] + [False], dtype=bool)
    blank = np.array([k == "" for k in keys] + [True], dtype=bool)
    canon = [norm.get(k) if norm.get(k) in pos_of else None for k in keys] + [None]
    pos = np.array([pos_of.get(c, -1) if c else -1 for c in canon], dtype=int)
    unknown = (~known & ~blank)[label_codes]
    canonical = pick(canon, label_codes)
    canonical.index = labels.index
    return canonical, pos[label_codes], unknown


def outside_funnel(labels: pd.Series, position: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """Rows whose stage label is known and mapped outside the company's funnel.

    A HubSpot ``Subscriber`` (mapped to None) or a label of a stage this company does
    not have: such a row is not a first-stage contact unless a date says it is.

    Parameters
    ----------
    labels : pandas.Series
        Stage labels as the export writes them.
    position, unknown : numpy.ndarray
        From :func:`stage_index`.

    Returns
    -------
    numpy.ndarray
        Boolean, one per row.
    """
    return (position < 0) & (labels != "").to_numpy(dtype=bool) & ~unknown


def reached_stages(entered: pd.DataFrame, position: np.ndarray, n_stages: int) -> np.ndarray:
    """Reached = has the stage's date, a later stage's date, or a current stage at/past it.

    Parameters
    ----------
    entered : pandas.DataFrame
        One date column per stage, top to bottom.
    position : numpy.ndarray
        Current stage position per row (-1: none).
    n_stages : int
        Number of stages.

    Returns
    -------
    numpy.ndarray
        Boolean (rows, stages), column-major so each stage's column is contiguous.
    """
    out = np.empty((len(entered), n_stages), dtype=bool, order="F")
    later = np.zeros(len(entered), dtype=bool)
    for j in range(n_stages - 1, -1, -1):
        later |= entered.iloc[:, j].notna().to_numpy()
        np.logical_or(later, position >= j, out=out[:, j])
    return out


@shared_doc(parameters=STAGE_NAMES)
def opportunity_index(stage_names: Sequence[str]) -> int:
    """Position of the stage whose reached-but-not-closed rows are open deals.

    Returns
    -------
    int
        ``opportunity``'s position, else the one before the last stage.
    """
    if "opportunity" in stage_names:
        return stage_names.index("opportunity")
    return max(len(stage_names) - 2, 0)


def channels(source: pd.Series, mapping: Mapping[str, str]) -> pd.Series:
    """Source -> channel; a source that already is a channel name keeps it; else "other".

    Sources match the mapping exactly first, then ignoring case and spacing.

    Parameters
    ----------
    source : pandas.Series
        Source values as the export writes them.
    mapping : mapping
        Source -> channel.

    Returns
    -------
    pandas.Series
        Channel per row, on ``source``'s index.
    """
    cats, source_codes = codes(source)
    own = {normalise_label(v): v for v in mapping.values()}
    norm = normalised(mapping)
    names = [
        mapping.get(c, norm.get(normalise_label(c), own.get(normalise_label(c), OTHER_CHANNEL)))
        for c in cats
    ]
    out = pick([*names, OTHER_CHANNEL], source_codes)
    out.index = source.index
    return out


def fold_channels(channel: pd.Series) -> pd.Series:
    """Channel labels that differ only in case or spacing made one ("Google", "google ").

    The spelling most rows use names the channel (ties: the first in sorted order), so
    a file without such clashes keeps its labels exactly as written.

    Parameters
    ----------
    channel : pandas.Series
        Channel per row (text; missing stays missing).

    Returns
    -------
    pandas.Series
        ``str`` dtype, on ``channel``'s index.
    """
    cats, label_codes = codes(channel)
    keys = [normalise_label(c) for c in cats]
    if len(set(keys)) == len(keys):
        return channel
    rows = np.bincount(label_codes, minlength=len(cats) + 1)
    best: dict[str, int] = {}
    for i in sorted(range(len(cats)), key=cats.__getitem__):
        k = keys[i]
        if k not in best or rows[i] > rows[best[k]]:
            best[k] = i
    out = pick([cats[best[k]] for k in keys] + [None], label_codes)
    out.index = channel.index
    return out


def outcome_index(
    labels: pd.Series, mapping: Mapping[str, str] | None = None
) -> tuple[pd.Series, np.ndarray]:
    """Map outcome labels to won / lost / open (case and spaces ignored).

    Parameters
    ----------
    labels : pandas.Series
        Outcome labels as the export writes them.
    mapping : mapping, optional
        Label -> ``won``, ``lost`` or ``open`` (``actuals.outcome_mapping``), over
        :data:`DEFAULT_OUTCOME_MAPPING`.

    Returns
    -------
    tuple
        (outcome per row, missing where blank or unknown, on ``labels``' index;
        True where a non-blank label is not known).
    """
    norm = {**DEFAULT_OUTCOME_MAPPING, **normalised(mapping or {})}
    cats, label_codes = codes(labels)
    keys = [normalise_label(c) for c in cats]
    known = np.array([k in norm or k == "" for k in keys] + [True], dtype=bool)
    out = pick([norm.get(k) for k in keys] + [None], label_codes)
    out.index = labels.index
    return out, ~known[label_codes]


def outcomes(won: np.ndarray, lost: np.ndarray, is_open: np.ndarray) -> pd.Series:
    """Won / lost / open / missing per row (won over lost over open).

    Parameters
    ----------
    won, lost, is_open : numpy.ndarray
        Boolean masks.

    Returns
    -------
    pandas.Series
        ``str`` dtype on a fresh range index.
    """
    outcome_codes = np.where(won, 0, np.where(lost, 1, np.where(is_open, 2, 3)))
    return pick(["won", "lost", "open", None], outcome_codes)


@dataclass(frozen=True)
class LabelNote:
    """The rows of one file that carry one unknown label (for the rejects file).

    Attributes
    ----------
    file : str
        File name, as in the problems.
    lines : numpy.ndarray
        Line numbers of the rows.
    reason : str
        Short reason written beside each rejected row.
    """

    file: str
    lines: np.ndarray
    reason: str


class UnknownLabels:
    """Unknown labels reported once each: how many rows, and the mapping line to add.

    Each distinct unknown label becomes one problem (at its first row, the label as
    its value). The rows it rejects get their reason in the rejects file through
    :meth:`explain`, called on the loader's result.
    """

    def __init__(self) -> None:
        self.notes: list[LabelNote] = []

    def report(
        self,
        probs: Problems,
        unknown: np.ndarray,
        labels: pd.Series,
        field: str,
        what: str,
        key: str,
        choices: Sequence[str] = (),
        action: str = "rejected",
    ) -> None:
        """Add one problem per distinct unknown label.

        Parameters
        ----------
        probs : Problems
            The file's problems.
        unknown : numpy.ndarray
            True for rows whose label is unknown.
        labels : pandas.Series
            The labels as written.
        field : str
            Source column.
        what : str
            What the label is, for the message (``outcome``, ``lead status``, ...).
        key : str
            The params key that maps it (``outcome_mapping`` or ``stage_mapping``).
        choices : sequence of str
            The values it may map to (outcomes: a guess is proposed from the words).
        action : str
            ``rejected`` or ``kept``.
        """
        pos = np.flatnonzero(unknown)
        if len(pos) == 0:
            return
        values = labels.iloc[pos].astype("str").to_numpy()
        # Spellings of one label (case, spaces) are one label: the first one seen names it.
        spellings, spelling_of = np.unique(values, return_inverse=True)
        keys = np.array([normalise_label(v) for v in spellings], dtype=object)[spelling_of]
        distinct, first, inverse, counts = np.unique(
            keys, return_index=True, return_inverse=True, return_counts=True
        )
        order = np.argsort(first, kind="stable")
        shown = values[first[order]]
        reasons = [
            unknown_label_message(str(shown[k]), int(counts[i]), what, key, choices)
            for k, i in enumerate(order)
        ]
        probs.add(pos[first[order]], field, reasons, shown, action=action)
        if action == "rejected":
            for k, i in enumerate(order):
                short = f"{field}: unknown {what} {str(shown[k])!r}"
                self.notes.append(LabelNote(probs.file, pos[inverse == i] + probs.offset, short))

    def explain(self, result: IngestResult) -> IngestResult:
        """The result with each rejected row's unknown label written in ``_problems``.

        Parameters
        ----------
        result : IngestResult
            What the loader returned.

        Returns
        -------
        IngestResult
            The same result; only ``rejects["_problems"]`` may differ.
        """
        rejects = result.rejects
        if not self.notes or rejects.empty:
            return result
        reasons = rejects["_problems"].astype("str").to_numpy(dtype=object).copy()
        for note in self.notes:
            hit = (rejects["_file"] == note.file).to_numpy() & np.isin(
                rejects["_row"].to_numpy(), note.lines
            )
            for i in np.flatnonzero(hit):
                if note.reason not in reasons[i]:
                    reasons[i] = f"{reasons[i]}; {note.reason}" if reasons[i] else note.reason
        rejects = rejects.assign(_problems=reasons)
        return dataclasses.replace(result, rejects=rejects)


def unknown_label_message(label: str, n: int, what: str, key: str, choices: Sequence[str]) -> str:
    """The one line that reports an unknown label: count, and the mapping line to add.

    Parameters
    ----------
    label : str
        The label as written.
    n : int
        Rows that carry it.
    what : str
        What the label is (``outcome``, ``lead status``, ...).
    key : str
        ``outcome_mapping`` or ``stage_mapping``.
    choices : sequence of str
        Values it may map to.

    Returns
    -------
    str
        E.g. ``unknown outcome 'Engaging' on 1,234 rows: add  outcome_mapping:
        {"Engaging": open}  (or won/lost)``.
    """
    rows = "row" if n == 1 else "rows"
    quoted = json.dumps(label, ensure_ascii=False)  # JSON strings are valid YAML
    if key == "outcome_mapping":
        guess = guess_outcome(label)
        others = "/".join(o for o in OUTCOMES if o != guess)
        line = f"{key}: {{{quoted}: {guess}}}  (or {others})"
    else:
        line = f"{key}: {{{quoted}: <stage>}}  (a stage of {', '.join(choices)}; null: outside the funnel)"
    return f"unknown {what} {label!r} on {count(n)} {rows}: add  {line}"
