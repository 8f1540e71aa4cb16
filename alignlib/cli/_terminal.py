r"""What the CLI prints is text, never terminal commands.

A value from an export (a Lifecycle Stage of ``ESC]0;PWNED BEL ESC[2J``) would set the
terminal's title and clear it if printed raw. Every write to the CLI's stdout and stderr
goes through :class:`PrintableStream`, which shows control characters as escapes
(``\x1b``) instead of sending them; newlines and tabs stay as they are.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

#: C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides
#: and isolates that reorder what is shown (a filename that reads backwards).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    r"""``text`` with every control character shown as an escape (``\x1b``, ``\u202e``).

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        Newlines and tabs kept; nothing a terminal would act on.
    """
    return _UNPRINTABLE.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


class PrintableStream:
    """A text stream that writes :func:`printable` text to the stream it wraps.

    Parameters
    ----------
    stream : text stream
        E.g. ``sys.stdout``; everything but ``write``/``writelines`` is its own.
    """

    def __init__(self, stream: TextIO):
        self._stream = stream
        #: The stream itself, for a progress bar's own carriage returns (it prints
        #: counts and our labels, never a value from a file).
        self.raw = stream

    def write(self, text: str) -> int:
        """Write ``text`` with its control characters escaped."""
        self._stream.write(printable(str(text)))
        return len(text)

    def writelines(self, lines: Any) -> None:
        """Write each line with its control characters escaped."""
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def progress_stream(stream: Any) -> Any:
    """The stream a progress bar writes to: the terminal itself, not the escaping wrapper.

    Parameters
    ----------
    stream : text stream
        ``sys.stderr`` (a :class:`PrintableStream` inside the CLI).

    Returns
    -------
    text stream
    """
    return getattr(stream, "raw", stream)
