"""A dask scheduler that does not answer is one clear line, soon (issue 21, case 15)."""

from __future__ import annotations

import socket
import time

import pytest

from alignlib import paths
from alignlib.cli import main


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens


@pytest.mark.parametrize("verb", ["run", "simulate"])
def test_an_unreachable_scheduler_is_named_with_the_reason(tmp_path, capsys, verb):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    args = [verb, str(paths.PARAMS_DIR / "2026Q4.yaml"), "--scheduler", address]
    if verb == "run":
        args += ["--out", str(tmp_path / "out"), "--no-progress"]
    started = time.monotonic()
    assert main(args) == 2
    took = time.monotonic() - started
    err = capsys.readouterr().err
    assert f"--scheduler {address}: cannot connect within 5 s" in err
    assert "refused" in err.lower() or "timed out" in err.lower()
    assert "OSError" not in err
    assert took < 20
