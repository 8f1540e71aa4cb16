"""Benchmark: the quarterly batch against the same notebooks run one after another by hand.

One quarter with three segments (nine reports). The batch (``alignlib.batch.run_batch``,
reports rendered in parallel, HTML exported in-process) is timed against running each
notebook with the ``papermill`` command-line tool and exporting it with
``jupyter nbconvert --to html --no-input``, one after another. Prints both wall times and
their ratio (aim: at most 0.2x: the batch computes each segment's quarter snapshot once and every report reads it, where each notebook run by hand computes its own). Timings on a shared machine are noisy.

    .venv/bin/python benchmarks/bench_batch.py [--trials 5000] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alignlib import batch, paths

SEGMENTS = ("enterprise", "smb", "emea")


def segment_files(folder: Path) -> list[Path]:
    """Three segment parameters files extending the default quarter."""
    files = []
    for seg in SEGMENTS:
        path = folder / f"{paths.DEFAULT_QUARTER}-{seg}.yaml"
        path.write_text(f"extends: {paths.DEFAULT_PARAMS}\nsegment: {seg}\n")
        files.append(path)
    return files


def run_batch(files: list[Path], out: Path, trials: int, workers: int | None) -> float:
    start = time.perf_counter()
    result = batch.run_batch(files, out_dir=out, trials=trials, workers=workers, progress=False)
    seconds = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(result.summary())
    return seconds


def run_by_hand(files: list[Path], out: Path, trials: int) -> float:
    """papermill CLI + jupyter nbconvert CLI, one report after another."""
    bindir = Path(sys.executable).parent
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for params in files:
        for spec in batch.REPORTS:
            target = out / f"{params.stem}-{spec.name}.ipynb"
            cmd = [
                str(bindir / "papermill"),
                str(spec.notebook),
                str(target),
                "-k",
                batch.KERNEL_NAME,
                "--cwd",
                str(spec.notebook.parent),
                "-p",
                "params_path",
                str(params),
                "--no-progress-bar",
            ]
            declared = batch.declared_parameters(spec.notebook)
            if "trials" in declared:
                cmd += ["-p", "trials", str(trials)]
            if "interactive" in declared:
                cmd += ["-p", "interactive", "False"]
            subprocess.run(cmd, check=True, capture_output=True)
            subprocess.run(
                [str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(target)],
                check=True,
                capture_output=True,
            )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5_000, help="Monte Carlo trials per report")
    parser.add_argument("--workers", type=int, default=None, help="batch workers (default: cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        tmp_path = Path(tmp)
        files = segment_files(tmp_path)
        n = len(files) * len(batch.REPORTS)
        print(
            f"{n} reports ({len(files)} segments x {len(batch.REPORTS)} notebooks), "
            f"{args.trials:,} trials, {os.cpu_count()} cores"
        )
        by_hand = run_by_hand(files, tmp_path / "by_hand", args.trials)
        print(f"papermill + nbconvert CLIs, one after another: {by_hand:7.1f} s")
        batched = run_batch(files, tmp_path / "batch", args.trials, args.workers)
        workers = args.workers or os.cpu_count()
        print(f"alignlib run (batch, {workers} workers):          {batched:7.1f} s")
        print(f"ratio batch / one-after-another: {batched / by_hand:.2f}x (aim <= 0.20x)")


if __name__ == "__main__":
    main()
