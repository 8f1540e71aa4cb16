"""Benchmark: coverage of the backtest's ranges on known truth, per forecast point and case.

Run: .venv/bin/python benchmarks/bench_calibration.py [--histories 5] [--trials 1000]
     [--cases stationary,growth,drop]

Each case (:func:`alignlib.synthetic.calibration_cases`) is backtested on ``--histories``
independent six-year histories (21 quarters each: 105 quarter-points per forecast point
with five). Printed per forecast point: quarters, the share of actuals inside the 50% and
80% ranges with their exact 90% intervals, the mean PIT, and the verdict the bands of
issue 23 give on the stationary case (80%: 74-92%, 50%: 38-65%); for growth and drop,
how far they fall. Also the seconds each case took (wall and CPU).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BAND_80 = (0.74, 0.92)
BAND_50 = (0.38, 0.65)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=5)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--cases", default="stationary,growth,drop")
    args = parser.parse_args()

    import pandas as pd

    from alignlib.forecast import backtest_table
    from alignlib.forecast.calibration import exact_interval
    from alignlib.synthetic import calibration_cases, synthetic_table

    cases = calibration_cases()
    for name in args.cases.split(","):
        funnel = cases[name]
        t, c = time.perf_counter(), time.process_time()
        rows, flags = [], []
        for seed in range(args.histories):
            table = synthetic_table(
                funnel, start="2018-01-01", months=72, as_of="2023-12-31 23:59", seed=seed
            )
            result = backtest_table(
                table, "2023-12-31", funnel.stage_names, trials=args.trials, seed=seed
            )
            rows.append(result.rows)
            flags.append(result.stationarity is not None and not result.stationarity.stationary)
        frame = pd.concat(rows, ignore_index=True)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        print(
            f"\n{name}: {args.histories} histories, {args.trials:,} trials a forecast, "
            f"{wall:.1f} s wall, {cpu:.1f} s CPU; said not stationary in {sum(flags)} of "
            f"{len(flags)} histories"
        )
        print(f"{'point':8}{'n':>5}{'inside 50%':>22}{'inside 80%':>22}{'mean PIT':>10}  bands")
        for point, r in frame.groupby("point", sort=False):
            n = len(r)
            k50, k80 = int(r["inside_50"].sum()), int(r["inside_80"].sum())
            lo50, hi50 = exact_interval(k50, n)
            lo80, hi80 = exact_interval(k80, n)
            ok = BAND_50[0] <= k50 / n <= BAND_50[1] and BAND_80[0] <= k80 / n <= BAND_80[1]
            print(
                f"{point:8}{n:>5}{k50 / n:>8.1%} ({lo50:.0%}-{hi50:.0%})   "
                f"{k80 / n:>8.1%} ({lo80:.0%}-{hi80:.0%})   {r['pit'].mean():>8.2f}  "
                f"{'in' if ok else 'OUT'}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
