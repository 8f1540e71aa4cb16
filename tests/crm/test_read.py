"""Reading exports: unreadable files and missing required columns are named."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignlib import crm
from alignlib.crm.read import ReadOptions, read_raw
from alignlib.errors import DataError, InputError
from tests.crm._export_helpers import load, personal_values, us_dates, write_export


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


# Files as spreadsheets save them (issue 11 item 2; issue 10 items 1, 6, 7) ---------------


def test_latin1_and_cp1252_files_are_read(tmp_path):
    created = ["2026-01-05 09:00"] * 12
    for enc in ("cp1252", "latin-1"):
        f = write_export(tmp_path / f"{enc}.csv", created, encoding=enc)
        raw = read_raw(f)
        assert raw.attrs["encoding"] == ("cp1252" if enc == "cp1252" else "cp1252")
        assert raw["First Name"].iloc[0] == "Zoëqz" and raw["Last Name"].iloc[0] == "Müllerqz"
        assert load(f).accepted == 12
    # Valid UTF-8 at the top, an Excel byte far below: read again as cp1252.
    f = tmp_path / "late.csv"
    rows = "".join(f"{i},a,b,c,2026-01-05,\n" for i in range(30_000))
    f.write_bytes(
        b"id,First Name,Last Name,Email,created,amount\n"
        + rows.encode()
        + b"99,Ren\xe9e,b,c,2026-01-05,\n"
    )
    assert read_raw(f)["First Name"].iloc[-1] == "Renée"


def test_bom_and_utf16_files(tmp_path):
    f = write_export(tmp_path / "bom.csv", ["2026-01-05"] * 3, encoding="utf-8-sig")
    raw = read_raw(f)
    assert list(raw.columns)[0] == "id" and raw.attrs["encoding"] == "utf8"
    u16 = write_export(tmp_path / "u16.csv", ["2026-01-05"] * 3, delimiter="\t", encoding="utf-16")
    assert load(u16).accepted == 3


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimited_files(tmp_path, delimiter):
    f = write_export(
        tmp_path / "eu.csv",
        ["20.10.2017 10:00", "26.02.2018 19:58"] * 5,
        ["26.550,00", "1.234,50"] * 5,
        delimiter=delimiter,
    )
    r = load(f)
    assert r.accepted == 10
    assert r.table["amount"].tolist()[:2] == [26550.0, 1234.5]
    assert r.table["created"].iloc[1] == pd.Timestamp("2018-02-26 19:58")
    assert read_raw(f, ReadOptions(delimiter=delimiter)).shape == (10, 6)


def test_malformed_line_is_one_row_problem_without_its_content(tmp_path):
    f = write_export(tmp_path / "export.csv", ["2026-01-05 09:00"] * 30_010)
    lines = f.read_text(encoding="utf-8").splitlines()
    lines[30_000] = "40602693,Benqz,Testqz,btest2693@example.com,extra,2026-01-05 09:00,"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = load(f)
    assert (r.rows_read, r.accepted, r.rejected) == (30_010, 30_009, 1)
    p = r.problems_frame
    assert len(p) == 1
    row = p.iloc[0]
    assert row["row"] == 30_001 and row["field"] == "(whole line)"
    assert row["reason"] == "malformed line: 7 fields where the header has 6"
    text = " ".join(map(str, p.to_numpy().ravel())) + str(r.to_dict())
    assert "Benqz" not in text and "btest2693" not in text
    # The rejects file (private) holds the line as written.
    assert "btest2693@example.com" in r.rejects["_line"].iloc[0]
    assert r.rejects["_row"].iloc[0] == 30_001
    # Rows after it keep their line numbers.
    assert r.table["row"].iloc[-1] == 30_011


def test_truncated_last_line_and_unbalanced_quote(tmp_path, problem):
    f = write_export(tmp_path / "cut.csv", ["2026-01-05 09:00"] * 12)
    data = f.read_text(encoding="utf-8")
    f.write_text(data[: data.rindex(",2026-01-05")], encoding="utf-8")  # cut mid-line
    r = load(f)
    assert (r.accepted, r.rejected) == (11, 1)
    assert "cut short" in problem(r, 13, "(whole line)")["reason"]
    q = write_export(tmp_path / "quote.csv", ["2026-01-05 09:00"] * 12)
    lines = q.read_text(encoding="utf-8").splitlines()
    first, rest = lines[3].split(",", 1)
    lines[3] = f'{first},"{rest}'  # a quote opened and never closed
    q.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rq = load(q)
    assert rq.rejected >= 1 and "unbalanced quote" in problem(rq, 4, "(whole line)")["reason"]
    # The open quote runs to the end of the file: those lines are one rejected row, named.
    assert "lines 4-13 read as one" in problem(rq, 4, "(whole line)")["reason"]
    assert (rq.accepted, rq.rejected) == (2, 1)


def test_parser_errors_never_quote_a_row(tmp_path):
    f = tmp_path / "dupes.csv"
    f.write_text("id,id\n1,Benqz\n")
    with pytest.raises(DataError, match="repeated column names"):
        read_raw(f)


# Hypothesis: corrupted exports never raise anything but DataError/InputError, and no
# problem, error or summary quotes a name or email.

_CORRUPTIONS = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=40),
        st.sampled_from(["extra", "drop", "quote", "bytes", "blank", "cut", "swap"]),
        st.binary(min_size=1, max_size=4),
    ),
    max_size=6,
)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    corruptions=_CORRUPTIONS,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
    dates=st.sampled_from(["iso", "us", "eu"]),
)
def test_corrupted_exports_fail_cleanly_and_leak_nothing(corruptions, encoding, delimiter, dates):
    n = 40
    created = {
        "iso": [f"2026-01-{1 + i % 28:02d} 09:{i:02d}" for i in range(n)],
        "us": us_dates(n),
        "eu": [f"{1 + i % 28}.{1 + i % 12}.2025 14:{i:02d}" for i in range(n)],
    }[dates]
    amounts = [f"{1000 + 17 * i}.50" for i in range(n)]
    with tempfile.TemporaryDirectory() as folder:
        f = write_export(
            Path(folder) / "x.csv", created, amounts, delimiter=delimiter, encoding=encoding
        )
        data = bytearray(f.read_bytes())
        lines = bytes(data).split(b"\n")
        for line, kind, junk in corruptions:
            if line >= len(lines):
                continue
            if kind == "extra":
                lines[line] += (
                    delimiter.encode(encoding if encoding != "utf-16" else "utf-16-le") * 2
                )
            elif kind == "drop":
                lines[line] = lines[line][: len(lines[line]) // 2]
            elif kind == "quote":
                lines[line] = b'"' + lines[line]
            elif kind == "bytes":
                lines[line] = lines[line][:5] + junk + lines[line][5:]
            elif kind == "blank":
                lines[line] = b""
            elif kind == "cut":
                lines = lines[: line + 1]
                lines[-1] = lines[-1][: max(1, len(lines[-1]) - 7)]
            elif kind == "swap":
                lines[line], lines[0] = lines[0], lines[line]
        f.write_bytes(b"\n".join(lines))
        try:
            r = load(f)
        except (DataError, InputError) as exc:
            text = str(exc)
        else:
            text = json.dumps(r.to_dict(), default=str) + r.problems_frame.to_string()
            assert r.rows_read == r.accepted + r.rejected
        for v in personal_values(n):
            assert v not in text, (v, text[:500])


def test_hubspot_export_saved_by_european_excel_reads_the_same(tmp_path):
    # ';' between fields, Windows-1252 text, day-first dates: the same contacts as the original.
    src = Path(__file__).parents[1] / "fixtures" / "crm" / "hubspot_small.csv"
    raw = pd.read_csv(src, dtype=str, keep_default_na=False)
    for c in raw.columns:
        if "Date" in c:
            raw[c] = raw[c].str.replace(
                r"^(\d{4})-(\d{2})-(\d{2})", lambda m: f"{m[3]}.{m[2]}.{m[1]}", regex=True
            )
    raw["First Name"] = raw["First Name"].str.replace("Annabelqz", "Anaïsqz")
    eu = tmp_path / "hubspot_eu.csv"
    raw.to_csv(eu, sep=";", index=False, encoding="cp1252")
    sal = {"Sales Accepted Lead": "sal"}
    a, b = crm.load_hubspot(src, stage_mapping=sal), crm.load_hubspot(eu, stage_mapping=sal)
    assert (b.accepted, b.rejected) == (a.accepted, a.rejected)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_most_lines_malformed_is_one_error_naming_the_delimiter(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("id,created\n" + "".join(f"{i},2026-01-05,x,y\n" for i in range(40)))
    with pytest.raises(DataError, match="40 of 40 lines do not have the header's 2 fields"):
        read_raw(f)
