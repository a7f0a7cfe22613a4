"""Fixtures for the payment tests: a local fake of Stripe, an app that pays through it,
and a till that buys (through the suite's shared `LotDesk`) and delivers Stripe's signed
webhooks over HTTP.

The fake lives in fake_stripe.py beside this file; pytest's importlib mode gives tests
no sys.path entry for it, so it is loaded here by file and handed out as fixtures.
Webhooks are signed with the stripe library's own helper, exactly as Stripe signs them.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import stripe
from alot_ledger import Ledger
from alot_platform.context import PlatformContext
from fastapi.testclient import TestClient
from sqlalchemy import text

WEBHOOK_SECRET = "whsec_test_alot_local"
WRITTEN_BY_PAYMENTS = (
    "lot_entry_purchases",
    "lot_entries",
    "reveals",
    "lottery_draws",
    "ledger_transactions",
    "payment_events",
)


def _load_fake_stripe() -> ModuleType:
    name = "alot_tests_fake_stripe"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("fake_stripe.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


fake_stripe_module = _load_fake_stripe()


@pytest.fixture
def fake_stripe() -> Iterator[Any]:
    """Stripe's API on 127.0.0.1, for this test only."""
    with fake_stripe_module.running_fake_stripe() as fake:
        yield fake


@pytest.fixture
def stripe_overrides(fake_stripe: Any) -> dict[str, Any]:
    """Settings that make the app pay through the fake Stripe."""
    return {
        "payment_provider": "stripe",
        "stripe_secret_key": fake_stripe_module.API_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": fake_stripe.url,
        # Far above a local answer's time, far below the fake's injected delay.
        "stripe_timeout_seconds": 1.0,
        "stripe_max_network_retries": 2,
    }


@pytest.fixture
def client(make_client: Callable[..., TestClient], stripe_overrides: dict[str, Any]) -> TestClient:
    """Here the app pays through the fake Stripe (``api``, ``app`` follow it)."""
    return make_client(**stripe_overrides)


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    header: str = stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=timestamp
    )
    return header


@pytest.fixture
def signer() -> Callable[..., str]:
    """``signer(body, secret=..., timestamp=...)``: a Stripe-Signature header for ``body``."""
    return sign


class Till:
    """Stripe purchases and webhook deliveries over the real API, and what they wrote.

    Lots, players and set-ups come from the suite's shared helpers: ``desk`` (a
    `LotDesk`: lots, players who passed the trivia, purchases over HTTP) and
    ``services`` (a unit of work, granted credits); the short-hands below use them.
    """

    def __init__(self, desk: Any, services: Any, fake: Any) -> None:
        self.desk = desk
        self.services = services
        self.fake = fake
        self.client: TestClient = desk.client
        self.api = desk.api
        self.clock = desk.clock
        self.admin = desk.admin

    @property
    def platform(self) -> PlatformContext:
        platform: PlatformContext = self.client.app.state.platform  # type: ignore[attr-defined]
        return platform

    def session(self) -> Any:
        return self.services.session()

    def open_lot(self, **overrides: Any) -> dict[str, Any]:
        opened: dict[str, Any] = self.desk.open_lot(**overrides)
        return opened

    def player(self, lot_id: str) -> Any:
        return self.desk.player(lot_id)

    def grant_credits(self, user_id: str, amount: int) -> None:
        self.services.grant_credits(user_id, amount)

    def buy(self, account: Any, lot_id: str, bundle_index: int = 0) -> dict[str, Any]:
        """A cash purchase through Checkout: pending, with the session to pay."""
        response = self.desk.buy(account, lot_id, bundle_index)
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        return body

    def deliver(self, event: dict[str, Any], *, signature: str | None = None) -> Any:
        payload = json.dumps(event)
        return self.client.post(
            "/api/webhooks/stripe",
            content=payload,
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": signature if signature is not None else sign(payload),
            },
        )

    def deliver_at_once(self, events: list[dict[str, Any]]) -> list[int]:
        """Deliver every event from its own thread, all released together."""
        start = threading.Barrier(len(events))
        statuses: list[int] = [0] * len(events)

        def post(index: int, event: dict[str, Any]) -> None:
            start.wait()
            statuses[index] = self.deliver(event).status_code

        threads = [threading.Thread(target=post, args=(i, e)) for i, e in enumerate(events)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return statuses

    def purchase(self, purchase_id: str) -> dict[str, Any]:
        with self.platform.database.engine.connect() as connection:
            row = (
                connection.execute(
                    text("SELECT * FROM lot_entry_purchases WHERE id = :id"),
                    {"id": uuid.UUID(purchase_id).hex if self._sqlite else purchase_id},
                )
                .mappings()
                .one()
            )
            return dict(row)

    @property
    def _sqlite(self) -> bool:
        return self.platform.database.engine.dialect.name == "sqlite"

    def census(self) -> dict[str, int]:
        with self.platform.database.engine.connect() as connection:
            return {
                table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in WRITTEN_BY_PAYMENTS
            }

    def ledger_kinds(self) -> list[str]:
        with self.platform.database.engine.connect() as connection:
            rows = connection.execute(text("SELECT kind FROM ledger_transactions ORDER BY seq"))
            return [str(row[0]) for row in rows]

    def ledger(self, kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(refs, metadata) of every ledger transaction of ``kind``, oldest first."""
        with self.platform.database.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT refs_json, metadata_json FROM ledger_transactions"
                    " WHERE kind = :kind ORDER BY seq"
                ),
                {"kind": kind},
            )
            return [(json.loads(refs), json.loads(meta)) for refs, meta in rows]

    def event_row(self, event_id: str) -> dict[str, Any]:
        with self.platform.database.engine.connect() as connection:
            row = (
                connection.execute(
                    text("SELECT * FROM payment_events WHERE id = :id"), {"id": event_id}
                )
                .mappings()
                .one()
            )
            return dict(row)

    def rows(self, table: str, **where: str) -> list[dict[str, Any]]:
        """Rows of ``table`` whose columns equal ``where`` (ids as the API shows them)."""
        clause = " AND ".join(f"{column} = :{column}" for column in where) or "1 = 1"
        with self.platform.database.engine.connect() as connection:
            found = connection.execute(
                text(f"SELECT * FROM {table} WHERE {clause}"),
                {column: self._db_id(value) for column, value in where.items()},
            )
            return [dict(row) for row in found.mappings()]

    def _db_id(self, value: str) -> str:
        """A UUID as this database stores it (SQLite: 32 hex digits); other values as-is."""
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            return value
        return parsed.hex if self._sqlite and len(value) == 36 else value

    def events_of(self, purchase_id: str) -> list[str]:
        """Ids of the stored events applied to ``purchase_id``."""
        with self.platform.database.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id FROM payment_events WHERE purchase_id = :id"),
                {"id": uuid.UUID(purchase_id).hex if self._sqlite else purchase_id},
            )
            return [str(row[0]) for row in rows]

    def mails_to(self, email: str) -> list[dict[str, Any]]:
        secret = self.platform.settings.dev_mailbox_secret
        assert secret is not None
        response = self.client.get(
            "/api/dev/mailbox",
            params={"to": email},
            headers={"X-Dev-Secret": secret.get_secret_value()},
        )
        assert response.status_code == 200, response.text
        mails: list[dict[str, Any]] = response.json()
        return mails

    def ledger_balance(self, account: str, asset: str) -> int:
        with self.session() as session:
            return Ledger(session).balance(account, asset).balance

    def lot(self, lot_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/lots/{lot_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def till(make_lot_desk: Callable[..., Any], services: Any, fake_stripe: Any) -> Till:
    return Till(make_lot_desk(), services, fake_stripe)


@pytest.fixture
def cli_env(till: Till, db_url: str, tmp_path: Path) -> Callable[..., dict[str, str]]:
    """``cli_env(**more)``: the environment of an ``alot`` command on the till's app."""

    def env(**more: str) -> dict[str, str]:
        settings = till.platform.settings
        assert settings.stripe_secret_key is not None
        assert settings.stripe_webhook_secret is not None
        assert settings.stripe_api_base is not None
        return {
            "ALOT_ENV": "test",
            "ALOT_DATABASE_URL": db_url,
            "ALOT_VAR_DIR": str(tmp_path / "var"),
            "ALOT_PAYMENT_PROVIDER": "stripe",
            "ALOT_STRIPE_SECRET_KEY": settings.stripe_secret_key.get_secret_value(),
            "ALOT_STRIPE_WEBHOOK_SECRET": settings.stripe_webhook_secret.get_secret_value(),
            "ALOT_STRIPE_API_BASE": settings.stripe_api_base,
            "ALOT_STRIPE_MAX_NETWORK_RETRIES": "0",
            **more,
        }

    return env
