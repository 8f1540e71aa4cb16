"""Save what-if levers as a scenario in the parameters file, keeping its comments and layout.

The file is edited round-trip (ruamel.yaml): only ``scenarios.<name>`` changes. The would-be
file is loaded with :func:`~alignlib.params.load_params` from a temporary copy next to the
original (so relative data paths resolve) before the original is replaced atomically.

The write goes through a symlink to its target, keeps the file's mode and owner (a
parameters file can hold a warehouse URL), and holds an exclusive lock (``fcntl.flock``)
on the file from the read to the replace, so two saves at once both land.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignlib.errors import InputError, ParamsError, Problem

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.whatif.engine import Levers

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

#: How long a save waits for another save of the same file to finish.
LOCK_TIMEOUT_S = 30.0
LEADS_NOT_SAVED = (
    "the lead volume is not a parameters key: the scenario plans the leads its target needs"
)


def overrides_from_levers(params: QuarterParams, levers: Levers) -> tuple[dict[str, Any], str]:
    """The levers moved from the parameters' values, as ``scenarios.<name>.overrides``.

    Parameters
    ----------
    params : QuarterParams
        The base parameters.
    levers : Levers
        The panel's state.

    Returns
    -------
    overrides : dict
        Only what moved: ``target.bookings``, ``deal_size`` (mean, and the spread in
        proportion), ``conversion_rates.<stage>``, ``lag_days.<stage>``,
        ``channels.<name>.share`` (normalised, summing to 1 with the others),
        ``sla.lead_response_hours`` and ``sales_team`` (``reps``, ``attainment``,
        ``ramp``, and ``hires`` as the whole list).
    skipped : str
        What could not be saved, and why ("" when everything was).
    """
    from alignlib.whatif.engine import Levers

    base = Levers.base(params)
    out: dict[str, Any] = {}
    if levers.target != base.target:
        out["target"] = {"bookings": round(levers.target)}
    if levers.deal_size != base.deal_size:
        deal: dict[str, Any] = {"mean": round(levers.deal_size)}
        if params.deal_size.spread > 0:
            deal["spread"] = round(params.deal_size.spread * levers.deal_size / base.deal_size)
        out["deal_size"] = deal
    names = params.stage_names
    rates = {
        names[i]: round(r, 4)
        for i, (r, b) in enumerate(zip(levers.rates, base.rates, strict=True))
        if r != b
    }
    if rates:
        out["conversion_rates"] = rates
    if levers.lags != base.lags:
        lags = params.lags
        out["lag_days"] = {
            names[i]: {"typical": round(v, 2), "spread": lags[i].spread}
            for i, (v, b) in enumerate(zip(levers.lags, base.lags, strict=True))
            if v != b
        }
    shares = _shares(params, levers, base)
    if shares:
        out["channels"] = {name: {"share": s} for name, s in shares.items()}
    if levers.sla_hours is not None and levers.sla_hours != base.sla_hours:
        out["sla"] = {"lead_response_hours": round(levers.sla_hours, 2)}
    team = _team_overrides(params, levers, base)
    if team:
        out["sales_team"] = team
    return out, (LEADS_NOT_SAVED if levers.leads is not None else "")


def _team_overrides(params: QuarterParams, levers: Levers, base: Levers) -> dict[str, Any]:
    """The team levers that moved, as ``sales_team`` overrides (hires as the whole list)."""
    from alignlib.whatif.engine import team_from_levers

    team = team_from_levers(params, levers)
    if team is None:
        return {}
    out: dict[str, Any] = {}
    if levers.reps != base.reps:
        out["reps"] = team.reps
    if levers.attainment != base.attainment:
        out["attainment"] = round(float(levers.attainment or 0.0), 4)
    if levers.ramp_months != base.ramp_months:
        out["ramp"] = list(team.ramp)
    if levers.hires != base.hires or levers.new_hires:
        out["hires"] = [{"start": h.start.isoformat(), "count": h.count} for h in team.hires]
    return out


def _shares(params: QuarterParams, levers: Levers, base: Levers) -> dict[str, float]:
    """Channels whose normalised share moved, rounded to 4 decimals and summing to 1."""
    if not levers.shares:
        return {}
    new = levers.normalised_shares
    names = list(params.channels)
    rounded = {n: round(s, 4) for n, s in zip(names, new, strict=True)}
    moved = [n for n, s, b in zip(names, new, base.shares, strict=True) if abs(s - b) > 1e-9]
    if not moved:
        return {}
    # the unmoved keep their file values; the rounding's residue goes to the largest moved
    for n, b in zip(names, base.shares, strict=True):
        if n not in moved:
            rounded[n] = b
    residue = 1.0 - sum(rounded.values())
    largest = max(moved, key=lambda n: rounded[n])
    rounded[largest] = round(rounded[largest] + residue, 6)
    return {n: rounded[n] for n in moved}


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round trip: comments, key order, flow maps and quotes kept
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _text(value: Any) -> Any:
    """A string that the parameters reader would read back as something else, quoted.

    ``yes``, ``no``, ``on``, ``off``, ``null``, ``1_000`` and ``2026-01-01`` are a bool,
    None, an int and a date to a YAML 1.1 reader; written plainly they would not come
    back as the text they are. Other values pass unchanged.
    """
    if not isinstance(value, str):
        return value
    import yaml
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    try:
        same = yaml.safe_load(f"k: {value}") == {"k": value} and "\n" not in value
    except yaml.YAMLError:
        same = False
    return value if same else DoubleQuotedScalarString(value)


def _commented(value: Any) -> Any:
    """Plain dicts as ruamel maps; a map of scalars in flow style (``{mql: 0.5}``)."""
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(value, Mapping):
        return _text(value)
    out = CommentedMap()
    for key, item in value.items():
        out[_text(str(key))] = _commented(item)
    if all(not isinstance(v, Mapping) for v in value.values()):
        out.fa.set_flow_style()
    return out


def scenario_yaml(text: str, name: str, overrides: Mapping[str, Any], description: str) -> str:
    """``text`` (a parameters file) with ``scenarios.<name>`` set, everything else as it was.

    Parameters
    ----------
    text : str
        The file's YAML.
    name : str
        Scenario name (replaced when it exists).
    overrides : mapping
        Its overrides.
    description : str
        What it assumes, in a sentence.

    Returns
    -------
    str
    """
    from ruamel.yaml.comments import CommentedMap

    yaml = _yaml()
    data = yaml.load(text)
    if not isinstance(data, CommentedMap):
        raise InputError("the parameters file is not a YAML mapping")
    scenarios = data.get("scenarios")
    if not isinstance(scenarios, CommentedMap):
        scenarios = CommentedMap()
        data["scenarios"] = scenarios
    entry = CommentedMap()
    entry["description"] = _text(description)
    entry["overrides"] = _commented(dict(overrides))
    for old in [k for k in scenarios if str(k) == name]:  # replaced, however it was quoted
        del scenarios[old]
    scenarios[_text(name)] = entry
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def save_scenario(
    params_path: str | Path,
    name: str,
    overrides: Mapping[str, Any],
    description: str = "",
) -> Path:
    """Write ``scenarios.<name>`` (a description and overrides) into a parameters file.

    Comments and layout are kept (round-trip YAML); a scenario of that name is replaced.
    The new file is validated first: :func:`~alignlib.params.load_params` on a temporary
    copy in the same folder, and the scenario applied; only then is the file replaced,
    atomically. ``alignlib plan --scenario <name>`` and the next ``alignlib run`` show it.

    Parameters
    ----------
    params_path : str or Path
        The parameters file.
    name : str
        Scenario name: letters, digits, ``_`` and ``-`` (it names a CLI argument and
        pages).
    overrides : mapping
        Keys of the parameters file and their new values, e.g.
        ``{"target": {"bookings": 2_600_000}}`` (see :func:`overrides_from_levers`).
    description : str
        What the scenario assumes, in a sentence.

    Returns
    -------
    Path
        ``params_path``.

    Raises
    ------
    InputError
        A bad name, no overrides, a file that is not a regular file, or another save
        holding the file for longer than :data:`LOCK_TIMEOUT_S`.
    ParamsError
        The file with this scenario does not validate (nothing is written); the error
        names ``params_path``, never a temporary file.
    """
    from alignlib.files import check_regular_file, read_bounded_text
    from alignlib.params.yaml_source import MAX_PARAMS_BYTES

    path = Path(params_path)
    if not _NAME.match(name or ""):
        raise InputError(
            f"scenario name {name!r}: use letters, digits, '_' and '-' (up to 64, no spaces)"
        )
    if not overrides:
        raise InputError("nothing to save: no lever moved from the plan")
    # A symlink is written through: its target gets the scenario, the link stays a link.
    target = Path(os.path.realpath(path))
    try:
        check_regular_file(target, what="a parameters file")
    except Exception as exc:
        raise InputError(f"{path}: {getattr(exc, 'reason', exc)}") from None
    with _locked(target, shown=path):
        text = read_bounded_text(target, MAX_PARAMS_BYTES, what="a parameters file")
        new = scenario_yaml(text, name, overrides, description)
        _replace(target, new, name, shown=path)
    return path


@contextlib.contextmanager
def _locked(target: Path, *, shown: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``target`` (the file as it is now) for the block.

    The file is replaced by a new inode on save: a lock won on the old one is let go
    and taken again on the new, so two saves never read the same version.
    """
    import fcntl

    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while True:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise InputError(
                            f"{shown}: another save is still writing it "
                            f"(waited {LOCK_TIMEOUT_S:.0f} s); try again"
                        ) from None
                    time.sleep(0.05)
            try:
                current = os.stat(target)
            except FileNotFoundError:
                current = None
            if current is not None and current.st_ino == os.fstat(fd).st_ino:
                yield
                return
        finally:
            os.close(fd)  # lets the lock go


def _replace(target: Path, new: str, name: str, *, shown: Path) -> None:
    """Validate ``new`` as ``target``'s text with scenario ``name``, then put it in place.

    Mode and owner are the old file's. Where the owner cannot be given to a new file
    (not root, someone else's file that is group-writable), the file is rewritten in
    place instead: same inode, so the same owner, mode and links.
    """
    from alignlib.params import load_params

    old = os.stat(target)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent
    )
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(new)
        try:
            load_params(tmp).with_scenario(name)
        except ParamsError as exc:
            raise _as_users(exc, tmp, shown) from None
        os.chmod(tmp, old.st_mode & 0o7777)
        in_place = False
        if (old.st_uid, old.st_gid) != (os.stat(tmp).st_uid, os.stat(tmp).st_gid):
            try:
                os.chown(tmp, old.st_uid, old.st_gid)
            except PermissionError:
                in_place = True
        if in_place:
            with open(target, "r+", encoding="utf-8", newline="") as fh:
                fh.write(new)
                fh.truncate()
                fh.flush()
                os.fsync(fh.fileno())
        else:
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _as_users(exc: ParamsError, tmp: Path, shown: Path) -> ParamsError:
    """The validation error of the temporary copy, said of the user's file."""
    problems = [
        Problem(p.location, p.message.replace(str(tmp), str(shown)).replace(tmp.name, shown.name))
        for p in exc.problems
    ]
    return ParamsError(shown if exc.path == tmp else exc.path, problems)
