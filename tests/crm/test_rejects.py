"""Rejected rows: written atomically, only to a file whose name says it holds personal data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alignlib import crm
from alignlib.errors import InputError

FIX = Path(__file__).parents[1] / "fixtures" / "crm"


def test_rejects_file_is_atomic_and_named(hubspot, tmp_path):
    path = crm.default_rejects_path(FIX / "hubspot_small.csv", tmp_path)
    assert path.name == "hubspot_small.rejects-contains-personal-data.csv"
    crm.write_rejects(hubspot, path)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(back) == 6 and "Email" in back.columns
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind
    with pytest.raises(InputError, match="personal data"):
        crm.write_rejects(hubspot, tmp_path / "rejects.csv")


def test_rejects_file_is_private_to_its_owner(tmp_path):
    import stat

    from alignlib import crm
    from alignlib.paths import SAMPLE_DIR

    result = crm.load_export(SAMPLE_DIR / "hubspot_contacts.csv", "hubspot")
    path = crm.write_rejects(result, crm.default_rejects_path("x.csv", tmp_path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
