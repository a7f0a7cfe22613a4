"""The operator's monitoring files in deploy/: Prometheus alerts, recording rules and
configuration, and the Grafana dashboard.

promtool (Debian's prometheus package) checks and unit-tests the rules when it is
installed; CI installs it (`.ci/run` -> `make check-ops`). Whether or not it is here, the
files are checked against the metric names the platform exports: an alert on a name
nobody exports would never fire.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO_ROOT / "deploy" / "prometheus"
RULE_FILES = (PROMETHEUS / "recording.yml", PROMETHEUS / "alerts.yml")
DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "dashboards" / "alot.json"

# The metrics the platform exports (the operations contract; prefix alot_). Histograms
# are listed by name: their _bucket, _sum and _count series are derived below.
CONTRACT_COUNTERS = frozenset(
    {
        "alot_http_requests_total",
        "alot_cache_requests_total",
        "alot_tasks_total",
        "alot_task_failures_total",
        "alot_lots_created_total",
        "alot_lots_funded_total",
        "alot_lots_expired_total",
        "alot_purchases_total",
        "alot_gmv_cents_total",
        "alot_credits_issued_total",
        "alot_credits_spent_total",
        "alot_draws_failed_total",
        "alot_webhook_failures_total",
        "alot_witness_submission_failures_total",
    }
)
CONTRACT_GAUGES = frozenset(
    {
        "alot_http_requests_in_flight",
        "alot_db_pool_checked_out",
        "alot_db_pool_size",
        "alot_ws_connections",
        "alot_outbox_pending",
        "alot_outbox_lag_seconds",
        "alot_outbox_dead",
        "alot_ledger_checkpoint_age_seconds",
        "alot_lots_stuck",
        "alot_lots",
        "alot_reconciliation_mismatches",
    }
)
CONTRACT_HISTOGRAMS = frozenset(
    {
        "alot_http_request_duration_seconds",
        "alot_db_query_duration_seconds",
        "alot_task_duration_seconds",
        "alot_ledger_append_duration_seconds",
        "alot_ledger_append_batch_size",
        "alot_lot_time_to_funding_seconds",
        "alot_lot_revenue_cents",
    }
)
CONTRACT_SERIES = (
    CONTRACT_COUNTERS
    | CONTRACT_GAUGES
    | {f"{name}_{series}" for name in CONTRACT_HISTOGRAMS for series in ("bucket", "sum", "count")}
)
# Series Prometheus itself makes for every target.
PROMETHEUS_SERIES = frozenset({"up"})

ALERTS = (
    "AlotLotStuckFunded",
    "AlotLotStuckDrawing",
    "AlotDrawFailed",
    "AlotOutboxLag",
    "AlotDeadLetteredTasks",
    "AlotWebhookFailures",
    "AlotWitnessSubmissionsFailing",
    "AlotLedgerCheckpointStale",
    "AlotReconciliationMismatch",
    "AlotHigh5xxRate",
    "AlotHighLatencyP99",
    "AlotQueueBacklog",
    "AlotMetricsDown",
)

# Metric names in PromQL: ours (alot_...), recorded (alot:...), and bare identifiers
# followed by a selector or a range (to catch a misspelt `up`). Label names inside
# braces and function names followed by "(" are not metric names.
_OUR_NAMES = re.compile(r"\balot[_:][a-zA-Z0-9_:]*")
_BRACES = re.compile(r"\{[^{}]*\}")


def _rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules += group["rules"]
    return rules


def _alerts() -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in _rules() if "alert" in rule}


def _recorded() -> set[str]:
    return {rule["record"] for rule in _rules() if "record" in rule}


def _dashboard_panels() -> list[dict[str, Any]]:
    dashboard = json.loads(DASHBOARD.read_text())
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels += panel.get("panels", [])  # a collapsed row holds its panels
    return panels


def _dashboard_exprs() -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in _dashboard_panels()
        for target in panel.get("targets", [])
    ]


def metric_names(expr: str) -> set[str]:
    """The series an expression selects: ours by prefix, plus `up`."""
    without_selectors = _BRACES.sub("{}", expr)
    names = set(_OUR_NAMES.findall(without_selectors))
    if re.search(r"(?<![\w:])up\s*(\{|\[|==|\s*$)", without_selectors):
        names.add("up")
    return names


def _unknown(expr: str, recorded: set[str]) -> set[str]:
    return metric_names(expr) - CONTRACT_SERIES - PROMETHEUS_SERIES - recorded


def test_the_name_finder_sees_what_an_expression_selects() -> None:
    # The check below is only as good as this: it must not miss a name, nor read a label.
    expr = (
        "histogram_quantile(0.99, sum by (route, le) (rate(alot_http_request_duration_"
        'seconds_bucket{route!~"/api/ws|alot_x"}[5m]))) / alot:http_requests:rate5m'
    )
    assert metric_names(expr) == {
        "alot_http_request_duration_seconds_bucket",
        "alot:http_requests:rate5m",
    }
    assert metric_names('up{job=~"alot-.*"} == 0') == {"up"}
    assert _unknown("max(alot_outbox_lags_seconds) > 1", set()) == {"alot_outbox_lags_seconds"}


def test_every_required_alert_is_defined_once_with_its_labels_and_runbook() -> None:
    alerts = [rule for rule in _rules() if "alert" in rule]
    names = [rule["alert"] for rule in alerts]
    assert sorted(names) == sorted(ALERTS)
    for rule in alerts:
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket"}, name
        annotations = rule["annotations"]
        assert annotations["summary"].strip(), name
        assert annotations["description"].strip(), name
        assert annotations["runbook_url"] == f"docs/operations/runbook.md#{name.lower()}"


def test_rules_use_only_exported_metrics_and_recorded_series() -> None:
    recorded = _recorded()
    assert "alot:lot_conversion:ratio" in recorded
    unknown = {
        rule.get("alert") or rule["record"]: _unknown(rule["expr"], recorded) for rule in _rules()
    }
    assert {name: names for name, names in unknown.items() if names} == {}
    # Recording rules name their series alot:<what>:<how>, as Prometheus recommends.
    assert all(re.fullmatch(r"alot:[a-z0-9_]+:[a-z0-9_]+", name) for name in recorded)


def test_the_dashboard_covers_both_families_with_exported_metrics_only() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "alot-overview"
    rows = [panel["title"] for panel in dashboard["panels"] if panel["type"] == "row"]
    assert any(row.startswith("Technical") for row in rows)
    assert any(row.startswith("Business") for row in rows)
    exprs = _dashboard_exprs()
    recorded = _recorded()
    unknown = {f"{title}: {expr}": _unknown(expr, recorded) for title, expr in exprs}
    assert {where: names for where, names in unknown.items() if names} == {}
    used = set().union(*(metric_names(expr) for _, expr in exprs))
    for name in recorded:  # recorded series reach the dashboard through their rules
        used |= next(metric_names(rule["expr"]) for rule in _rules() if rule.get("record") == name)
    # Every exported metric is on the dashboard somewhere (histograms by any series).
    shown = {re.sub(r"_(bucket|sum|count)$", "", name) for name in used}
    missing = (CONTRACT_COUNTERS | CONTRACT_GAUGES | CONTRACT_HISTOGRAMS) - shown
    assert missing == set()
    ids = [panel["id"] for panel in _dashboard_panels()]
    assert len(ids) == len(set(ids))


def test_grafana_provisioning_points_at_prometheus_and_the_dashboards() -> None:
    provisioning = REPO_ROOT / "deploy" / "grafana" / "provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    (source,) = sources["datasources"]
    assert (source["type"], source["url"], source["uid"]) == (
        "prometheus",
        "http://prometheus:9090",
        "prometheus",
    )
    # Every panel reads the provisioned data source.
    assert {
        panel["datasource"]["uid"] for panel in _dashboard_panels() if panel["type"] != "row"
    } == {"prometheus"}
    providers = yaml.safe_load((provisioning / "dashboards" / "alot.yml").read_text())
    assert providers["providers"][0]["options"]["path"] == "/etc/grafana/dashboards"


# --- promtool: the same commands as `make check-ops` -------------------------------------

_PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    _PROMTOOL is None,
    reason="promtool not installed (apt-get install prometheus); CI runs it via make check-ops",
)


def _promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert _PROMTOOL is not None
    return subprocess.run(
        [_PROMTOOL, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


@needs_promtool
def test_promtool_accepts_the_rules() -> None:
    result = _promtool("check", "rules", *RULE_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_accepts_the_configuration(tmp_path: Path) -> None:
    # The configuration names the metrics token's secret file, which promtool wants to
    # exist: a copy is checked with a stand-in token in its place.
    for path in PROMETHEUS.glob("*.yml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "metrics_token").write_text("stand-in\n")
    config = tmp_path / "prometheus.yml"
    text = config.read_text()
    assert "/run/secrets/metrics_token" in text
    config.write_text(text.replace("/run/secrets/metrics_token", str(tmp_path / "metrics_token")))
    result = _promtool("check", "config", tmp_path / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rule files found" in result.stdout


@needs_promtool
def test_promtool_unit_tests_pass() -> None:
    tests = sorted((PROMETHEUS / "tests").glob("*.yml"))
    assert tests
    result = _promtool("test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_an_alert_that_no_longer_fires_fails_its_unit_test(tmp_path: Path) -> None:
    # The unit tests can fail: with the stuck-lot threshold raised, the stuck-lot tests
    # (which expect it to fire) must.
    for path in RULE_FILES:
        shutil.copy(path, tmp_path / path.name)
    alerts = tmp_path / "alerts.yml"
    text = alerts.read_text()
    assert 'max(alot_lots_stuck{status="funded"}) > 0' in text
    alerts.write_text(text.replace('max(alot_lots_stuck{status="funded"}) > 0', "vector(0) > 1"))
    (tmp_path / "tests").mkdir()
    for path in (PROMETHEUS / "tests").glob("*.yml"):
        shutil.copy(path, tmp_path / "tests" / path.name)
    result = _promtool("test", "rules", *sorted((tmp_path / "tests").glob("*.yml")))
    assert result.returncode != 0
    assert "AlotLotStuckFunded" in result.stdout + result.stderr


@needs_promtool
def test_every_dashboard_expression_parses(tmp_path: Path) -> None:
    # promtool parses PromQL in rule files: each panel query becomes a recording rule.
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:panel_{index}:expr", "expr": expr}
                    for index, (_, expr) in enumerate(_dashboard_exprs())
                ],
            }
        ]
    }
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump(rules))
    result = _promtool("check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_page_describes_every_alert() -> None:
    page = (REPO_ROOT / "docs" / "operations" / "alerts.md").read_text()
    assert [name for name in ALERTS if f"| `{name}` |" not in page] == []


RUNBOOK = REPO_ROOT / "docs" / "operations" / "runbook.md"


@pytest.mark.skipif(not RUNBOOK.exists(), reason="docs/operations/runbook.md not written yet")
def test_every_runbook_link_lands_on_its_section() -> None:
    # The docs' anchors are the headings' slugs: `### AlotOutboxLag` -> #alotoutboxlag.
    headings = set(re.findall(r"^###\s+`?(\w+)`?\s*$", RUNBOOK.read_text(), re.M))
    assert [name for name in ALERTS if name not in headings] == []
