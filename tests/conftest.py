"""Shared fixtures: a valid parameters file to vary, and the project's paths."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

VALID_PARAMS: dict[str, Any] = {
    "quarter": "2026Q4",
    "segment": "test",
    "currency": "USD",
    "target": {"bookings": 1_200_000, "monthly_phasing": [0.3, 0.3, 0.4]},
    "conversion_rates": {
        "lead": 0.30,
        "mql": {"converted": 600, "total": 1000},
        "sal": 0.5,
        "sql": 0.5,
        "opportunity": 0.25,
    },
    "lag_days": {
        "lead": {"typical": 10, "spread": 5},
        "mql": {"typical": 2, "spread": 1},
        "sal": {"typical": 7, "spread": 3},
        "sql": {"typical": 10, "spread": 5},
        "opportunity": {"typical": 45, "spread": 15},
    },
    "deal_size": {"mean": 20_000, "spread": 8_000},
    "channels": {
        "paid_search": {"cost_per_lead": 100, "share": 0.6},
        "events": {"label": "Events", "cost_per_lead": 250, "share": 0.4},
    },
    "pipeline": {"coverage_target": 3.0, "stage": "opportunity"},
    "capacity": {
        "reps": 5,
        "opportunities_per_rep_per_month": 10,
        "handoff_stage": "mql",
        "responses_per_rep_per_day": 10,
        "working_days_per_month": 20,
    },
    "sla": {"lead_response_hours": 4},
    "simulation": {"trials": 2000, "seed": 7},
    "scenarios": {
        "conservative": {
            "description": "lower acceptance",
            "overrides": {"conversion_rates": {"mql": 0.4}, "deal_size": {"mean": 18_000}},
        }
    },
}


@pytest.fixture
def params_dict() -> dict[str, Any]:
    """A fresh, valid parameters mapping to change in a test."""
    return copy.deepcopy(VALID_PARAMS)


@pytest.fixture
def write_params(tmp_path: Path):
    """Write a mapping (or raw text) as a YAML file in a temporary folder; return its path."""

    def write(data: dict[str, Any] | str, name: str = "2026Q4.yaml") -> Path:
        path = tmp_path / name
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write
