"""`alignlib simulate`: readable tables, one JSON object, clean errors, same seed same numbers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alignlib.cli import main


@pytest.fixture
def params_file(params_dict, write_params):
    return write_params(params_dict)


def test_simulate_prints_p_hit_quantiles_plan_and_sensitivity(params_file, capsys):
    assert main(["simulate", str(params_file), "--trials", "3000", "--plan-trials", "3000"]) == 0
    out = capsys.readouterr().out
    assert "P(hit) = " in out and "P10" in out and "P90" in out
    assert "Plan sized to hit the target 80% of the time" in out
    assert "point_plan" in out and "confidence_plan" in out
    assert "What moves P(hit) most" in out and "conversion mql→sal" in out
    assert "deal size" in out and "lead volume" in out


def test_simulate_json_is_one_object_and_reproducible(params_file, capsys):
    argv = ["simulate", str(params_file), "--trials", "2000", "--seed", "9", "--json"]
    assert main([*argv, "--confidence", "0.9"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main([*argv, "--confidence", "0.9", "--workers", "1"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert first == second
    assert first["trials"] == 2000 and first["seed"] == 9
    assert 0 <= first["p_hit"] <= 1 and first["target"] == 1_200_000
    assert set(first["revenue_quantiles"]) == {"P10", "P50", "P90"}
    plan = first["confidence_plan"]
    assert plan["confidence"] == 0.9 and plan["p_hit"] >= 0.9
    assert plan["leads"] >= plan["point_leads"]
    kinds = {row["kind"] for row in first["sensitivity"]["rows"]}
    assert kinds == {"conversion_rate", "lead_volume", "deal_size"}


def test_simulate_scenario_changes_the_odds(params_file, capsys):
    base = ["simulate", str(params_file), "--trials", "2000", "--json", "--leads", "10000"]
    assert main(base) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main([*base, "--scenario", "conservative"]) == 0
    conservative = json.loads(capsys.readouterr().out)
    assert conservative["scenario"] == "conservative"
    assert conservative["revenue_mean"] < plain["revenue_mean"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--trials", "0"], "trials: 0"),
        (["--confidence", "1.5"], "confidence: 1.5"),
        (["--leads", "-4"], "--leads: -4"),
        (["--scenario", "nope"], "nope"),
    ],
)
def test_bad_options_exit_2_without_traceback(params_file, capsys, extra, message):
    assert main(["simulate", str(params_file), "--trials", "100", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_counts_in_the_file_name_the_stage(params_dict, write_params):
    params_dict["conversion_rates"]["mql"] = {"converted": 700, "total": 600}
    path = write_params(params_dict)
    result = subprocess.run(
        [sys.executable, "-m", "alignlib", "simulate", str(path), "--trials", "100"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "conversion_rates.mql" in result.stderr and "700" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_scheduler_option_gives_the_local_numbers(params_file, capsys):
    distributed = pytest.importorskip("distributed")
    argv = ["simulate", str(params_file), "--trials", "70000", "--plan-trials", "500", "--json"]
    assert main(argv) == 0
    local = json.loads(capsys.readouterr().out)
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        host="127.0.0.1",
        protocol="tcp",
        dashboard_address=None,
    ) as cluster:
        assert main([*argv, "--scheduler", cluster.scheduler_address]) == 0
        remote = json.loads(capsys.readouterr().out)
    assert remote == local


# ------------------------------------------------------------------ issue 10: bounded, stoppable


def test_too_many_trials_are_refused_with_the_figure_before_any_work(params_file, capsys):
    start = time.monotonic()
    argv = ["simulate", str(params_file), "--trials", "100000000", "--memory-gb", "2"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "100,000,000 trials need about" in err and "GB of result arrays" in err
    assert "the limit is 2.0 GB (ALIGNLIB_MEMORY_GB or --memory-gb)" in err
    assert "use fewer trials" in err and "Traceback" not in err
    assert time.monotonic() - start < 10


def test_too_many_plan_trials_are_refused_before_the_simulation(params_file, capsys, monkeypatch):
    monkeypatch.setenv("ALIGNLIB_MEMORY_GB", "0.01")
    argv = ["simulate", str(params_file), "--trials", "100", "--plan-trials", "10000000"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--plan-trials: 10,000,000 trials need about" in err
    assert "common random numbers" in err and "the limit is 10 MB" in err


@pytest.mark.parametrize("address", ["notaurl", "tcp://host", "host:99999", "http://x:1", ""])
def test_a_bad_scheduler_address_is_named(params_file, capsys, address):
    assert main(["simulate", str(params_file), "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert f"--scheduler: {address!r} is not an address like tcp://127.0.0.1:8786" in err
    assert "Traceback" not in err


def _wait_until_simulating(pid: int, rss_mb: float = 260, timeout: float = 30) -> None:
    """Past the imports and the params: the result arrays are filling (Linux), or 3 s."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        time.sleep(3)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = status.read_text() if status.exists() else ""
        rss = next((int(x.split()[1]) for x in text.splitlines() if x.startswith("VmRSS")), 0)
        if rss > rss_mb * 1024:
            return
        time.sleep(0.05)
    pytest.fail("the simulation did not start within 30 s")


def test_ctrl_c_stops_a_long_simulation_promptly(params_file):
    # 20 million trials (about 1.6 GB of arrays, 25 s on two cores) stopped after a second
    proc = subprocess.Popen(
        [sys.executable, "-m", "alignlib", "simulate", str(params_file), "--trials", "20000000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ALIGNLIB_MEMORY_GB": "3"},
        # As from a terminal: Ctrl-C's default disposition. A library earlier in the same
        # test process may leave SIGINT ignored, and a child inherits that (Python then
        # installs no KeyboardInterrupt handler), which is not what a user's shell does.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    _wait_until_simulating(proc.pid)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("still running 10 s after Ctrl-C")
    assert time.monotonic() - sent < 5
    assert proc.returncode == 130, err
    assert err.strip().endswith("interrupted") and "Traceback" not in err
