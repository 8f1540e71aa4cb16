"""`alignlib run`: path problems are one line each, found before any report runs."""

from __future__ import annotations

import os

import pytest

import alignlib.cli._args as cli_args
from alignlib.cli import main


@pytest.fixture(autouse=True)
def _no_batch(monkeypatch):
    """Fail if a test gets as far as rendering: every case here must stop before."""

    def boom(*args, **kwargs):
        raise AssertionError("the batch ran")

    monkeypatch.setattr("alignlib.batch.run_batch", boom)


def _run(argv, capsys) -> str:
    assert main(["run", *argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_out_is_a_file(tmp_path, capsys):
    out = tmp_path / "report.html"
    out.write_text("keep me")
    assert f"--out {out} is a file, not a folder" in _run(["--out", str(out)], capsys)
    assert out.read_text() == "keep me"


def test_out_under_a_file(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    err = _run(["--out", str(tmp_path / "f" / "sub")], capsys)
    assert f"{tmp_path / 'f'} is a file, not a folder" in err


def test_out_read_only(tmp_path, capsys, monkeypatch):
    # root may write anywhere, so the check is driven through os.access here
    real = os.access
    monkeypatch.setattr(cli_args.os, "access", lambda p, m: False if "ro" in str(p) else real(p, m))
    (tmp_path / "ro").mkdir()
    err = _run(["--out", str(tmp_path / "ro" / "new")], capsys)
    assert f"--out {tmp_path / 'ro' / 'new'}: not writable" in err
    assert not (tmp_path / "ro" / "new").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_out_read_only_for_real(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert f"--out {ro}: not writable" in _run(["--out", str(ro)], capsys)
    finally:
        ro.chmod(0o755)


def test_default_out_is_checked_too(tmp_path, capsys, monkeypatch):
    (tmp_path / "outputs").write_text("not a folder")
    monkeypatch.setenv("ALIGNLIB_OUTPUTS", str(tmp_path / "outputs"))
    assert "is a file, not a folder" in _run([], capsys)


@pytest.mark.parametrize("address", ["notaurl", "tcp://:8786", "127.0.0.1:0"])
def test_bad_scheduler(address, capsys):
    err = _run(["--scheduler", address], capsys)
    assert f"{address!r} is not an address like tcp://127.0.0.1:8786" in err
