"""Data rights: the export holds every row that names the player (a walk of the models,
so a new table cannot be forgotten), and deletion erases their personal data everywhere
while the ledger still verifies."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from alot_platform.context import PlatformContext
from alot_platform.db import Base
from alot_platform.entries.models import LotEntryPurchase
from alot_platform.privacy.service import ENCRYPTED, user_tables
from alot_platform.users.models import User
from alot_verify.cli import cli
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import String, Text, or_, select
from sqlalchemy.types import JSON

from tests.platform.conftest import PASSWORD, Services
from tests.platform.draws.conftest import DRAW_LOT_DEFAULTS, Http
from tests.platform.fulfillment.conftest import ADDRESS, Prizes
from tests.platform.marketplace import application

FULL_NAME = "Grace Brewster Hopper"
USERNAME = "amazing_grace"
EMAIL = "grace.hopper@example.com"


@pytest.fixture
def prizes(make_lot_desk: Any, platform: PlatformContext) -> Prizes:
    return Prizes(Http(make_lot_desk(**DRAW_LOT_DEFAULTS)), platform)


def _grace(prizes: Prizes) -> Any:
    return prizes.http.api.account(
        email=EMAIL, username=USERNAME, full_name=FULL_NAME, date_of_birth="1986-12-09"
    )


def _delivered_prize(prizes: Prizes, winner: Any) -> str:
    """``winner`` wins a platform lot, claims it with an address, and it is delivered."""
    lot = prizes.http.open_lot()
    prizes.http.desk.pass_trivia(winner, lot["id"])
    for _ in range(3):
        assert prizes.http.buy(winner, lot["id"], 1).status_code == 201
    [reveal] = [r for r in prizes.reveals(winner) if r["lot_id"] == lot["id"]]
    assert reveal["status"] == "won"
    assert prizes.claim(winner, reveal["id"]).status_code == 200
    assert prizes.admin_ship(reveal["id"]).status_code == 200
    assert prizes.confirm(winner, reveal["id"]).status_code == 200
    return str(reveal["id"])


def _export(client: TestClient, account: Any) -> dict[str, Any]:
    response = client.get("/api/users/me/export", headers=account.headers)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    document: dict[str, Any] = response.json()
    return document


def test_the_export_holds_every_row_of_every_table_that_names_the_player(
    prizes: Prizes, services: Services, platform: PlatformContext
) -> None:
    client = prizes.client
    grace = _grace(prizes)
    _delivered_prize(prizes, grace)
    _host_account, host_id = prizes.host()
    services.grant_credits(grace.id, 700)
    client.patch(
        "/api/users/me/preferences", json={"marketing_emails": False}, headers=grace.headers
    )

    document = _export(client, grace)

    assert document["format"] == "alot-data-export/1"
    account = document["account"]
    assert account["email"] == EMAIL
    assert account["full_name"] == FULL_NAME
    assert account["date_of_birth"] == "1986-12-09"
    assert account["roles"] == ["player"]
    assert "hashed_password" not in account
    assert "full_name_encrypted" not in account
    withheld = {(w["table"], w["column"]) for w in document["withheld"]}
    assert ("users", "hashed_password") in withheld
    # The holder secret alone links the player's pseudonyms across lots: never exported
    # (in no form), while each entry's own pseudonym is.
    assert "holder_secret" not in account
    assert ("users", "holder_secret") in withheld
    with services.session() as session:
        secret = session.scalars(
            select(User.holder_secret).where(User.id == uuid.UUID(grace.id))
        ).one()
    dumped = json.dumps(document)
    assert secret.hex() not in dumped
    assert base64.b64encode(secret).decode() not in dumped
    entries = document["tables"]["lot_entries"]
    assert entries
    assert all(len(e["holder"]) == 64 for e in entries)
    [reveal] = [r for r in document["tables"]["reveals"] if r["status"] == "delivered"]
    assert reveal["shipping_address"]["line1"] == ADDRESS["line1"]

    # The walk: every table with a foreign key to users.id is in the export, with exactly
    # the rows that name the player.
    me = uuid.UUID(grace.id)
    with services.session() as session:
        for table, columns in user_tables():
            assert table.name in document["tables"], table.name
            keys = [c.name for c in table.primary_key.columns]
            rows = session.execute(
                select(*table.primary_key.columns).where(or_(*[c == me for c in columns]))
            ).all()
            held = {tuple(str(v) for v in row) for row in rows}
            exported = {tuple(str(r[k]) for k in keys) for r in document["tables"][table.name]}
            assert held <= exported, table.name
    # The player has rows in the tables a player's life touches.
    for name in (
        "auth_sessions",
        "one_time_tokens",
        "user_roles",
        "user_universal_credits",
        "credit_transactions",
        "lot_entry_purchases",
        "lot_entries",
        "lot_trivia_attempts",
        "reveals",
        "lottery_draws",
        "notifications",
        "notification_preferences",
        "outbox",
    ):
        assert document["tables"][name], name
    # One step from what the player owns: their purchases' fees and payment records.
    purchases = {p["id"] for p in document["tables"]["lot_entry_purchases"]}
    assert {f["purchase_id"] for f in document["tables"].get("payment_fees", [])} <= purchases
    # Nobody else's rows: no other player's entries, and not the other host's profile.
    assert {e["user_id"] for e in document["tables"]["lot_entries"]} == {grace.id}
    assert host_id not in json.dumps(document["tables"].get("hosts", []))
    assert "outbox" not in {w["table"] for w in document["withheld"] if w["column"] == "subject"}
    for row in document["tables"]["outbox"]:
        assert "body" not in row


def test_every_encrypted_column_is_decrypted_in_the_export() -> None:
    encrypted = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_encrypted")
    }
    assert encrypted == set(ENCRYPTED)


def test_deletion_is_refused_while_something_is_in_flight(prizes: Prizes) -> None:
    client = prizes.client
    grace = _grace(prizes)
    lot = prizes.http.open_lot()
    prizes.http.desk.pass_trivia(grace, lot["id"])
    assert prizes.http.buy(grace, lot["id"], 0).status_code == 201

    def delete(**body: Any) -> Any:
        return client.request(
            "DELETE",
            "/api/users/me",
            json={"password": PASSWORD, "confirm": "DELETE", **body},
            headers=grace.headers,
        )

    wrong = delete(password="not-my-password")
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "wrong_password"
    unconfirmed = delete(confirm="yes")
    assert unconfirmed.status_code == 422
    blocked = delete()
    assert blocked.status_code == 409, blocked.text
    assert blocked.json()["code"] == "account_deletion_blocked"
    [reason] = blocked.json()["reasons"]
    assert reason["code"] == "tickets_in_play"
    assert reason["lot_ids"] == [lot["id"]]
    assert client.get("/api/users/me", headers=grace.headers).json()["email"] == EMAIL
    # An admin cannot delete their own account (another admin removes the role first).
    admin = client.request(
        "DELETE",
        "/api/users/me",
        json={"password": PASSWORD, "confirm": "DELETE"},
        headers=prizes.admin.headers,
    )
    assert admin.status_code == 409
    assert admin.json()["reasons"][0]["code"] == "admin"


def test_deletion_erases_personal_data_everywhere_and_the_ledger_still_verifies(
    prizes: Prizes, services: Services, platform: PlatformContext, tmp_path: Path
) -> None:
    client = prizes.client
    grace = _grace(prizes)
    _delivered_prize(prizes, grace)
    services.grant_credits(grace.id, 700)
    before = _export(client, grace)
    purchases = len(before["tables"]["lot_entry_purchases"])

    deleted = client.request(
        "DELETE",
        "/api/users/me",
        json={"password": PASSWORD, "confirm": "DELETE"},
        headers=grace.headers,
    )
    assert deleted.status_code == 204, deleted.text

    # Signed out everywhere, and the old email and password no longer sign in.
    assert client.get("/api/users/me", headers=grace.headers).status_code == 401
    login = client.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert login.status_code == 401
    # The admin sees the account as deleted, under its placeholder name.
    seen = prizes.http.admin_get(f"/api/admin/users/{grace.id}").json()
    assert seen["status"] == "deleted"
    assert seen["username"].startswith("deleted-")
    assert seen["email"].endswith("@deleted.invalid")
    assert seen["full_name"] is None
    assert seen["date_of_birth"] is None
    assert seen["roles"] == []

    # No text anywhere in the database holds the person's email, username, name or
    # address any more.
    needles = [EMAIL, USERNAME, FULL_NAME, ADDRESS["line1"], ADDRESS["phone"]]
    with services.session() as session:
        for table in Base.metadata.sorted_tables:
            texts = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not texts:
                continue
            for row in session.execute(select(*texts)).all():
                for value in row:
                    for needle in needles:
                        assert needle.lower() not in json.dumps(value).lower(), (
                            table.name,
                            needle,
                        )
        # Kept by id: the purchases (draw proofs' ticket maps) and the ledger.
        kept = session.scalars(
            select(LotEntryPurchase).where(LotEntryPurchase.user_id == uuid.UUID(grace.id))
        ).all()
        assert len(kept) == purchases

    # The ledger verifies, and the forfeited credits are in it.
    export = prizes.http.admin_get("/api/ledger/export")
    assert export.status_code == 200
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(export.content)
    checked = CliRunner().invoke(cli, ["ledger", str(path)])
    assert checked.exit_code == 0, checked.output
    kinds = [json.loads(line)["kind"] for line in export.text.splitlines()]
    assert kinds[-1] == "credits_forfeited"
    assert prizes.http.ledger_balance(f"user:{grace.id}:credits", "CRD") == 0


def test_an_admin_export_shows_their_reviews_not_the_hosts_data(prizes: Prizes) -> None:
    client, admin = prizes.client, prizes.admin
    applicant = prizes.http.api.account()
    applied = client.post(
        "/api/hosts/apply", json=application(applicant), headers=applicant.headers
    )
    assert applied.status_code == 201, applied.text
    host_id = applied.json()["id"]
    approved = client.post(
        f"/api/admin/hosts/{host_id}/approve",
        json={"reason": "Documents checked", "commission_bps": 1500},
        headers=admin.headers,
    )
    assert approved.status_code == 200, approved.text
    document = _export(client, admin)
    [reviewed] = [h for h in document["tables"]["hosts"] if h["id"] == host_id]
    assert reviewed["reviewed_by"] == admin.id
    assert set(reviewed) == {"id", "reviewed_by", "reviewed_at", "status"}
    # Nor what hangs off the host profile: it is not the admin's.
    assert not [lot for lot in document["tables"].get("lots", []) if lot.get("host_id") == host_id]


def test_deletion_waits_for_a_self_exclusion_to_end(prizes: Prizes) -> None:
    """Erasing the account mid-exclusion would let the same person register again with
    the same email and play: the break holds, so deletion waits for it."""
    client = prizes.client
    grace = _grace(prizes)
    excluded = client.post(
        "/api/users/me/play/self-exclusion",
        json={"months": 6, "confirm": True},
        headers=grace.headers,
    )
    assert excluded.status_code == 200, excluded.text
    blocked = client.request(
        "DELETE",
        "/api/users/me",
        json={"password": PASSWORD, "confirm": "DELETE"},
        headers=grace.headers,
    )
    assert blocked.status_code == 409, blocked.text
    [reason] = blocked.json()["reasons"]
    assert reason["code"] == "exclusion_in_force"
    assert reason["ends_at"] == excluded.json()["exclusion"]["ends_at"].replace("Z", "+00:00")
    assert client.get("/api/users/me", headers=grace.headers).json()["email"] == EMAIL
