"""The alerts, recording rules and dashboard (deploy/) name metrics from one contract,
checked there against the files; here, the contract against what the platform exports:
every metric it names exists, with the type it is used as."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from alot_platform.context import PlatformContext
from alot_platform.observability.collector import DatabaseCollector
from alot_platform.scheduler import ledger_checkpointer
from prometheus_client import REGISTRY
from prometheus_client.metrics_core import Metric

RULES_TEST = Path(__file__).resolve().parents[2] / "deploy" / "test_prometheus_rules.py"


def _contract() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_prometheus_contract", RULES_TEST)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _exported(families: list[Metric]) -> dict[str, set[str]]:
    by_type: dict[str, set[str]] = {"counter": set(), "gauge": set(), "histogram": set()}
    for family in families:
        if not family.name.startswith("alot_") or family.type not in by_type:
            continue
        name = f"{family.name}_total" if family.type == "counter" else family.name
        by_type[family.type].add(name)
    return by_type


def test_every_metric_the_alerts_and_dashboard_name_is_exported(
    platform: PlatformContext, make_lot_desk: Callable[..., Any]
) -> None:
    contract = _contract()
    # The checkpoint's age exists once there is a checkpoint: sign one.
    desk = make_lot_desk()
    lot = desk.open_lot()
    assert desk.buy(desk.player(lot["id"]), lot["id"], 0).status_code == 201
    ledger_checkpointer(platform).checkpoint(platform.database.engine)
    collector = DatabaseCollector(platform.database, platform.clock, platform.settings)
    exported = _exported([*REGISTRY.collect(), *collector.collect()])
    assert exported["counter"] >= contract.CONTRACT_COUNTERS, (
        contract.CONTRACT_COUNTERS - exported["counter"]
    )
    assert exported["gauge"] >= contract.CONTRACT_GAUGES, (
        contract.CONTRACT_GAUGES - exported["gauge"]
    )
    assert exported["histogram"] >= contract.CONTRACT_HISTOGRAMS, (
        contract.CONTRACT_HISTOGRAMS - exported["histogram"]
    )
