"""Atomic writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import stat

import pytest

from alignlib import files


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_write_text_creates_folders_and_mode_0644(tmp_path) -> None:
    path = tmp_path / "a" / "b" / "page.html"
    assert files.atomic_write_text(path, "<p>héllo</p>\r\n") == path
    assert path.read_bytes() == "<p>héllo</p>\r\n".encode()  # newlines kept as given
    assert _mode(path) == files.OUTPUT_MODE == 0o644
    assert os.listdir(path.parent) == ["page.html"]  # no temporary file left


def test_atomic_write_bytes_replaces_and_keeps_mode(tmp_path) -> None:
    path = tmp_path / "chart.png"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    files.atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert _mode(path) == 0o644


def test_an_exception_leaves_the_old_file(tmp_path) -> None:
    path = tmp_path / "summary.json"
    files.atomic_write_text(path, "old")
    with pytest.raises(RuntimeError, match="interrupted"), files.atomic_path(path) as tmp:
        tmp.write_text("half a fi")
        raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["summary.json"]


def test_an_exception_before_the_first_write_leaves_no_file(tmp_path) -> None:
    path = tmp_path / "new.txt"
    with pytest.raises(KeyboardInterrupt), files.atomic_path(path):
        raise KeyboardInterrupt
    assert not path.exists()
    assert os.listdir(tmp_path) == []
