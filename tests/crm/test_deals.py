"""Two tables for any source: a deals file joined onto the leads (first won deal, else latest)."""

from __future__ import annotations

import pandas as pd
import pytest

from alignlib import crm
from alignlib.crm.deals import join_deals
from alignlib.errors import DataError, InputError
from alignlib.params import Deals, load_params
from tests.crm._shapes_helpers import FIX, params_for

STAGES = ("lead", "mql", "opportunity", "won")
LEAD_COLUMNS = {
    "id": "lead_id",
    "created": "created_at",
    "source": "utm_source",
    "entered_lead": "created_at",
    "entered_mql": "mql_at",
}
DEAL_COLUMNS = {
    "id": "deal_id",
    "created": "deal_created",
    "stage": "deal_stage",
    "amount": "deal_amount",
    "close_date": "deal_close",
    "owner": "deal_owner",
}


def _leads():
    return crm.load_csv(FIX / "deals_leads.csv", LEAD_COLUMNS, stage_names=STAGES)


def test_join_takes_the_first_won_deal_else_the_latest_and_counts_orphans():
    r = join_deals(
        _leads(),
        FIX / "deals_deals.csv",
        "lead",
        DEAL_COLUMNS,
        outcome_mapping={"Negotiation": "open"},
    )
    assert (r.rows_read, r.accepted, r.rejected) == (4, 4, 0)  # counts stay the leads'
    t = r.table.set_index("id")
    # L2: lost (D1) then won (D2): takes the won deal.
    assert t.loc["L2", "outcome"] == "won" and t.loc["L2", "amount"] == 9_000
    assert t.loc["L2", "close_date"] == pd.Timestamp("2026-03-01")
    assert t.loc["L2", "entered_won"] == pd.Timestamp("2026-03-01")
    assert t.loc["L2", "entered_opportunity"] == pd.Timestamp("2026-02-01")
    assert t.loc["L2", "owner"] == "Rep Two"
    # L3: two open deals: the latest (D4).
    assert t.loc["L3", "outcome"] == "open" and t.loc["L3", "amount"] == 6_000
    assert pd.isna(t.loc["L3", "close_date"])
    # L1 and L4 have no deal.
    assert pd.isna(t.loc["L1", "outcome"]) and not t.loc["L4", "reached_opportunity"]
    assert r.reached() == {"lead": 4, "mql": 3, "opportunity": 2, "won": 1}
    # The orphan deal (L99) and the one with no lead id: one problem, both in the rejects.
    (orphan,) = r.problems_frame.itertuples(index=False)
    assert orphan.file == "deals_deals.csv" and orphan.row == 6 and orphan.field == "lead"
    assert orphan.reason.startswith("2 deals match no accepted lead")
    assert "1 with a blank lead" in orphan.reason
    deal_rejects = r.rejects[r.rejects["_file"] == "deals_deals.csv"]
    assert deal_rejects["deal_id"].tolist() == ["D5", "D6"]
    assert (deal_rejects["_problems"] != "").all()
    assert " + " in r.source and r.source.endswith("deals_deals.csv")


def test_unknown_deal_outcome_is_reported_once_and_the_deal_left_out():
    r = join_deals(_leads(), FIX / "deals_deals.csv", "lead", DEAL_COLUMNS)
    reasons = r.problems_frame["reason"].tolist()
    assert any(
        x.startswith("unknown outcome 'Negotiation' on 1 row: add  outcome_mapping:")
        for x in reasons
    )
    assert r.table.set_index("id").loc["L3", "amount"] == 4_000  # D4 left out: D3 is latest


def test_deals_mapping_errors():
    with pytest.raises(InputError, match="unknown field"):
        join_deals(_leads(), FIX / "deals_deals.csv", "lead", {"colour": "x"})
    with pytest.raises(DataError, match="missing required column"):
        join_deals(_leads(), FIX / "deals_deals.csv", "lead_id")
    with pytest.raises(DataError, match="missing mapped column"):
        join_deals(_leads(), FIX / "deals_deals.csv", "lead", {"amount": "nope"})


def test_load_actuals_reads_the_deals_table_relative_to_the_params_file(tmp_path, write_params):
    for name in ("deals_leads.csv", "deals_deals.csv"):
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / name).write_bytes((FIX / name).read_bytes())
    path = write_params(
        params_for(
            STAGES,
            {
                "crm_export": "data/deals_leads.csv",
                "format": "csv",
                "columns": LEAD_COLUMNS,
                "outcome_mapping": {"negotiation": "open"},
                "deals": {"file": "data/deals_deals.csv", "key": "lead", "columns": DEAL_COLUMNS},
            },
        )
    )
    p = load_params(path)
    assert p.actuals.deals.file == (tmp_path / "data" / "deals_deals.csv").resolve()
    r = crm.load_actuals(p)
    assert r.reached() == {"lead": 4, "mql": 3, "opportunity": 2, "won": 1}
    assert r.table["outcome"].value_counts().to_dict() == {"won": 1, "open": 1}
    direct = crm.load_export(
        tmp_path / "data" / "deals_leads.csv",
        "csv",
        columns=LEAD_COLUMNS,
        stage_names=STAGES,
        outcome_mapping={"Negotiation": "open"},
        deals=Deals(file=tmp_path / "data" / "deals_deals.csv", key="lead", columns=DEAL_COLUMNS),
    )
    assert direct.reached() == r.reached()


def test_hubspot_deals_file_joined_onto_contacts_without_a_mapping(tmp_path):
    """A HubSpot deals export keyed by contact id: its usual headers need no mapping."""
    deals = tmp_path / "deals.csv"
    text = (FIX / "hubspot_deals_small.csv").read_text().splitlines()
    contacts = crm.load_hubspot(
        FIX / "hubspot_small.csv", stage_mapping={"Sales Accepted Lead": "sal"}
    )
    ids = contacts.table["id"].tolist()[:5]
    deals.write_text(
        "\n".join(
            [text[0] + ",Contact ID"]
            + [f"{line},{i}" for line, i in zip(text[1:], ids, strict=True)]
        )
        + "\n"
    )
    r = join_deals(contacts, deals, "Contact ID")
    t = r.table.set_index("id")
    assert t.loc[ids[0], "outcome"] == "won" and t.loc[ids[0], "amount"] == 12_000
    assert t.loc[ids[1], "outcome"] == "lost"
    assert t.loc[ids[2], "outcome"] == "open" and t.loc[ids[2], "reached_opportunity"]


def test_deals_won_after_the_last_lead_move_the_data_date(tmp_path):
    """Issue 20 (Olist's shape): a closed-deals file with only a won date, joined on the
    lead id; the export's date is the latest date in either file, and every won lead
    reaches won on its won date."""
    leads = tmp_path / "mqls.csv"
    leads.write_text("mql_id,first_contact\nm1,15-01-2026\nm2,16-01-2026\nm3,17-01-2026\n")
    deals = tmp_path / "closed.csv"
    deals.write_text("mql_id,won_date\nm1,20-03-2026 10:00\nm3,02-02-2026 09:30\n")
    r = crm.load_csv(
        leads, {"id": "mql_id", "created": "first_contact"}, stage_names=("mql", "won")
    )
    assert r.as_of == pd.Timestamp("2026-01-17")
    joined = crm.join_deals(r, deals, "mql_id", {"entered_won": "won_date"})
    assert joined.as_of == pd.Timestamp("2026-03-20")
    t = joined.table.set_index("id")
    assert t["reached_won"].to_dict() == {"m1": True, "m2": False, "m3": True}
    assert t.loc["m1", "entered_won"] == pd.Timestamp("2026-03-20 10:00")
    assert t["outcome"].fillna("").to_dict() == {"m1": "won", "m2": "", "m3": "won"}
    assert t["reached_mql"].all()
    given = crm.load_csv(
        leads,
        {"id": "mql_id", "created": "first_contact"},
        stage_names=("mql", "won"),
        as_of="2026-04-01",
    )
    assert crm.join_deals(given, deals, "mql_id", {"entered_won": "won_date"}).as_of == (
        pd.Timestamp("2026-04-01")
    )
