"""The CLI's main: exit codes, no traceback for users, ``--debug`` for those who want one."""

from __future__ import annotations

import errno

import pytest

import alignlib.cli.sample_size as sample_size_verb
from alignlib.cli import main
from alignlib.errors import InputError

ARGV = ["sample-size", "--baseline", "0.2", "--mde", "0.05"]


def _failing(monkeypatch, exc: BaseException) -> None:
    def run(args):
        raise exc

    monkeypatch.setattr(sample_size_verb, "run", run)  # the runner looks it up per run


def test_an_unexpected_error_names_its_type_only(monkeypatch, capsys):
    # an unexpected exception's message may quote a row of data: it is not printed
    _failing(monkeypatch, ValueError("row 12: Ben,Test,btest2693@example.com"))
    assert main(ARGV) == 1
    err = capsys.readouterr().err
    assert "internal error: ValueError" in err and "--debug" in err
    assert "btest2693" not in err and "Traceback" not in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback(monkeypatch, capsys, where):
    _failing(monkeypatch, ValueError("boom"))
    argv = ["--debug", *ARGV] if where == "before" else [*ARGV, "--debug"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "ValueError: boom" in err and "internal error" in err


def test_input_errors_exit_2_with_the_message(monkeypatch, capsys):
    _failing(monkeypatch, InputError("baseline: 2 must be between 0 and 1"))
    assert main(ARGV) == 2
    err = capsys.readouterr().err
    assert err == "error: baseline: 2 must be between 0 and 1\n"


def test_os_errors_name_the_path_and_the_reason(monkeypatch, capsys):
    _failing(monkeypatch, PermissionError(errno.EACCES, "Permission denied", "/srv/out/x.html"))
    assert main(ARGV) == 2
    assert capsys.readouterr().err == "error: /srv/out/x.html: Permission denied\n"
    _failing(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    assert main(ARGV) == 2
    assert capsys.readouterr().err == "error: No space left on device\n"


def test_ctrl_c_exits_130(monkeypatch, capsys):
    _failing(monkeypatch, KeyboardInterrupt())
    assert main(ARGV) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_out_of_memory_is_a_message(monkeypatch, capsys):
    _failing(monkeypatch, MemoryError())
    assert main(ARGV) == 1
    err = capsys.readouterr().err
    assert "out of memory" in err and "ALIGNLIB_MEMORY_GB" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "code"),
    [([], 2), (["--help"], 0), (["--version"], 0), (["nope"], 2), (["sample-size"], 2)],
)
def test_usage_returns_a_code_instead_of_raising(argv, code, capsys):
    assert main(argv) == code
    assert "Traceback" not in capsys.readouterr().err
