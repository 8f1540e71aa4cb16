"""What notebooks record for the runner, and reading it back from an executed notebook."""

from __future__ import annotations

import pandas as pd
import pytest

from alignlib import batch
from alignlib.errors import InputError
from tests.batch._batch_helpers import executed_like_notebook


def test_read_records_returns_headline_and_tables() -> None:
    headline, tables = batch.read_records(executed_like_notebook())
    assert headline == {"target": 100.0, "p_hit": 0.5, "currency": "USD"}
    frame = batch.table_frame(tables["plan"])
    assert frame.loc["lead", "required"] == 10
    assert frame.index.name == "stage"


def test_record_table_rejects_names_that_cannot_be_files() -> None:
    with pytest.raises(InputError, match="record_table"):
        batch.record_table("plan/../x", pd.DataFrame({"a": [1]}))


def test_record_functions_are_silent_outside_a_kernel() -> None:
    batch.record_headline(target=1.0)  # no IPython: nothing displayed, no error
    batch.record_table("plan", pd.DataFrame({"a": [1]}))
