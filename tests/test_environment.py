"""pyproject.toml is the source of truth for dependencies; environment.yml must agree."""

from __future__ import annotations

import re
import tomllib

import yaml

from alignlib.paths import PROJECT_ROOT

_NAME = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$")


def _parse(requirement: str) -> tuple[str, str]:
    match = _NAME.match(requirement)
    assert match, requirement
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    return name, match.group(3).replace(" ", "")


def test_environment_yml_lists_the_same_packages_and_versions():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(
        _parse(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]
    )
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = dict(_parse(d) for d in conda if not d.startswith(("python", "pip")))
    assert listed == wanted
    assert "-e ." in pip  # the project itself, so `alignlib` is on the path
    python_pin = next(d for d in conda if d.startswith("python"))
    assert python_pin.replace("python", "") == project["requires-python"]
