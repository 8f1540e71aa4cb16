"""Real public CRM files nobody here wrote (``../shared/realdata/``), read as a user would.

Every expected figure is computed in the test with pandas from the raw file, never taken
from alignlib's own output. The files' shapes (see ``../shared/realdata/README.md``):

- Maven ``maven_sales_pipeline.csv``: 8,800 opportunities, ``deal_stage`` Won / Lost /
  Engaging / Prospecting, US dates, ``close_value``, ``sales_agent``, ``product``;
  an opportunity -> won funnel whose outcome and close date say when a deal closed.
- Olist ``olist_mqls.csv`` + ``olist_closed_deals.csv``: 8,000 MQLs (day-first dates,
  ``origin``) and the 842 won deals joined on ``mql_id``; no losses are recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.realdata import DEALS, MAVEN, MQLS, REAL

pytestmark = pytest.mark.skipif(
    not (MAVEN.exists() and MQLS.exists() and DEALS.exists()),
    reason=f"the real public CRM files are not at {REAL} (they sit beside the checkout in CI)",
)

MAVEN_PARAMS = f"""\
quarter: 2018Q1
stages:
  - {{name: opportunity, label: Opportunity, owner: sales}}
  - {{name: won, label: Won, owner: sales}}
target:
  bookings: 2500000
actuals:
  crm_export: {MAVEN}
  format: csv
  columns:
    id: opportunity_id
    created: engage_date
    outcome: deal_stage
    close_date: close_date
    amount: close_value
    owner: sales_agent
    source: product
  outcome_mapping:
    Engaging: open
    Prospecting: open
"""

OLIST_PARAMS = f"""\
quarter: 2018Q3
stages:
  - {{name: mql, label: Marketing qualified lead, owner: marketing}}
  - {{name: won, label: Won, owner: sales}}
target:
  bookings: 1000000
deal_size: {{mean: 5000, spread: 2000}}
actuals:
  crm_export: {MQLS}
  format: csv
  columns:
    id: mql_id
    created: first_contact_date
    source: origin
  deals:
    file: {DEALS}
    key: mql_id
    columns:
      entered_won: won_date
      owner: sr_id
"""


@pytest.fixture(scope="module")
def maven_raw() -> pd.DataFrame:
    raw = pd.read_csv(MAVEN)
    raw["engage"] = pd.to_datetime(raw["engage_date"], format="%m/%d/%Y")
    raw["close"] = pd.to_datetime(raw["close_date"], format="%m/%d/%Y")
    return raw


@pytest.fixture(scope="module")
def olist_raw() -> pd.DataFrame:
    mqls = pd.read_csv(MQLS)
    deals = pd.read_csv(DEALS)
    mqls["first_contact"] = pd.to_datetime(mqls["first_contact_date"], format="%d-%m-%Y")
    mqls["won"] = mqls["mql_id"].isin(deals["mql_id"])
    return mqls.merge(deals[["mql_id", "sr_id", "won_date"]], on="mql_id", how="left")


@pytest.fixture(scope="module")
def params_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("realdata")
    out = {}
    for name, text in (("maven", MAVEN_PARAMS), ("olist", OLIST_PARAMS)):
        out[name] = folder / f"{name}.yaml"
        out[name].write_text(text, encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def maven(params_files):
    from alignlib import crm
    from alignlib.params import load_params

    return crm.load_actuals(load_params(params_files["maven"]))


@pytest.fixture(scope="module")
def olist(params_files):
    from alignlib import crm
    from alignlib.params import load_params

    return crm.load_actuals(load_params(params_files["olist"]))


def _ingest_json(params: Path, export: Path, tmp_path: Path, capsys) -> dict:
    from alignlib.cli import main

    code = main(
        [
            "ingest",
            str(export),
            "--params",
            str(params),
            "--json",
            "--rejects",
            str(tmp_path / "x.rejects-contains-personal-data.csv"),
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    return out


# ---------------------------------------------------------------------------------- Maven


def test_maven_ingest_json_gives_the_pandas_counts(maven_raw, params_files, tmp_path, capsys):
    out = _ingest_json(params_files["maven"], MAVEN, tmp_path, capsys)
    stage = maven_raw["deal_stage"]
    assert out["rows"] == out["accepted"] == len(maven_raw) == 8_800
    assert out["rejected"] == 0
    assert out["outcomes"] == {
        "won": int((stage == "Won").sum()),  # 4,238
        "lost": int((stage == "Lost").sum()),  # 2,473
        "open": int(stage.isin(["Engaging", "Prospecting"]).sum()),  # 2,089
    }
    assert out["won_amount"] == pytest.approx(
        float(maven_raw.loc[stage == "Won", "close_value"].sum())  # 10,005,534
    )
    # every opportunity reaches the first stage; the won ones reach won
    assert out["reached"] == {"opportunity": len(maven_raw), "won": int((stage == "Won").sum())}


def test_maven_won_deals_are_won_on_their_close_date(maven, maven_raw):
    t = maven.table.set_index("id")
    won = maven_raw.set_index("opportunity_id")
    won = won[won["deal_stage"] == "Won"]
    assert (t.loc[won.index, "entered_won"] == won["close"]).all()
    lost = maven_raw.set_index("opportunity_id")
    lost = lost[lost["deal_stage"] == "Lost"]
    assert (t.loc[lost.index, "close_date"] == lost["close"]).all()
    assert not t.loc[lost.index, "reached_won"].any()
    # an opportunity is one from its engage date; Prospecting has none, and is still counted
    dated = maven_raw.set_index("opportunity_id")["engage"].dropna()
    assert (t.loc[dated.index, "entered_opportunity"] == dated).all()
    assert t["reached_opportunity"].all()


@pytest.mark.parametrize(("by", "column"), [("owner", "sales_agent"), ("source", "product")])
def test_maven_conversion_and_win_rate_by_agent_and_product(maven, maven_raw, by, column):
    from alignlib import metrics

    got = metrics.conversion_by(maven.table, by).frame
    g = maven_raw.groupby(column)["deal_stage"]
    want = pd.DataFrame(
        {
            "contacts": g.size(),
            "won": g.apply(lambda s: int((s == "Won").sum())),
            "lost": g.apply(lambda s: int((s == "Lost").sum())),
        }
    )
    want["conversion"] = want["won"] / want["contacts"]
    want["win_rate"] = want["won"] / (want["won"] + want["lost"])
    won_value = maven_raw[maven_raw["deal_stage"] == "Won"].groupby(column)["close_value"]
    want["avg_won_deal"] = won_value.mean()
    got = got.loc[want.index]
    for col in ("contacts", "won", "lost"):
        assert got[col].tolist() == want[col].tolist(), col
    for col in ("conversion", "win_rate", "avg_won_deal"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-12, err_msg=col)


def test_maven_conversion_by_month_of_engagement(maven, maven_raw):
    from alignlib import metrics

    got = metrics.conversion_by(maven.table, "month").frame
    dated = maven_raw.dropna(subset=["engage"])
    g = dated.groupby(dated["engage"].dt.to_period("M"))["deal_stage"]
    assert got["contacts"].tolist() == g.size().tolist()
    assert got["won"].tolist() == g.apply(lambda s: int((s == "Won").sum())).tolist()
    assert list(got.index) == list(g.size().index)


def test_maven_validate_learns_the_rate_of_matured_cohorts(maven_raw, params_files, capsys):
    """Maturity: P90 of engage -> close over won deals; cohorts older than that, as of the
    latest date in the file, teach the opportunity -> won rate."""
    from alignlib.cli import main
    from alignlib.history.learning import learn_params
    from alignlib.params import load_params

    won = maven_raw["deal_stage"] == "Won"
    as_of = max(maven_raw["engage"].max(), maven_raw["close"].max())
    days = (maven_raw["close"] - maven_raw["engage"]).dt.days[won].clip(lower=0)
    maturity = float(np.quantile(days, 0.9))
    month_end = maven_raw["engage"].dt.to_period("M").dt.to_timestamp(how="end").dt.normalize()
    matured = (as_of - month_end).dt.days >= maturity
    learned = learn_params(load_params(params_files["maven"]))
    rate = learned.conversion_rates["opportunity"]
    assert (rate.converted, rate.total) == (int((matured & won).sum()), int(matured.sum()))
    assert learned.deal_size.mean == pytest.approx(
        maven_raw.loc[won, "close_value"].mean(), abs=0.01
    )
    assert main(["validate", str(params_files["maven"])]) == 0
    assert "ok:" in capsys.readouterr().out


# ---------------------------------------------------------------------------------- Olist


def test_olist_ingest_json_gives_the_pandas_counts(olist_raw, params_files, tmp_path, capsys):
    out = _ingest_json(params_files["olist"], MQLS, tmp_path, capsys)
    assert out["rows"] == out["accepted"] == len(olist_raw) == 8_000
    n_won = int(olist_raw["won"].sum())  # 842
    assert out["reached"] == {"mql": len(olist_raw), "won": n_won}
    assert out["outcomes"]["won"] == n_won and out["outcomes"]["lost"] == 0
    assert out["won_amount"] is None  # no amount mapped: not in the export, never $0


def test_olist_conversion_by_origin_is_over_every_mql(olist, olist_raw):
    from alignlib import metrics

    conv = metrics.conversion_by(olist.table, "source")
    got = conv.frame
    g = olist_raw.groupby(olist_raw["origin"].fillna("(none)"))["won"]
    want = pd.DataFrame({"contacts": g.size(), "won": g.sum().astype(int)})
    got = got.loc[want.index]
    assert got["contacts"].tolist() == want["contacts"].tolist()
    assert got["won"].tolist() == want["won"].tolist()
    np.testing.assert_allclose(got["conversion"], want["won"] / want["contacts"], rtol=1e-12)
    # the figure: organic_search 2,296 MQLs, 271 wins (11.8%)
    organic = olist_raw[olist_raw["origin"] == "organic_search"]
    assert got.loc["organic_search", ["contacts", "won"]].tolist() == [
        len(organic),
        int(organic["won"].sum()),
    ]
    # no losses recorded: no win rate of closed deals; no amount: no deal size, never 0
    assert not conv.losses_recorded and got["win_rate"].isna().all()
    assert got["avg_won_deal"].isna().all() and got["won_amount"].isna().all()


def test_olist_conversion_by_month_and_owner(olist, olist_raw):
    from alignlib import metrics

    by_month = metrics.conversion_by(olist.table, "month").frame
    g = olist_raw.groupby(olist_raw["first_contact"].dt.to_period("M"))["won"]
    assert by_month["contacts"].tolist() == g.size().tolist()
    assert by_month["won"].tolist() == g.sum().astype(int).tolist()
    by_owner = metrics.conversion_by(olist.table, "owner").frame
    won = olist_raw[olist_raw["won"]]
    per_rep = won.groupby("sr_id").size()
    assert by_owner.loc[per_rep.index, "won"].tolist() == per_rep.tolist()
    # MQLs without a deal have no owner in either file
    assert by_owner.loc["(none)", "contacts"] == int((~olist_raw["won"]).sum())


def test_olist_trend_table_by_source(params_files, olist_raw):
    from alignlib import display, reports
    from alignlib.history.learning import learn_params
    from alignlib.params import load_params

    td = reports.trend_data(learn_params(load_params(params_files["olist"])))
    table = reports.channel_trend_table(td)
    organic = olist_raw[olist_raw["origin"] == "organic_search"]
    row = table.loc["organic_search"]
    assert (row["contacts"], row["won"]) == (len(organic), int(organic["won"].sum()))
    assert row["conversion"] == pytest.approx(organic["won"].mean())
    assert "win_rate" not in table.columns  # the file records no losses
    assert table["avg_won_deal"].isna().all()
    shown = display.table(
        table,
        reports.channel_trend_formats(td),
        missing=reports.CHANNEL_TREND_MISSING,
    ).to_html()
    assert shown.count("not in the export") == len(table)  # never "$0", never a bare dash
    assert "records no lost deals" in reports.channel_trend_note(td)
    # both files named, not only the deals file
    assert "olist_mqls.csv + olist_closed_deals.csv" in reports.data_note(td)
    # "(to date)" only on the quarter of the data date; the first quarter is partial
    quarters = reports.quarterly_table(td, quarters=12).columns
    first = olist_raw["first_contact"].min().to_period("Q")  # 2017Q2, from 14 June
    assert [c for c in quarters if "to date" in c] == [f"{td.as_of.to_period('Q')} (to date)"]
    assert f"{first} (partial: the export starts in it)" in quarters


def test_olist_validate_learns_from_the_joined_deals(params_files, olist_raw, olist, capsys):
    """The data date is the latest date in either file (deals are won until November
    2018, the last MQL came in May); cohorts older than the P90 time to win teach."""
    from alignlib.cli import main
    from alignlib.history.learning import learn_params
    from alignlib.params import load_params

    won_on = pd.to_datetime(olist_raw["won_date"], format="%d-%m-%Y %H:%M")
    as_of = max(olist_raw["first_contact"].max(), won_on.max()).normalize()
    assert olist.as_of == as_of == pd.Timestamp("2018-11-14")
    days = ((won_on - olist_raw["first_contact"]).dt.total_seconds() / 86_400).dropna()
    maturity = float(np.quantile(days.clip(lower=0), 0.9))
    month_end = (
        olist_raw["first_contact"].dt.to_period("M").dt.to_timestamp(how="end").dt.normalize()
    )
    matured = (as_of - month_end).dt.days >= maturity
    rate = learn_params(load_params(params_files["olist"])).conversion_rates["mql"]
    assert (rate.converted, rate.total) == (
        int((matured & olist_raw["won"]).sum()),
        int(matured.sum()),
    )
    assert main(["validate", str(params_files["olist"])]) == 0
    assert "ok:" in capsys.readouterr().out
