"""The ledger API as the platform mounts it: who may read, and that nobody writes over HTTP."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Any

from alot_ledger import Checkpointer, Ledger
from alot_platform.db import unit_of_work
from alot_platform.ledger.endpoints import ledger_settings
from alot_platform.users.models import Role
from alot_platform.users.service import UserService
from alot_verify.checkpoint import verify_checkpoint
from alot_verify.ledger import verify_ledger
from fastapi.testclient import TestClient


def _grant(client: TestClient, user_id: str, *roles: Role) -> None:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with contextmanager(unit_of_work)(platform.database) as session:
        users = UserService(session, platform)
        users.set_roles(users.get(uuid.UUID(user_id)), [Role.PLAYER, *roles])


def _post_memo(client: TestClient) -> None:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with contextmanager(unit_of_work)(platform.database) as session:
        Ledger(session).memo("test_memo", refs={"note": "mounted"})


def test_reads_need_the_auditor_or_admin_role(client: TestClient, api: Any) -> None:
    player = api.account()
    assert client.get("/api/ledger/transactions").status_code == 401
    response = client.get("/api/ledger/transactions", headers=player.headers)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")

    auditor = api.account()
    _grant(client, auditor.id, Role.AUDITOR)
    auditor_tokens = api.login(auditor.email)
    headers = {"Authorization": f"Bearer {auditor_tokens['access_token']}"}
    _post_memo(client)
    response = client.get("/api/ledger/transactions", headers=headers)
    assert response.status_code == 200, response.text
    assert [t["kind"] for t in response.json()["items"]] == ["test_memo"]


def test_public_ledger_is_readable_anonymously_and_checkpoints_verify(make_client: Any) -> None:
    client = make_client(ledger_public=True)
    _post_memo(client)
    key = client.get("/api/ledger/verifier-key").json()["verifier_key"]
    platform = client.app.state.platform  # type: ignore[attr-defined]
    Checkpointer.from_settings(ledger_settings(platform.settings)).checkpoint(
        platform.database.engine
    )
    note = client.get("/api/ledger/checkpoint").json()["note"]
    assert verify_checkpoint(note, key).size == 1


def test_nobody_writes_the_ledger_over_http(client: TestClient, api: Any) -> None:
    admin = api.admin()
    body = {"kind": "forged", "postings": [], "refs": {}, "metadata": {}}
    response = client.post("/api/ledger/transactions", json=body, headers=admin.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "ledger_writes_refused"
    assert client.post("/api/ledger/transactions", json=body).status_code == 401


def test_export_over_http_verifies(make_client: Any) -> None:
    # The export reads its range inside the request's transaction: on SQLite a second
    # connection would wait for that transaction's write lock (and time out).
    client = make_client(ledger_public=True)
    for _ in range(3):
        _post_memo(client)
    response = client.get("/api/ledger/export")
    assert response.status_code == 200, response.text
    assert response.headers["X-Ledger-Last-Seq"] == "3"
    summary = verify_ledger(response.content.splitlines(keepends=True))
    assert summary.transactions == 3
