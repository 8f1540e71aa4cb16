"""Small exports of any shape for the reading-layer tests: names and emails to look for."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from alignlib import crm

FIRST = ["Zoëqz", "Renéeqz", "Bjørnqz", "Annaqz", "Benqz", "Carlaqz", "Dmitriqz", "Esmeqz"]
LAST = ["Müllerqz", "Testqz", "Ångströmqz", "Lopezqz", "Okaforqz", "Smithqz", "Nakamuraqz"]
HEADER = ["id", "First Name", "Last Name", "Email", "created", "amount"]
COLUMNS = {"id": "id", "created": "created", "amount": "amount"}


def people(n: int) -> list[tuple[str, str, str]]:
    """(first, last, email) of n made-up contacts."""
    out = []
    for i in range(n):
        first, last = FIRST[i % len(FIRST)], LAST[(i // 3) % len(LAST)]
        out.append((first, last, f"{first.lower()}.{last.lower()}{i}@example.com"))
    return out


def personal_values(n: int) -> set[str]:
    """Every name and email the first n rows hold."""
    return {v for row in people(n) for v in row}


def write_export(
    path: Path,
    created: list[str],
    amounts: list[str] | None = None,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    header: list[str] = HEADER,
) -> Path:
    """A generic export: id, names, email, created date and amount per row."""
    amounts = amounts if amounts is not None else [""] * len(created)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    for i, ((first, last, email), c, a) in enumerate(
        zip(people(len(created)), created, amounts, strict=True)
    ):
        w.writerow([str(1000 + i), first, last, email, c, a])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def load(path: Path, **kw):
    """The generic loader over :data:`COLUMNS`."""
    return crm.load_csv(path, COLUMNS, **kw)


def us_dates(n: int) -> list[str]:
    """Month-first dates, some with a 12-hour time, one day above 12 among them."""
    base = dt.datetime(2017, 1, 1, 9, 21)
    out = []
    for i in range(n):
        d = base + dt.timedelta(days=7 * i, minutes=37 * i)
        h = d.hour % 12 or 12
        ampm = "AM" if d.hour < 12 else "PM"
        out.append(f"{d.month}/{d.day}/{d.year}" + (f" {h}:{d.minute:02d} {ampm}" if i % 2 else ""))
    return out
