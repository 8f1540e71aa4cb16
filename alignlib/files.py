"""Writing outputs so that a reader never sees half a file: one atomic write for everything.

A file is written to a temporary name in its own folder and moved into place with
``os.replace`` only once complete, so an interrupted run leaves the previous version.
Outputs are created readable by the group and others (0644), like any file a person saves.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

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
