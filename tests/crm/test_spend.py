"""The monthly spend file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alignlib import crm
from alignlib.errors import DataError

FIX = Path(__file__).parents[1] / "fixtures" / "crm"


def test_spend_loader(tmp_path):
    spend = crm.load_spend(FIX / "spend_small.csv")
    assert spend["spend"].sum() == 2800
    assert spend["month"].dtype == pd.PeriodDtype("M")
    bad = tmp_path / "spend.csv"
    bad.write_text("month,channel,spend\n2026/01,email,10\n")
    with pytest.raises(DataError, match="line 2"):
        crm.load_spend(bad)
