"""What every report shares: finding the parameters file."""

from __future__ import annotations

import pytest

from alignlib import paths, reports
from alignlib.errors import InputError


def test_resolve_params_path_finds_names_relative_to_notebooks_and_params(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert reports.resolve_params_path("../params/2026Q4.yaml") == paths.DEFAULT_PARAMS.resolve()
    assert reports.resolve_params_path("2026Q4.yaml") == paths.DEFAULT_PARAMS.resolve()
    with pytest.raises(InputError, match="not found"):
        reports.resolve_params_path("nope.yaml")
