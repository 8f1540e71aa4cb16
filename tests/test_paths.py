"""paths: outputs go to the user's working folder (or ALIGNLIB_OUTPUTS), read at call time."""

from __future__ import annotations

from alignlib import paths


def test_outputs_dir_follows_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ALIGNLIB_OUTPUTS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert paths.outputs_dir() == tmp_path / "outputs"
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # after import: still the current folder
    assert paths.outputs_dir() == tmp_path / "elsewhere" / "outputs"


def test_outputs_dir_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ALIGNLIB_OUTPUTS", str(tmp_path / "shared"))
    assert paths.outputs_dir() == tmp_path / "shared"
    monkeypatch.setenv("ALIGNLIB_OUTPUTS", "  ")
    monkeypatch.chdir(tmp_path)
    assert paths.outputs_dir() == tmp_path / "outputs"


def test_default_rejects_path_is_in_the_working_folder(tmp_path, monkeypatch):
    from alignlib.crm import default_rejects_path

    monkeypatch.delenv("ALIGNLIB_OUTPUTS", raising=False)
    monkeypatch.chdir(tmp_path)
    got = default_rejects_path("/somewhere/leads.csv")
    assert got == tmp_path / "outputs" / "leads.rejects-contains-personal-data.csv"
    assert paths.PROJECT_ROOT not in got.parents or tmp_path in got.parents
