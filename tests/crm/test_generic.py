"""Generic CSV and Parquet exports read through a column mapping."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alignlib import crm
from alignlib.errors import DataError, InputError

FIX = Path(__file__).parents[1] / "fixtures" / "crm"
GENERIC_COLUMNS = {
    "id": "contact_id",
    "created": "created_at",
    "stage": "funnel_stage",
    "source": "utm_source",
    "owner": "rep",
    "entered_mql": "mql_at",
    "entered_opportunity": "opp_at",
    "entered_won": "won_at",
    "amount": "deal_value",
    "outcome": "result",
}


def _check_generic(r):
    assert (r.rows_read, r.accepted, r.rejected) == (7, 6, 1)
    # g6's MQL date is before it was created: the date is dropped, g6 stays a lead.
    assert (r.accepted_whole, r.kept_with_dropped_field) == (5, 1)
    assert r.reached() == {"lead": 6, "mql": 4, "sal": 2, "sql": 2, "opportunity": 2, "won": 1}
    assert r.dropped_fields["mql_at"]["count"] == 1
    t = r.table.set_index("id")
    assert t.loc["g3", "outcome"] == "won" and t.loc["g4", "outcome"] == "lost"
    assert t.loc["g5", "stage"] == "mql"  # the taxonomy's label is understood
    assert t.loc["g2", "channel"] == "events"
    reasons = set(r.problems_frame["reason"])
    assert any(x.startswith("date out of order") for x in reasons)
    assert (
        "unknown outcome 'maybe' on 1 row: add  outcome_mapping: {\"maybe\": open}  (or won/lost)"
        in reasons
    )


def test_generic_csv(problem):
    r = crm.load_csv(FIX / "generic_small.csv", GENERIC_COLUMNS)
    _check_generic(r)
    assert problem(r, 7, "mql_at")["value"] == "2026-01-01"


def test_generic_parquet(tmp_path, problem):
    df = pd.read_csv(FIX / "generic_small.csv", dtype=str, keep_default_na=False)
    df["created_at"] = pd.to_datetime(df["created_at"])  # native timestamps are fine too
    path = tmp_path / "export.parquet"
    df.to_parquet(path)
    r = crm.load_csv(path, GENERIC_COLUMNS)
    _check_generic(r)
    assert problem(r, 6, "mql_at")["value"] == "2026-01-01"  # Parquet rows count from 1


def test_generic_mapping_errors(tmp_path):
    with pytest.raises(InputError, match="unknown field"):
        crm.load_csv(FIX / "generic_small.csv", {**GENERIC_COLUMNS, "colour": "x"})
    with pytest.raises(DataError, match="missing mapped column"):
        crm.load_csv(FIX / "generic_small.csv", {**GENERIC_COLUMNS, "owner": "nope"})
    with pytest.raises(InputError, match="column mapping"):
        crm.load_export(FIX / "generic_small.csv", "csv")
    with pytest.raises(InputError, match="unknown export format"):
        crm.load_export(FIX / "generic_small.csv", "excel")


def test_generic_unparseable_close_date_or_response_costs_only_that_field(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "id,created,closed,responded\n"
        "a,2026-01-05,2026-02-01,2026-01-05 10:00\n"
        "b,2026-01-06,not a date,\n"
        "c,2026-01-07,,#VALUE!\n"
    )
    columns = {
        "id": "id",
        "created": "created",
        "close_date": "closed",
        "first_response": "responded",
    }
    r = crm.load_csv(path, columns)
    assert (r.rows_read, r.accepted, r.rejected) == (3, 3, 0)
    assert list(r.table["id"]) == ["a", "b", "c"]
    assert r.table["close_date"].isna().tolist() == [False, True, True]
    assert r.table["first_response"].isna().tolist() == [False, True, True]
    frame = r.problems_frame.set_index("field")
    assert frame.loc["closed", "reason"] == "unparseable date" and frame.loc["closed", "row"] == 3
    assert frame.loc["responded", "reason"] == "unparseable date"
    assert set(r.problems_frame["action"]) == {"field dropped"}
    # The rows to fix are in the rejects file, marked kept.
    assert sorted(r.rejects["id"]) == ["b", "c"]
    assert r.rejects["_kept"].tolist() == ["kept without closed", "kept without responded"]
