"""Shared by the scorecard and SLA agreement tests: a 2-stage funnel with no sla or capacity."""

from __future__ import annotations

import pandas as pd

from alignlib.params import QuarterParams
from alignlib.synthetic import SyntheticFunnel, synthetic_table


def two_stage_params(**extra) -> QuarterParams:
    """A 2-stage funnel with no sla, capacity, channels or experiments."""
    return QuarterParams.model_validate(
        {
            "quarter": "2026Q2",
            "target": {"bookings": 200_000},
            "stages": [
                {"name": "signup", "label": "Signup", "owner": "marketing"},
                {"name": "customer", "label": "Customer", "owner": "sales"},
            ],
            "conversion_rates": {"signup": 0.2},
            "lag_days": {"signup": {"typical": 5}},
            "deal_size": {"mean": 1_000},
            **extra,
        }
    )


def two_stage_table() -> pd.DataFrame:
    funnel = SyntheticFunnel(("signup", "customer"), (0.2,), (5.0,), monthly_leads=400)
    return synthetic_table(funnel, start="2025-10-01", months=8, as_of="2026-05-20", seed=3)
