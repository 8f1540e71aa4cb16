"""The weekly scorecard and the SLA agreement through the batch (papermill, HTML, e-mail)."""

from __future__ import annotations

import json

import pytest

from alignlib import batch, paths
from alignlib.cli import main
from tests.batch._printable_helpers import printable_pages

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_scorecard_and_agreement_render_with_their_files(tmp_path_factory) -> None:
    out, result = printable_pages(tmp_path_factory)
    assert result.ok, result.summary()
    seg = out / "2026Q4" / "all"
    summary = json.loads((seg / "weekly_scorecard.json").read_text())
    assert summary["parameters"]["trials"] == 2_000  # week_ending left to its default
    assert summary["headline"]["week_ending"] == "2026-11-15"
    assert 0 <= summary["headline"]["p_hit"] <= 1
    assert summary["files"]["email"] == "scorecard.email.html"
    page = (seg / "weekly_scorecard.html").read_text()
    assert "Sun 15 Nov 2026" in page and "@page" in page and "Agenda" in page
    email = (seg / "scorecard.email.html").read_text()
    assert "<script" not in email and "data:image/png;base64," in email
    # one style block, in the head: the phone's media query over the inline styles
    head, body = email.split("</head>", 1)
    assert email.count("<style") == 1 and "<style" in head and "@media" in head
    assert "<style" not in body
    assert 'class="sc-table"' in email and "style=" in email
    agreement = (seg / "sla_agreement.html").read_text()
    for section in ("The stages and who owns them", "Recycling", "How compliance is measured"):
        assert section in agreement
    assert "VP of Sales" in agreement and "VP of Marketing" in agreement
    index = (out / "2026Q4" / "index.html").read_text()
    assert "weekly_scorecard.html" in index and "scorecard.email.html" in index


def test_weekly_run_for_a_week_without_data_says_so(tmp_path, capsys) -> None:
    code = main(
        [
            "run",
            str(paths.DEFAULT_PARAMS),
            "--weekly",
            "--week-ending",
            "2026-12-27",
            "--trials",
            "500",
            "--out",
            str(tmp_path),
            "--no-progress",
        ]
    )
    assert code == 0, capsys.readouterr()
    page = (tmp_path / "2026Q4" / "all" / "weekly_scorecard.html").read_text()
    assert "No data for the week ending 27 Dec 2026" in page.replace("&#x27;", "'")


def test_week_ending_needs_weekly(tmp_path, capsys) -> None:
    code = main(["run", "--week-ending", "2026-11-15", "--out", str(tmp_path)])
    assert code != 0
    assert "--week-ending goes with --weekly" in capsys.readouterr().err
    assert batch.WEEKLY_REPORTS[0].name == "weekly_scorecard"
