"""Labels: case- and space-insensitive matching, outcome mapping, unknown labels once each."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from alignlib import crm
from alignlib.crm.labels import (
    guess_outcome,
    normalise_label,
    outcome_index,
    stage_index,
    unknown_label_message,
)


def _variants(label: str) -> st.SearchStrategy[str]:
    """The label with any casing per letter and any runs of spaces around and between words."""
    words = label.split()
    space = st.text(alphabet=" \t", min_size=1, max_size=3)
    cased = [
        st.tuples(*[st.sampled_from([c.lower(), c.upper()]) for c in w]).map("".join) for w in words
    ]
    return st.tuples(
        st.text(alphabet=" ", max_size=2),
        st.tuples(*cased),
        st.lists(space, min_size=len(words), max_size=len(words)),
    ).map(lambda t: t[0] + "".join(w + s for w, s in zip(t[1], t[2], strict=True)))


@given(st.data())
def test_outcome_labels_match_whatever_the_case_and_spaces(data):
    mapping = {"Engaging": "open", "Closed Won": "won", "Contract Lost": "lost"}
    for label, want in mapping.items():
        variant = data.draw(_variants(label))
        out, unknown = outcome_index(pd.Series([variant], dtype="str"), mapping)
        assert out.iloc[0] == want and not unknown.any(), variant


@given(st.data())
def test_stage_labels_match_whatever_the_case_and_spaces(data):
    variant = data.draw(_variants("Marketing Qualified Lead"))
    stage, pos, unknown = stage_index(
        pd.Series([variant], dtype="str"), {"Marketing Qualified Lead": "mql"}, ("lead", "mql")
    )
    assert stage.iloc[0] == "mql" and pos[0] == 1 and not unknown[0]


def test_normalise_label():
    assert normalise_label("  Closed \t  WON ") == "closed won"
    assert normalise_label("Straße") == normalise_label("STRASSE")  # casefold, not lower


def test_outcome_index_defaults_blank_and_unknown():
    labels = pd.Series(["won", "Closed Lost", "", "OPEN", "Engaging"], dtype="str")
    out, unknown = outcome_index(labels)
    assert out.iloc[:4].tolist()[:2] == ["won", "lost"] and pd.isna(out.iloc[2])
    assert out.iloc[3] == "open" and pd.isna(out.iloc[4])
    assert unknown.tolist() == [False, False, False, False, True]


def test_guess_outcome_from_words():
    assert guess_outcome("Closed Won") == "won" and guess_outcome("Deal signed") == "won"
    assert guess_outcome("Closed - Lost") == "lost" and guess_outcome("Dead") == "lost"
    assert guess_outcome("Engaging") == "open"


def test_unknown_label_message_is_the_mapping_line():
    msg = unknown_label_message("Engaging", 1234, "outcome", "outcome_mapping", ())
    assert msg == (
        "unknown outcome 'Engaging' on 1,234 rows: add  "
        'outcome_mapping: {"Engaging": open}  (or won/lost)'
    )
    msg = unknown_label_message("Demo Done", 1, "stage label", "stage_mapping", ("lead", "won"))
    assert msg.startswith("unknown stage label 'Demo Done' on 1 row: add  stage_mapping: ")


def test_unknown_outcomes_are_one_problem_each_with_count_and_mapping_line(tmp_path):
    n = 1_500
    rng = np.random.default_rng(3)
    labels = rng.choice(["won", "Engaging", "Prospecting", "lost"], size=n)
    path = tmp_path / "deals.csv"
    pd.DataFrame(
        {"id": [f"d{i}" for i in range(n)], "created": "2026-01-05", "result": labels}
    ).to_csv(path, index=False)
    r = crm.load_csv(path, {"id": "id", "created": "created", "outcome": "result"})
    probs = r.problems_frame[r.problems_frame["action"] == "rejected"]
    assert len(probs) == 2  # one per unknown label, not one per row
    # the outcomes carry no date: said once each for won and lost, rows kept
    kept = r.problems_frame[r.problems_frame["action"] == "kept"]
    assert kept["reason"].str.contains("have no close date").tolist() == [True, True]
    n_eng = int((labels == "Engaging").sum())
    n_pro = int((labels == "Prospecting").sum())
    reasons = set(probs["reason"])
    assert (
        f"unknown outcome 'Engaging' on {n_eng:,} rows: add  "
        'outcome_mapping: {"Engaging": open}  (or won/lost)'
    ) in reasons
    assert any(x.startswith(f"unknown outcome 'Prospecting' on {n_pro:,} rows") for x in reasons)
    assert r.rejected == n_eng + n_pro
    # Every rejected row still says why in the rejects file.
    assert (r.rejects["_problems"] != "").all()
    assert r.rejects["_problems"].str.contains("unknown outcome").all()

    # Mapped (any case and spacing), they are accepted as open.
    mapped = crm.load_csv(
        path,
        {"id": "id", "created": "created", "outcome": "result"},
        outcome_mapping={" engaging ": "open", "PROSPECTING": "open"},
    )
    assert mapped.rejected == 0 and (mapped.problems_frame["action"] == "kept").all()
    counts = mapped.table["outcome"].value_counts().to_dict()
    assert counts["open"] == n_eng + n_pro
    assert counts["won"] == int((labels == "won").sum())


def test_unknown_lead_status_reported_once_with_its_count(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(
        "Id,Status,CreatedDate\n"
        + "".join(f"L{i},Nurturing,2026-01-0{1 + i % 9}\n" for i in range(40))
        + "L99,Open - Not Contacted,2026-01-05\n"
    )
    r = crm.load_salesforce(path)
    assert r.rejected == 40 and len(r.problems_frame) == 1
    p = r.problems_frame.iloc[0]
    assert p["row"] == 2 and p["value"] == "Nurturing" and p["field"] == "Status"
    assert p["reason"].startswith(
        "unknown lead status 'Nurturing' on 40 rows: add  stage_mapping: {\"Nurturing\": <stage>}"
    )


def test_channels_differing_only_in_case_or_spacing_are_one(tmp_path):
    """Issue 20: "Google", "google" and "Google " are one channel, named as most rows write it."""
    from alignlib.crm.labels import channels, fold_channels

    values = ["Google", "google", "Google ", "Bing", None, "Google", "GOOGLE"]
    got = fold_channels(pd.Series(values, dtype="str"))
    assert got.iloc[[0, 1, 2, 3, 5, 6]].tolist() == ["Google"] * 3 + ["Bing"] + ["Google"] * 2
    assert pd.isna(got.iloc[4])
    # a tie: the first spelling in sorted order
    assert fold_channels(pd.Series(["web", "Web"], dtype="str")).tolist() == ["Web", "Web"]
    clean = pd.Series(["a", "B"], dtype="str")
    assert fold_channels(clean) is clean  # nothing to fold: the labels as written

    path = tmp_path / "leads.csv"
    sources = ["google", "Google", "google", "Paid  Search", "paid search", "paid search"]
    pd.DataFrame({"id": list("abcdef"), "created": "2026-01-05", "src": sources}).to_csv(
        path, index=False
    )
    r = crm.load_csv(path, {"id": "id", "created": "created", "source": "src"})
    assert r.table["channel"].value_counts().to_dict() == {"google": 3, "paid search": 3}
    assert r.table["source"].tolist() == sources  # the source keeps what the file says
    # a mapping matches any case and spacing
    out = channels(
        pd.Series(["PAID SEARCH", "paid  search", "Referral"], dtype="str"),
        {"Paid Search": "paid_search"},
    )
    assert out.tolist() == ["paid_search", "paid_search", "other"]
