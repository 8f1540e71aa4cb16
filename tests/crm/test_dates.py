"""Date parsing: the pyarrow fast paths equal the plain strptime chain."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignlib import crm
from alignlib.crm.dates import DATE_FORMATS, parse_column, parse_columns, parse_dates
from alignlib.crm.read import ReadOptions
from alignlib.errors import DataError
from tests.crm._export_helpers import load, personal_values, us_dates, write_export


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


# Dates as exports write them (issue 11, item 1) ----------------------------------------


def _col(values):
    return parse_column(pd.Series(values, dtype="str"))


def test_us_dates_with_and_without_a_12_hour_time():
    got = _col(["10/20/2016", "3/1/2017 9:21 AM", "3/1/2017 9:21 PM", "12/31/2017 12:05 AM", ""])
    assert got.order == "MDY"
    assert got.dates.tolist()[:4] == [
        pd.Timestamp("2016-10-20"),
        pd.Timestamp("2017-03-01 09:21"),
        pd.Timestamp("2017-03-01 21:21"),
        pd.Timestamp("2017-12-31 00:05"),
    ]
    assert not got.bad.any() and pd.isna(got.dates.iloc[4])


def test_day_first_dates_with_dashes_dots_and_24_hour_times():
    got = _col(["20-10-2017", "26-02-2018 19:58", "20.10.2017", "1/2/2018"])
    assert got.order == "DMY"
    assert got.dates.tolist() == [
        pd.Timestamp("2017-10-20"),
        pd.Timestamp("2018-02-26 19:58"),
        pd.Timestamp("2017-10-20"),
        pd.Timestamp("2018-02-01"),
    ]


def test_utc_offsets_are_honoured_as_utc():
    got = _col(["2017-10-20T10:00:00+02:00", "2017-10-20 10:00:00-05:30", "2017-10-20T10:00Z"])
    assert got.dates.tolist() == [
        pd.Timestamp("2017-10-20 08:00"),
        pd.Timestamp("2017-10-20 15:30"),
        pd.Timestamp("2017-10-20 10:00"),
    ]
    day_first = _col(["20/10/2017 10:00 +0100", "21/10/2017 23:30 UTC"])
    assert day_first.dates.tolist() == [
        pd.Timestamp("2017-10-20 09:00"),
        pd.Timestamp("2017-10-21 23:30"),
    ]


def test_date_format_wins_over_detection():
    values = pd.Series(["01/02/2017", "03/04/2017"], dtype="str")
    assert parse_column(values, "DMY").dates.tolist() == [
        pd.Timestamp("2017-02-01"),
        pd.Timestamp("2017-04-03"),
    ]
    assert parse_column(values, "MDY").dates.iloc[0] == pd.Timestamp("2017-01-02")
    pattern = parse_column(pd.Series(["2017|02|01 10h05"], dtype="str"), "%Y|%m|%d %Hh%M")
    assert pattern.dates.iloc[0] == pd.Timestamp("2017-02-01 10:05")


def test_ambiguous_column_is_one_error_with_examples_and_the_fix(tmp_path):
    f = write_export(tmp_path / "ambiguous.csv", ["01/02/2017", "03/04/2017", "05/06/2017"] * 20)
    with pytest.raises(DataError) as err:
        load(f)
    msg = str(err.value)
    assert "column 'created'" in msg and "01/02/2017" in msg
    assert "actuals.date_format: MDY | DMY | YMD" in msg
    assert not any(v in msg for v in personal_values(60))
    r = load(f, options=ReadOptions(date_format="DMY"))
    assert r.accepted == 60 and r.table["created"].min() == pd.Timestamp("2017-02-01")


def test_mostly_bad_column_is_one_error_not_a_problem_per_row(tmp_path):
    created = ["not a date"] * 40 + ["2017-10-20"] * 10
    f = write_export(tmp_path / "bad.csv", created)
    with pytest.raises(DataError) as err:
        load(f)
    msg = str(err.value)
    assert "column 'created'" in msg and "40 of 50 dates" in msg
    assert "actuals.date_format" in msg


def test_a_few_bad_values_in_a_good_column_stay_row_problems(problem, tmp_path):
    created = us_dates(30)
    created[4] = "31/31/2017"
    created[7] = "Annaqz"  # a name where a date should be: never shown
    r = load(write_export(tmp_path / "us.csv", created))
    assert (r.accepted, r.rejected) == (28, 2)
    assert problem(r, 6, "created")["value"] == "31/31/2017"
    assert problem(r, 9, "created")["value"] == "(not shown)"


def test_us_and_day_first_exports_load_every_row(tmp_path):
    us = load(write_export(tmp_path / "us.csv", us_dates(200)))
    assert us.accepted == 200 and us.table["created"].iloc[1] == pd.Timestamp("2017-01-08 09:58")
    day_first = [
        f"{d:%d-%m-%Y %H:%M}" for d in pd.date_range("2017-10-01", periods=200, freq="37h")
    ]
    r = load(write_export(tmp_path / "eu.csv", day_first))
    assert r.accepted == 200
    assert r.table["created"].iloc[-1] == pd.date_range("2017-10-01", periods=200, freq="37h")[-1]


def test_an_ambiguous_column_takes_the_order_other_columns_settle(tmp_path):
    f = tmp_path / "two.csv"
    f.write_text("id,created,won\n1,20/10/2017,01/02/2018\n2,21/10/2017,03/04/2018\n")
    r = crm.load_csv(f, {"id": "id", "created": "created", "entered_won": "won"})
    assert r.table["entered_won"].tolist() == [
        pd.Timestamp("2018-02-01"),
        pd.Timestamp("2018-04-03"),
    ]


def test_contact_dated_2100_is_a_row_problem_and_as_of_stays_plausible(problem, tmp_path):
    created = [f"2026-0{1 + i % 9}-1{i % 9} 10:00" for i in range(20)]
    created[5] = "2100-12-30 10:00"
    created[6] = "1912-01-01 10:00"
    r = load(write_export(tmp_path / "future.csv", created))
    assert r.rejected == 2 and r.as_of < pd.Timestamp("2027-01-01")
    assert r.as_of_source == "latest date"
    assert problem(r, 7, "created")["reason"].startswith("date after the file was written")
    assert problem(r, 8, "created")["reason"] == "date before 1970"
    given_as_of = load(write_export(tmp_path / "f2.csv", created), as_of=dt.date(2026, 6, 30))
    assert given_as_of.as_of_source == "params"
    assert "date after the as-of date (2026-06-30)" in set(given_as_of.problems_frame["reason"])


# Property: any order, separator and time style reads back the dates it was written from.

_STYLES = {
    "YMD": "{y:04d}{s}{m:02d}{s}{d:02d}",
    "MDY": "{m}{s}{d}{s}{y:04d}",
    "DMY": "{d:02d}{s}{m:02d}{s}{y:04d}",
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=st.sampled_from(sorted(_STYLES)),
    sep=st.sampled_from(["-", "/", "."]),
    time=st.sampled_from(["", "24h", "24h:s", "ampm"]),
    stamps=st.lists(
        st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2035, 12, 31)),
        min_size=1,
        max_size=30,
    ),
)
def test_detected_dates_round_trip(order, sep, time, stamps):
    # One day above 12 settles the order (as in any real month of data).
    stamps = [*stamps, dt.datetime(2020, 1, 25, 13, 45, 10)]
    stamps = [s.replace(microsecond=0, second=s.second if time == "24h:s" else 0) for s in stamps]
    if not time:
        stamps = [s.replace(hour=0, minute=0) for s in stamps]
    text = []
    for s in stamps:
        v = _STYLES[order].format(y=s.year, m=s.month, d=s.day, s=sep)
        if time == "24h":
            v += f" {s:%H:%M}"
        elif time == "24h:s":
            v += f" {s:%H:%M:%S}"
        elif time == "ampm":
            v += f" {s.hour % 12 or 12}:{s.minute:02d} {'AM' if s.hour < 12 else 'PM'}"
        text.append(v)
    got = _col(text)
    if order != "YMD":
        assert got.order == order
    assert not got.bad.any()
    assert got.dates.tolist() == [pd.Timestamp(s) for s in stamps]
    # The same values under the order named in params read the same.
    forced = parse_column(pd.Series(text, dtype="str"), order)
    assert (forced.dates.to_numpy() == got.dates.to_numpy()).all()


def test_big_day_first_column_is_parsed_from_its_distinct_values():
    stamps = pd.Series(
        np.random.default_rng(3).integers(1.5e9, 1.7e9, 200_000).astype("datetime64[s]")
    )
    text = stamps.dt.strftime("%d.%m.%Y %H:%M").astype("str")
    got = parse_column(text)
    assert got.order == "DMY" and (got.dates.to_numpy() == stamps.dt.floor("min").to_numpy()).all()
