"""Hand-made exports of real shapes (tests/fixtures/crm), ISO copies of the US-dated ones, and params for them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd

FIX = Path(__file__).parents[1] / "fixtures" / "crm"

_US = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


def reads_us_dates() -> bool:
    """Whether the reading layer reads month/day/year dates (detected per column)."""
    from alignlib.crm.dates import parse_dates

    try:
        parsed, bad = parse_dates(pd.Series(["10/20/2025", "3/1/2026"], dtype="str"))
    except Exception:
        return False
    return not bad.any() and parsed.iloc[0] == pd.Timestamp("2025-10-20")


def iso_copy(name: str, folder: Path) -> Path:
    """A copy of a fixture with its m/d/yyyy dates written as yyyy-mm-dd."""

    def iso(m: re.Match[str]) -> str:
        return dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2))).isoformat()

    out = folder / name
    out.write_text(_US.sub(iso, (FIX / name).read_text(encoding="utf-8")), encoding="utf-8")
    return out


def stages(*names: str) -> list[dict[str, str]]:
    """A ``stages:`` list for the given names."""
    return [{"name": n, "label": n.replace("_", " ").title(), "owner": "sales"} for n in names]


def params_for(stage_names: tuple[str, ...], actuals: dict[str, Any] | None) -> dict[str, Any]:
    """A small valid parameters mapping for a funnel of these stages (actuals None: none)."""
    out = {
        "quarter": "2026Q1",
        "target": {"bookings": 100_000},
        "stages": stages(*stage_names),
        "conversion_rates": {s: 0.3 for s in stage_names[:-1]},
        "lag_days": {s: {"typical": 10, "spread": 5} for s in stage_names[:-1]},
        "deal_size": {"mean": 10_000, "spread": 2_000},
        "actuals": actuals,
    }
    if actuals is None:
        del out["actuals"]
    return out
