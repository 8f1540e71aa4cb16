"""Reading exports: unreadable files and missing required columns are named."""

from __future__ import annotations

import pytest

from alignlib import crm
from alignlib.errors import DataError


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
