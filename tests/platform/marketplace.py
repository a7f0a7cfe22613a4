"""Hosts and host lots for tests, made through the hosts API: an application approved
by an admin, and a lot reviewed and approved (which opens it)."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Any

from alot_platform.db import unit_of_work
from alot_platform.lots.models import Lot, LotReview
from alot_platform.users.models import Role
from alot_platform.users.service import UserService
from fastapi.testclient import TestClient

from tests.platform.conftest import Account, Api, LotDesk

APPLICATION: dict[str, Any] = {
    "description": "Watches and sneakers",
    "logo_url": "https://img.example.com/logo.png",
    "website_url": "https://shop.example.com",
    "country": "GB",
}


def application(account: Account, **overrides: Any) -> dict[str, Any]:
    """A host application's body for ``account`` (business details included)."""
    return {
        "display_name": f"{account.username} Ltd",
        **APPLICATION,
        "business_details": {
            "legal_name": f"{account.username} Limited",
            "registration_number": "12345678",
            "vat_number": "GB123456789",
            "address_lines": ["1 High Street", "London EC1A 1AA"],
        },
        **overrides,
    }


def make_host(client: TestClient, account: Account, *, commission_bps: int = 1500) -> str:
    """Make ``account`` an approved host (it applies; an admin approves); its host id."""
    applied = client.post("/api/hosts/apply", json=application(account), headers=account.headers)
    assert applied.status_code == 201, applied.text
    host_id: str = applied.json()["id"]
    admin = _reviewer(client)
    approved = client.post(
        f"/api/admin/hosts/{host_id}/approve",
        json={"reason": "Documents checked", "commission_bps": commission_bps},
        headers=admin.headers,
    )
    assert approved.status_code == 200, approved.text
    return host_id


def _reviewer(client: TestClient) -> Account:
    """A new admin (another account than any the calling test made) to review hosts."""
    account = Api(client).account(username=f"reviewer{uuid.uuid4().hex[:10]}")
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with contextmanager(unit_of_work)(platform.database) as session:
        users = UserService(session, platform)
        users.set_roles(users.get(uuid.UUID(account.id)), [Role.PLAYER, Role.ADMIN])
    return account


def open_host_lot(desk: LotDesk, host_id: str, **overrides: Any) -> dict[str, Any]:
    """A lot of ``host_id``, submitted and approved by an admin (which opens it with the
    host's commission); the lot as read. Made with the desk's lot body (a catalogue
    product), so a suite's lot defaults and overrides apply as for platform lots."""
    lot = desk.create(**overrides)
    platform = desk.client.app.state.platform  # type: ignore[attr-defined]
    with contextmanager(unit_of_work)(platform.database) as session:
        row = session.get(Lot, uuid.UUID(lot["id"]))
        assert row is not None
        row.host_id = uuid.UUID(host_id)
        row.review_status = LotReview.PENDING.value
    response = desk.client.post(
        f"/api/admin/lots/{lot['id']}/approve", json={}, headers=desk.admin.headers
    )
    assert response.status_code == 200, response.text
    opened: dict[str, Any] = response.json()
    return opened
