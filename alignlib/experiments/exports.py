"""Reading a per-lead experiment export: leads per arm and the later stages they reached."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alignlib.errors import DataError
from alignlib.experiments.inputs import funnel_order

_TRUE = {"true", "t", "yes", "y", "1", "x", "reached"}

_FALSE = {"false", "f", "no", "n", "0", ""}


@dataclass(frozen=True)
class ExperimentCounts:
    """Counts per arm from a per-lead export.

    Attributes
    ----------
    path : Path
    stage : str
        The stage the arms were assigned at.
    next_stage : str
        The stage whose conversion is compared.
    arms : tuple of str
        Control first.
    n : dict arm -> int
    reached : dict arm -> {later stage -> int}
    notes : tuple of str
        Repairs made while reading (e.g. later stage reached without the earlier flag).
    """

    path: Path
    stage: str
    next_stage: str
    arms: tuple[str, ...]
    n: dict[str, int]
    reached: dict[str, dict[str, int]]
    notes: tuple[str, ...] = ()

    @property
    def control(self) -> tuple[int, int]:
        """Control's (conversions into the next stage, n)."""
        arm = self.arms[0]
        return self.reached[arm][self.next_stage], self.n[arm]

    @property
    def variants(self) -> dict[str, tuple[int, int]]:
        """Each variant's (conversions into the next stage, n)."""
        return {a: (self.reached[a][self.next_stage], self.n[a]) for a in self.arms[1:]}


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError(path, "experiment export not found")
    from alignlib.files import check_regular_file

    check_regular_file(path, what="an experiment export (CSV, Parquet or Excel)")
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".txt"}:
            return pd.read_csv(path, dtype=str, keep_default_na=True, skipinitialspace=True)
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in {".xlsx", ".xls"}:
            return pd.read_excel(path)
    except pd.errors.EmptyDataError:
        raise DataError(path, "the file is empty") from None
    except (ValueError, OSError) as exc:
        raise DataError(path, f"cannot read the file: {exc}") from None
    raise DataError(path, f"unknown file type {suffix!r}: use .csv, .parquet or .xlsx")


def _reached_flags(values: pd.Series, path: Path, column: str) -> np.ndarray:
    """Reached-stage flags from booleans, 0/1, yes/no text or dates (a date = reached)."""
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(values):
        v = values.fillna(0)
        bad = ~v.isin([0, 1])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                path,
                f"column {column!r}, line {i + 2}: {values.iloc[i]!r} is not a reached "
                "flag (use 0/1, true/false, yes/no or a date)",
            )
        return v.to_numpy(dtype=float) == 1
    text = values.astype("string").str.strip().str.lower().fillna("")
    out = np.zeros(len(text), dtype=bool)
    is_true = text.isin(_TRUE).to_numpy()
    is_false = text.isin(_FALSE).to_numpy()
    other = ~(is_true | is_false)
    out[is_true] = True
    if other.any():
        dates = pd.to_datetime(values[other], errors="coerce", format="mixed")
        if dates.isna().any():
            i = int(np.flatnonzero(other)[int(np.flatnonzero(dates.isna().to_numpy())[0])])
            raise DataError(
                path,
                f"column {column!r}, line {i + 2}: {values.iloc[i]!r} is neither a reached "
                "flag (0/1, true/false, yes/no) nor a date",
            )
        out[other] = True
    return out


def load_experiment_export(
    path: str | Path,
    stage: str,
    *,
    stage_names: Sequence[str] | None = None,
    control: str = "control",
) -> ExperimentCounts:
    """Read a per-lead experiment export and count leads per arm and stage reached.

    The file (CSV, Parquet or Excel) has one row per lead assigned to the experiment:
    ``lead_id``, ``arm`` (``control`` and the variant names), and for each later stage a
    column named after it (``sql``, or ``reached_sql``, ``sql_date``, ``sql_at``) holding
    a reached flag (true/false, yes/no, 1/0) or the date it was reached (empty = not
    reached). The next stage's column is required; later ones are optional. A lead that
    reached a later stage without the earlier flag is counted as having reached both
    (noted in ``notes``).

    Parameters
    ----------
    path : str or Path
    stage : str
        The experiment's FROM stage.
    stage_names : sequence of str, optional
        Funnel order (``params.stage_names``).
    control : str
        Control arm's label in the ``arm`` column.

    Returns
    -------
    ExperimentCounts

    Raises
    ------
    DataError
        Missing columns, duplicate lead ids, empty arms, unreadable flags: the message
        names the file, the column and the line.
    """
    path = Path(path)
    names = funnel_order(stage_names)
    if stage not in names:
        raise DataError(path, f"stage {stage!r} is not in the funnel {list(names)}")
    later = names[names.index(stage) + 1 :]
    if not later:
        raise DataError(path, f"stage {stage!r} is the last stage: nothing to convert into")
    raw = _read_table(path)
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    for col in ("lead_id", "arm"):
        if col not in raw.columns:
            raise DataError(
                path, f"missing column {col!r} (columns found: {', '.join(raw.columns)})"
            )
    if raw.empty:
        raise DataError(path, "no leads in the export")
    ids = raw["lead_id"].astype("string").str.strip()
    if ids.isna().any() or (ids == "").any():
        i = int(np.flatnonzero((ids.isna() | (ids == "")).to_numpy())[0])
        raise DataError(path, f"column 'lead_id', line {i + 2}: empty lead id")
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise DataError(
            path,
            f"column 'lead_id': {int(ids.duplicated().sum())} duplicate lead id(s), "
            f"e.g. {ids[dup].iloc[0]!r}: each lead may be assigned to one arm once",
        )
    arm = raw["arm"].astype("string").str.strip()
    if arm.isna().any() or (arm == "").any():
        i = int(np.flatnonzero((arm.isna() | (arm == "")).to_numpy())[0])
        raise DataError(path, f"column 'arm', line {i + 2}: empty arm")
    arms_found = list(dict.fromkeys(arm.tolist()))
    if control not in arms_found:
        raise DataError(
            path, f"column 'arm': no {control!r} arm (arms found: {', '.join(arms_found)})"
        )
    if len(arms_found) < 2:
        raise DataError(path, "column 'arm': only the control arm; no variant to compare")
    arms = (control, *sorted(a for a in arms_found if a != control))

    flags: dict[str, np.ndarray] = {}
    for s in later:
        candidates = [s, f"reached_{s}", f"{s}_date", f"{s}_at", f"{s}_reached"]
        present = [c for c in candidates if c in raw.columns]
        if len(present) > 1:
            raise DataError(path, f"stage {s!r} appears in several columns: {present}")
        if present:
            flags[s] = _reached_flags(raw[present[0]], path, present[0])
    if later[0] not in flags:
        raise DataError(
            path,
            f"missing column for stage {later[0]!r} (the stage the experiment converts "
            f"into): name it {later[0]!r}, 'reached_{later[0]}' or '{later[0]}_date'",
        )
    own = [c for c in (stage, f"reached_{stage}", f"{stage}_date", f"{stage}_at") if c in raw]
    if own:
        entered = _reached_flags(raw[own[0]], path, own[0])
        if not entered.all():
            i = int(np.flatnonzero(~entered)[0])
            raise DataError(
                path,
                f"column {own[0]!r}, line {i + 2}: lead {ids.iloc[i]!r} is in the experiment "
                f"but never reached {stage!r}, where leads are assigned",
            )

    # Reaching a later stage implies reaching the earlier ones (skipped CRM updates).
    followed = [s for s in later if s in flags]
    notes = []
    acc = np.zeros(len(raw), dtype=bool)
    for s in reversed(followed):
        acc = acc | flags[s]
        repaired = int((acc & ~flags[s]).sum())
        if repaired:
            notes.append(f"{repaired} lead(s) reached a stage after {s!r} without {s!r}: counted")
        flags[s] = acc.copy()
    arm_values = arm.to_numpy()
    n = {a: int((arm_values == a).sum()) for a in arms}
    reached = {a: {s: int(flags[s][arm_values == a].sum()) for s in followed} for a in arms}
    return ExperimentCounts(
        path=path,
        stage=stage,
        next_stage=later[0],
        arms=arms,
        n=n,
        reached=reached,
        notes=tuple(notes),
    )
