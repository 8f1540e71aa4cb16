"""Exports that never end or hang (issue 21, case 10): refused before they are read."""

from __future__ import annotations

import os
import threading
import time

import pytest
import yaml

from alignlib.crm.read import read_raw
from alignlib.errors import DataError, ParamsError
from alignlib.params import load_params

DEVICES = [d for d in ("/dev/zero", "/dev/urandom") if os.path.exists(d)]


def _in_thread(fn, timeout: float = 10.0):
    out: list = []

    def run():
        try:
            fn()
            out.append(None)
        except Exception as exc:
            out.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    return worker, out


@pytest.mark.parametrize("device", DEVICES)
def test_a_device_is_refused_as_an_export(device, capsys):
    from alignlib.cli import main

    with pytest.raises(DataError, match="not a regular file"):
        read_raw(device)
    assert main(["ingest", device]) == 2
    err = capsys.readouterr().err
    assert device in err and "not a regular file (a character device)" in err


@pytest.mark.parametrize("device", DEVICES)
def test_a_device_named_by_the_parameters_is_a_problem_at_load(tmp_path, params_dict, device):
    params_dict["actuals"] = {"format": "hubspot", "crm_export": device}
    path = tmp_path / "2026Q4.yaml"
    path.write_text(yaml.safe_dump(params_dict))
    with pytest.raises(ParamsError) as err:
        load_params(path)
    assert "actuals.crm_export" in str(err.value) and "not a regular file" in str(err.value)


def test_a_fifo_export_is_refused_without_hanging(tmp_path, params_dict):
    fifo = tmp_path / "contacts.csv"
    os.mkfifo(fifo)
    worker, out = _in_thread(lambda: read_raw(fifo))
    if worker.is_alive():
        with open(fifo, "w") as f:
            f.write("x")
        pytest.fail("reading a FIFO as an export hangs")
    assert isinstance(out[0], DataError) and "named pipe" in str(out[0])
    params_dict["actuals"] = {"format": "hubspot", "crm_export": str(fifo)}
    path = tmp_path / "2026Q4.yaml"
    path.write_text(yaml.safe_dump(params_dict))
    with pytest.raises(ParamsError, match="named pipe"):
        load_params(path)


def test_a_huge_file_of_zeros_is_refused_from_its_first_bytes(tmp_path):
    sparse = tmp_path / "contacts.csv"
    with open(sparse, "wb") as f:
        f.truncate(2 * 1024**3)  # 2 GB, no disk used
    started = time.monotonic()
    with pytest.raises(DataError, match="NUL bytes"):
        read_raw(sparse)
    assert time.monotonic() - started < 5


def test_a_header_without_an_end_is_refused(tmp_path):
    endless = tmp_path / "contacts.csv"
    endless.write_text("Record ID," * 20_000)
    with pytest.raises(DataError, match="no end of the header line"):
        read_raw(endless)
