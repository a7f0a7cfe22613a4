"""Every model module works on its own: a program that imports just one (a script, a
task, a CLI command) can map and query it, whatever it relates to. Each runs in a
fresh interpreter, where nothing else has been imported."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources

import pytest

_PACKAGE = resources.files("alot_platform")
MODEL_MODULES = sorted(
    f"alot_platform.{entry.name}.models"
    for entry in _PACKAGE.iterdir()
    if entry.is_dir() and (entry / "models.py").is_file()
)


def test_the_model_modules_are_found() -> None:
    assert {"alot_platform.lots.models", "alot_platform.hosts.models"} <= set(MODEL_MODULES)


@pytest.mark.parametrize("module", MODEL_MODULES)
def test_a_model_module_maps_on_its_own(module: str) -> None:
    code = f"import {module}\nfrom sqlalchemy.orm import configure_mappers\nconfigure_mappers()"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
