"""Save as scenario: round-trip YAML, validated first, written atomically; plan and run show it."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from alignlib.cli import main
from alignlib.errors import InputError, ParamsError
from alignlib.params import load_params
from alignlib.whatif import Levers, overrides_from_levers, save_scenario, whatif_panel
from tests.whatif._whatif_helpers import sample_params_copy


def test_save_scenario_keeps_comments_and_layout(tmp_path) -> None:
    path = sample_params_copy(tmp_path)
    before = path.read_text()
    save_scenario(
        path,
        "faster_followup",
        {"conversion_rates": {"mql": 0.62}, "target": {"bookings": 2_500_000}},
        description="SDRs answer within the hour: more MQLs accepted.",
    )
    after = path.read_text()
    # everything before is kept byte for byte (comments, flow maps, order); the scenario added
    assert after.startswith(before.rstrip("\n"))
    added = after[len(before.rstrip("\n")) :]
    assert "faster_followup:" in added and "conversion_rates: {mql: 0.62}" in added
    p = load_params(path).with_scenario("faster_followup")
    assert p.rates[1] == 0.62 and p.target.bookings == 2_500_000
    assert load_params(path).scenarios["faster_followup"].description.startswith("SDRs")
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    # saving again under the same name replaces it
    save_scenario(path, "faster_followup", {"target": {"bookings": 2_600_000}})
    again = load_params(path)
    assert again.with_scenario("faster_followup").target.bookings == 2_600_000
    assert "mql" not in again.scenarios["faster_followup"].overrides.get("conversion_rates", {})


def test_an_invalid_scenario_is_not_written(tmp_path) -> None:
    path = sample_params_copy(tmp_path)
    before = path.read_text()
    with pytest.raises(ParamsError, match="scenarios.bad.overrides"):
        save_scenario(path, "bad", {"conversion_rates": {"mql": 1.7}})
    with pytest.raises(ParamsError):
        save_scenario(path, "bad", {"channels": {"events": {"share": 0.5}}})  # shares != 1
    with pytest.raises(InputError, match="scenario name"):
        save_scenario(path, "two words", {"target": {"bookings": 1}})
    with pytest.raises(InputError, match="nothing to save"):
        save_scenario(path, "empty", {})
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026Q4.yaml"]  # no temporary left


def test_only_moved_levers_become_overrides(tmp_path) -> None:
    p = load_params(sample_params_copy(tmp_path))
    base = Levers.base(p)
    assert overrides_from_levers(p, base) == ({}, "")
    shares = list(base.shares)
    shares[2] += 0.1  # events up; the others scale down
    moved = replace(
        base,
        deal_size=25_000.0,
        lags=(*base.lags[:-1], 60.0),
        shares=tuple(shares),
        sla_hours=2.0,
        leads=9_000.0,
    )
    overrides, skipped = overrides_from_levers(p, moved)
    assert overrides["deal_size"] == {"mean": 25_000, "spread": round(10_900 * 25_000 / 23_500)}
    assert overrides["lag_days"] == {"opportunity": {"typical": 60.0, "spread": 20.0}}
    assert overrides["sla"] == {"lead_response_hours": 2.0}
    assert "lead volume" in skipped and "target" not in overrides
    path = sample_params_copy(tmp_path, "copy.yaml")
    save_scenario(path, "events_push", overrides)
    s = load_params(path).with_scenario("events_push")
    assert abs(sum(c.share for c in s.channels.values()) - 1) < 1e-9
    assert s.channels["events"].share == pytest.approx(0.2 / 1.1, abs=1e-4)


def test_the_panel_saves_and_the_plan_cli_shows_it(tmp_path, capsys) -> None:
    path = sample_params_copy(tmp_path)
    shown = whatif_panel(load_params(path), trials=500)
    panel = shown.panel
    panel.rates[1].value = 0.62
    panel.target.value = 2_500_000.0
    panel.save_name.value = "from_the_panel"
    panel.save_description.value = "Found with the sliders"
    assert panel.save() == {"target": {"bookings": 2_500_000}, "conversion_rates": {"mql": 0.62}}
    assert "Saved scenario" in panel.save_status.value
    panel.save_name.value = "bad name"
    assert panel.save() is None and "Not saved" in panel.save_status.value

    assert main(["plan", str(path), "--scenario", "from_the_panel", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["target"] == 2_500_000
    assert main(["plan", str(path), "--compare"]) == 0
    assert "from_the_panel" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.notebook
def test_the_next_run_shows_the_saved_scenario(tmp_path) -> None:
    path = sample_params_copy(tmp_path)
    save_scenario(path, "saved_in_panel", {"target": {"bookings": 2_777_000}}, "From the panel")
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "alignlib",
            "run",
            str(path),
            "--report",
            "quarterly_plan",
            "--trials",
            "1000",
            "--out",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    pages = [p.read_text() for p in out.rglob("*.html") if "plan" in p.name]
    # The page names the scenario in words (its id made readable) beside what it assumes.
    assert any(
        "Saved in panel" in page and "From the panel" in page and "2,777,000" in page
        for page in pages
    )
