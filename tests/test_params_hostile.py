"""Parameters files that are not parameters files (issue 21, cases 2 and 10).

A problem never quotes a value (nor a key) from a file that is not a parameters file,
and nothing but a bounded regular file is read as one.
"""

from __future__ import annotations

import os
import threading

import pytest

from alignlib.errors import ParamsError
from alignlib.params import load_params

#: A file shaped like /etc/shadow: every line ends in ":", so YAML reads it as a mapping.
SHADOW = "".join(
    f"user{i}:$6$rounds=5000$salt{i}$Hash{i}SecretTail{i}:19000:0:99999:7:::\n" for i in range(12)
)


def _message(path) -> str:
    with pytest.raises(ParamsError) as err:
        load_params(path)
    return str(err.value)


def test_extends_of_another_programs_file_quotes_nothing_of_it(tmp_path, params_dict):
    import yaml

    other = tmp_path / "shadow"
    other.write_text(SHADOW)
    child = tmp_path / "2026Q4.yaml"
    child.write_text(yaml.safe_dump({**params_dict, "extends": str(other)}))
    for path in (child, other):
        msg = _message(path)
        assert "is not a parameters file" in msg and str(other) in msg
        assert "SecretTail" not in msg and "user0" not in msg and "$6$" not in msg
        assert msg.count("\n") == 1  # one problem, not one per line of the file


def test_a_file_that_is_not_a_mapping_or_broken_quotes_nothing(tmp_path):
    cases = {
        "list.yaml": "- SecretTail-one\n- SecretTail-two\n",
        "text.yaml": "SecretTail in a plain sentence\n",
        "broken.yaml": "quarter: [SecretTail-x, {SecretTail-y\n",
        "tag.yaml": "quarter: !SecretTailTag 2026Q4\n",
        "dupes.yaml": "quarter: 2026Q4\n'root:SecretTail:1::': 1\n'root:SecretTail:1::': 2\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        msg = _message(path)
        assert "SecretTail" not in msg, (name, msg)


def test_a_params_file_hides_keys_that_are_not_plain_names(params_dict, write_params):
    params_dict["root:$6$SecretTail:19000::"] = None
    params_dict["chanels"] = {}
    msg = _message(write_params(params_dict))
    assert "SecretTail" not in msg and "<key not shown>" in msg
    assert "chanels" in msg and "did you mean 'channels'" in msg  # a typo is still named


def test_a_url_quoted_as_a_wrong_value_is_masked(params_dict, write_params):
    params_dict["quarter"] = ["postgresql://me:Pw-SecretTail@db/crm?token=tokSecretTail"]
    msg = _message(write_params(params_dict))
    assert "SecretTail" not in msg


# Case 10: unbounded reads.


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_as_params_or_extends(tmp_path, params_dict, device):
    import yaml

    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    assert "not a regular file" in _message(device)
    child = tmp_path / "2026Q4.yaml"
    child.write_text(yaml.safe_dump({**params_dict, "extends": device}))
    msg = _message(child)
    assert "not a regular file" in msg and device in msg


def test_a_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "params.yaml"
    os.mkfifo(fifo)
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(_message(fifo)), daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock the reader before failing
        with open(fifo, "w") as f:
            f.write("x")
        pytest.fail("reading a FIFO as a parameters file hangs")
    assert "not a regular file" in result[0]


def test_a_huge_params_file_is_refused_before_it_is_read(tmp_path):
    from alignlib.params.yaml_source import MAX_PARAMS_BYTES

    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:  # sparse: no disk used
        f.truncate(2 * 1024**3)
    msg = _message(big)
    assert "too large" in msg and f"{MAX_PARAMS_BYTES // 1024**2} MB" in msg
