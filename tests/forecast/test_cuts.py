"""One sort, many cuts: TableCuts equals table_as_of row for row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alignlib.forecast.cuts import TableCuts
from alignlib.history.funnel import table_as_of
from tests.forecast._forecast_helpers import KNOWN_FUNNEL, known_table


def test_cuts_equal_table_as_of_on_a_shuffled_table():
    table = known_table(2, months=30)
    shuffled = table.sample(frac=1.0, random_state=1)
    stages = KNOWN_FUNNEL.stage_names
    before = shuffled.copy()
    cuts = TableCuts(shuffled, stages)
    for date in ["2019-03-01", "2020-06-15", "2021-05-31", "2030-01-01"]:
        expected = table_as_of(shuffled, date, stages)
        got = cuts.at(date)
        assert set(got.index) == set(expected.index)
        pd.testing.assert_frame_equal(got.loc[expected.index], expected)
        created = got["created"].to_numpy()
        assert (np.diff(created) >= np.timedelta64(0)).all()  # one sort, creation order
    assert cuts.at("2000-01-01").empty
    # the cuts share columns with the table but never write into them
    pd.testing.assert_frame_equal(shuffled, before)
