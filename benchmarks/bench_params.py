"""Validation time grows linearly with a params file's size (issue 10: it was quadratic).

Prints the time to load and reject files of 16k, 64k and 256k unknown keys, the seconds per
MB of each, and the ratio of the largest to the smallest per-MB figure (about 1 when linear).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from alignlib.errors import ParamsError
from alignlib.params import load_params
from alignlib.paths import DEFAULT_PARAMS


def _time_file(keys: int, folder: Path) -> tuple[float, float]:
    text = DEFAULT_PARAMS.read_text(encoding="utf-8").replace(
        "../data/", f"{DEFAULT_PARAMS.parent.parent}/data/"
    )
    text += "".join(f"unknown_key_{i}: {i}\n" for i in range(keys))
    path = folder / f"big_{keys}.yaml"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    try:
        load_params(path)
    except ParamsError as exc:
        assert len(exc.problems) <= 51
    else:
        raise AssertionError("a file of unknown keys validated")
    return time.perf_counter() - start, len(text.encode()) / 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = [(keys, *_time_file(keys, Path(tmp))) for keys in (16_000, 64_000, 256_000)]
    for keys, seconds, mb in rows:
        print(f"{keys:>8,} unknown keys  {mb:6.1f} MB  {seconds:6.2f} s  {seconds / mb:5.2f} s/MB")
    first, last = rows[0], rows[-1]
    print(f"per-MB time, largest / smallest: {(last[1] / last[2]) / (first[1] / first[2]):.2f}x")


if __name__ == "__main__":
    main()
