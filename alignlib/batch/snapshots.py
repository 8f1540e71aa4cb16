"""The batch's quarter snapshots: computed once per parameters file, before any page renders.

Each parameters file of a batch gets one :class:`~alignlib.snapshot.QuarterSnapshot`,
saved into the run's staging folder; every report notebook of that segment receives its
path (``snapshot_path``) and renders from it, and every report's summary carries its
``quarter_numbers``. Several files are computed side by side in worker processes; the
numbers do not depend on how many (each snapshot draws from its own seed).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignlib.snapshot import SNAPSHOT_JSON, SNAPSHOT_TABLES


@dataclass(frozen=True)
class SnapshotOutcome:
    """One parameters file's snapshot as the batch sees it.

    Attributes
    ----------
    params_path : Path
        The parameters file.
    folder : Path
        Where the snapshot was saved (inside the run's staging folder).
    numbers : dict or None
        Its ``quarter_numbers`` (None when it could not be computed).
    error : str or None
        Why it could not be computed (every report of the segment then fails with it).
    """

    params_path: Path
    folder: Path
    numbers: dict[str, Any] | None
    error: str | None


def compute_and_save(
    params_path: str, folder: str, trials: int | None, week_ending: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    """Compute one file's snapshot and save it (runs in a worker process).

    Parameters
    ----------
    params_path : str
        The parameters file.
    folder : str
        Where to save it.
    trials : int, optional
        Simulated quarters (default the file's ``simulation.trials``).
    week_ending : str, optional
        The scorecard's week.

    Returns
    -------
    tuple of (dict or None, str or None)
        ``quarter_numbers`` and no error, or no numbers and a one-line error.
    """
    from alignlib.batch.render import one_line
    from alignlib.errors import AlignError
    from alignlib.history.learning import load_learned
    from alignlib.snapshot import quarter_snapshot

    try:
        snapshot = quarter_snapshot(
            load_learned(params_path), trials=trials, week_ending=week_ending or None
        )
        snapshot.save(folder)
        return snapshot.numbers.to_dict(), None
    except AlignError as exc:
        return None, " ".join(str(exc).split())
    except Exception as exc:  # a foreign error's message may quote the data: type only
        return None, f"computing the quarter failed: {type(exc).__name__}" + (
            f" ({one_line(exc)})" if os.environ.get("ALIGNLIB_DEBUG") else ""
        )


def compute_snapshots(
    params_paths: Iterable[Path],
    staging: dict[Path, Path],
    *,
    trials: int | None = None,
    week_ending: str | None = None,
    workers: int | None = None,
) -> dict[Path, SnapshotOutcome]:
    """Every file's snapshot, side by side in worker processes when there are several.

    Parameters
    ----------
    params_paths : iterable of Path
        The valid parameters files of the batch.
    staging : dict
        File -> the folder to save its snapshot in.
    trials : int, optional
        Simulated quarters.
    week_ending : str, optional
        The scorecard's week.
    workers : int, optional
        Processes (default the number of cores).

    Returns
    -------
    dict
        File -> its outcome.
    """
    paths = list(dict.fromkeys(params_paths))
    out: dict[Path, SnapshotOutcome] = {}
    n = min(len(paths), workers or os.cpu_count() or 1)
    if n <= 1:
        for path in paths:
            numbers, error = compute_and_save(str(path), str(staging[path]), trials, week_ending)
            out[path] = SnapshotOutcome(path, staging[path], numbers, error)
        return out
    # spawn: a fresh interpreter per worker, whatever threads this process has started
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n, mp_context=context) as pool:
        futures = {
            path: pool.submit(compute_and_save, str(path), str(staging[path]), trials, week_ending)
            for path in paths
        }
        for path, fut in futures.items():
            try:
                numbers, error = fut.result()
            except Exception as exc:  # a worker that died
                numbers, error = None, f"computing the quarter failed: {type(exc).__name__}"
            out[path] = SnapshotOutcome(path, staging[path], numbers, error)
    return out


def publish_snapshot(folder: Path, seg_dir: Path) -> None:
    """Move a saved snapshot's JSON and tables beside the pages (never the whole object).

    Parameters
    ----------
    folder : Path
        The staged snapshot.
    seg_dir : Path
        ``<out>/<quarter>/<segment>``.
    """
    source = folder / SNAPSHOT_JSON
    if not source.is_file():
        return
    seg_dir.mkdir(parents=True, exist_ok=True)
    tables = folder / SNAPSHOT_TABLES
    if tables.is_dir():
        final = seg_dir / SNAPSHOT_TABLES
        old = seg_dir / f".{SNAPSHOT_TABLES}.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(tables, final)
        shutil.rmtree(old, ignore_errors=True)
    os.replace(source, seg_dir / SNAPSHOT_JSON)  # last: it describes complete tables
