"""Readouts of the experiments in a parameters file."""

from __future__ import annotations

import json

import pytest

from alignlib import experiments as ex
from tests.experiments._experiments_helpers import EXPORT, FIXTURES


def test_analyse_experiment_from_counts_spec():
    spec = {
        "name": "fast_response_routing",
        "stage": "sal",
        "control": {"conversions": 412, "n": 1020},
        "variants": {"instant_routing": {"conversions": 468, "n": 1005}},
        "expected_shares": [0.5, 0.5],
        "planned_n_per_arm": 1100,
    }
    r = ex.analyse_experiment(spec, monthly_volume=600)
    assert r.trustworthy and r.source == "counts"
    assert r.comparison["instant_routing"].control == (412, 1020)
    assert r.detectable_effect is not None and r.detectable_effect.n_per_arm == 1100
    assert r.weeks_to_plan == pytest.approx(ex.weeks_to_run(95, 600))
    assert "SAL->SQL" in r.headline
    json.dumps(r.to_dict())
    assert "Experiment fast_response_routing" in str(r)


def test_analyse_experiment_flags_sample_ratio_mismatch():
    spec = {
        "name": "broken",
        "stage": "mql",
        "control": {"conversions": 500, "n": 5000},
        "variants": {"v": {"conversions": 600, "n": 5400}},
    }
    r = ex.analyse_experiment(spec)
    assert not r.trustworthy
    assert r.headline.startswith("DO NOT TRUST")
    assert "cannot be trusted" in str(r)


def test_analyse_experiment_from_export_follows_later_stages():
    spec = {"name": "routing", "stage": "sal", "export": EXPORT.name, "planned_n_per_arm": 400}
    r = ex.analyse_experiment(spec, base_dir=FIXTURES)
    assert r.funnel_depth is not None
    assert r.funnel_depth.stages == ("sql", "opportunity", "won")
    assert r.source == str(FIXTURES / EXPORT.name)
    assert "later stages" in str(r)


def test_analyse_experiments_reads_the_params_file(tmp_path):
    from alignlib.params import load_params

    yaml_text = f"""
quarter: 2026Q4
target: {{bookings: 1200000}}
conversion_rates: {{lead: 0.3, mql: 0.5, sal: 0.4, sql: 0.5, opportunity: 0.3}}
deal_size: {{mean: 24000, spread: 9000}}
capacity: {{reps: 9, opportunities_per_rep_per_month: 14, handoff_stage: mql,
           responses_per_rep_per_day: 25, working_days_per_month: 21}}
sla: {{lead_response_hours: 4, acceptance_hours: 48}}
channels:
  paid_search: {{label: Paid search, cost_per_lead: 95, share: 1.0}}
experiments:
  - name: routing
    stage: sal
    control: {{conversions: 412, n: 1020}}
    variants: {{instant: {{conversions: 468, n: 1005}}, batch: {{conversions: 430, n: 990}}}}
    planned_n_per_arm: 1100
  - name: from_export
    stage: sal
    export: {EXPORT}
"""
    path = tmp_path / "2026Q4.yaml"
    path.write_text(yaml_text)
    params = load_params(path)
    readouts = ex.analyse_experiments(params, monthly_volume={"sal": 700})
    assert [r.name for r in readouts] == ["routing", "from_export"]
    assert readouts[0].comparison.correction == "holm"
    assert readouts[0].weeks_to_plan is not None
    table = ex.readouts_frame(readouts)
    assert list(table["experiment"]) == ["routing", "routing", "from_export"]
