"""Experiment report: readout tables and one experiment's section."""

from __future__ import annotations

import IPython.display
import pytest
import yaml

from alignlib import paths, reports
from alignlib.experiments import analyse_experiments
from alignlib.format import stage_label
from alignlib.params import load_params
from alignlib.planning import build_plan


@pytest.fixture(scope="module")
def params():
    return load_params(paths.DEFAULT_PARAMS)


def _readouts(params):
    plan = build_plan(params)
    return analyse_experiments(params, monthly_volume=reports.quarter_monthly_volume(plan))


def test_experiments_table_labels_and_p_values(params) -> None:
    table = reports.experiments_table(_readouts(params))
    assert set(table.index) == {"Fast response routing", "MQL threshold"}
    assert set(table["stage"]) == {"SAL → SQL", "MQL → SAL"}
    for p in table["p-value"]:
        assert p == "<0.0001" or 0 <= float(p) <= 1


def test_experiment_detail_table_has_one_column_per_variant(params) -> None:
    readout = _readouts(params)[0]
    frame = reports.experiment_detail_table(readout)
    assert list(frame.columns) == [stage_label(n) for n in readout.comparison.names]
    assert frame.loc["risk if shipped (points lost if it is worse)"].str.endswith("pts").all()


def test_show_experiment_without_planned_sample(tmp_path, monkeypatch) -> None:
    # No planned_n_per_arm: no sequential check and no run time; the section still renders.
    raw = yaml.safe_load(paths.DEFAULT_PARAMS.read_text(encoding="utf-8"))
    raw.pop("actuals", None)
    raw.pop("sales_team", None)  # its attainment is learned from the actuals taken out
    for experiment in raw["experiments"]:
        experiment.pop("planned_n_per_arm", None)
    path = tmp_path / "2026Q4.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    params = load_params(path)
    readouts = _readouts(params)
    assert all(r.comparison.best.sequential is None for r in readouts)
    shown: list = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **_kw: shown.extend(objs))
    for readout in readouts:
        reports.show_experiment(readout, None, params)
    html = " ".join(
        getattr(o, "data", "") or "" for o in shown if isinstance(o, IPython.display.HTML)
    )
    assert html.count("Decision") == len(readouts)
    assert "Peeking" not in html and "Run time" not in html
