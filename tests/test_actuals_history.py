"""The actuals a params file names, read once per file version."""

from __future__ import annotations

from alignlib import crm
from alignlib.actuals_history import actuals_history, actuals_problem
from alignlib.params import load_params


def test_no_actuals_and_unreadable_actuals(params_dict, write_params, tmp_path):
    params = load_params(write_params(params_dict))
    assert actuals_history(params) is None and actuals_problem(params) is None
    broken = tmp_path / "broken.csv"
    broken.write_text("not,a,hubspot,export\n1,2,3,4\n", encoding="utf-8")
    params_dict["actuals"] = {"crm_export": str(broken), "format": "hubspot"}
    params = load_params(write_params(params_dict))
    assert actuals_history(params) is None
    assert actuals_problem(params)


def test_the_export_is_read_once_until_it_changes(monkeypatch):
    from alignlib.paths import DEFAULT_PARAMS

    params = load_params(DEFAULT_PARAMS)
    first = actuals_history(params)
    calls = []
    real = crm.load_actuals
    monkeypatch.setattr(crm, "load_actuals", lambda p: calls.append(1) or real(p))
    assert actuals_history(params) is first
    assert actuals_history(params.with_scenario("shift_to_events")) is first
    assert calls == []
    assert first is not None and set(first.by_channel) >= {"events", "paid_social"}


def test_a_small_file_reads_its_export_once_for_learning_and_planning(tmp_path, monkeypatch):
    from alignlib.planning import build_plan
    from alignlib.synthetic import SyntheticFunnel, synthetic_table, write_generic_export

    funnel = SyntheticFunnel(("lead", "deal", "won"), (0.3, 0.25), (7.0, 30.0), monthly_leads=400)
    table = synthetic_table(funnel, start="2024-06-01", months=18, as_of="2025-12-10", seed=2)
    columns = write_generic_export(table, tmp_path / "export.csv", funnel.stage_names)
    mapping = "".join(f"    {k}: {v}\n" for k, v in columns.items())
    stages = "".join(f"  - {{name: {s}, label: {s}, owner: sales}}\n" for s in funnel.stage_names)
    path = tmp_path / "2026Q1.yaml"
    path.write_text(
        "quarter: 2026Q1\ntarget: {bookings: 300000}\nstages:\n" + stages
        + "actuals:\n  crm_export: export.csv\n  format: csv\n  columns:\n" + mapping,
        encoding="utf-8",
    )  # fmt: skip
    calls = []
    real = crm.load_actuals
    monkeypatch.setattr(crm, "load_actuals", lambda p: calls.append(1) or real(p))
    params = load_params(path)
    assert params.learned_keys
    plan = build_plan(params)
    assert actuals_history(params) is not None
    assert plan.funnel.leads > 0
    assert len(calls) == 1
