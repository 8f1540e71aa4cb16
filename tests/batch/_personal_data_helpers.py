"""Exports with planted personal data and broken rows, and a search of outputs for that data."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

from alignlib import paths

SAMPLE_EXPORT = (paths.DEFAULT_PARAMS.parent / "../data/sample/hubspot_contacts.csv").resolve()

#: The ways a row is broken (one per planted contact).
CORRUPTIONS = ("extra_field", "stray_quote", "open_quote", "invalid_bytes", "huge_field", "short")


@dataclass(frozen=True)
class Person:
    """A planted contact: tokens that appear nowhere else, so any hit is a leak."""

    first: str
    last: str
    email: str

    @classmethod
    def planted(cls, n: int) -> Person:
        return cls(f"Zorblaxine{n}", f"Quibbleworth{n}", f"zq.planted{n}@example.org")

    @property
    def needles(self) -> tuple[str, ...]:
        return (self.first, self.last, self.email)


def sample_rows(n: int | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and the first ``n`` rows of the sample HubSpot export."""
    rows = list(csv.reader(io.StringIO(SAMPLE_EXPORT.read_text(encoding="utf-8"))))
    return rows[0], rows[1 : None if n is None else n + 1]


def _line(fields: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    return out.getvalue()


def corrupted_export(
    path: Path,
    plan: list[tuple[str, int]],
    *,
    rows: int | None = None,
    truncate_last: bool = False,
) -> list[Person]:
    """Write a sample-shaped export where each planted contact's row is broken one way.

    Parameters
    ----------
    path : Path
        Where to write the export.
    plan : list of (corruption, position)
        One planted contact per entry: how its row is broken and where it goes (a
        position in the rows, wrapped).
    rows : int, optional
        Only the first rows of the sample (faster); all by default.
    truncate_last : bool
        Also plant one more contact as the last line, cut off mid-row (no newline).

    Returns
    -------
    list of Person
        The planted contacts.
    """
    header, body = sample_rows(rows)
    col = {name: i for i, name in enumerate(header)}
    lines: list[bytes] = [_line(header).encode()] + [_line(r).encode() for r in body]
    people: list[Person] = []
    for n, (kind, position) in enumerate(plan):
        person = Person.planted(n)
        people.append(person)
        fields = list(body[position % len(body)])
        fields[col["Record ID"]] = str(90_000_000 + n)
        fields[col["First Name"]] = person.first
        fields[col["Last Name"]] = person.last
        fields[col["Email"]] = person.email
        text = _line(fields)
        if kind == "extra_field":
            raw = (text.rstrip("\n") + f",EXTRA {person.first},{person.email}\n").encode()
        elif kind == "stray_quote":
            raw = text.replace(person.first, f'{person.first}"s', 1).encode()
        elif kind == "open_quote":  # an unclosed quote swallows the lines after it
            raw = text.replace(person.first, f'"{person.first}', 1).encode()
        elif kind == "invalid_bytes":
            raw = text.replace(person.first, f"{person.first}\udce9", 1).encode(
                "utf-8", "surrogateescape"
            )
        elif kind == "huge_field":
            raw = text.replace(person.last, person.last + "x" * 200_000, 1).encode()
        elif kind == "short":
            raw = (",".join(fields[:5]) + "\n").encode()
        else:
            raise ValueError(kind)
        lines.insert(1 + position % len(body), raw)
    if truncate_last:
        person = Person.planted(len(plan))
        people.append(person)
        fields = list(body[-1])
        fields[col["Record ID"]] = str(90_000_000 + len(plan))
        fields[col["First Name"]] = person.first
        fields[col["Last Name"]] = person.last
        fields[col["Email"]] = person.email
        text = _line(fields)
        cut = text.index(person.email) + len(person.email)
        if not lines[-1].endswith(b"\n"):
            lines[-1] += b"\n"
        lines.append(text[:cut].encode())
    path.write_bytes(b"".join(lines))
    return people


def random_plan(seed: int, n: int = 6) -> list[tuple[str, int]]:
    """A reproducible corruption plan (kept seeds make regression tests)."""
    rng = random.Random(seed)
    return [(rng.choice(CORRUPTIONS), rng.randrange(10_000_000)) for _ in range(n)]


def params_for(folder: Path, export: Path) -> Path:
    """A parameters file: the sample's, reading ``export``."""
    sample = paths.DEFAULT_PARAMS.parent
    path = folder / "2026Q4.yaml"
    path.write_text(
        f"extends: {paths.DEFAULT_PARAMS}\n"
        "actuals:\n"
        f"  crm_export: {export}\n"
        "  format: hubspot\n"
        f"  spend: {(sample / '../data/sample/marketing_spend.csv').resolve()}\n"
        "  stage_mapping:\n"
        "    Sales Accepted Lead: sal\n",
        encoding="utf-8",
    )
    return path


def file_text(path: Path) -> str:
    """Everything a file says, as text (the cells and strings of a workbook too)."""
    data = path.read_bytes()
    if path.suffix == ".xlsx" or data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    return data.decode("utf-8", "replace")


def leaks(
    folder: Path, needles: tuple[str, ...], *texts: str, export: Path | None = None
) -> list[str]:
    """Where any needle appears: every file under ``folder`` and the texts.

    Matching ignores case. The export itself and a rejects file (``*personal-data*``) are
    the places allowed to hold rows.
    """
    found = []
    lowered = [n.lower() for n in needles]
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if "personal-data" in path.name or (export is not None and path == export):
            continue
        text = file_text(path).lower()
        found += [f"{path.relative_to(folder)}: {n}" for n in lowered if n in text]
    for i, text in enumerate(texts):
        found += [f"text {i}: {n}" for n in lowered if n in text.lower()]
    return found
