"""bench/ledger_shards.py, the simulation behind docs/operations/scaling.md: it measures
the real ledger and prints one row per shard count, and refuses bad options."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "ledger_shards.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ledger_shards", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def test_the_capacity_model() -> None:
    capacity = _module().capacity
    assert capacity(1, 500.0, 0.3) == 500.0  # one shard is the measured chain
    assert capacity(4, 500.0, 0.0) == 2000.0  # no contention: linear
    assert capacity(4, 500.0, 1.0) == 500.0  # total contention: no gain at all
    assert capacity(3, 500.0, 0.1) == pytest.approx(1500 / 1.2)


def test_the_simulation_measures_the_ledger_and_prints_a_row_per_shard_count() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--seconds", "0.3", "--clients", "2", "--shards", "3"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    measured = re.search(r"one chain: ([\d,]+) appends/s", result.stdout)
    assert measured is not None
    single = _number(measured.group(1))
    assert single > 0  # real appends were committed and counted
    rows = [line.split() for line in result.stdout.splitlines() if re.match(r"^\s+\d+\s", line)]
    assert [int(row[0]) for row in rows] == [1, 2, 3]
    one = rows[0]
    assert _number(one[1]) == single  # one shard on one machine: the measurement itself
    assert _number(one[2]) == single
    own_servers = [_number(row[2]) for row in rows]
    assert own_servers == sorted(own_servers)
    for row in rows:  # cross-shard legs cost appends: 0% >= 10% >= 30%
        assert _number(row[3]) >= _number(row[4]) >= _number(row[5])


@pytest.mark.parametrize(
    "arguments", [["--seconds", "0"], ["--shards", "0"], ["--clients", "0"], ["--interval", "-1"]]
)
def test_bad_options_are_refused_before_anything_runs(arguments: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "must be" in result.stderr
    assert "appends/s" not in result.stdout
