"""`alignlib sample-size`: readable text, one JSON object, clean errors."""

from __future__ import annotations

import json
import math

import pytest

from alignlib.cli import main


def _json(capsys) -> dict:
    out = capsys.readouterr().out
    return json.loads(out)  # exactly one object: json.loads fails on trailing text


def test_sample_size_text_and_json(capsys):
    assert main(["sample-size", "--baseline", "0.2", "--mde", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "1,094 leads per arm" in out and "pooled variance under the null" in out
    argv = ["sample-size", "--baseline", "0.2", "--mde", "0.05", "--monthly-volume", "800"]
    assert main([*argv, "--json"]) == 0
    data = _json(capsys)
    assert data["n_per_arm"] == 1094
    assert data["weeks"] == pytest.approx(2 * 1094 / 800 * 365.25 / 12 / 7)


def test_sample_size_inverse_from_n_per_arm(capsys):
    assert main(["sample-size", "--baseline", "0.2", "--n-per-arm", "1094", "--json"]) == 0
    data = _json(capsys)
    assert data["mde"] == pytest.approx(0.05, abs=1e-4)
    assert "Brent" in data["method"]


def test_sample_size_one_sided_needs_fewer(capsys):
    assert main(["sample-size", "--baseline", "0.2", "--mde", "0.05", "--one-sided", "--json"]) == 0
    one = _json(capsys)["n_per_arm"]
    assert one < 1094 and not math.isnan(one)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--baseline", "0.9", "--mde", "0.2"], "baseline + mde"),
        (["--baseline", "0", "--mde", "0.05"], "baseline"),
        (["--baseline", "0.2", "--mde", "0.05", "--monthly-volume", "0"], "monthly_volume"),
        (["--baseline", "0.2", "--n-per-arm", "3"], "cannot detect"),
    ],
)
def test_sample_size_bad_input(argv, fragment, capsys):
    assert main(["sample-size", *argv]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
