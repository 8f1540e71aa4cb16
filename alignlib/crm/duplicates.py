"""Repeated ids: exact duplicate copies and conflicting rows that share an id."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alignlib.crm.problems import Problems
from alignlib.crm.read import arrow_text


def repeated(values: pd.Series) -> np.ndarray:
    """``values.duplicated(keep=False)`` for a text column, by sorting instead of hashing.

    A sort of a million short ids in pyarrow is several times faster than pandas'
    hash-based ``duplicated``; equal neighbours in sorted order are the repeats.

    Parameters
    ----------
    values : pandas.Series
        Text column (ids).

    Returns
    -------
    numpy.ndarray
        True for every row whose value occurs more than once.
    """
    import pyarrow.compute as pc

    n = len(values)
    if n < 2 or values.isna().any():
        return values.duplicated(keep=False).to_numpy()
    arr = arrow_text(values)
    order = pc.sort_indices(arr).to_numpy()
    ordered = arr.take(order)
    same = pc.equal(ordered.slice(1), ordered.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    rep = np.zeros(n, dtype=bool)
    rep[1:] = same
    rep[:-1] |= same
    out = np.zeros(n, dtype=bool)
    out[order] = rep
    return out


def duplicates(
    df: pd.DataFrame,
    ids: pd.Series,
    probs: Problems,
    id_col: str,
    repeated_ids: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Mark exact duplicate copies and conflicting ids; return (drop mask, exact copies).

    Of rows sharing an id with different content, the one with the most filled-in
    fields is kept (the earliest on a tie) and the others are rejected.

    Parameters
    ----------
    df : pandas.DataFrame
        The raw table.
    ids : pandas.Series
        Its id column as text (blank ids are left to the caller).
    probs : Problems
        Where the problems go.
    id_col : str
        Source name of the id column.
    repeated_ids : numpy.ndarray, optional
        ``repeated(ids)`` when already worked out.

    Returns
    -------
    tuple
        (rows to drop, number of exact duplicate copies).
    """
    n = len(df)
    drop = np.zeros(n, dtype=bool)
    dup_id = (repeated(ids) if repeated_ids is None else repeated_ids) & (ids != "").to_numpy()
    if not dup_id.any():
        return drop, 0
    pos = np.flatnonzero(dup_id)
    sub = df.iloc[pos]
    exact = sub.duplicated(keep="first").to_numpy()
    first_of = sub.groupby(list(sub.columns), sort=False, dropna=False).ngroup().to_numpy()
    first_pos = pd.Series(pos).groupby(first_of).transform("min").to_numpy()
    probs.add(
        pos[exact],
        id_col,
        pd.Series(first_pos[exact] + probs.offset).map(lambda r: f"exact duplicate of row {r}"),
        ids.iloc[pos[exact]],
    )
    drop[pos[exact]] = True
    # Conflicting copies among the remaining rows.
    rest = pos[~exact]
    rid = ids.iloc[rest].to_numpy()
    filled = sub.iloc[np.flatnonzero(~exact)]
    score = (filled.notna() & filled.astype("str").ne("")).sum(axis=1).to_numpy()
    order = np.lexsort((rest, -score, rid))
    rest_sorted, rid_sorted = rest[order], rid[order]
    is_first = np.r_[True, rid_sorted[1:] != rid_sorted[:-1]]
    keeper = pd.Series(rest_sorted[is_first], index=rid_sorted[is_first])
    losers = rest_sorted[~is_first]
    if len(losers):
        kept_rows = keeper.loc[rid_sorted[~is_first]].to_numpy() + probs.offset
        probs.add(
            losers,
            id_col,
            [f"same id as row {k} with different content; kept row {k}" for k in kept_rows],
            ids.iloc[losers],
        )
        drop[losers] = True
    return drop, int(exact.sum())
