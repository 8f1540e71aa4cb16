"""The shared argument checks: dash values, scheduler addresses, output paths."""

from __future__ import annotations

import argparse

import pytest

from alignlib.cli import build_parser
from alignlib.cli._args import (
    check_output_file,
    check_output_folder,
    join_dash_values,
    scheduler_address,
)
from alignlib.errors import InputError


@pytest.mark.parametrize(
    ("argv", "joined"),
    [
        (["experiment", "--control", "-1/10"], ["experiment", "--control=-1/10"]),
        (["experiment", "--variant", "-x", "--json"], ["experiment", "--variant=-x", "--json"]),
        # a real option, a prefix of one, or '--' is never taken as a value
        (["experiment", "--control", "--json"], ["experiment", "--control", "--json"]),
        (["experiment", "--control", "--js"], ["experiment", "--control", "--js"]),
        (["experiment", "--", "--control", "-1"], ["experiment", "--", "--control", "-1"]),
        # flags take no value; no verb, nothing to do
        (["experiment", "--json", "-1/2"], ["experiment", "--json", "-1/2"]),
        (["--control", "-1/10"], ["--control", "-1/10"]),
    ],
)
def test_join_dash_values(argv, joined):
    assert join_dash_values(build_parser(), argv) == joined


@pytest.mark.parametrize(
    "address", ["tcp://127.0.0.1:8786", "127.0.0.1:8786", "tls://sched.example:1", "[::1]:8786"]
)
def test_scheduler_addresses_accepted(address):
    assert scheduler_address(address) == address


@pytest.mark.parametrize(
    "address", ["notaurl", "", "tcp://host", "host:0", "host:65536", "http://h:1", "a b:1"]
)
def test_scheduler_addresses_refused(address):
    with pytest.raises(argparse.ArgumentTypeError, match="not an address like tcp://"):
        scheduler_address(address)


def test_output_folder(tmp_path):
    assert check_output_folder(tmp_path / "new" / "deeper", "--out") == tmp_path / "new" / "deeper"
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder"):
        check_output_folder(tmp_path / "f", "--out")
    with pytest.raises(InputError, match="empty"):
        check_output_folder("", "--out")


def test_output_file(tmp_path):
    assert check_output_file(tmp_path / "a.csv", "--rejects") == tmp_path / "a.csv"
    with pytest.raises(InputError, match="is a folder"):
        check_output_file(tmp_path, "--rejects")
    with pytest.raises(InputError, match="give a file name"):
        check_output_file(f"{tmp_path}/", "--rejects")
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder"):
        check_output_file(tmp_path / "f" / "a.csv", "--rejects")
