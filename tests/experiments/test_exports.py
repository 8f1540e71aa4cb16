"""Reading a per-lead experiment export."""

from __future__ import annotations

import pytest

from alignlib import experiments as ex
from alignlib.errors import DataError
from tests.experiments._experiments_helpers import EXPORT


def test_load_export_counts_arms_and_stages():
    counts = ex.load_experiment_export(EXPORT, "sal")
    assert counts.arms == ("control", "instant_routing")
    assert counts.next_stage == "sql"
    frame = __import__("pandas").read_csv(EXPORT)
    for arm in counts.arms:
        rows = frame[frame["arm"] == arm]
        assert counts.n[arm] == len(rows)
        assert counts.reached[arm]["sql"] == (rows["reached_sql"] == "yes").sum()
        assert counts.reached[arm]["opportunity"] == rows["opportunity_date"].notna().sum()
        assert counts.reached[arm]["won"] == rows["won"].sum()
    assert counts.control == (counts.reached["control"]["sql"], counts.n["control"])


def _write(tmp_path, text, name="export.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("lead_id,sql\n1,yes\n", "missing column 'arm'"),
        ("lead_id,arm,sql\n1,control,yes\n1,v,no\n", "duplicate lead id"),
        ("lead_id,arm,sql\n1,control,yes\n2,v,maybe\n", "line 3: 'maybe'"),
        ("lead_id,arm,sql\n1,a,yes\n2,v,no\n", "no 'control' arm"),
        ("lead_id,arm,sql\n1,control,yes\n2,control,no\n", "only the control arm"),
        ("lead_id,arm,opportunity\n1,control,yes\n2,v,no\n", "missing column for stage 'sql'"),
        ("lead_id,arm,sql\n1,control,yes\n2,,no\n", "line 3: empty arm"),
        ("lead_id,arm,sql,sal\n1,control,yes,yes\n2,v,no,no\n", "never reached 'sal'"),
        ("", "empty"),
    ],
)
def test_export_validation_errors_name_file_and_field(tmp_path, text, fragment):
    path = _write(tmp_path, text)
    with pytest.raises(DataError) as info:
        ex.load_experiment_export(path, "sal")
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_export_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        ex.load_experiment_export(tmp_path / "nope.csv", "sal")


def test_export_repairs_skipped_stage_flags_and_reads_dates(tmp_path):
    path = _write(
        tmp_path,
        "Lead_ID,Arm,sql_date,won\n1,control,2026-10-03,1\n2,control,,1\n3,v,,0\n4,v,10/5/2026,0\n",
    )
    counts = ex.load_experiment_export(path, "sal")
    assert counts.reached["control"] == {"sql": 2, "won": 2}
    assert counts.reached["v"] == {"sql": 1, "won": 0}
    assert any("without 'sql'" in note for note in counts.notes)


def test_export_parquet_with_booleans_and_timestamps(tmp_path):
    import pandas as pd

    path = tmp_path / "export.parquet"
    pd.DataFrame(
        {
            "lead_id": ["a", "b", "c", "d"],
            "arm": ["control", "control", "v", "v"],
            "sql": [True, False, True, True],
            "won_date": pd.to_datetime(["2026-11-02", None, None, "2026-12-01"]),
        }
    ).to_parquet(path)
    counts = ex.load_experiment_export(path, "sal")
    assert counts.control == (1, 2) and counts.variants == {"v": (2, 2)}
    assert counts.reached["v"]["won"] == 1
