"""--suggest reads values as well as header names (issue 20, item 3).

Every expected count is computed with pandas from the raw file; the draft is pasted
unchanged under a minimal params file (quarter, target, stages) and loaded.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from tests.crm._shapes_helpers import params_for, stages
from tests.realdata import MAVEN, MQLS, REAL

real = pytest.mark.skipif(
    not (MAVEN.exists() and MQLS.exists()),
    reason=f"the real public CRM files are not at {REAL} (they sit beside the checkout in CI)",
)


def _draft(export, stage_names, tmp_path, capsys) -> str:
    from alignlib.cli import main

    argv = ["ingest", str(export), "--suggest"]
    if stage_names is not None:
        st = tmp_path / "stages.yaml"
        st.write_text(yaml.safe_dump(params_for(tuple(stage_names), None)))
        argv += ["--params", str(st)]
    assert main(argv) == 0
    return capsys.readouterr().out


def _load(draft: str, stage_names, tmp_path):
    """The draft pasted unchanged under quarter, target and stages."""
    from alignlib import crm
    from alignlib.params import load_params

    minimal = {"quarter": "2026Q1", "target": {"bookings": 100_000}}
    if stage_names is not None:
        minimal["stages"] = stages(*stage_names)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(minimal) + draft)
    return crm.load_actuals(load_params(path))


def _columns(draft: str) -> dict[str, str]:
    return yaml.safe_load(draft)["actuals"]["columns"]


@real
@pytest.mark.parametrize("stage_names", [("opportunity", "won"), None])
def test_maven_draft_loads_the_pandas_counts(tmp_path, capsys, stage_names):
    raw = pd.read_csv(MAVEN)
    draft = _draft(MAVEN, stage_names, tmp_path, capsys)
    cols = _columns(draft)
    assert {k: cols[k] for k in ("id", "created", "outcome", "close_date", "amount", "owner")} == {
        "id": "opportunity_id",
        "created": "engage_date",
        "outcome": "deal_stage",
        "close_date": "close_date",
        "amount": "close_value",
        "owner": "sales_agent",
    }
    for line in ('id: "opportunity_id"  # check', 'outcome: "deal_stage"  # check'):
        assert line in draft
    assert "-> created: engage_date" in draft  # the earliest date on every row that has two
    r = _load(draft, stage_names, tmp_path)
    stage = raw["deal_stage"]
    assert r.accepted == len(raw) == 8_800
    reached = r.reached()
    first = (stage_names or ("lead",))[0]
    assert reached[first] == len(raw)
    assert reached["won"] == int((stage == "Won").sum()) == 4_238
    outcome = r.table["outcome"].value_counts()
    assert int(outcome["won"]) == int((stage == "Won").sum())
    assert int(outcome["lost"]) == int((stage == "Lost").sum()) == 2_473
    assert r.table["amount"].sum() == pytest.approx(
        raw.loc[stage == "Won", "close_value"].sum() + raw.loc[stage == "Lost", "close_value"].sum()
    )


@real
def test_olist_mqls_draft_loads_every_mql(tmp_path, capsys):
    raw = pd.read_csv(MQLS)
    draft = _draft(MQLS, ("mql", "won"), tmp_path, capsys)
    cols = _columns(draft)
    assert (cols["id"], cols["created"], cols["source"]) == (
        "mql_id",
        "first_contact_date",
        "origin",
    )
    assert '"first_contact_date": day/month/year' in draft
    r = _load(draft, ("mql", "won"), tmp_path)
    assert r.accepted == len(raw) == 8_000
    assert r.reached()["mql"] == len(raw)
    t = r.table.set_index("id")
    want = pd.to_datetime(raw.set_index("mql_id")["first_contact_date"], format="%d-%m-%Y")
    assert (t.loc[want.index, "created"] == want).all()
    got = t["source"].value_counts()
    for origin, n in raw["origin"].value_counts().items():
        assert int(got[origin]) == int(n), origin


@real
def test_olist_closed_deals_draft_loads_every_won_deal(tmp_path, capsys):
    deals = REAL / "olist_closed_deals.csv"
    raw = pd.read_csv(deals)
    draft = _draft(deals, ("mql", "won"), tmp_path, capsys)
    cols = _columns(draft)
    assert (cols["id"], cols["created"], cols["entered_won"]) == ("mql_id", "won_date", "won_date")
    # ... and says whose deals they look like.
    assert "this looks like that file's deals. Run --suggest on olist_mqls.csv" in draft
    r = _load(draft, ("mql", "won"), tmp_path)
    assert r.accepted == len(raw) == 842
    assert r.reached() == {"mql": len(raw), "won": len(raw)}


@real
def test_olist_mqls_draft_joins_the_closed_deals_beside_them(tmp_path, capsys):
    """The deals file is found beside the MQLs by its values and drafted as actuals.deals."""
    from alignlib import metrics

    mqls = pd.read_csv(MQLS)
    deals = pd.read_csv(REAL / "olist_closed_deals.csv")
    draft = _draft(MQLS, ("mql", "won"), tmp_path, capsys)
    got = yaml.safe_load(draft)["actuals"]["deals"]
    assert (got["file"], got["key"]) == (str(REAL / "olist_closed_deals.csv"), "mql_id")
    assert got["columns"]["entered_won"] == "won_date"
    assert "amount" not in got["columns"]  # declared_monthly_revenue: mostly 0, not an amount
    assert "deals:  # check" in draft and 'key: "mql_id"  # check' in draft
    r = _load(draft, ("mql", "won"), tmp_path)
    won = mqls["mql_id"].isin(deals["mql_id"])
    assert r.accepted == len(mqls) == 8_000
    assert r.reached() == {"mql": len(mqls), "won": int(won.sum())}
    assert int(won.sum()) == 842
    by_source = metrics.conversion_by(r.table, "source").frame
    organic = mqls["origin"] == "organic_search"
    assert (
        by_source.loc["organic_search", ["contacts", "won"]].tolist()
        == [
            int(organic.sum()),
            int((organic & won).sum()),
        ]
        == [2_296, 271]
    )


def test_a_deals_file_of_another_shape_is_found_and_joined(tmp_path, capsys):
    """Leads and deals written by hand: the deals say their outcome and amount in columns."""
    folder = tmp_path / "crm"
    folder.mkdir()
    leads = pd.DataFrame(
        {
            "lead_id": [f"P{i}" for i in range(12)],
            "signup date": [f"2026-01-{1 + i:02d}" for i in range(12)],
            "channel": ["web", "ads", "partner"] * 4,
        }
    )
    deals = pd.DataFrame(
        {
            "deal_id": ["D1", "D2", "D3", "D4", "D5"],
            "lead_ref_id": ["P0", "P3", "P4", "P7", "P9"],
            "result": ["won", "lost", "won", "open", "won"],
            "closed on": ["2026-02-01", "2026-02-03", "2026-02-05", "", "2026-02-09"],
            "amount": ["1000", "0", "2500", "", "4000"],
        }
    )
    leads.to_csv(folder / "leads.csv", index=False)
    deals.to_csv(folder / "deals.csv", index=False)
    draft = _draft(folder / "leads.csv", ("lead", "won"), tmp_path, capsys)
    got = yaml.safe_load(draft)["actuals"]["deals"]
    assert got["key"] == "lead_ref_id" and got["file"] == str(folder / "deals.csv")
    assert got["columns"]["outcome"] == "result" and got["columns"]["amount"] == "amount"
    r = _load(draft, ("lead", "won"), tmp_path)
    assert r.accepted == len(leads)
    said = deals.set_index("lead_ref_id")["result"]
    outcome = r.table.set_index("id")["outcome"]
    for lead, want in said.items():
        assert outcome[lead] == want, lead
    assert r.reached()["won"] == int((said == "won").sum())
    won_amount = pd.to_numeric(deals.loc[deals["result"] == "won", "amount"]).sum()
    assert r.table.loc[r.table["outcome"] == "won", "amount"].sum() == won_amount


def _leads(tmp_path) -> tuple:
    """A lead-scoring shape: Prospect ID, 0/1 Converted, day-first Dt_Customer."""
    rows = []
    for i in range(40):
        day, month = 1 + i % 28, 1 + i % 12
        rows.append(
            {
                "Prospect ID": f"7927b2df-8bba-4d29-b9a2-b6e0beaf{i:04d}",
                "Lead Number": 660737 - i,
                "Lead Source": ["Google", "Olark Chat", "Direct Traffic", "Reference"][i % 4],
                "Lead Owner": ["Ann", "Bo", "Cy"][i % 3],
                "Converted": int(i % 5 in (0, 3)),
                "Dt_Customer": f"{day:02d}-{month:02d}-2025",
                "Last Activity Date": f"{day:02d}-{month:02d}-2026",
                "TotalVisits": i % 7,
            }
        )
    raw = pd.DataFrame(rows)
    path = tmp_path / "leads.csv"
    raw.to_csv(path, index=False)
    return path, raw


def test_leads_with_converted_flag_and_day_first_dates(tmp_path, capsys):
    path, raw = _leads(tmp_path)
    draft = _draft(path, None, tmp_path, capsys)
    cols = _columns(draft)
    assert cols["id"] == "Prospect ID"  # unique and named like an id (Lead Number is unique too)
    assert cols["created"] == "Dt_Customer"  # earlier than Last Activity Date on every row
    assert cols["outcome"] == "Converted" and cols["source"] == "Lead Source"
    assert cols["owner"] == "Lead Owner"
    assert "TotalVisits" not in cols.values()
    mapping = yaml.safe_load(draft)["actuals"]["outcome_mapping"]
    assert mapping == {"1": "won", "0": "lost"}
    assert '"1": won  # check' in draft and '"0": lost  # check' in draft
    r = _load(draft, None, tmp_path)
    assert r.accepted == len(raw)
    assert r.reached()["lead"] == len(raw)
    assert r.reached()["won"] == int((raw["Converted"] == 1).sum())
    t = r.table.set_index("id")
    want = pd.to_datetime(raw.set_index("Prospect ID")["Dt_Customer"], format="%d-%m-%Y")
    assert (t.loc[want.index, "created"] == want).all()


def test_marketing_campaign_shape_tab_separated_with_response(tmp_path, capsys):
    raw = pd.DataFrame(
        {
            "ID": [5524 + 7 * i for i in range(30)],
            "Year_Birth": [1957 + i for i in range(30)],
            "Income": [58138 + 100 * i for i in range(30)],
            "Dt_Customer": [f"{1 + i % 28:02d}-0{1 + i % 9}-2013" for i in range(30)],
            "Response": [int(i % 4 == 0) for i in range(30)],
        }
    )
    path = tmp_path / "marketing_campaign.csv"
    raw.to_csv(path, index=False, sep="\t")
    draft = _draft(path, ("lead", "won"), tmp_path, capsys)
    cols = _columns(draft)
    assert (cols["id"], cols["created"], cols["outcome"]) == ("ID", "Dt_Customer", "Response")
    assert "Year_Birth" not in cols.values()  # numbers, not dates
    r = _load(draft, ("lead", "won"), tmp_path)
    assert r.accepted == len(raw)
    assert r.reached() == {"lead": len(raw), "won": int(raw["Response"].sum())}


def test_no_guess_without_evidence(tmp_path, capsys):
    path = tmp_path / "x.csv"
    pd.DataFrame({"a": ["x", "x", "y"], "b": ["1", "2", "2"]}).to_csv(path, index=False)
    draft = _draft(path, None, tmp_path, capsys)
    assert "No column found for id, created" in draft
    assert "\n  columns:" not in draft
