"""Stage volumes by period, and period conversion built on them.

Values computed by hand from tests/fixtures/crm/hubspot_small.csv (see tests/metrics/conftest.py).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alignlib import metrics


def test_stage_volumes_and_period_conversion(table):
    v = metrics.stage_volumes(table)
    assert v.loc[pd.Period("2026-01"), "lead"] == 5  # 101, 102, 103, 104, 114
    assert v.loc[pd.Period("2026-02"), "lead"] == 2
    assert v.loc[pd.Period("2026-01"), "mql"] == 4  # 102, 103, 104, 114
    assert v["won"].to_dict() == {
        pd.Period("2026-01"): 0,
        pd.Period("2026-02"): 1,
        pd.Period("2026-03"): 1,
        pd.Period("2026-04"): 1,
    }
    pc = metrics.period_conversion(table)
    assert pc.loc[pd.Period("2026-01"), "lead_to_mql"] == pytest.approx(4 / 5)
    assert math.isnan(pc.loc[pd.Period("2026-04"), "lead_to_mql"])  # no leads in April
    by = metrics.stage_volumes(table, by="channel")
    assert by.loc[(pd.Period("2026-01"), "referral"), "lead"] == 2
