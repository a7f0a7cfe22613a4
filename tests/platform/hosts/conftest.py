"""Fixtures for the hosts suite: a desk that applies, reviews and builds host lots over
HTTP, as hosts and admins use the API."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from alot_platform.outbox.models import OutboxItem
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.platform.conftest import TRIVIA_ANSWER, TRIVIA_QUESTION, Account, Api, FakeClock
from tests.platform.marketplace import application


class HostDesk:
    def __init__(self, client: TestClient, api: Api, clock: FakeClock, lots: Any) -> None:
        self.client = client
        self.api = api
        self.clock = clock
        self.lots = lots  # a LotDesk: its admin reviews, its players buy
        self.admin: Account = lots.admin

    def apply(self, account: Account, **overrides: Any) -> Any:
        return self.client.post(
            "/api/hosts/apply", json=application(account, **overrides), headers=account.headers
        )

    def review(self, host_id: str, action: str, admin: Account | None = None, **body: Any) -> Any:
        return self.client.post(
            f"/api/admin/hosts/{host_id}/{action}",
            json={"reason": f"{action} for the test", **body},
            headers=(admin or self.admin).headers,
        )

    def approved_host(self, commission_bps: int = 1500) -> tuple[Account, str]:
        account = self.api.account()
        applied = self.apply(account)
        assert applied.status_code == 201, applied.text
        host_id: str = applied.json()["id"]
        approved = self.review(host_id, "approve", commission_bps=commission_bps)
        assert approved.status_code == 200, approved.text
        return account, host_id

    def lot_body(self, **overrides: Any) -> dict[str, Any]:
        return {
            "product": {
                "name": "Air Jordan 1 Chicago",
                "brand": "Nike",
                "category": "sneakers",
                "tier": "RARE",
                "retail_value_cents": 50_000,
                "description": "Deadstock, size 42",
                "specifications": {"size_eu": 42},
                "images": ["https://img.example.com/aj1.jpg"],
            },
            "title": "Grail sneakers",
            "funding_target_cents": 1_000,
            "deadline": (self.clock.now + timedelta(days=7)).isoformat(),
            "entry_bundles": [
                {"price_cents": 100, "tickets": 1},
                {"price_cents": 450, "tickets": 5},
            ],
            "trivia_question": TRIVIA_QUESTION,
            "trivia_answer": TRIVIA_ANSWER,
            "non_winner_credit_rate_percent": 10,
            **overrides,
        }

    def create_lot(self, host: Account, **overrides: Any) -> Any:
        return self.client.post(
            "/api/hosts/me/lots", json=self.lot_body(**overrides), headers=host.headers
        )

    def submit(self, host: Account, lot_id: str) -> Any:
        return self.client.post(f"/api/hosts/me/lots/{lot_id}/submit", headers=host.headers)

    def approve_lot(self, lot_id: str, admin: Account | None = None) -> Any:
        return self.client.post(
            f"/api/admin/lots/{lot_id}/approve",
            json={"reason": "Looks right"},
            headers=(admin or self.admin).headers,
        )

    def open_lot(self, host: Account, **overrides: Any) -> dict[str, Any]:
        """A host lot created, submitted and approved: the host's view of it, open."""
        created = self.create_lot(host, **overrides)
        assert created.status_code == 201, created.text
        lot_id = created.json()["lot"]["id"]
        assert self.submit(host, lot_id).status_code == 200
        approved = self.approve_lot(lot_id)
        assert approved.status_code == 200, approved.text
        read = self.client.get(f"/api/hosts/me/lots/{lot_id}", headers=host.headers)
        assert read.status_code == 200, read.text
        lot: dict[str, Any] = read.json()
        return lot

    def emails_to(self, account: Account) -> list[OutboxItem]:
        platform = self.client.app.state.platform  # type: ignore[attr-defined]
        with platform.database.sessions() as session:
            rows = session.scalars(
                select(OutboxItem)
                .where(OutboxItem.user_id == uuid.UUID(account.id), OutboxItem.key.like("host-%"))
                .order_by(OutboxItem.key)
            )
            items = list(rows)
            session.expunge_all()
            return items


@pytest.fixture
def hosts(client: TestClient, api: Api, clock: FakeClock, make_lot_desk: Any) -> HostDesk:
    return HostDesk(client, api, clock, make_lot_desk())
