"""Won versus lost by stage and channel; the fast group and outcome codes equal pandas'.

Values computed by hand from tests/fixtures/crm/hubspot_small.csv (see tests/metrics/conftest.py).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alignlib import metrics
from alignlib.metrics._table import groups
from alignlib.metrics.won_lost import _outcome_kinds


def test_won_lost(table):
    wl = metrics.won_lost(table)
    opp = wl.by_stage.loc["opportunity"]
    assert (opp["won"], opp["lost"], opp["open"]) == (3, 1, 1)
    assert opp["win_rate"] == pytest.approx(0.75)
    assert wl.by_stage.loc["lead", "no_opportunity"] == 4
    assert wl.by_stage.loc["mql", "won_per_reached"] == pytest.approx(3 / 8)
    g = wl.by_group
    assert g.loc["referral", ["opportunities", "won", "lost", "open"]].tolist() == [3, 2, 0, 1]
    assert g.loc["referral", "avg_won_deal"] == pytest.approx(20000)
    assert g.loc["paid_social", "win_rate"] == 0
    assert math.isnan(g.loc["content_seo", "win_rate"])


def test_group_codes_and_outcomes_match_pandas(table):
    for col in ("channel", "owner", "outcome", "stage"):
        fast = groups(table, col)
        plain = pd.Categorical(table[col].astype("str").fillna("(none)"))
        assert list(fast.categories) == list(plain.categories)
        assert (fast.codes == plain.codes).all()
    kinds = ("won", "lost", "open", "none")
    text = table["outcome"].fillna("none").astype("str")
    expected = [kinds.index(v) if v in kinds else 4 for v in text]
    assert _outcome_kinds(table["outcome"], kinds).tolist() == expected
    odd = pd.Series(["won", None, "(none)", "none", "x"], dtype="str")
    assert _outcome_kinds(odd, kinds).tolist() == [0, 3, 4, 3, 4]
