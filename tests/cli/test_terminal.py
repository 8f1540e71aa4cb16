"""Nothing the CLI prints can drive the terminal (issue 21, case 14)."""

from __future__ import annotations

import pandas as pd

from alignlib import paths
from alignlib.cli import main
from alignlib.cli._terminal import printable

HOSTILE = "\x1b]0;PWNED\x07\x1b[2J"


def test_control_characters_are_shown_as_escapes():
    assert printable(HOSTILE) == "\\x1b]0;PWNED\\x07\\x1b[2J"
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("x\r\x9b\u202eevil") == "x\\x0d\\x9b\\u202eevil"


def test_an_export_value_with_escape_codes_is_printed_as_text(tmp_path, capsys):
    df = pd.read_csv(
        paths.PROJECT_ROOT / "data" / "sample" / "hubspot_contacts.csv",
        dtype=str,
        keep_default_na=False,
        nrows=400,
    )
    df.loc[3, "Lifecycle Stage"] = HOSTILE
    export = tmp_path / "contacts.csv"
    df.to_csv(export, index=False)
    main(
        ["ingest", str(export), "--rejects", str(tmp_path / "r.rejects-contains-personal-data.csv")]
    )
    out = capsys.readouterr()
    printed = out.out + out.err
    assert "PWNED" in printed  # the value is shown, as text
    assert "\x1b" not in printed and "\x07" not in printed
    assert "\\x1b]0;PWNED\\x07" in printed


def test_an_error_naming_a_hostile_path_is_printed_as_text(tmp_path, capsys):
    assert main(["ingest", str(tmp_path / f"{HOSTILE}.csv")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2J" in err and "file not found" in err
