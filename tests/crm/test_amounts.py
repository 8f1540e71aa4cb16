"""Amounts in the export's own style: decimal comma, thousands, currency, implausible values."""

from __future__ import annotations

import pandas as pd
import pytest

from alignlib.crm.amounts import amounts, shown_amount
from alignlib.crm.read import ReadOptions
from alignlib.errors import DataError
from tests.crm._export_helpers import load, write_export


def _read(values, decimal=None):
    return amounts(pd.Series(values, dtype="str"), decimal)[0].tolist()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["26.550,00", "1.234,50", "12"], [26550.0, 1234.5, 12.0]),
        (["1,234.50", "$1,234", "(500)"], [1234.5, 1234.0, -500.0]),
        (["1 234,50", "EUR 1.234", "€ 12,5"], [1234.5, 1234.0, 12.5]),
        (["USD 1,200.00", "1,200 USD", "-$3.5"], [1200.0, 1200.0, -3.5]),
        (["1'234.50", "25000.00", "-500"], [1234.5, 25000.0, -500.0]),
    ],
)
def test_number_styles_are_detected_per_column(values, expected):
    assert _read(values) == expected


def test_ambiguous_numbers_are_one_error_asking_for_the_decimal_mark(tmp_path):
    f = write_export(tmp_path / "amb.csv", ["2026-01-05"] * 20, ["1,234", "5,600"] * 10)
    with pytest.raises(DataError) as err:
        load(f)
    msg = str(err.value)
    assert "column 'amount'" in msg and "1,234" in msg and 'actuals.decimal: "," or "."' in msg
    assert load(f, options=ReadOptions(decimal=",")).table["amount"].iloc[0] == 1.234
    assert load(f, options=ReadOptions(decimal=".")).table["amount"].iloc[0] == 1234.0


def test_decimal_comma_is_never_misread(tmp_path):
    f = write_export(tmp_path / "eu.csv", ["2026-01-05"] * 4, ["26.550,00", "", "3,5", "100"])
    r = load(f)
    assert r.table["amount"].tolist()[0] == 26550.0 and r.table["amount"].tolist()[2] == 3.5
    assert r.rejected == 0


def test_implausible_amounts_cost_the_amount_not_the_row(problem, tmp_path):
    values = ["100.50", "inf", "1e300", "-inf", "abc Annaqz", "2000000000", "-5"]
    r = load(write_export(tmp_path / "big.csv", ["2026-01-05"] * len(values), values))
    assert (r.accepted, r.rejected) == (7, 0)
    assert (r.accepted_whole, r.kept_with_dropped_field) == (1, 6)
    assert r.table["amount"].iloc[0] == 100.5 and r.table["amount"].iloc[1:].isna().all()
    assert set(r.problems_frame["action"]) == {"field dropped"}
    assert r.dropped_fields["amount"]["count"] == 6
    assert problem(r, 3, "amount")["reason"] == "amount is not finite"
    big = problem(r, 4, "amount")
    assert (
        big["reason"] == "amount above actuals.max_amount (1,000,000,000)"
        and big["value"] == "1e300"
    )
    assert problem(r, 6, "amount")["value"] == "(not shown)"
    assert problem(r, 7, "amount")["reason"].startswith("amount above")
    assert problem(r, 8, "amount")["reason"] == "negative amount"
    lower = load(
        write_export(tmp_path / "b2.csv", ["2026-01-05"] * 2, ["50", "5000"]),
        options=ReadOptions(max_amount=1000),
    )
    assert lower.rejected == 0 and lower.table["amount"].isna().tolist() == [False, True]


def test_shown_amount_withholds_free_text():
    assert shown_amount("$1,234.50") == "$1,234.50"
    assert shown_amount("n/a") == "n/a"
    assert shown_amount("Renée Müller") == "(not shown)"
    assert shown_amount("x@example.com") == "(not shown)"
