"""The business metrics as an operator reads them: every series, before and after.

The metrics live on prometheus_client's default registry, shared by the whole test run:
a test reads every series before and after what it does, and checks the differences.
"""

from __future__ import annotations

from prometheus_client import REGISTRY

# (sample name, labels): every business series a test compares.
SERIES: list[tuple[str, dict[str, str]]] = [
    ("alot_lots_created_total", {}),
    ("alot_lots_funded_total", {}),
    ("alot_lots_expired_total", {}),
    ("alot_lot_time_to_funding_seconds_count", {}),
    ("alot_lot_time_to_funding_seconds_sum", {}),
    ("alot_purchases_total", {"method": "cash"}),
    ("alot_purchases_total", {"method": "credits"}),
    ("alot_purchases_total", {"method": "mixed"}),
    ("alot_gmv_cents_total", {}),
    ("alot_credits_issued_total", {}),
    ("alot_credits_spent_total", {}),
    ("alot_lot_revenue_cents_count", {}),
    ("alot_lot_revenue_cents_sum", {}),
    ("alot_draws_failed_total", {}),
    ("alot_webhook_failures_total", {"provider": "stripe"}),
]


def _key(name: str, labels: dict[str, str]) -> str:
    return name + "".join(f"{{{k}={v}}}" for k, v in sorted(labels.items()))


def sample(name: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    assert value is not None, f"no sample {name} {labels} on the registry"
    return value


def snapshot() -> dict[str, float]:
    return {_key(name, labels): sample(name, **labels) for name, labels in SERIES}


def moved(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Only the series that changed, and by how much."""
    return {key: after[key] - before[key] for key in before if after[key] != before[key]}


def series(name: str, **labels: str) -> str:
    """The key of a series in ``snapshot``'s and ``moved``'s dicts."""
    return _key(name, labels)
