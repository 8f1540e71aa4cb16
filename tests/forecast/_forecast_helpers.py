"""Shared helpers for the forecast tests: a known funnel and small params files over it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alignlib.synthetic import SyntheticFunnel, synthetic_table, write_generic_export

#: Stationary rates, lags and deal sizes, overdispersed monthly volume.
KNOWN_FUNNEL = SyntheticFunnel(
    stage_names=("lead", "sql", "opp", "won"),
    rates=(0.3, 0.5, 0.3),
    lag_days=(10.0, 15.0, 40.0),
    lag_cv=0.5,
    deal_size=20_000.0,
    deal_cv=0.4,
    monthly_leads=400.0,
    volume_cv=0.1,
    lost_lag_days=30.0,
)


def known_table(seed: int, *, months: int = 60, start: str = "2019-01-01") -> pd.DataFrame:
    """A synthetic export taken at the end of 2023 (five years of history by default)."""
    return synthetic_table(
        KNOWN_FUNNEL, start=start, months=months, as_of="2023-12-31 23:59", seed=seed
    )


def small_params_file(
    tmp_path: Path,
    funnel: SyntheticFunnel,
    *,
    quarter: str = "2026Q2",
    as_of: str = "2026-05-20",
    months: int = 18,
    start: str = "2025-01-01",
    seed: int = 5,
) -> Path:
    """A params file with ``format: csv`` actuals drawn from ``funnel`` (rates etc. learned)."""
    table = synthetic_table(funnel, start=start, months=months, as_of=as_of, seed=seed)
    columns = write_generic_export(table, tmp_path / "export.csv", funnel.stage_names)
    stages = "".join(
        f"  - {{name: {s}, label: {s.title()}, owner: sales}}\n" for s in funnel.stage_names
    )
    mapping = "".join(f"    {k}: {v}\n" for k, v in columns.items())
    text = (
        f"quarter: {quarter}\ntarget: {{bookings: 500000}}\nstages:\n"
        + stages
        + f"actuals:\n  crm_export: export.csv\n  format: csv\n  as_of: {as_of}\n  columns:\n"
        + mapping
        + "simulation: {trials: 3000, seed: 11}\n"
    )
    path = tmp_path / f"{quarter}.yaml"
    path.write_text(text, encoding="utf-8")
    return path
