"""alignlib.crm.replicated: opportunity history dates the stages between opportunity and won."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
import yaml

from alignlib import crm
from alignlib.params import load_params
from tests.crm._shapes_helpers import params_for

STAGES = ("lead", "sql", "opportunity", "proposal", "won")


@pytest.fixture
def warehouse(tmp_path):
    db = tmp_path / "sf.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA salesforce")
    con.execute(
        """CREATE TABLE salesforce.lead AS SELECT * FROM (VALUES
        ('L1', TIMESTAMP '2026-01-02 09:00', 'Closed - Converted', 'Web', true,
         DATE '2026-01-05', 'O1', 'U1', false),
        ('L2', TIMESTAMP '2026-01-03 09:00', 'Closed - Converted', 'Web', true,
         DATE '2026-01-06', 'O2', 'U1', false),
        ('L3', TIMESTAMP '2026-01-04 09:00', 'Open - Not Contacted', 'Web', false,
         NULL, NULL, 'U1', true))
        t(id, created_date, status, lead_source, is_converted, converted_date,
          converted_opportunity_id, owner_id, is_deleted)"""
    )
    con.execute(
        """CREATE TABLE salesforce.opportunity AS SELECT * FROM (VALUES
        ('O1', TIMESTAMP '2026-01-05 10:00', 'Closed Won', 12000.0, DATE '2026-02-20', true, true),
        ('O2', TIMESTAMP '2026-01-06 10:00', 'Proposal/Price Quote', 8000.0, DATE '2026-03-31',
         false, false))
        t(id, created_date, stage_name, amount, close_date, is_closed, is_won)"""
    )
    con.execute(
        """CREATE TABLE salesforce.opportunity_history AS SELECT * FROM (VALUES
        ('O1', TIMESTAMP '2026-01-05 10:00', 'Prospecting', false),
        ('O1', TIMESTAMP '2026-01-20 10:00', 'Proposal/Price Quote', false),
        ('O1', TIMESTAMP '2026-02-20 10:00', 'Closed Won', false),
        ('O2', TIMESTAMP '2026-01-06 10:00', 'Prospecting', false),
        ('O2', TIMESTAMP '2026-01-07 10:00', 'Proposal/Price Quote', true),
        ('O2', TIMESTAMP '2026-01-25 10:00', 'Proposal/Price Quote', false))
        t(opportunity_id, created_date, stage_name, is_deleted)"""
    )
    con.close()
    data = params_for(
        STAGES,
        {
            "format": "salesforce",
            "sql": {"url": f"duckdb:///{db}", "schema": "salesforce"},
            "stage_mapping": {"Proposal/Price Quote": "proposal", "Closed - Converted": "sql"},
            "as_of": "2026-03-01",
        },
    )
    path = tmp_path / "2026Q1.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_params(path)


def test_history_dates_the_middle_stages_and_soft_deletes_are_counted(warehouse):
    result = crm.load_actuals(warehouse)
    t = result.table.set_index("id")
    assert list(t.index) == ["L1", "L2"]
    assert t.loc["L1", "entered_proposal"] == pd.Timestamp("2026-01-20 10:00")
    # the soft-deleted history row (an earlier date) is not used
    assert t.loc["L2", "entered_proposal"] == pd.Timestamp("2026-01-25 10:00")
    assert t.loc["L1", "outcome"] == "won" and t.loc["L2", "outcome"] == "open"
    assert t.loc["L1", "entered_won"] == pd.Timestamp("2026-02-20")
    reasons = dict(
        zip(result.problems_frame["file"], result.problems_frame["reason"], strict=False)
    )
    assert reasons["lead"] == "1 soft-deleted row left out"
    assert reasons["opportunity_history"] == "1 soft-deleted row left out"


def test_field_history_works_too(warehouse):
    url = warehouse.actuals.sql.url
    con = duckdb.connect(url.removeprefix("duckdb:///"))
    con.execute(
        "CREATE TABLE salesforce.opportunity_field_history AS SELECT opportunity_id, "
        "'StageName' AS field, stage_name AS new_value, created_date, is_deleted "
        "FROM salesforce.opportunity_history"
    )
    con.execute("DROP TABLE salesforce.opportunity_history")
    con.close()
    t = crm.load_actuals(warehouse).table.set_index("id")
    assert t.loc["L2", "entered_proposal"] == pd.Timestamp("2026-01-25 10:00")
