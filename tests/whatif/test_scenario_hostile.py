"""Save as scenario on files as users keep them (issue 21, cases 6 to 9): symlinks, modes
and owners, two saves at once, names YAML would read as something else."""

from __future__ import annotations

import multiprocessing as mp
import os
import pwd

import pytest

from alignlib.errors import ParamsError
from alignlib.params import load_params
from alignlib.whatif import save_scenario
from tests.whatif._whatif_helpers import sample_params_copy

OVERRIDES = {"target": {"bookings": 2_600_000}}


def test_a_symlinked_file_is_written_through_to_its_target(tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = sample_params_copy(real_dir)
    link = tmp_path / "2026Q4.yaml"
    link.symlink_to(target)
    save_scenario(link, "through_link", OVERRIDES)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "through_link" in load_params(target).scenarios
    assert sorted(p.name for p in real_dir.iterdir()) == ["2026Q4.yaml"]


@pytest.mark.parametrize("mode", [0o600, 0o444, 0o640])
def test_the_mode_is_kept(tmp_path, mode):
    path = sample_params_copy(tmp_path)
    os.chmod(path, mode)
    save_scenario(path, "kept_mode", OVERRIDES)
    assert path.stat().st_mode & 0o7777 == mode
    assert "kept_mode" in load_params(path).scenarios


def test_the_owner_is_kept(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    try:
        other = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no second user (postgres) to own the file")
    path = sample_params_copy(tmp_path)
    os.chown(path, 0, other.pw_gid)
    os.chmod(path, 0o640)
    save_scenario(path, "kept_owner", OVERRIDES)
    st = path.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, other.pw_gid, 0o640)


def _save_in_process(path, name, barrier, queue) -> None:
    try:
        barrier.wait(30)
        save_scenario(path, name, {"target": {"bookings": 2_000_000 + len(name)}})
        queue.put((name, "ok"))
    except Exception as exc:  # reported to the test, not lost in the child
        queue.put((name, repr(exc)))


def test_saves_at_once_all_land(tmp_path):
    path = sample_params_copy(tmp_path)
    ctx = mp.get_context("fork")
    names = [f"at_once_{i}" for i in range(4)]
    for attempt in range(2):
        barrier = ctx.Barrier(len(names))
        queue = ctx.Queue()
        procs = [
            ctx.Process(target=_save_in_process, args=(path, f"{n}_{attempt}", barrier, queue))
            for n in names
        ]
        for p in procs:
            p.start()
        results = [queue.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(60)
        assert all(r == "ok" for _, r in results), results
        saved = load_params(path).scenarios
        assert {f"{n}_{attempt}" for n in names} <= set(saved)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.parametrize("name", ["yes", "no", "on", "off", "Yes", "null", "1_000", "0x1F", "12"])
def test_names_yaml_would_misread_are_quoted(tmp_path, name):
    path = sample_params_copy(tmp_path)
    save_scenario(path, name, OVERRIDES, description="on")
    params = load_params(path)
    assert name in params.scenarios and params.scenarios[name].description == "on"
    assert params.with_scenario(name).target.bookings == 2_600_000
    # saved again under the same name, it is replaced, not doubled
    save_scenario(path, name, {"target": {"bookings": 2_700_000}})
    assert load_params(path).with_scenario(name).target.bookings == 2_700_000


def test_an_invalid_scenario_error_names_the_users_file(tmp_path):
    path = sample_params_copy(tmp_path)
    link = tmp_path / "mine.yaml"
    link.symlink_to(path)
    with pytest.raises(ParamsError) as err:
        save_scenario(link, "bad", {"conversion_rates": {"mql": 1.7}})
    msg = str(err.value)
    assert str(link) in msg and "scenarios.bad.overrides" in msg
    assert ".2026Q4-" not in msg and "tmp" not in os.path.basename(msg.split(":")[0])
