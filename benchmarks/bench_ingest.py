"""Benchmark: load + validate + every metric on a 1,000,000-row HubSpot export,
against pyarrow's bare CSV read of the same file (aim: within 4x), whole process
against whole process.

Run: .venv/bin/python benchmarks/bench_ingest.py [--rows N] [--repeat 3] [--keep DIR]
     [--compare OLD_TREE]

Each side is a fresh Python process, timed from start to exit (interpreter start-up
and imports included, as a user running ``alignlib ingest`` then a report would
see it):

- bare: ``import pyarrow.csv; pyarrow.csv.read_csv(FILE)``;
- alignlib: ``crm.load_hubspot`` (read, detect, parse, validate, rejects, the
  normalised table) + ``crm.load_spend`` + ``metrics.summarise`` (every metric,
  the forecast and actual-to-plan against the sample plan).

Timings are wall-clock and CPU (user + system of the child process, all its
threads, from ``getrusage(RUSAGE_CHILDREN)``) on a shared machine, so each side
runs ``--repeat`` times, interleaved (bare, ours, [old], bare, ours, ...), and the
best run of each counts: noise from other processes hits every side alike, and
CPU time is less disturbed by them than wall time. ``--compare`` runs the same
pipeline from another source tree (e.g. ``git archive <commit> | tar -x -C DIR``)
in the same loop, for a before/after ratio measured under the same load. Inside
the alignlib process, the phases (imports, read, load, metrics) are timed too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLE_ROWS = 52_300  # rows the scale-1 sample has
AS_OF = "2026-11-20"

BARE = "import sys, pyarrow.csv as c; c.read_csv(sys.argv[1])"

PIPELINE = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
from alignlib import crm, metrics
t_import, c_import = time.perf_counter(), time.process_time()
plan_monthly = None
try:
    from alignlib.params import load_params
    from alignlib.paths import DEFAULT_PARAMS
    from alignlib.planning import build_plan

    plan_monthly = build_plan(load_params(DEFAULT_PARAMS)).monthly
except Exception as exc:  # the plan is the lead's module: measure without it if it fails
    print(f"(actual-to-plan skipped: {exc})", file=sys.stderr)
t_plan, c_plan = time.perf_counter(), time.process_time()
result = crm.load_hubspot(sys.argv[1], stage_mapping={"Sales Accepted Lead": "sal"})
spend = crm.load_spend(sys.argv[2])
t_load, c_load = time.perf_counter(), time.process_time()
metrics.summarise(
    result.table, sys.argv[3], spend=spend, sla_hours=4, acceptance_hours=48,
    plan_monthly=plan_monthly,
)
t_metrics, c_metrics = time.perf_counter(), time.process_time()
print(json.dumps({
    "imports": t_import - t0, "plan": t_plan - t_import, "load": t_load - t_plan,
    "metrics": t_metrics - t_load, "rows_read": result.rows_read,
    "accepted": result.accepted, "rejected": result.rejected,
    "cpu": {"imports": c_import - c0, "plan": c_plan - c_import, "load": c_load - c_plan,
            "metrics": c_metrics - c_load},
}))
"""


def make_export(folder: Path, rows: int) -> tuple[Path, Path]:
    """Write a HubSpot export of about ``rows`` rows and its spend file (reused if present)."""
    path = folder / f"hubspot_contacts_{rows}.csv"
    spend = folder / f"marketing_spend_{rows}.csv"
    if path.exists() and spend.exists():
        return path, spend
    from alignlib.sample import hubspot_export, monthly_spend, simulate_contacts

    truth = simulate_contacts(2026, scale=rows / SAMPLE_ROWS)
    hubspot_export(truth, 2026).to_csv(path, index=False, lineterminator="\n")
    monthly_spend(truth, 2026).to_csv(spend, index=False, lineterminator="\n")
    return path, spend


def _children_cpu() -> float:
    """User + system seconds of the finished child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_process(code: str, args: list[str], tree: Path | None = None) -> tuple[float, float, str]:
    """Wall and CPU time of a fresh ``python -c code args`` (with ``tree`` first on the path)."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree) + os.pathsep + env.get("PYTHONPATH", "")
    cpu = _children_cpu()
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - t, _children_cpu() - cpu, out.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side (best counts)")
    ap.add_argument("--keep", help="folder to keep (and reuse) the generated export in")
    ap.add_argument("--compare", help="another source tree to run the same pipeline from")
    args = ap.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    path, spend_path = make_export(folder, args.rows)
    print(
        f"export {path.name}: {path.stat().st_size / 1e6:.0f} MB "
        f"({time.perf_counter() - t:.1f} s to generate or find)"
    )
    here = Path(__file__).resolve().parents[1]
    sides: dict[str, Path | None] = {"bare": None, "alignlib": here}
    if args.compare:
        sides["before"] = Path(args.compare).resolve()
    pipeline_args = [str(path), str(spend_path), AS_OF]
    run_process(BARE, [str(path)])  # warm the page cache and the interpreter's files
    runs: dict[str, list[float]] = {k: [] for k in sides}
    cpus: dict[str, list[float]] = {k: [] for k in sides}
    phases: dict[str, dict] = {}
    for _ in range(args.repeat):
        for side, tree in sides.items():
            if tree is None:
                wall, cpu, _out = run_process(BARE, [str(path)])
                runs[side].append(wall)
                cpus[side].append(cpu)
                continue
            wall, cpu, out = run_process(PIPELINE, pipeline_args, tree)
            runs[side].append(wall)
            cpus[side].append(cpu)
            inner = json.loads(out.strip().splitlines()[-1])
            if side not in phases or wall <= min(runs[side]):
                phases[side] = inner
    best = {k: min(v) for k, v in runs.items()}
    best_cpu = {k: min(v) for k, v in cpus.items()}
    r = phases["alignlib"]
    print(f"rows read {r['rows_read']:,}, accepted {r['accepted']:,}, rejected {r['rejected']:,}")
    for label, table in (("wall", runs), ("cpu", cpus)):
        print(f"best of {args.repeat}, {label} (all runs: ", end="")
        print("; ".join(f"{k} " + " ".join(f"{x:.2f}" for x in v) for k, v in table.items()) + ")")
    print(
        f"pyarrow.csv.read_csv, whole process : {best['bare']:6.2f} s wall, "
        f"{best_cpu['bare']:6.2f} s cpu"
    )
    for side in sides:
        if side == "bare":
            continue
        p = phases[side]
        print(
            f"{side}, whole process{' ' * (21 - len(side))}: {best[side]:6.2f} s wall, "
            f"{best_cpu[side]:6.2f} s cpu"
        )
        print(
            f"  imports {p['imports']:.2f} s, plan {p['plan']:.2f} s, "
            f"load + validate {p['load']:.2f} s, metrics {p['metrics']:.2f} s (wall)"
        )
        if "cpu" in p:
            c = p["cpu"]
            print(
                f"  imports {c['imports']:.2f} s, plan {c['plan']:.2f} s, "
                f"load + validate {c['load']:.2f} s, metrics {c['metrics']:.2f} s (cpu)"
            )
        print(
            f"  ratio to bare read                : {best[side] / best['bare']:6.2f}x wall, "
            f"{best_cpu[side] / best_cpu['bare']:6.2f}x cpu (aim: 4x)"
        )


if __name__ == "__main__":
    main()
