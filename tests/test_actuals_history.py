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
