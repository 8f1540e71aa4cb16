"""Loaders and validation against small hand-made exports (tests/fixtures/crm)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from alignlib import crm
from alignlib.errors import DataError, InputError
from alignlib.paths import SAMPLE_DIR

FIX = Path(__file__).parent / "fixtures" / "crm"
SAL = {"Sales Accepted Lead": "sal"}
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


@pytest.fixture(scope="module")
def hubspot():
    return crm.load_hubspot(FIX / "hubspot_small.csv", stage_mapping=SAL)


@pytest.fixture(scope="module")
def salesforce():
    return crm.load_salesforce(
        FIX / "salesforce_leads_small.csv", FIX / "salesforce_opportunities_small.csv"
    )


def _problem(result, row, field):
    p = result.problems_frame
    hit = p[(p["row"] == row) & (p["field"] == field)]
    assert len(hit) == 1, (row, field, p.to_string())
    return hit.iloc[0]


# ----------------------------------------------------------------------------- HubSpot


def test_hubspot_counts(hubspot):
    assert (hubspot.rows_read, hubspot.accepted, hubspot.rejected) == (16, 10, 6)
    assert hubspot.duplicates == 1
    assert hubspot.rows_read == hubspot.accepted + hubspot.rejected
    assert sorted(hubspot.table["id"]) == sorted(
        ["101", "102", "103", "104", "105", "106", "107", "108", "109", "114"]
    )


def test_hubspot_reached_with_skipped_stages(hubspot):
    # 105 has no SAL/SQL dates but became a customer; 107 is at Opportunity with no SAL/SQL
    # dates; 109 is an MQL by lifecycle only; 108 is a Subscriber (outside the funnel).
    assert hubspot.reached() == {
        "lead": 9,
        "mql": 8,
        "sal": 6,
        "sql": 5,
        "opportunity": 5,
        "won": 3,
    }
    t = hubspot.table.set_index("id")
    assert t.loc["105", "reached_sql"] and pd.isna(t.loc["105", "entered_sql"])
    assert t.loc["109", "reached_mql"] and not t.loc["109", "reached_sal"]
    assert not t.loc["108", "reached_lead"] and pd.isna(t.loc["108", "stage"])
    assert t.loc["114", "reached_won"]  # Evangelist: outside the funnel, but has a customer date


def test_hubspot_outcomes_amounts_and_channels(hubspot):
    t = hubspot.table.set_index("id")
    assert t.loc[["104", "105", "114"], "outcome"].eq("won").all()
    assert t.loc["106", "outcome"] == "lost"
    assert t.loc["106", "close_date"] == pd.Timestamp("2026-04-01 09:00")
    assert t.loc["107", "outcome"] == "open"
    assert pd.isna(t.loc["101", "outcome"])
    assert t.loc["104", "amount"] == 30000 and t.loc["104", "close_date"] == pd.Timestamp(
        "2026-03-26 12:00"
    )
    assert t.loc["102", "channel"] == "content_seo"  # Organic Search
    assert t.loc["109", "channel"] == "content_seo"  # Direct Traffic
    assert t.loc["106", "channel"] == "paid_social"
    assert t.loc["102", "recycled"] and not t.loc["103", "recycled"]
    assert t.loc["103", "first_response"] == pd.Timestamp("2026-01-09 15:00")
    assert t.loc["103", "entered_sal"] == pd.Timestamp("2026-01-10 09:00")  # Sales Accepted Date


def test_hubspot_every_problem_type(hubspot):
    assert len(hubspot.problems_frame) == 6
    dup = _problem(hubspot, 11, "Record ID")
    assert dup["reason"] == "exact duplicate of row 2" and dup["value"] == "101"
    bad = _problem(hubspot, 12, "Create Date")
    assert bad["reason"] == "unparseable date" and bad["value"] == "not set"
    order = _problem(hubspot, 13, "Became a Marketing Qualified Lead Date")
    assert order["reason"].startswith("date out of order: before Became a Lead Date")
    assert _problem(hubspot, 14, "Lifecycle Stage")["value"] == "Prospect"
    neg = _problem(hubspot, 15, "Recent Deal Amount")
    assert neg["reason"] == "negative amount" and neg["value"] == "-500"
    conflict = _problem(hubspot, 16, "Record ID")
    assert "kept row 4" in conflict["reason"]
    assert set(hubspot.problems_frame["action"]) == {"rejected"}
    assert sorted(hubspot.rejects["_row"]) == [11, 12, 13, 14, 15, 16]


def test_hubspot_old_contact_id_header():
    r = crm.load_hubspot(FIX / "hubspot_contact_id.csv", stage_mapping=SAL)
    assert (r.accepted, r.rejected) == (10, 6)
    assert _problem(r, 11, "Contact ID")["value"] == "101"


def test_hubspot_default_mapping_treats_custom_sal_label_as_unknown():
    r = crm.load_hubspot(FIX / "hubspot_small.csv")  # no mapping for "Sales Accepted Lead"
    assert "unknown lifecycle stage label" in set(r.problems_frame["reason"])
    assert r.rejected == 7


def test_hubspot_company_without_sal_stage():
    stages = ("lead", "mql", "sql", "opportunity", "won")
    r = crm.load_hubspot(FIX / "hubspot_small.csv", stage_names=stages, stage_mapping=SAL)
    assert "entered_sal" not in r.table.columns
    assert r.reached() == {"lead": 9, "mql": 8, "sql": 5, "opportunity": 5, "won": 3}


def test_missing_required_columns_are_named(tmp_path):
    f = tmp_path / "export.csv"
    f.write_text("Email,Lifecycle Stage\nx@example.com,Lead\n")
    with pytest.raises(DataError) as err:
        crm.load_hubspot(f)
    msg = str(err.value)
    assert "'Record ID' or 'Contact ID'" in msg and "'Create Date'" in msg
    assert "export.csv" in msg


def test_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        crm.load_hubspot(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty"):
        crm.load_hubspot(empty)


def test_as_of_defaults_to_latest_date(hubspot):
    assert hubspot.as_of == pd.Timestamp("2026-04-11")


# ----------------------------------------------------------------------------- Salesforce


def test_salesforce_join_and_counts(salesforce):
    assert (salesforce.rows_read, salesforce.accepted, salesforce.rejected) == (8, 6, 2)
    assert salesforce.duplicates == 1
    assert salesforce.reached() == {
        "lead": 6,
        "mql": 5,
        "sal": 4,
        "sql": 4,
        "opportunity": 3,
        "won": 1,
    }
    t = salesforce.table.set_index("id")
    c = t.loc["00Q000000000003AAA"]
    assert c["outcome"] == "won" and c["amount"] == 25000
    assert c["entered_won"] == pd.Timestamp("2026-03-01")
    assert c["entered_opportunity"] == pd.Timestamp("2026-01-20 10:00")
    assert c["entered_sql"] == pd.Timestamp("2026-01-20") and c["channel"] == "events"
    assert t.loc["00Q000000000004AAA", "outcome"] == "lost"
    assert t.loc["00Q000000000004AAA", "close_date"] == pd.Timestamp("2026-03-05")
    assert t.loc["00Q000000000005AAA", "outcome"] == "open"
    assert pd.isna(t.loc["00Q000000000005AAA", "close_date"])


def test_salesforce_problems(salesforce):
    p = salesforce.problems_frame
    assert len(p) == 4
    assert _problem(salesforce, 7, "Status")["value"] == "Nurture"
    assert _problem(salesforce, 9, "Id")["reason"] == "exact duplicate of row 2"
    missing = _problem(salesforce, 8, "ConvertedOpportunityId")
    assert missing["action"] == "kept"
    opp = p[p["file"] == "salesforce_opportunities_small.csv"].iloc[0]
    assert (opp["row"], opp["field"], opp["reason"]) == (5, "Amount", "negative amount")
    # Rejected opportunity rows are kept in the rejects too, with their file name.
    assert set(salesforce.rejects["_file"]) == {
        "salesforce_leads_small.csv",
        "salesforce_opportunities_small.csv",
    }


def test_salesforce_without_opportunities():
    r = crm.load_salesforce(FIX / "salesforce_leads_small.csv")
    assert r.reached()["sql"] == 4 and r.reached()["won"] == 0
    assert r.table["outcome"].isna().all()


# ----------------------------------------------------------------------------- generic


def _check_generic(r):
    assert (r.rows_read, r.accepted, r.rejected) == (7, 5, 2)
    assert r.reached() == {"lead": 5, "mql": 4, "sal": 2, "sql": 2, "opportunity": 2, "won": 1}
    t = r.table.set_index("id")
    assert t.loc["g3", "outcome"] == "won" and t.loc["g4", "outcome"] == "lost"
    assert t.loc["g5", "stage"] == "mql"  # the taxonomy's label is understood
    assert t.loc["g2", "channel"] == "events"
    reasons = set(r.problems_frame["reason"])
    assert any(x.startswith("date out of order") for x in reasons)
    assert "unknown outcome (expected won, lost or open)" in reasons


def test_generic_csv():
    r = crm.load_csv(FIX / "generic_small.csv", GENERIC_COLUMNS)
    _check_generic(r)
    assert _problem(r, 7, "mql_at")["value"] == "2026-01-01"


def test_generic_parquet(tmp_path):
    df = pd.read_csv(FIX / "generic_small.csv", dtype=str, keep_default_na=False)
    df["created_at"] = pd.to_datetime(df["created_at"])  # native timestamps are fine too
    path = tmp_path / "export.parquet"
    df.to_parquet(path)
    r = crm.load_csv(path, GENERIC_COLUMNS)
    _check_generic(r)
    assert _problem(r, 6, "mql_at")["value"] == "2026-01-01"  # Parquet rows count from 1


def test_generic_mapping_errors(tmp_path):
    with pytest.raises(InputError, match="unknown field"):
        crm.load_csv(FIX / "generic_small.csv", {**GENERIC_COLUMNS, "colour": "x"})
    with pytest.raises(DataError, match="missing mapped column"):
        crm.load_csv(FIX / "generic_small.csv", {**GENERIC_COLUMNS, "owner": "nope"})
    with pytest.raises(InputError, match="column mapping"):
        crm.load_export(FIX / "generic_small.csv", "csv")
    with pytest.raises(InputError, match="unknown export format"):
        crm.load_export(FIX / "generic_small.csv", "excel")


# ----------------------------------------------------------------------------- rejects, privacy


def test_rejects_file_is_atomic_and_named(hubspot, tmp_path):
    path = crm.default_rejects_path(FIX / "hubspot_small.csv", tmp_path)
    assert path.name == "hubspot_small.rejects-contains-personal-data.csv"
    crm.write_rejects(hubspot, path)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(back) == 6 and "Email" in back.columns
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind
    with pytest.raises(InputError, match="personal data"):
        crm.write_rejects(hubspot, tmp_path / "rejects.csv")


def test_no_personal_data_outside_the_rejects(hubspot, salesforce):
    raw = pd.read_csv(FIX / "hubspot_small.csv", dtype=str, keep_default_na=False)
    secrets = set(raw["First Name"]) | set(raw["Last Name"]) | set(raw["Email"])
    text = json.dumps(hubspot.to_dict()) + hubspot.table.to_csv()
    assert not [s for s in secrets if s in text]
    assert set(hubspot.table.columns) == set(crm.table_columns())
    sf = json.dumps(salesforce.to_dict()) + salesforce.table.to_csv()
    assert "qz@example.com" not in sf and "Oliviaqz" not in sf


def test_spend_loader(tmp_path):
    spend = crm.load_spend(FIX / "spend_small.csv")
    assert spend["spend"].sum() == 2800
    assert spend["month"].dtype == pd.PeriodDtype("M")
    bad = tmp_path / "spend.csv"
    bad.write_text("month,channel,spend\n2026/01,email,10\n")
    with pytest.raises(DataError, match="line 2"):
        crm.load_spend(bad)


def test_load_actuals_from_default_params():
    from alignlib.params import load_params
    from alignlib.paths import DEFAULT_PARAMS

    p = load_params(DEFAULT_PARAMS)
    r = crm.load_actuals(p)
    assert r.format == "hubspot" and r.rows_read > 40_000
    assert r.rejected < 200 and r.rows_read == r.accepted + r.rejected
    reached = r.reached()
    assert list(reached) == list(p.stage_names)
    assert all(a >= b for a, b in zip(reached.values(), list(reached.values())[1:], strict=False))


def test_sample_salesforce_pair():
    r = crm.load_salesforce(
        SAMPLE_DIR / "salesforce_leads.csv", SAMPLE_DIR / "salesforce_opportunities.csv"
    )
    assert r.rejected >= 7 and r.reached()["won"] > 0
    assert {"negative amount", "unknown lead status"} <= set(r.problems_frame["reason"])


# ----------------------------------------------------------------------------- CLI


def test_cli_ingest_json(tmp_path, capsys):
    from alignlib.cli import main

    rejects = tmp_path / "x.rejects-contains-personal-data.csv"
    code = main(
        [
            "ingest",
            str(FIX / "hubspot_small.csv"),
            "--format",
            "hubspot",
            "--json",
            "--rejects",
            str(rejects),
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"rows", "accepted", "rejected", "reached", "problems"} <= set(out)
    assert (out["rows"], out["accepted"], out["rejected"]) == (16, 9, 7)  # no SAL mapping
    assert out["reached"]["lead"] == 8 and len(out["problems"]) == 7
    assert rejects.exists() and out["rejects_file"] == str(rejects)
    assert "@example.com" not in json.dumps(out)


def test_cli_ingest_with_params_and_salesforce(tmp_path, capsys, monkeypatch):
    from alignlib.cli import main
    from alignlib.paths import DEFAULT_PARAMS

    monkeypatch.setattr("alignlib.paths.OUTPUTS_DIR", tmp_path)
    code = main(["ingest", str(FIX / "hubspot_small.csv"), "--params", str(DEFAULT_PARAMS)])
    text = capsys.readouterr().out
    assert code == 0 and "accepted 10" in text and "rejected 6" in text
    assert "hubspot_small.rejects-contains-personal-data.csv" in text
    assert (tmp_path / "ingest" / "hubspot_small.rejects-contains-personal-data.csv").exists()
    code = main(
        [
            "ingest",
            str(FIX / "salesforce_leads_small.csv"),
            "--format",
            "salesforce",
            "--opportunities",
            str(FIX / "salesforce_opportunities_small.csv"),
            "--json",
            "--rejects",
            str(tmp_path / "sf.rejects-contains-personal-data.csv"),
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["reached"]["won"] == 1 and out["rows"] == 8


def test_cli_ingest_unreadable_exits_2(tmp_path, capsys):
    from alignlib.cli import main

    assert main(["ingest", str(tmp_path / "missing.csv")]) == 2
    assert "file not found" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("Record ID,Email\n1,a@example.com\n")
    assert main(["ingest", str(bad), "--json"]) == 2
    err = capsys.readouterr().err
    assert "Create Date" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- fast paths
# The 1M-row speed work replaced pandas calls with pyarrow/numpy ones; these pin them
# to the plain pandas results they replaced.


def test_repeated_ids_match_pandas_duplicated():
    import numpy as np

    rng = np.random.default_rng(7)
    for size in (0, 1, 2, 5, 1000):
        ids = pd.Series(rng.integers(0, max(size // 2, 1), size).astype(str), dtype="str")
        ids.iloc[: size // 10] = ""
        assert (crm._repeated(ids) == ids.duplicated(keep=False).to_numpy()).all()
    with_missing = pd.Series(["a", None, "b", None, "a"], dtype="str")
    assert crm._repeated(with_missing).tolist() == [True, True, False, True, True]


def test_parse_dates_matches_strptime_chain():
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pd.Series(
        [
            "2025-03-14 09:21",
            " 2025-03-14 09:21 ",
            "2025-03-14",
            "2025-03-14T09:21:00.000Z",
            "2025-03-14T09:21:00Z",
            "2025-03-14T09:21:00",
            "2025-03-14 09:21:07",
            "2024-02-30 10:00",  # strptime rolls over to 1 March: kept as before
            "14/03/2025 09:21",
            "2025-13-01 08:00",
            "not set",
            "",
            "   ",
        ],
        dtype="str",
    )
    parsed, bad = crm._parse_dates(values)
    # The reference: each format in turn on the trimmed non-blank cells.
    expected = []
    for v in values:
        t = v.strip()
        got = pd.NaT
        if t:
            for fmt in crm.DATE_FORMATS:
                p = pc.strptime(pa.array([t]), format=fmt, unit="s", error_is_null=True)[0]
                if p.is_valid:
                    got = pd.Timestamp(p.as_py())
                    break
        expected.append(got)
    assert parsed.dtype == "datetime64[s]"
    assert parsed.tolist() == expected
    assert bad.tolist() == [
        pd.isna(e) and bool(v.strip()) for e, v in zip(expected, values, strict=True)
    ]
    assert parsed.iloc[7] == pd.Timestamp("2024-03-01 10:00")


def test_accepted_frame_equals_plain_constructor():
    import numpy as np
    import pyarrow as pa

    n = 50
    rng = np.random.default_rng(3)
    cols = {
        "id": pa.array([str(i) if i % 7 else None for i in range(n)], pa.large_string()),
        "when": rng.integers(0, 10**9, n).astype("datetime64[s]"),
        "flag": rng.random(n) > 0.5,
        "amount": rng.random(n),
        "row": np.arange(n),
    }
    order = ["row", "id", "when", "flag", "amount"]
    for keep in (rng.random(n) > 0.2, np.ones(n, dtype=bool), np.zeros(n, dtype=bool)):
        frame, _ = crm._accepted_frame(cols, keep, order)
        plain = pd.DataFrame(
            {
                c: (
                    pd.Series(cols[c].filter(pa.array(keep)), dtype="str")
                    if c == "id"
                    else cols[c][keep]
                )
                for c in order
            }
        )
        pd.testing.assert_frame_equal(frame, plain, check_exact=True)


def test_threaded_date_parsing_equals_one_column_at_a_time():
    import numpy as np

    n = 120_000  # above the size where columns are parsed on two threads
    rng = np.random.default_rng(11)
    stamps = pd.Series(rng.integers(1.6e9, 1.8e9, n).astype("datetime64[s]"))
    text = stamps.dt.strftime("%Y-%m-%d %H:%M").astype("str")
    raw = pd.DataFrame(
        {
            "a": text,
            "b": text.where(rng.random(n) > 0.7, ""),
            "c": text.where(rng.random(n) > 0.001, "not a date"),
        }
    )
    ids = raw["c"].str.slice(0, 13)  # repeats where two stamps share the hour
    together, repeated = crm._parse_columns(raw, ["a", None, "b", "c", "a"], ids)
    assert (repeated == ids.duplicated(keep=False).to_numpy()).all()
    assert list(together) == ["a", "b", "c"]
    for col, (parsed, bad) in together.items():
        one, one_bad = crm._parse_dates(raw[col])
        pd.testing.assert_series_equal(parsed, one)
        assert (bad == one_bad).all()
    assert together["c"][1].sum() == (raw["c"] == "not a date").sum()


def test_accepted_frame_on_two_threads_equals_plain_constructor():
    import numpy as np
    import pyarrow as pa

    n = 120_000  # big enough to filter the columns on two threads
    rng = np.random.default_rng(4)
    cols = {
        "id": pa.array(rng.integers(0, 10**6, n).astype(str), pa.large_string()),
        "when": rng.integers(0, 10**9, n).astype("datetime64[s]"),
        "flag": rng.random(n) > 0.5,
    }
    keep = rng.random(n) > 0.01
    frame, filtered = crm._accepted_frame(cols, keep, ["when", "id", "flag"])
    plain = pd.DataFrame(
        {
            "when": cols["when"][keep],
            "id": pd.Series(cols["id"].filter(pa.array(keep)), dtype="str"),
            "flag": cols["flag"][keep],
        }
    )
    pd.testing.assert_frame_equal(frame, plain, check_exact=True)
    assert (filtered["when"] == plain["when"].to_numpy()).all()


def test_generic_unparseable_close_date_or_response_rejects_the_row(tmp_path):
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
    assert (r.rows_read, r.accepted, r.rejected) == (3, 1, 2)
    assert list(r.table["id"]) == ["a"]
    frame = r.problems_frame.set_index("field")
    assert frame.loc["closed", "reason"] == "unparseable date" and frame.loc["closed", "row"] == 3
    assert frame.loc["responded", "reason"] == "unparseable date"
    assert set(r.problems_frame["action"]) == {"rejected"}
    assert sorted(r.rejects["id"]) == ["b", "c"]
