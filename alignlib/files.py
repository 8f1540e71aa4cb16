"""Writing outputs so that a reader never sees half a file: one atomic write for everything.

A file is written to a temporary name in its own folder and moved into place with
``os.replace`` only once complete, so an interrupted run leaves the previous version.
Outputs are created readable by the group and others (0644), like any file a person saves.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

#: Mode of every file the workbook writes.
OUTPUT_MODE = 0o644


#: Mode of a file that holds personal data (a rejects file): its owner only.
PRIVATE_MODE = 0o600


@contextlib.contextmanager
def atomic_path(path: str | Path, *, mode: int = OUTPUT_MODE) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place when the block succeeds.

    Parameters
    ----------
    path : str or Path
        Final location. Its folder is created when missing.
    mode : int
        Permission bits of the finished file (:data:`OUTPUT_MODE`, or :data:`PRIVATE_MODE`
        for personal data).

    Yields
    ------
    Path
        Where to write. On an exception it is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write bytes to ``path`` atomically.

    Parameters
    ----------
    path : str or Path
        Final location.
    data : bytes
        Content.

    Returns
    -------
    Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write text to ``path`` atomically (newlines as given, no translation).

    Parameters
    ----------
    path : str or Path
        Final location.
    text : str
        Content.
    encoding : str
        Text encoding.

    Returns
    -------
    Path
        ``path``.
    """
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding, newline="") as fh:
        fh.write(text)
    return Path(path)


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    for test, name in (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a file"


def check_regular_file(path: str | Path, *, what: str = "a file") -> os.stat_result:
    """Refuse anything but a regular file: a FIFO or a device hangs a reader or never ends.

    Parameters
    ----------
    path : str or Path
        What the user named (a symlink to a regular file is one).
    what : str
        What the file should be, for the message (``a CRM export``).

    Returns
    -------
    os.stat_result
        The file's status.

    Raises
    ------
    DataError
        Missing, unreadable, or not a regular file (``/dev/zero``, a FIFO, a folder).
    """
    from alignlib.errors import DataError

    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DataError(path, "file not found") from None
    except OSError as exc:
        raise DataError(path, f"cannot be read: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise DataError(path, f"is not a regular file ({_kind(st.st_mode)}); give {what}")
    return st


def open_regular(path: str | Path, *, what: str = "a file") -> BinaryIO:
    """Open a regular file for reading, never blocking on a FIFO swapped in after the check.

    Parameters
    ----------
    path : str or Path
        The file.
    what : str
        What the file should be, for the message.

    Returns
    -------
    file object
        Opened in binary mode; the caller closes it.

    Raises
    ------
    DataError
        As :func:`check_regular_file`.
    """
    from alignlib.errors import DataError

    check_regular_file(path, what=what)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise DataError(path, f"cannot be read: {exc.strerror}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):  # replaced between the check and the open
        os.close(fd)
        raise DataError(path, f"is not a regular file ({_kind(st.st_mode)}); give {what}")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_bounded_text(
    path: str | Path, limit: int, *, what: str = "a file", encoding: str = "utf-8"
) -> str:
    """The text of a regular file of at most ``limit`` bytes (checked before and while reading).

    Parameters
    ----------
    path : str or Path
        The file.
    limit : int
        Largest size accepted, in bytes.
    what : str
        What the file should be, for the message.
    encoding : str
        Text encoding.

    Returns
    -------
    str

    Raises
    ------
    DataError
        Not a regular file, or larger than ``limit``.
    UnicodeDecodeError
        The bytes are not ``encoding`` text.
    """
    from alignlib.errors import DataError

    def too_large(size: str) -> DataError:
        return DataError(path, f"is too large for {what} ({size}; at most {limit // 1024**2} MB)")

    st = check_regular_file(path, what=what)
    if st.st_size > limit:
        raise too_large(f"{st.st_size / 1024**2:,.0f} MB")
    with open_regular(path, what=what) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:  # grew since the check
        raise too_large(f"over {limit // 1024**2} MB")
    return data.decode(encoding)
