"""Benchmark: the backtest and the landing forecast on a 1.3M-row export, beside the sample.

Run: .venv/bin/python benchmarks/bench_scale.py [--rows 1300000] [--trials N]

Targets (issue 23): the whole backtest of a 1.3M-row export under 20 s, and a landing
forecast under 0.8 GB peak memory. The large export is a synthetic normalised table of
the sample's six-stage shape (:mod:`alignlib.synthetic`: three years, 1.3M contacts);
the sample is the params file's own export. Each figure is measured in a fresh child
process (so one run's memory does not inflate the next): the backtest's wall-clock and
CPU seconds (on a shared machine the CPU seconds say what an idle machine's wall clock
would), and the forecast's peak resident memory with the table already loaded, beside
the memory the loaded table alone holds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: The targets the figures are held against.
BACKTEST_SECONDS = 20.0
FORECAST_PEAK_GB = 0.8

STAGES = ("lead", "mql", "sal", "sql", "opportunity", "won")


def _large_table(rows: int, path: Path) -> None:
    from alignlib.synthetic import SyntheticFunnel, synthetic_table

    funnel = SyntheticFunnel(
        stage_names=STAGES,
        rates=(0.3, 0.57, 0.5, 0.56, 0.29),
        lag_days=(10.0, 1.2, 9.0, 11.0, 57.0),
        lag_cv=0.5,
        deal_size=23_500.0,
        deal_cv=0.46,
        monthly_leads=rows / 36,
        volume_cv=0.1,
        lost_lag_days=40.0,
    )
    table = synthetic_table(funnel, start="2021-01-01", months=36, as_of="2023-12-31 23:59")
    table.to_pickle(path)


def _child(kind: str, source: str, trials: int | None) -> dict:
    """Run one measurement in a fresh interpreter; its figures come back as JSON."""
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
import pandas as pd
from alignlib.forecast import backtest, backtest_table, landing, landing_from_table
from alignlib.forecast.backtest import DEFAULT_BACKTEST_TRIALS
from alignlib.forecast.landing import DEFAULT_LANDING_TRIALS, model_from_history
from alignlib.forecast.volume import volume_from_history
from alignlib.history.funnel import learn
from alignlib.forecast.cuts import TableCuts
from alignlib.forecast.uncertainty import uncertainty_from
kind, source, trials = {kind!r}, {source!r}, {trials!r}
def rss():
    # this process's peak resident memory (VmHWM; ru_maxrss would carry the parent's peak
    # over fork and exec)
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e6  # kB -> GB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
out = {{}}
if source == "sample":
    from alignlib import crm
    from alignlib.params import load_params
    params = load_params({str(ROOT / "params" / "2026Q4.yaml")!r})
    ingest = crm.load_actuals(params)
    table, rows = ingest.table, len(ingest.table)
else:
    table = pd.read_pickle(source)
    rows = len(table)
stages = tuple(c[len("entered_"):] for c in table.columns if c.startswith("entered_"))
as_of = table["created"].max().normalize()
out["rows"] = rows
out["table_gb"] = float(table.memory_usage(deep=True).sum()) / 1e9
out["rss_loaded_gb"] = rss()
def now():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1e6
    return float("nan")
out["rss_now_gb"] = now()
try:  # reset the peak to now, so the peak below is the verb's own (Linux >= 4.0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    out["peak_reset"] = True
except OSError:
    out["peak_reset"] = False
t, c = time.perf_counter(), time.process_time()
if kind == "backtest":
    n = DEFAULT_BACKTEST_TRIALS if trials is None else trials
    if source == "sample":
        result = backtest(params, trials=n, ingest=ingest)
    else:
        result = backtest_table(table, as_of, stages, trials=n)
    out.update(quarters=result.quarters, forecasts=len(result.rows), trials=n)
else:
    n = DEFAULT_LANDING_TRIALS if trials is None else trials
    if source == "sample":
        landing(params, trials=n, ingest=ingest)
    else:
        # as landing() does: one cut of the table, one history, the forecast on that cut
        cut = as_of + pd.Timedelta(days=1)
        seen = TableCuts(table, stages).at(cut)
        history = learn(seen, cut, stages)
        quarter = str(cut.to_period("Q"))
        landing_from_table(seen, as_of, quarter, stages, model_from_history(history, 91.0),
                           volume_from_history(history), trials=n, table_is_cut=True,
                           uncertainty=uncertainty_from(seen, cut, stages, history.rates,
                                                        history.maturity_days))
    out["trials"] = n
out["wall_s"] = time.perf_counter() - t
out["cpu_s"] = time.process_time() - c
out["rss_peak_gb"] = rss()
print(json.dumps(out))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_300_000)
    parser.add_argument("--trials", type=int, default=None, help="default: the verbs' own")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.pkl"
        t = time.perf_counter()
        _large_table(args.rows, path)
        print(f"synthetic export of {args.rows:,} rows written in {time.perf_counter() - t:.1f} s")
        figures = {
            (kind, name): _child(kind, src, args.trials)
            for name, src in (("sample", "sample"), ("large", str(path)))
            for kind in ("backtest", "forecast")
        }
    sample_bt, large_bt = figures[("backtest", "sample")], figures[("backtest", "large")]
    sample_fc, large_fc = figures[("forecast", "sample")], figures[("forecast", "large")]
    print(f"\n{'':28}{'sample':>14}{'large':>14}{'ratio':>8}")
    print(
        f"{'rows':28}{sample_bt['rows']:>14,}{large_bt['rows']:>14,}"
        f"{large_bt['rows'] / sample_bt['rows']:>8.1f}"
    )
    for label, key in (("backtest wall s", "wall_s"), ("backtest CPU s", "cpu_s")):
        print(
            f"{label:28}{sample_bt[key]:>14.2f}{large_bt[key]:>14.2f}"
            f"{large_bt[key] / sample_bt[key]:>8.1f}"
        )
    print(f"{'  quarters x points':28}{sample_bt['forecasts']:>14}{large_bt['forecasts']:>14}")
    for label, key in (
        ("table in memory GB", "table_gb"),
        ("forecast: RSS, table loaded", "rss_now_gb"),
        ("  peak while loading GB", "rss_loaded_gb"),
        ("forecast: peak RSS GB", "rss_peak_gb"),
        ("forecast wall s", "wall_s"),
    ):
        print(
            f"{label:28}{sample_fc[key]:>14.2f}{large_fc[key]:>14.2f}"
            f"{large_fc[key] / max(sample_fc[key], 1e-9):>8.1f}"
        )
    fast = min(large_bt["wall_s"], large_bt["cpu_s"])
    print(
        f"\n1.3M-row backtest: {large_bt['wall_s']:.1f} s wall, {large_bt['cpu_s']:.1f} s CPU "
        f"({large_bt['trials']:,} trials a point); target < {BACKTEST_SECONDS:g} s: "
        f"{'ok' if fast < BACKTEST_SECONDS else 'SLOW'}"
        + ("" if large_bt["wall_s"] < BACKTEST_SECONDS else " (wall clock on a busy machine)")
    )
    print(
        f"forecast peak memory: {large_fc['rss_peak_gb']:.2f} GB (the process with the table "
        f"loaded: {large_fc['rss_now_gb']:.2f} GB); target < {FORECAST_PEAK_GB:g} GB: "
        f"{'ok' if large_fc['rss_peak_gb'] < FORECAST_PEAK_GB else 'OVER'}"
        + ("" if large_fc["peak_reset"] else " (peak includes loading the table)")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
