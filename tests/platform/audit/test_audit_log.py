"""The audit log of admin and host actions: appended with the action, chained, readable
by auditors and admins, append-only in the database, checked by `alot-verify audit-log`."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alot_platform.audit.service import record_action
from alot_platform.context import PlatformContext
from alot_verify.cli import cli
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from tests.platform.conftest import Api, Services
from tests.platform.hosts.conftest import HostDesk


def _set_roles(client: TestClient, admin: Any, user_id: str, roles: list[str]) -> None:
    response = client.put(
        f"/api/admin/users/{user_id}/roles", json={"roles": roles}, headers=admin.headers
    )
    assert response.status_code == 200, response.text


def _log(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = client.get("/api/audit/log", params=params, headers=headers)
        assert page.status_code == 200, page.text
        assert page.json()["chain_ok"] is True
        entries += page.json()["items"]
        if page.json()["next_cursor"] is None:
            return entries
        params["cursor"] = page.json()["next_cursor"]


def test_admin_actions_are_logged_and_the_export_verifies(
    client: TestClient, api: Api, make_lot_desk: Any, tmp_path: Path
) -> None:
    desk = make_lot_desk()
    admin = desk.admin
    player = api.account()
    _set_roles(client, admin, player.id, ["player", "auditor"])
    lot = desk.open_lot()
    extended = (datetime.fromisoformat(lot["deadline"]) + timedelta(days=1)).isoformat()
    response = client.post(
        f"/api/admin/lots/{lot['id']}/extend",
        json={"deadline": extended, "reason": "courier strike"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text

    # The new auditor reads the log (a player could not, a moment ago).
    entries = _log(client, player.headers)
    assert [e["action"] for e in entries] == [
        "roles_changed",
        "product_class_created",
        "lot_created",
        "lot_opened",
        "lot_extended",
    ]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    role_change = entries[0]
    assert role_change["actor_id"] == admin.id
    assert role_change["actor_roles"] == ["admin", "player"]
    assert role_change["target_type"] == "user"
    assert role_change["target_id"] == player.id
    assert role_change["details"] == {"before": ["player"], "after": ["auditor", "player"]}
    assert entries[0]["prev_hash"] == "0" * 64
    assert entries[4]["details"]["deadline"].startswith(extended[:19])
    # No personal data: the free-text reason stays in the ledger memo, not here.
    assert "courier" not in json.dumps(entries)

    export = client.get("/api/audit/log/export", headers=player.headers)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/jsonl")
    path = tmp_path / "audit.jsonl"
    path.write_bytes(export.content)
    checked = CliRunner().invoke(cli, ["audit-log", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "5 entries" in checked.output

    lines = export.text.splitlines()
    forged = json.loads(lines[1])
    forged["details"]["host_id"] = str(uuid.uuid4())
    path.write_text("\n".join([lines[0], json.dumps(forged), *lines[2:]]) + "\n")
    failed = CliRunner().invoke(cli, ["audit-log", str(path)])
    assert failed.exit_code == 1, failed.output
    assert "seq 2" in failed.output


def test_only_auditors_and_admins_read_the_log(client: TestClient, api: Api) -> None:
    player = api.account()
    for path in ("/api/audit/log", "/api/audit/log/export"):
        assert client.get(path).status_code == 401
        refused = client.get(path, headers=player.headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "missing_role"


def test_the_database_refuses_to_change_or_remove_an_entry(
    client: TestClient, api: Api, platform: PlatformContext
) -> None:
    admin = api.admin()
    _set_roles(client, admin, api.account().id, ["player", "host"])
    engine = platform.database.engine
    for statement in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT action FROM audit_log")).scalars().all() == [
            "roles_changed"
        ]


def test_concurrent_appends_chain_without_gaps(
    client: TestClient, platform: PlatformContext, services: Services, tmp_path: Path
) -> None:
    """Threads append at once, each in its own transaction: the lock makes each read
    the head the previous one left, so the seqs run 1..n and every link holds."""
    actor = uuid.uuid4()
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def append(n: int) -> None:
        try:
            start.wait()
            for i in range(5):
                with services.session() as session:
                    record_action(
                        session,
                        actor_id=actor,
                        action="payout_retried",
                        target_type="payout",
                        target_id=f"{n}-{i}",
                        details={"amount_cents": n * 100 + i},
                        now=datetime(2026, 3, 1, 12, 0, i, 123456, tzinfo=UTC),
                    )
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    admin = Api(client).admin()
    export = client.get("/api/audit/log/export", headers=admin.headers)
    entries = [json.loads(line) for line in export.text.splitlines()]
    assert [e["seq"] for e in entries] == list(range(1, 31))
    assert entries[0]["actor_roles"] == []  # an id no account has: no roles
    path = tmp_path / "audit.jsonl"
    path.write_bytes(export.content)
    assert CliRunner().invoke(cli, ["audit-log", str(path)]).exit_code == 0


def test_host_reviews_and_host_lot_steps_are_logged(
    client: TestClient, api: Api, clock: Any, make_lot_desk: Any
) -> None:
    hosts = HostDesk(client, api, clock, make_lot_desk())
    host, host_id = hosts.approved_host(commission_bps=1500)
    lot = hosts.open_lot(host)
    entries = _log(client, hosts.admin.headers)
    actions = [(e["action"], e["target_type"], e["target_id"]) for e in entries]
    assert actions == [
        ("host_reviewed", "host", host_id),
        ("lot_created", "lot", lot["lot"]["id"]),
        ("host_lot_submitted", "lot", lot["lot"]["id"]),
        ("host_lot_approved", "lot", lot["lot"]["id"]),
        ("lot_opened", "lot", lot["lot"]["id"]),
    ]
    submitted = next(e for e in entries if e["action"] == "host_lot_submitted")
    assert submitted["actor_id"] == host.id
    assert "host" in submitted["actor_roles"]
    assert entries[0]["details"]["review"] == "approve"
    assert entries[0]["actor_id"] == hosts.admin.id


def test_a_bad_cursor_or_limit_is_a_422_problem(client: TestClient, api: Api) -> None:
    admin = api.admin()
    _set_roles(client, admin, api.account().id, ["player", "host"])
    _set_roles(client, admin, api.account().id, ["player", "auditor"])
    first = client.get("/api/audit/log", params={"limit": 1}, headers=admin.headers).json()
    assert first["next_cursor"]
    users = client.get("/api/admin/users", params={"limit": 1}, headers=admin.headers).json()
    for cursor in ["zzz", "bm90IGpzb24", str(uuid.uuid4()), users["next_cursor"]]:
        response = client.get("/api/audit/log", params={"cursor": cursor}, headers=admin.headers)
        assert response.status_code == 422, (cursor, response.text)
        assert response.json()["code"] == "invalid_cursor"
    for limit in (0, 101):
        response = client.get("/api/audit/log", params={"limit": limit}, headers=admin.headers)
        assert response.status_code == 422


def test_newest_first_pages_back_through_the_log(client: TestClient, api: Api) -> None:
    admin = api.admin()
    targets = [api.account().id for _ in range(3)]
    for target in targets:
        _set_roles(client, admin, target, ["player", "host"])
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 2, "newest_first": True}
    while True:
        page = client.get("/api/audit/log", params=params, headers=admin.headers).json()
        assert page["chain_ok"] is True
        seen += [e["seq"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [3, 2, 1]
    oldest_first = client.get("/api/audit/log", params={"limit": 1}, headers=admin.headers)
    foreign = client.get(
        "/api/audit/log",
        params={"newest_first": True, "cursor": oldest_first.json()["next_cursor"]},
        headers=admin.headers,
    )
    assert foreign.status_code == 422
