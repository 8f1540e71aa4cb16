"""Funnel, cohort conversion with maturity and historical counts.

Values computed by hand from tests/fixtures/crm/hubspot_small.csv (see tests/metrics/conftest.py).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alignlib import metrics
from alignlib.errors import InputError
from alignlib.metrics._table import month_codes_of

AS_OF = pd.Timestamp("2026-04-20")


def test_funnel(table):
    f = metrics.funnel(table)
    assert f["reached"].tolist() == [9, 8, 6, 5, 5, 3]
    assert f.loc["mql", "conversion_to_next"] == pytest.approx(6 / 8)
    assert f.loc["won", "conversion_from_top"] == pytest.approx(3 / 9)
    assert math.isnan(f.loc["won", "conversion_to_next"])


def test_cohort_conversion_flags_maturing_cohorts(table):
    cc = metrics.cohort_conversion(table, AS_OF)
    # Creation -> won: 39, 68 and 77.125 days; P90 (linear) = 68 + 0.8 * 9.125.
    assert cc.maturity_days == pytest.approx(75.3)
    f = cc.frame
    jan, feb, mar = (pd.Period(m) for m in ("2026-01", "2026-02", "2026-03"))
    assert f.loc[jan, ["lead", "mql", "sal", "sql", "opportunity", "won"]].tolist() == [
        5,
        4,
        3,
        2,
        2,
        2,
    ]
    assert f.loc[feb, "won"] == 1 and f.loc[mar, "lead"] == 2
    assert f.loc[jan, "lead_to_won"] == pytest.approx(2 / 5)
    assert f.loc[jan, "age_days"] == 79
    assert f["maturing"].tolist() == [False, True, True]
    assert cc.curve["share"].iloc[-1] == 1.0
    assert cc.curve.loc[cc.curve["days"] == 40, "share"].item() == pytest.approx(1 / 3)


def test_historical_counts_use_matured_cohorts_only(table):
    assert metrics.historical_counts(table, AS_OF) == {
        "lead": (4, 5),
        "mql": (3, 4),
        "sal": (2, 3),
        "sql": (2, 2),
        "opportunity": (2, 2),
    }
    # Everything matured: all cohorts count.
    h = metrics.historical_counts(table, AS_OF, maturity_days=0)
    assert h["lead"] == (8, 9) and h["opportunity"] == (3, 5)


def test_no_conversions_means_everything_is_maturing(table):
    none_won = table.assign(entered_won=pd.NaT, reached_won=False)
    cc = metrics.cohort_conversion(none_won, AS_OF)
    assert math.isnan(cc.maturity_days) and cc.frame["maturing"].all()
    assert metrics.historical_counts(none_won, AS_OF) == {}


def test_bad_table_is_an_input_error():
    with pytest.raises(InputError, match="entered_"):
        metrics.funnel(pd.DataFrame({"x": [1]}))


def test_time_to_convert_and_month_codes_match_pandas(table):
    days = (table["entered_won"] - table["created"]).dt.total_seconds() / 86400
    pd.testing.assert_series_equal(
        metrics.time_to_convert(table), days.dropna().clip(lower=0), check_exact=True
    )
    dates = pd.Series(
        [pd.Timestamp("1970-01-01"), pd.Timestamp("2024-02-29 12:00"), pd.NaT]
        + [pd.Timestamp("2100-12-31 23:59")],
        dtype="datetime64[s]",
    )
    expected = [0, 649, -1, 1571]  # months since 1970-01; -1 for a missing date
    assert month_codes_of(dates.to_numpy()).tolist() == expected


# ------------------------------------------------ issue 20: conversion by source, owner, month


def _leads(outcomes, sources, amounts=None, owners=None) -> pd.DataFrame:
    """A two-stage normalised table from outcome labels (None: no outcome recorded)."""
    import numpy as np

    n = len(outcomes)
    won = [o == "won" for o in outcomes]
    created = pd.to_datetime(["2026-01-10", "2026-02-10"] * n)[:n]
    return pd.DataFrame(
        {
            "created": created,
            "source": pd.Series(sources, dtype="str"),
            "channel": pd.Series(sources, dtype="str"),
            "owner": pd.Series(owners or [None] * n, dtype="str"),
            "entered_lead": created,
            "entered_won": pd.Series(pd.NaT, index=range(n)).where(~pd.Series(won), created),
            "reached_lead": True,
            "reached_won": won,
            "outcome": pd.Series(outcomes, dtype="str"),
            "amount": np.nan if amounts is None else amounts,
        }
    )


def test_conversion_by_source_counts_every_contact_when_losses_are_not_recorded():
    """Olist's shape: wins only. Conversion is over every contact; no 100% win rate, no $0."""
    t = _leads(
        ["won", None, None, None, "won", None, None],
        ["organic", "organic", "organic", "organic", "paid", "paid", ""],
    )
    c = metrics.conversion_by(t, "source")
    f = c.frame
    assert not c.losses_recorded and not c.amounts_recorded
    assert f.loc["organic", ["contacts", "won"]].tolist() == [4, 1]
    assert f.loc["organic", "conversion"] == pytest.approx(1 / 4)
    assert f.loc["paid", "conversion"] == pytest.approx(1 / 2)
    assert f.loc["(none)", "contacts"] == 1  # a blank source is its own group
    assert f["win_rate"].isna().all()  # never "100%" without losses
    assert f["won_amount"].isna().all() and f["avg_won_deal"].isna().all()  # never 0
    assert list(f.index) == ["organic", "paid", "(none)"]  # largest first


def test_conversion_by_owner_and_month_with_losses_and_amounts():
    t = _leads(
        ["won", "lost", "open", "won", "lost", "won"],
        ["a"] * 6,
        amounts=[100.0, 0.0, float("nan"), float("nan"), 0.0, 300.0],
        owners=["Ann", "Ann", "Bo", "Bo", "Bo", "Ann"],
    )
    by_owner = metrics.conversion_by(t, "owner").frame
    assert by_owner.loc["Ann", ["contacts", "won", "lost", "open"]].tolist() == [3, 2, 1, 0]
    assert by_owner.loc["Ann", "win_rate"] == pytest.approx(2 / 3)
    assert by_owner.loc["Bo", "win_rate"] == pytest.approx(1 / 2)
    assert by_owner.loc["Ann", "avg_won_deal"] == pytest.approx(200.0)
    # Bo's one win has no amount: not in the export, not $0
    assert by_owner.loc["Bo", "won_with_amount"] == 0 and math.isnan(
        by_owner.loc["Bo", "avg_won_deal"]
    )
    by_month = metrics.conversion_by(t, "month").frame
    jan, feb = pd.Period("2026-01", "M"), pd.Period("2026-02", "M")
    assert list(by_month.index) == [jan, feb]
    # rows alternate January, February: won/open/lost, then lost/won/won
    assert by_month.loc[jan, ["contacts", "won", "lost", "open"]].tolist() == [3, 1, 1, 1]
    assert by_month.loc[feb, ["contacts", "won", "lost", "open"]].tolist() == [3, 2, 1, 0]
    assert by_month["contacts"].sum() == len(t)


def test_conversion_by_an_unknown_column_is_an_error():
    t = _leads(["won"], ["a"])
    with pytest.raises(InputError, match="not a column"):
        metrics.conversion_by(t, "region")
