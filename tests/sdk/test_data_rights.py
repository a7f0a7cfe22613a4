"""`client.users.export()`, `client.users.delete_account()` and `client.audit.log()`
over the real app in process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alot_sdk import AuthenticationError, ConflictError, PermissionDeniedError
from alot_verify.cli import cli
from click.testing import CliRunner

PASSWORD = "correct-horse-battery"


def test_a_player_exports_then_deletes_their_account(
    make_player: Callable[..., Any], make_client: Callable[..., Any]
) -> None:
    ada = make_player()
    export = ada.client.users.export()
    assert export.format == "alot-data-export/1"
    assert export.account["email"] == ada.email
    assert export.tables["user_roles"] == [
        {**export.tables["user_roles"][0], "user_id": ada.id, "role": "player"}
    ]
    assert any(w["column"] == "hashed_password" for w in export.withheld)

    with pytest.raises(PermissionDeniedError) as wrong:
        ada.client.users.delete_account("not the password")
    assert wrong.value.code == "wrong_password"
    ada.client.users.delete_account(PASSWORD)
    assert ada.client.access_token is None
    again = make_client()
    with pytest.raises(AuthenticationError):
        again.auth.login(ada.email, PASSWORD)


def test_deletion_blocked_says_why(admin: Any) -> None:
    with pytest.raises(ConflictError) as blocked:
        admin.client.users.delete_account(PASSWORD)
    assert blocked.value.code == "account_deletion_blocked"
    assert blocked.value.body["reasons"][0]["code"] == "admin"


def test_an_auditor_iterates_the_audit_log_and_verifies_its_export(
    admin: Any, make_player: Callable[..., Any], tmp_path: Path
) -> None:
    auditor, bob = make_player(), make_player()
    admin.client.admin.users.set_roles(auditor.id, ["player", "auditor"])
    admin.client.admin.users.set_roles(bob.id, ["player", "host"])
    entries = list(auditor.client.audit.log(limit=1))
    assert [(e.seq, e.action, e.target_id) for e in entries] == [
        (1, "roles_changed", auditor.id),
        (2, "roles_changed", bob.id),
    ]
    assert entries[1].details == {"before": ["player"], "after": ["host", "player"]}
    assert entries[1].prev_hash == entries[0].hash
    path = tmp_path / "audit.jsonl"
    path.write_bytes(auditor.client.audit.export())
    assert CliRunner().invoke(cli, ["audit-log", str(path)]).exit_code == 0
    with pytest.raises(PermissionDeniedError):
        list(bob.client.audit.log())


@pytest.mark.anyio
async def test_the_async_client_does_the_same(
    make_async_client: Callable[..., Any], admin: Any, make_player: Callable[..., Any]
) -> None:
    ada = make_player()
    admin.client.admin.users.set_roles(ada.id, ["player", "host"])
    client = make_async_client()
    await client.auth.login(admin.email, PASSWORD)
    entries = [entry async for entry in await client.audit.log()]
    assert [e.action for e in entries] == ["roles_changed"]
    player = make_async_client()
    other = make_player()
    await player.auth.login(other.email, PASSWORD)
    assert (await player.users.export()).account["email"] == other.email
    await player.users.delete_account(PASSWORD)
    assert player.access_token is None
