"""Days between stages.

Values computed by hand from tests/fixtures/crm/hubspot_small.csv (see tests/metrics/conftest.py).
"""

from __future__ import annotations

import pytest

from alignlib import metrics


def test_velocity(table):
    v = metrics.velocity(table)
    row = v.summary.loc["lead_to_mql"]
    # 102: 4 d, 103: 2, 104: 0.125, 105: 1, 106: 2, 107: 1, 114: 1
    assert row["n"] == 7
    assert row["median"] == pytest.approx(1.0)
    assert row["p90"] == pytest.approx(2.8)
    assert row["mean"] == pytest.approx(11.125 / 7)
    assert v.summary.loc["lead_to_won", "n"] == 3
    by = v.by_group.loc[("lead_to_mql", "referral")]
    assert by["n"] == 3 and by["median"] == pytest.approx(1.0)  # 104 (0.125), 107, 114
    assert set(v.distribution.columns) == {"transition", "channel", "days"}
