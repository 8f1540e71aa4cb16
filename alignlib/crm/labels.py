"""Labels to canonical values: stages (and how far each contact got), channels, outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alignlib.crm.read import arrow_text
from alignlib.errors import InputError

#: Channel given to sources no mapping knows.
OTHER_CHANNEL = "other"


def codes(values: pd.Series) -> tuple[list[str], np.ndarray]:
    """Distinct values of a text column and each row's code into them (missing -> len).

    Parameters
    ----------
    values : pandas.Series
        Text column.

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


def check_stages(stage_names: Sequence[str]) -> None:
    """Refuse an empty list of stages.

    Parameters
    ----------
    stage_names : sequence of str
        The company's stages.

    Raises
    ------
    InputError
        No stage.
    """
    if not stage_names:
        raise InputError("stage_names is empty: a funnel needs at least one stage")


def stage_index(
    labels: pd.Series, mapping: Mapping[str, str | None], stage_names: Sequence[str]
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Map labels to (canonical stage or NA, stage position or -1, unknown-label mask).

    Parameters
    ----------
    labels : pandas.Series
        Stage labels as the export writes them.
    mapping : mapping
        Label -> canonical stage (None: outside the funnel).
    stage_names : sequence of str
        The company's stages, top to bottom.

    Returns
    -------
    tuple
        (canonical stage per row, its position in ``stage_names`` or -1, True where
        a non-blank label is not in ``mapping``).
    """
    cats, label_codes = codes(labels)
    pos_of = {s: i for i, s in enumerate(stage_names)}
    # Per distinct label: known? canonical stage (in this company's stages)? position?
    known = np.array([c in mapping for c in cats] + [False], dtype=bool)
    blank = np.array([c == "" for c in cats] + [True], dtype=bool)
    canon = [mapping.get(c) if mapping.get(c) in pos_of else None for c in cats] + [None]
    pos = np.array([pos_of.get(c, -1) if c else -1 for c in canon], dtype=int)
    unknown = (~known & ~blank)[label_codes]
    canonical = pick(canon, label_codes)
    canonical.index = labels.index
    return canonical, pos[label_codes], unknown


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


def opportunity_index(stage_names: Sequence[str]) -> int:
    """Position of the stage whose reached-but-not-closed rows are open deals.

    Parameters
    ----------
    stage_names : sequence of str
        The company's stages.

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
    own = set(mapping.values())
    names = [mapping.get(c, c if c in own else OTHER_CHANNEL) for c in cats]
    out = pick([*names, OTHER_CHANNEL], source_codes)
    out.index = source.index
    return out


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
