"""The normalised table: no personal data in it, and its fast assembly equals the plain one."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from alignlib import crm
from alignlib.crm.table import accepted_frame

FIX = Path(__file__).parents[1] / "fixtures" / "crm"


def test_no_personal_data_outside_the_rejects(hubspot, salesforce):
    raw = pd.read_csv(FIX / "hubspot_small.csv", dtype=str, keep_default_na=False)
    secrets = set(raw["First Name"]) | set(raw["Last Name"]) | set(raw["Email"])
    text = json.dumps(hubspot.to_dict()) + hubspot.table.to_csv()
    assert not [s for s in secrets if s in text]
    assert set(hubspot.table.columns) == set(crm.table_columns())
    sf = json.dumps(salesforce.to_dict()) + salesforce.table.to_csv()
    assert "qz@example.com" not in sf and "Oliviaqz" not in sf


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
        frame, _ = accepted_frame(cols, keep, order)
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
    frame, filtered = accepted_frame(cols, keep, ["when", "id", "flag"])
    plain = pd.DataFrame(
        {
            "when": cols["when"][keep],
            "id": pd.Series(cols["id"].filter(pa.array(keep)), dtype="str"),
            "flag": cols["flag"][keep],
        }
    )
    pd.testing.assert_frame_equal(frame, plain, check_exact=True)
    assert (filtered["when"] == plain["when"].to_numpy()).all()


# ------------------------------------------------- issue 20: one settled funnel, every format


def _write(tmp_path, frame: pd.DataFrame, name: str = "export.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_an_outcome_with_a_close_date_is_won_or_lost_at_that_date(tmp_path):
    """Maven's shape: Won/Lost/Engaging/Prospecting and a close date, created only."""
    raw = pd.DataFrame(
        {
            "opportunity_id": ["a", "b", "c", "d", "e"],
            "deal_stage": ["Won", "Lost", "Engaging", "Prospecting", "Won"],
            "engage_date": ["1/5/2017", "1/6/2017", "2/1/2017", "", "3/1/2017"],
            "close_date": ["3/1/2017", "2/10/2017", "", "", "3/20/2017"],
            "close_value": ["100", "0", "", "", "250"],
        }
    )
    r = crm.load_csv(
        _write(tmp_path, raw),
        {
            "id": "opportunity_id",
            "created": "engage_date",
            "outcome": "deal_stage",
            "close_date": "close_date",
            "amount": "close_value",
        },
        stage_names=("opportunity", "won"),
        outcome_mapping={"Engaging": "open", "Prospecting": "open"},
    )
    t = r.table.set_index("id")
    assert r.accepted == 5 and r.reached() == {"opportunity": 5, "won": 2}
    assert t["outcome"].tolist() == ["won", "lost", "open", "open", "won"]
    assert t.loc["a", "entered_won"] == pd.Timestamp("2017-03-01")
    assert t.loc["e", "entered_won"] == pd.Timestamp("2017-03-20")
    assert t.loc["b", "close_date"] == pd.Timestamp("2017-02-10") and not t.loc["b", "reached_won"]
    # every row is an opportunity from its created date; no created date, no date
    assert t.loc["a", "entered_opportunity"] == pd.Timestamp("2017-01-05")
    assert pd.isna(t.loc["d", "entered_opportunity"]) and t.loc["d", "reached_opportunity"]
    assert r.problems_frame.empty


def test_created_alone_makes_every_row_a_lead_not_100_percent(tmp_path):
    """Mapping `created` and `entered_won` only: the leads are every row, not the won ones."""
    raw = pd.DataFrame(
        {
            "id": [f"L{i}" for i in range(10)],
            "created": [f"2026-01-{i + 1:02d}" for i in range(10)],
            "won_on": ["2026-02-01", "", "", "2026-02-03", "", "", "", "", "", ""],
        }
    )
    r = crm.load_csv(
        _write(tmp_path, raw),
        {"id": "id", "created": "created", "entered_won": "won_on"},
    )
    reached = r.reached()
    assert reached["lead"] == 10 and reached["won"] == 2
    assert (r.table["entered_lead"] == r.table["created"]).all()
    assert r.table["outcome"].fillna("").tolist().count("won") == 2


def test_a_0_1_converted_column_is_the_outcome_without_dates(tmp_path):
    """A lead file whose 0/1 `Converted` says won or lost, with no close date at all."""
    converted = ["1", "0", "0", "1", "1", "0", "0", "0"]
    raw = pd.DataFrame(
        {
            "Prospect ID": [f"p{i}" for i in range(8)],
            "Created": ["2026-01-05"] * 8,
            "Converted": converted,
            "Lead Source": ["Google", "google", "Direct", "Google", "Direct", "x", "x", "x"],
        }
    )
    r = crm.load_csv(
        _write(tmp_path, raw),
        {
            "id": "Prospect ID",
            "created": "Created",
            "outcome": "Converted",
            "source": "Lead Source",
        },
        stage_names=("lead", "won"),
        outcome_mapping={"1": "won", "0": "lost"},
    )
    assert r.accepted == 8 and r.reached() == {"lead": 8, "won": converted.count("1")}
    assert r.table["entered_won"].isna().all()  # reached, not placed in time
    kept = r.problems_frame
    assert kept["action"].tolist() == ["kept", "kept"]  # said once for won, once for lost
    assert kept["reason"].str.startswith("3 won outcome(s) have no close date").iloc[0]
    assert kept["reason"].str.startswith("5 lost outcome(s) have no close date").iloc[1]


def test_a_subscriber_is_outside_the_funnel_until_a_date_says_otherwise(tmp_path):
    raw = pd.DataFrame(
        {
            "id": ["s", "t", "u", "v"],
            "created": ["2026-01-05"] * 4,
            "stage": ["Subscriber", "Subscriber", "Lead", ""],
            "won": ["", "2026-03-01", "", ""],
        }
    )
    r = crm.load_csv(
        _write(tmp_path, raw),
        {"id": "id", "created": "created", "stage": "stage", "entered_won": "won"},
        stage_names=("lead", "won"),
        stage_mapping={"Subscriber": None},
    )
    t = r.table.set_index("id")
    assert t["reached_lead"].to_dict() == {"s": False, "t": True, "u": True, "v": True}
    assert pd.isna(t.loc["s", "entered_lead"])
    assert t.loc["t", "entered_lead"] == pd.Timestamp("2026-01-05")


def test_a_later_stage_date_before_created_says_when_the_first_stage_was(tmp_path):
    """HubSpot's created date can be the import date: an earlier MQL date wins for `lead`."""
    import numpy as np

    from alignlib.crm.table import settle_funnel

    cols = {
        "created": np.array(["2026-02-01", "2026-02-01"], dtype="datetime64[s]"),
        "entered_lead": np.array(["NaT", "NaT"], dtype="datetime64[s]"),
        "entered_mql": np.array(["2026-01-20", "NaT"], dtype="datetime64[s]"),
        "reached_lead": np.array([True, False]),
        "reached_mql": np.array([True, False]),
        "outcome": np.array([None, None], dtype=object),
        "close_date": np.array(["NaT", "NaT"], dtype="datetime64[s]"),
    }
    settled = settle_funnel(cols, ("lead", "mql"))
    assert cols["entered_lead"].tolist() == [
        np.datetime64("2026-01-20", "s").item(),
        np.datetime64("2026-02-01", "s").item(),
    ]
    assert cols["reached_lead"].tolist() == [True, True]
    assert len(settled.won_undated) == 0 and len(settled.lost_undated) == 0


def _settled_table_holds(r, stages) -> None:
    """The settled funnel's invariants, whatever the export's shape."""
    t = r.table
    first, last = stages[0], stages[-1]
    won = (t["outcome"] == "won").to_numpy(dtype=bool, na_value=False)
    assert t[f"reached_{first}"].all()  # no stage label: every row is in the funnel
    assert (t[f"reached_{last}"].to_numpy(dtype=bool) == won).all()
    for s in stages:
        assert t.loc[won, f"reached_{s}"].all()
    dated = won & t["close_date"].notna().to_numpy()
    assert (t.loc[dated, f"entered_{last}"] == t.loc[dated, "close_date"]).all()
    own = t["created"].notna().to_numpy()
    later = t[[f"entered_{s}" for s in stages[1:]]].min(axis=1)
    expected = t["created"].where(~(later < t["created"]), later)
    assert (t.loc[own, f"entered_{first}"] == expected[own]).all()
    undated = int((won & t[f"entered_{last}"].isna().to_numpy()).sum())
    said = r.problems_frame["reason"].str.extract(r"^([\d,]+) won outcome")[0].dropna()
    assert [int(x.replace(",", "")) for x in said] == ([undated] if undated else [])


def test_settled_funnel_invariants_on_generated_shapes(tmp_path_factory):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    row = st.tuples(
        st.integers(0, 60),  # created: day of 2026
        st.sampled_from(["Won", "Lost", "Open", "1", "0", ""]),
        st.one_of(st.none(), st.integers(0, 90)),  # close date: days after created
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows=st.lists(row, min_size=1, max_size=25), n_stages=st.integers(2, 5))
    def check(rows, n_stages):
        stages = ("lead", "mql", "sal", "sql", "won")[-n_stages:]
        start = pd.Timestamp("2026-01-01")
        raw = pd.DataFrame(
            {
                "id": [f"r{i}" for i in range(len(rows))],
                "created": [
                    (start + pd.Timedelta(days=c)).strftime("%Y-%m-%d") for c, _, _ in rows
                ],
                "result": [o for _, o, _ in rows],
                "closed": [
                    "" if d is None else (start + pd.Timedelta(days=c + d)).strftime("%Y-%m-%d")
                    for c, _, d in rows
                ],
            }
        )
        path = tmp_path_factory.mktemp("shape") / "x.csv"
        raw.to_csv(path, index=False)
        r = crm.load_csv(
            path,
            {"id": "id", "created": "created", "outcome": "result", "close_date": "closed"},
            stage_names=stages,
            outcome_mapping={"1": "won", "0": "lost"},
        )
        assert r.accepted == len(rows)
        _settled_table_holds(r, stages)
        want_won = sum(o in ("Won", "1") for _, o, _ in rows)
        assert r.reached()[stages[-1]] == want_won

    check()


def _every_format():
    """Each fixture export, loaded through its own format (the funnel settled in finish)."""
    from tests.crm.test_hubspot_deals import MAPPING, STAGES

    yield "hubspot", crm.load_hubspot(FIX / "hubspot_small.csv", stage_mapping=SAL_MAPPING)
    yield (
        "hubspot_deals",
        crm.load_hubspot_deals(
            FIX / "hubspot_deals_small.csv", stage_names=STAGES, stage_mapping=MAPPING
        ),
    )
    yield (
        "salesforce",
        crm.load_salesforce(
            FIX / "salesforce_leads_small.csv", FIX / "salesforce_opportunities_small.csv"
        ),
    )
    yield (
        "salesforce opportunities",
        crm.load_export(
            FIX / "salesforce_report_opportunity_only.csv",
            "salesforce",
            stage_names=("opportunity", "won"),
            outcome_mapping={"Engaging": "open"},
        ),
    )
    from tests.crm.test_deals import DEAL_COLUMNS
    from tests.crm.test_deals import STAGES as DEAL_STAGES

    # the generic file's outcome column and no entered_won: the outcome alone says won
    yield (
        "csv",
        crm.load_csv(
            FIX / "generic_small.csv",
            {
                "id": "contact_id",
                "created": "created_at",
                "outcome": "result",
                "source": "utm_source",
            },
        ),
    )
    # leads with no stage date of their own, a deals file saying the outcome by its stage
    leads = crm.load_csv(
        FIX / "deals_leads.csv", {"id": "lead_id", "created": "created_at"}, stage_names=DEAL_STAGES
    )
    yield "csv + deals", crm.join_deals(leads, FIX / "deals_deals.csv", "lead", DEAL_COLUMNS)


SAL_MAPPING = {"Sales Accepted Lead": "sal"}


def test_every_format_settles_outcomes_and_the_first_stage_alike():
    """Issue 20: in every format a won outcome reaches every stage (the last on its close
    date when it has no date of its own), and every row in the funnel reaches the first
    stage, on its created date unless a stage date says otherwise."""
    seen = []
    for name, r in _every_format():
        t, stages = r.table, r.stage_names
        first, last = stages[0], stages[-1]
        won = (t["outcome"] == "won").to_numpy(dtype=bool, na_value=False)
        assert won.any(), name
        assert (t[f"reached_{last}"].to_numpy(dtype=bool) == won).all(), name
        for s in stages:
            assert t.loc[won, f"reached_{s}"].all(), (name, s)
        dated = won & t["close_date"].notna().to_numpy()
        assert t.loc[dated, f"entered_{last}"].notna().all(), name
        in_funnel = t[[f"reached_{s}" for s in stages]].any(axis=1).to_numpy()
        assert t.loc[in_funnel, f"reached_{first}"].all(), name
        has_created = in_funnel & t["created"].notna().to_numpy()
        later = t[[f"entered_{s}" for s in stages[1:]]].min(axis=1)
        first_date = t[f"entered_{first}"]
        ok = first_date.notna() & ((first_date <= t["created"]) | (first_date <= later))
        assert ok[has_created].all(), name
        seen.append(name)
    assert len(seen) == 6
