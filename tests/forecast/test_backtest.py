"""The backtest: contract, one data load, and calibration on a process whose truth is known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alignlib import crm, paths
from alignlib.errors import InputError
from alignlib.forecast import backtest, backtest_table
from alignlib.forecast.backtest import backtest_quarters
from alignlib.params import load_params
from alignlib.synthetic import SyntheticFunnel
from tests.forecast._forecast_helpers import KNOWN_FUNNEL, known_table, small_params_file


def test_sample_backtest_contract_and_one_data_load(monkeypatch):
    params = load_params(paths.PARAMS_DIR / "2026Q4.yaml")
    calls = []
    real = crm.load_actuals

    def counting(p):
        calls.append(1)
        return real(p)

    monkeypatch.setattr(crm, "load_actuals", counting)
    result = backtest(params, trials=1000)
    assert len(calls) == 1
    out = result.to_dict()
    assert {"quarters", "coverage_50", "coverage_80", "crps", "bias"} <= set(out)
    row = out["quarters"][0]
    assert {"quarter", "as_of", "p10", "p50", "p90", "actual", "p_hit"} <= set(row)
    assert result.quarters == 6  # 2025Q2 .. 2026Q3: six months of history, closed before 11-19
    assert set(result.rows["point"]) == {"plan", "week 0", "week 4", "week 8"}
    assert 0 <= out["coverage_80"] <= 1 and out["crps"] > 0
    week8 = result.rows.loc[result.rows["point"] == "week 8"].iloc[0]
    assert week8["as_of"] == pd.Timestamp("2025-05-26")
    # the sample's lead volume grows (2.5% a month): the history is said not stationary
    moved = out["stationarity"]
    assert moved["volume_moved"] and not moved["stationary"]
    assert 0.2 < moved["volume_growth"] < 0.6
    assert any("not stationary" in s for s in moved["sentences"])


def test_which_quarters_have_enough_history():
    table = pd.DataFrame({"created": pd.to_datetime(["2024-01-10", "2025-03-01"])})
    # first complete month February 2024; six months later: August -> 2024Q4 first
    assert backtest_quarters(table, pd.Timestamp("2025-04-02")) == ["2024Q4", "2025Q1"]
    assert backtest_quarters(table, pd.Timestamp("2025-03-31")) == ["2024Q4"]
    assert backtest_quarters(table.iloc[:0], pd.Timestamp("2025-01-01")) == []


def test_two_stage_funnel_and_skips_with_a_reason(tmp_path):
    funnel = SyntheticFunnel(("opportunity", "won"), (0.3,), (40.0,), monthly_leads=200)
    params = load_params(small_params_file(tmp_path, funnel))
    result = backtest(params, trials=1000)
    assert result.quarters == 3  # 2025Q3, 2025Q4, 2026Q1
    forced = backtest(params, trials=500, quarters=["2025Q1", "2026Q2"])
    assert set(forced.skipped["quarter"]) == {"2025Q1", "2026Q2"}
    assert not len(forced.rows) and math.isnan(forced.coverage_80)


def test_without_actuals(params_dict, write_params):
    with pytest.raises(InputError, match="backtest needs actuals"):
        backtest(load_params(write_params(params_dict)))


def _known_backtests(seeds, trials):
    rows = []
    for seed in seeds:
        table = known_table(seed)
        result = backtest_table(
            table, "2023-12-31", KNOWN_FUNNEL.stage_names, trials=trials, seed=seed
        )
        rows.append(result.rows.assign(seed=seed))
    return pd.concat(rows, ignore_index=True)


def _assert_calibrated(rows, points):
    for point in points:
        r = rows.loc[rows["point"] == point]
        n = len(r)
        se = math.sqrt(0.8 * 0.2 / n)
        cover = r["inside_80"].mean()
        assert abs(cover - 0.8) < 3 * se, (point, cover, n)
    mae = rows.assign(err=(rows["p50"] - rows["actual"]).abs()).groupby("point")["err"].mean()
    crps = rows.groupby("point")["crps"].mean()
    assert mae["week 0"] > mae["week 4"] > mae["week 8"]
    assert crps["week 0"] > crps["week 4"] > crps["week 8"]


def test_known_process_one_history_is_calibrated_and_sharpens():
    # five years of a stationary funnel with overdispersed volume: 17 quarters
    rows = _known_backtests([0], trials=2000)
    assert rows["quarter"].nunique() == 17
    # pooled over the four points: within 3 standard errors of 80% given 17 quarters
    n = rows["quarter"].nunique()
    assert abs(rows["inside_80"].mean() - 0.8) < 3 * math.sqrt(0.16 / n)
    mae = rows.assign(err=(rows["p50"] - rows["actual"]).abs()).groupby("point")["err"].mean()
    assert mae["week 0"] > mae["week 8"]


@pytest.mark.slow
def test_known_process_many_quarters_cover_80_percent():
    # six histories x 17 quarters = 102 quarters per forecast point: each point's 80%
    # range holds the actual 80% of the time within 3 standard errors (+-12 points), and
    # the error of the landing forecast shrinks from week 0 to week 8
    rows = _known_backtests(range(6), trials=4000)
    _assert_calibrated(rows, ["plan", "week 0", "week 4", "week 8"])
    pits = rows.loc[rows["point"] == "week 8", "pit"].to_numpy()
    assert np.histogram(pits, bins=5, range=(0, 1))[0].min() > 5


def test_an_export_without_amounts_backtests_on_the_params_deal_size(tmp_path):
    """Issue 20: no amount in the export, `deal_size` in the params: no quarter is skipped
    for "no won deal with an amount"; each won deal books the params' mean."""
    funnel = SyntheticFunnel(("opportunity", "won"), (0.3,), (40.0,), monthly_leads=200)
    path = small_params_file(tmp_path, funnel)
    lines = [ln for ln in path.read_text().splitlines() if not ln.strip().startswith("amount:")]
    without = tmp_path / "no_amounts.yaml"
    without.write_text("\n".join(lines) + "\n", encoding="utf-8")
    skipped = backtest(load_params(without), trials=500)
    assert skipped.quarters == 0
    assert skipped.skipped["reason"].str.contains("no won deal with an amount").all()

    without.write_text(
        "\n".join(lines) + "\ndeal_size: {mean: 1000, spread: 0}\n", encoding="utf-8"
    )
    result = backtest(load_params(without), trials=500)
    assert result.quarters == 3  # as with amounts: 2025Q3, 2025Q4, 2026Q1
    won_col = next(ln.split(":", 1)[1].strip() for ln in lines if "entered_won:" in ln)
    export = pd.read_csv(tmp_path / "export.csv", dtype=str, keep_default_na=False)
    won_on = pd.to_datetime(export[won_col].replace("", None), format="mixed")
    for quarter, actual in result.rows.groupby("quarter")["actual"].first().items():
        q = pd.Period(quarter, freq="Q")
        won = int(((won_on >= q.start_time) & (won_on <= q.end_time)).sum())
        assert actual == pytest.approx(1000.0 * won)
