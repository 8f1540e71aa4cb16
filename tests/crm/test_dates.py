"""Date parsing: the pyarrow fast paths equal the plain strptime chain."""

from __future__ import annotations

import pandas as pd

from alignlib.crm.dates import DATE_FORMATS, parse_columns, parse_dates


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
    parsed, bad = parse_dates(values)
    # The reference: each format in turn on the trimmed non-blank cells.
    expected = []
    for v in values:
        t = v.strip()
        got = pd.NaT
        if t:
            for fmt in DATE_FORMATS:
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
    together, repeated = parse_columns(raw, ["a", None, "b", "c", "a"], ids)
    assert (repeated == ids.duplicated(keep=False).to_numpy()).all()
    assert list(together) == ["a", "b", "c"]
    for col, (parsed, bad) in together.items():
        one, one_bad = parse_dates(raw[col])
        pd.testing.assert_series_equal(parsed, one)
        assert (bad == one_bad).all()
    assert together["c"][1].sum() == (raw["c"] == "not a date").sum()
