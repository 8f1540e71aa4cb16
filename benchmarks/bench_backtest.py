"""Benchmark: the whole backtest of the sample against one landing forecast.

Run: .venv/bin/python benchmarks/bench_backtest.py [--params params/2026Q4.yaml]
     [--trials N] [--repeat 3]

The backtest forecasts every past quarter of the sample at four points (plan time, weeks
0, 4 and 8), each learning the funnel again from the export as it stood then; it reuses
one data load, so the load is timed apart. Target: the whole backtest under a minute on
this machine. The ratio to a single landing forecast (same trials) says what one forecast
point costs. Timings are wall-clock on a shared machine: the best of ``--repeat`` runs
counts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=str(ROOT / "params" / "2026Q4.yaml"))
    parser.add_argument("--trials", type=int, default=None, help="default: the backtest's")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from alignlib import crm
    from alignlib.forecast import backtest, landing
    from alignlib.forecast.backtest import DEFAULT_BACKTEST_TRIALS
    from alignlib.params import load_params

    trials = args.trials or DEFAULT_BACKTEST_TRIALS
    t0 = time.perf_counter()
    params = load_params(args.params)
    ingest = crm.load_actuals(params)
    load = time.perf_counter() - t0

    whole, single = [], []
    result = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        result = backtest(params, trials=trials, ingest=ingest)
        whole.append(time.perf_counter() - t)
        t = time.perf_counter()
        landing(params, trials=trials, ingest=ingest)
        single.append(time.perf_counter() - t)
    assert result is not None
    forecasts = len(result.rows)
    best, one = min(whole), min(single)
    print(f"params: {args.params} ({trials:,} trials per forecast)")
    print(f"data load (once):        {load:6.2f} s")
    print(
        f"whole backtest:          {best:6.2f} s  ({result.quarters} quarters, "
        f"{forecasts} forecasts; target < 60 s: {'ok' if best < 60 else 'SLOW'})"
    )
    print(f"one landing forecast:    {one:6.2f} s")
    print(
        f"ratio backtest / one:    {best / one:6.1f} x  ({best / max(forecasts, 1):.2f} s per forecast)"
    )
    print(
        f"coverage_50 {result.coverage_50:.2f}, coverage_80 {result.coverage_80:.2f}, "
        f"crps {result.crps:,.0f}, bias {result.bias:+.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
