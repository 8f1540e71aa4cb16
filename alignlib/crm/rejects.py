"""Rejected rows (and rows kept without a bad field): the raw rows, with why, written only to a file that says it holds personal data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alignlib.crm.problems import FIELD_DROPPED, REJECTED, Problems
from alignlib.crm.read import malformed_rows
from alignlib.errors import InputError
from alignlib.files import PRIVATE_MODE, atomic_path

if TYPE_CHECKING:
    from alignlib.crm.table import IngestResult

#: End of every rejects file's name.
REJECTS_SUFFIX = "rejects-contains-personal-data.csv"


def rejected_rows(
    raw: pd.DataFrame, drop: np.ndarray, frame: pd.DataFrame, probs: Problems
) -> pd.DataFrame:
    """The rows to fix: rejected ones and those kept without a field, with why.

    Led by ``_file``, ``_row``, ``_problems`` (each row's problems joined with "; ")
    and ``_kept`` ("" for a rejected row; ``kept without <fields>`` for a row kept
    without its bad fields), in row order.

    Parameters
    ----------
    raw : pandas.DataFrame
        The raw table.
    drop : numpy.ndarray
        Rows rejected.
    frame : pandas.DataFrame
        ``probs.frame()``.
    probs : Problems
        The file's problems (for its name and line offset).

    Returns
    -------
    pandas.DataFrame
        The rows, personal data included (``_line``: a malformed line as written, when
        the file has any).
    """
    fixable = frame.loc[frame["action"].isin((REJECTED, FIELD_DROPPED))]
    reasons = (
        fixable.assign(msg=fixable["field"] + ": " + fixable["reason"])
        .groupby("_pos")["msg"]
        .agg("; ".join)
    )
    dropped = frame.loc[frame["action"] == FIELD_DROPPED]
    kept_without = dropped.groupby("_pos")["field"].agg(
        lambda f: "kept without " + ", ".join(dict.fromkeys(f))
    )
    reject_pos = np.union1d(np.flatnonzero(drop), kept_without.index.to_numpy(dtype=np.int64))
    rejects = raw.take(reject_pos)
    bad = malformed_rows(raw)
    if bad:
        # The line as written (its fields did not fit the columns): private, like the rest.
        line = pd.Series({m.position: m.text for m in bad}, dtype=object)
        rejects.insert(0, "_line", line.reindex(reject_pos).fillna("").to_numpy())
    rejects.insert(0, "_kept", kept_without.reindex(reject_pos).fillna("").to_numpy())
    rejects.insert(0, "_problems", reasons.reindex(reject_pos).fillna("").to_numpy())
    rejects.insert(0, "_row", reject_pos + probs.offset)
    rejects.insert(0, "_file", probs.file)
    return rejects


def default_rejects_path(source: str | Path, folder: str | Path | None = None) -> Path:
    """Where :func:`write_rejects` writes by default.

    Parameters
    ----------
    source : str or Path
        The export read.
    folder : str or Path, optional
        Folder (default: :func:`alignlib.paths.outputs_dir`, the user's ``outputs/``).

    Returns
    -------
    Path
        ``<folder>/<stem>.rejects-contains-personal-data.csv``.
    """
    from alignlib.paths import outputs_dir

    source = Path(source)
    return Path(folder or outputs_dir()) / f"{source.stem}.{REJECTS_SUFFIX}"


def write_rejects(result: IngestResult, path: str | Path) -> Path:
    """Write the rejected rows atomically (temp file + rename); return the path.

    The rows hold personal data (names, emails): the file name should say so
    (see :func:`default_rejects_path`); a name without ``personal-data`` is refused.

    Parameters
    ----------
    result : IngestResult
        What a loader read.
    path : str or Path
        The rejects file.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        The file name does not say it holds personal data.
    """
    path = Path(path)
    if "personal-data" not in path.name:
        raise InputError(
            f"{path}: a rejects file holds personal data; its name must say so "
            f"(e.g. {path.with_name(path.stem + '.' + REJECTS_SUFFIX).name})"
        )
    with (
        atomic_path(path, mode=PRIVATE_MODE) as tmp,
        open(tmp, "w", newline="", encoding="utf-8") as fh,
    ):
        result.rejects.to_csv(fh, index=False, lineterminator="\n")
    return path
