"""The week's pipeline movements against a pandas computation on a hand-built table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alignlib.errors import InputError
from alignlib.metrics.pipeline_change import MOVES, pipeline_change, slip_days

STAGES = ("lead", "mql", "opportunity", "negotiation", "won")
TYPICAL = 500.0
THIS_WEEK = ("2026-11-09", "2026-11-15")
LAST_WEEK = ("2026-11-02", "2026-11-08")

# id: (opportunity, negotiation, won, outcome, close_date, amount); every row is a lead and
# an MQL on 1 Aug. What each row is, by construction, is in its comment.
ROWS = {
    1: ("2026-11-10", None, None, "open", None, 1000.0),  # created this week
    2: ("2026-11-03", None, None, "open", None, np.nan),  # created last week (typical deal)
    # slipped last week (17.6 days in opportunity on 6 Nov), then advanced this week
    3: ("2026-10-20", "2026-11-12", None, "open", None, 2000.0),
    4: ("2026-10-01", "2026-10-15", "2026-11-13", "won", "2026-11-13", 3000.0),  # won
    5: ("2026-10-10", None, None, "won", "2026-11-14", np.nan),  # won: close date only
    6: ("2026-10-05", None, None, "lost", "2026-11-11", 700.0),  # lost this week
    7: (None, None, None, "lost", "2026-11-11", 900.0),  # lost before the pipeline: not counted
    9: ("2026-09-01", None, "2026-09-11", "won", "2026-09-11", 100.0),  # a winner: 10 days
    10: ("2026-08-01", "2026-08-21", "2026-09-01", "won", "2026-09-01", 100.0),  # 20 days
    11: ("2026-10-24", None, None, "open", None, np.nan),  # slips this week (17.6 days)
    12: ("2026-10-10", None, None, "open", None, 400.0),  # slipped before both weeks
    13: ("2026-10-18", None, None, "open", None, 800.0),  # slipped last week
    14: ("2026-10-01", None, None, "lost", "2026-11-05", 600.0),  # lost last week
}


def hand_built() -> pd.DataFrame:
    rows = []
    for rid, (opp, nego, won, outcome, close, amount) in ROWS.items():
        dates = {
            "lead": "2026-08-01",
            "mql": "2026-08-01",
            "opportunity": opp,
            "negotiation": nego,
            "won": won,
        }
        row = {"id": str(rid), "outcome": outcome, "close_date": close, "amount": amount}
        row |= {f"entered_{s}": dates[s] for s in STAGES}
        rows.append(row)
    table = pd.DataFrame(rows)
    for col in ["close_date", *(f"entered_{s}" for s in STAGES)]:
        table[col] = pd.to_datetime(table[col]).astype("datetime64[s]")
    for s in STAGES:
        table[f"reached_{s}"] = table[f"entered_{s}"].notna()
    table["reached_won"] |= table["outcome"] == "won"
    return table


def pandas_change(table: pd.DataFrame, start: str, end: str, quantile: float = 0.8) -> dict:
    """The same movements, written plainly in pandas, to check the vectorised version."""
    a, b = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)

    def within(col: pd.Series) -> pd.Series:
        return col.notna() & (col >= a) & (col < b)

    won = table["outcome"] == "won"
    lost = table["outcome"] == "lost"
    won_at = table["entered_won"].fillna(table["close_date"].where(won)).where(~lost)
    in_pipeline = (
        table[["entered_opportunity", "entered_negotiation", "entered_won"]].notna().any(axis=1)
        | table["reached_opportunity"]
    )
    # winners' days in a stage before their next stage
    limits = {}
    for i, s in enumerate(STAGES[2:-1], start=2):
        later = table[[f"entered_{t}" for t in STAGES[i + 1 :]]].min(axis=1)
        days = (later - table[f"entered_{s}"]).dt.total_seconds() / 86_400
        days = days[won & days.notna()]
        if len(days):
            limits[s] = days.clip(lower=0).quantile(quantile)
    closed = (won_at < b) | (lost & (table["close_date"] < b))
    entered_before_end = table[[f"entered_{s}" for s in STAGES[:-1]]].lt(b)
    furthest = entered_before_end.apply(
        lambda r: max((i for i, v in enumerate(r) if v), default=-1), axis=1
    )
    slipped = pd.Series(False, index=table.index)
    for s, days in limits.items():
        crossed = table[f"entered_{s}"] + pd.to_timedelta(round(days * 86_400), unit="s")
        slipped |= (furthest == STAGES.index(s)) & ~closed & within(crossed)
    moved = {
        "created": within(table["entered_opportunity"]),
        "advanced": within(table["entered_negotiation"]),
        "slipped": slipped,
        "won": within(won_at),
        "lost": lost & in_pipeline & within(table["close_date"]),
    }
    worth = table["amount"].where(table["amount"] > 0, TYPICAL)
    return {m: (int(rows.sum()), float(worth[rows].sum())) for m, rows in moved.items()}


@pytest.mark.parametrize("week", [THIS_WEEK, LAST_WEEK])
def test_pipeline_change_matches_pandas(week) -> None:
    table = hand_built()
    change = pipeline_change(table, STAGES, "opportunity", *week, TYPICAL)
    expected = pandas_change(table, *week)
    assert {m: (change.counts[m], change.amounts[m]) for m in MOVES} == expected
    frame = change.to_frame()
    assert list(frame.index) == list(MOVES)
    assert frame["deals"].tolist() == [expected[m][0] for m in MOVES]


def test_pipeline_change_reads_the_rows_as_built() -> None:
    table = hand_built()
    this = pipeline_change(table, STAGES, "opportunity", *THIS_WEEK, TYPICAL)
    assert this.counts == {"created": 1, "advanced": 1, "slipped": 1, "won": 2, "lost": 1}
    assert this.amounts == {
        "created": 1000.0,
        "advanced": 2000.0,
        "slipped": TYPICAL,  # row 11 has no amount of its own
        "won": 3000.0 + TYPICAL,
        "lost": 700.0,  # row 7 was lost before it reached the pipeline
    }
    last = pipeline_change(table, STAGES, "opportunity", *LAST_WEEK, TYPICAL)
    assert last.counts == {"created": 1, "advanced": 0, "slipped": 2, "won": 0, "lost": 1}
    assert last.amounts["slipped"] == 2000.0 + 800.0  # rows 3 and 13
    assert (last.week_start.isoformat(), last.week_end.isoformat()) == LAST_WEEK


def test_slip_days_are_the_winners_quantile() -> None:
    limits = slip_days(hand_built(), STAGES, "opportunity")
    # winners spent 14, 10 and 20 days in opportunity, and 29 and 11 in negotiation
    assert limits["opportunity"] == pytest.approx(np.quantile([14, 10, 20], 0.8))
    assert limits["negotiation"] == pytest.approx(np.quantile([29, 11], 0.8))


def test_an_empty_table_moves_nothing_and_a_bad_stage_is_named() -> None:
    empty = hand_built().iloc[0:0]
    change = pipeline_change(empty, STAGES, "opportunity", *THIS_WEEK, TYPICAL)
    assert set(change.counts.values()) == {0} and set(change.amounts.values()) == {0.0}
    assert change.slip_days == {}
    with pytest.raises(InputError, match="won"):
        pipeline_change(hand_built(), STAGES, "won", *THIS_WEEK, TYPICAL)
    with pytest.raises(InputError, match="before it starts"):
        pipeline_change(hand_built(), STAGES, "opportunity", "2026-11-15", "2026-11-09", TYPICAL)
