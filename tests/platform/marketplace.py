"""Hosts and host lots for tests, made in the database as an approved application would
leave them (the hosts API builds the same rows; suites that test it use the API)."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Any

from alot_platform.db import unit_of_work
from alot_platform.hosts.models import Host, HostStatus
from alot_platform.lots.models import Lot
from alot_platform.users.models import Role
from alot_platform.users.service import UserService
from fastapi.testclient import TestClient

from tests.platform.conftest import Account, LotDesk


def make_host(client: TestClient, account: Account, *, commission_bps: int = 1500) -> str:
    """Make ``account`` an approved host (the host role and a hosts row); its id."""
    platform = client.app.state.platform  # type: ignore[attr-defined]
    now = platform.clock()
    with contextmanager(unit_of_work)(platform.database) as session:
        users = UserService(session, platform)
        user = users.get(uuid.UUID(account.id))
        users.set_roles(user, sorted(user.roles | {Role.PLAYER, Role.HOST}))
        host = Host(
            user_id=user.id,
            display_name=f"{account.username} Ltd",
            description="Watches and sneakers",
            country="GB",
            business_details={"legal_name": f"{account.username} Ltd"},
            status=HostStatus.APPROVED.value,
            approved=True,
            approved_at=now,
            commission_bps=commission_bps,
            payouts_enabled=False,
            total_lots_created=0,
            total_lots_funded=0,
            created_at=now,
            updated_at=now,
        )
        session.add(host)
        session.flush()
        return str(host.id)


def open_host_lot(desk: LotDesk, host_id: str, **overrides: Any) -> dict[str, Any]:
    """A lot of ``host_id`` (commission copied from the host), opened; the lot as read."""
    lot = desk.create(**overrides)
    platform = desk.client.app.state.platform  # type: ignore[attr-defined]
    with contextmanager(unit_of_work)(platform.database) as session:
        host = session.get(Host, uuid.UUID(host_id))
        row = session.get(Lot, uuid.UUID(lot["id"]))
        assert host is not None
        assert row is not None
        row.host_id = host.id
        row.commission_bps = host.commission_bps
    return desk.open(lot["id"])
