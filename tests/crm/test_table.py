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
