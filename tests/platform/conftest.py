"""Fixtures for the platform suite: the real app on a real database, an injectable clock.

Every test that takes `client` runs against a freshly migrated database from the
shared `db_url` fixture (SQLite always; PostgreSQL too when ALOT_TEST_POSTGRES_URL is
set). Rate limits are set high here so only the rate-limit tests, which lower them,
are throttled; Argon2 runs with small parameters so the suite stays fast.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alot_ledger import Ledger, Posting
from alot_platform.app import create_app
from alot_platform.config import Settings
from alot_platform.context import PlatformContext
from alot_platform.credits.models import CreditTransactionType
from alot_platform.credits.service import CreditChange, CreditsService
from alot_platform.db import unit_of_work
from alot_platform.ledger.accounts import CRD, CREDITS_ISSUED, user_credits
from alot_platform.migrate import migrate
from alot_platform.outbox.models import OutboxItem
from alot_platform.users.models import Role
from alot_platform.users.service import UserService
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.platform.fake_drand import drand  # noqa: F401 (drand faked at its network boundary)

BASE_URL = "https://testserver"  # https: the session cookies are Secure
PASSWORD = "correct-horse-battery"
TRIVIA_QUESTION = "Which Swiss maker's logo is a crown?"
TRIVIA_ANSWER = "Rolex"
DEV_SECRET = "dev-secret-of-the-test-run"
DEV_HEADERS = {"X-Dev-Secret": DEV_SECRET}  # opens the dev mailbox


class FakeClock:
    """The platform clock, under the test's control."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC))


def _settings(database_url: str, var_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        # development on loopback with a dev secret: the dev mailbox is mounted
        "env": "development",
        "dev_bind_host": "127.0.0.1",
        "dev_mailbox_secret": DEV_SECRET,
        "var_dir": var_dir,
        # No web client unless a test builds one: API paths answer as the API.
        "web_dir": var_dir / "no-web-client",
        "database_url": database_url,
        "redis_url": None,
        "rate_limit_default": "100000/minute",
        "rate_limit_auth": "100000/minute",
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "argon2_parallelism": 1,
        "frontend_origin": "https://app.example.com",
        "smtp_host": None,
        # Outbox tasks run in the committing thread: done when the request returns.
        "task_runner": "inline",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_settings(db_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Settings for this test's database; keyword arguments override fields."""

    def make(**overrides: Any) -> Settings:
        return _settings(**{"database_url": db_url, "var_dir": tmp_path / "var", **overrides})

    return make


@pytest.fixture
def make_client(
    make_settings: Callable[..., Settings], clock: FakeClock
) -> Iterator[Callable[..., TestClient]]:
    """Build (migrated) apps and clients; several may share one database."""
    clients: list[TestClient] = []
    migrated = False

    def make(**overrides: Any) -> TestClient:
        nonlocal migrated
        settings = make_settings(**overrides)
        if not migrated:
            migrate(settings)
            migrated = True
        client = TestClient(create_app(settings, clock=clock), base_url=BASE_URL)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def app(client: TestClient) -> FastAPI:
    assert isinstance(client.app, FastAPI)
    return client.app


@pytest.fixture
def count_rows(app: FastAPI) -> Callable[[str], int]:
    engine = app.state.platform.database.engine

    def count(table: str) -> int:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    return count


@dataclass
class Account:
    id: str
    email: str
    username: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class Api:
    """Short-hands for the flows most tests start from, all over HTTP."""

    def __init__(self, client: TestClient, *, mail_wait: float = 0) -> None:
        self.client = client
        self._serial = 0
        self.mail_wait = mail_wait
        """Seconds to wait for an email (0: the app runs its tasks inline)."""

    def register(
        self,
        email: str | None = None,
        *,
        username: str | None = None,
        password: str = PASSWORD,
        date_of_birth: str = "1990-05-17",
        full_name: str | None = "Ada Lovelace",
    ) -> tuple[str, str]:
        self._serial += 1
        username = username or f"player{self._serial}"
        email = email or f"{username}@example.com"
        body: dict[str, Any] = {
            "email": email,
            "username": username,
            "password": password,
            "date_of_birth": date_of_birth,
        }
        if full_name is not None:
            body["full_name"] = full_name
        response = self.client.post("/api/auth/register", json=body)
        assert response.status_code == 202, response.text
        return email, username

    def mailbox(self, to: str) -> list[dict[str, Any]]:
        response = self.client.get("/api/dev/mailbox", params={"to": to}, headers=DEV_HEADERS)
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()
        return messages

    def token_from_mail(self, to: str, subject_word: str, *, wait: float = 0) -> str:
        """The token in the latest such email; ``wait`` seconds for it (an app whose
        tasks run on a thread sends it just after answering)."""
        deadline = time.monotonic() + wait
        while True:
            for message in reversed(self.mailbox(to)):
                if subject_word in message["subject"]:
                    match = re.search(r"^(ey[\w-]+\.[\w-]+\.[\w-]+)$", message["body"], re.M)
                    assert match, message["body"]
                    return match.group(1)
            if time.monotonic() >= deadline:
                raise AssertionError(f"no '{subject_word}' email to {to}")
            time.sleep(0.05)

    def verify(self, email: str) -> None:
        token = self.token_from_mail(email, "Confirm", wait=self.mail_wait)
        response = self.client.post("/api/auth/verify-email", json={"token": token})
        assert response.status_code == 204, response.text

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = self.client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    def account(self, *, verified: bool = True, **register: Any) -> Account:
        email, username = self.register(**register)
        if verified:
            self.verify(email)
        password = register.get("password", PASSWORD)
        tokens = self.login(email, password)
        me = self.client.get(
            "/api/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        ).json()
        return Account(
            me["id"], email, username, password, tokens["access_token"], tokens["refresh_token"]
        )

    def admin(self) -> Account:
        """A verified account granted the admin role (as `alot create-admin` would)."""
        account = self.account()
        platform = self.client.app.state.platform  # type: ignore[attr-defined]
        with contextmanager(unit_of_work)(platform.database) as session:
            users = UserService(session, platform)
            users.set_roles(users.get(uuid.UUID(account.id)), [Role.PLAYER, Role.ADMIN])
        return account


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


@pytest.fixture
def platform(app: FastAPI) -> PlatformContext:
    context: PlatformContext = app.state.platform
    return context


class Services:
    """The platform's services reached directly, one unit of work per `session()`, as
    an endpoint or task would: for set-ups the API offers no way to make."""

    def __init__(self, platform: PlatformContext) -> None:
        self.platform = platform

    @contextmanager
    def session(self) -> Iterator[Session]:
        with contextmanager(unit_of_work)(self.platform.database) as session:
            yield session

    def grant_credits(self, user_id: str, amount: int) -> None:
        """What an admin credit adjustment writes: the ledger issue, then the projection."""
        with self.session() as session:
            receipt = Ledger(session).post(
                "credit_adjustment",
                [
                    Posting(CREDITS_ISSUED, CRD, -amount),
                    Posting(user_credits(uuid.UUID(user_id)), CRD, amount),
                ],
                refs={"user_id": user_id},
            )
            CreditsService(session, self.platform.clock()).apply(
                [CreditChange(uuid.UUID(user_id), amount, CreditTransactionType.ADJUSTMENT)],
                ledger_seq=receipt.seq,
            )


@pytest.fixture
def services(platform: PlatformContext) -> Services:
    return Services(platform)


class LotDesk:
    """The lot engine over HTTP as an admin and players use it: product classes, lots
    created and opened, players who passed the trivia, purchases.

    ``lot_defaults`` override the lot body's defaults for every lot this desk makes
    (a suite's own funding target or bundles); a call's own overrides win over both.
    """

    def __init__(self, client: TestClient, api: Api, clock: FakeClock, **lot_defaults: Any):
        self.client = client
        self.api = api
        self.clock = clock
        self.lot_defaults = lot_defaults
        self.admin = api.admin()
        self._serial = 0
        self._keys = 0

    def login_again(self, account: Account | None = None) -> None:
        """New tokens after the clock moved past the access token's lifetime."""
        account = account or self.admin
        account.access_token = self.api.login(account.email, account.password)["access_token"]

    def product_class(self, **overrides: Any) -> dict[str, Any]:
        self._serial += 1
        body: dict[str, Any] = {
            "name": f"Submariner {self._serial}",
            "brand": "Rolex",
            "category": "watch",
            "tier": "GRAIL",
            "retail_value_cents": 1_250_000,
            "description": "Ref. 126610LN",
            "specifications": {"case_mm": 41, "movement": "3235"},
            "images": ["https://img.example.com/sub.jpg"],
            **overrides,
        }
        response = self.client.post(
            "/api/admin/product-classes", json=body, headers=self.admin.headers
        )
        assert response.status_code == 201, response.text
        product: dict[str, Any] = response.json()
        return product

    def lot_body(self, **overrides: Any) -> dict[str, Any]:
        product_class_id = overrides.pop("product_class_id", None) or self.product_class()["id"]
        return {
            "product_class_id": product_class_id,
            "title": "A watch for the ages",
            "funding_target_cents": 10_000,
            "deadline": (self.clock.now + timedelta(days=7)).isoformat(),
            "entry_bundles": [
                {"price_cents": 200, "tickets": 1},
                {"price_cents": 500, "tickets": 3},
            ],
            "trivia_question": TRIVIA_QUESTION,
            "trivia_answer": TRIVIA_ANSWER,
            **self.lot_defaults,
            **overrides,
        }

    def create(self, **overrides: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/lots", json=self.lot_body(**overrides), headers=self.admin.headers
        )
        assert response.status_code == 201, response.text
        lot: dict[str, Any] = response.json()
        return lot

    def open(self, lot_id: str) -> dict[str, Any]:
        response = self.client.post(f"/api/admin/lots/{lot_id}/open", headers=self.admin.headers)
        assert response.status_code == 200, response.text
        lot: dict[str, Any] = response.json()
        return lot

    def open_lot(self, **overrides: Any) -> dict[str, Any]:
        return self.open(self.create(**overrides)["id"])

    def answer(self, account: Account, lot_id: str, answer: str) -> Any:
        return self.client.post(
            f"/api/lots/{lot_id}/trivia/attempt", json={"answer": answer}, headers=account.headers
        )

    def pass_trivia(self, account: Account, lot_id: str, answer: str = TRIVIA_ANSWER) -> None:
        response = self.answer(account, lot_id, answer)
        assert response.status_code == 200, response.text
        assert response.json()["correct"] is True, response.text

    def player(self, lot_id: str | None = None, *, verified: bool = True) -> Account:
        """A new account; with ``lot_id``, one that answered that lot's trivia correctly."""
        account = self.api.account(verified=verified)
        if lot_id is not None:
            self.pass_trivia(account, lot_id)
        return account

    def key(self) -> str:
        """A fresh Idempotency-Key."""
        self._keys += 1
        return f"test-key-{self._keys}-{uuid.uuid4().hex[:8]}"

    def buy(
        self, account: Account, lot_id: str, bundle_index: int = 0, *, key: str | None = None
    ) -> Any:
        return self.client.post(
            f"/api/lots/{lot_id}/entries/purchase",
            json={"bundle_index": bundle_index},
            headers={**account.headers, "Idempotency-Key": key or self.key()},
        )

    def buy_with_credits(
        self, account: Account, lot_id: str, tickets: int, *, key: str | None = None
    ) -> Any:
        return self.client.post(
            f"/api/lots/{lot_id}/entries/purchase-with-credits",
            json={"tickets": tickets},
            headers={**account.headers, "Idempotency-Key": key or self.key()},
        )


@pytest.fixture
def make_lot_desk(client: TestClient, api: Api, clock: FakeClock) -> Callable[..., LotDesk]:
    """Build a `LotDesk` (it registers its admin); keyword arguments become its lot
    defaults, and ``on=`` another client (from `make_client`) puts it on that app."""

    def make(*, on: TestClient | None = None, **lot_defaults: Any) -> LotDesk:
        if on is None:
            return LotDesk(client, api, clock, **lot_defaults)
        return LotDesk(on, Api(on), clock, **lot_defaults)

    return make


@pytest.fixture
def draw_by_hand(platform: PlatformContext) -> None:
    """The draw task is not run: these tests take the draw's steps themselves, where the
    runner takes them right after the funding commits (other tasks, such as the
    players' emails, run as usual)."""
    runner = platform.relay
    assert runner is not None

    class _AllButDraws:
        def nudge(self, item_ids: list[uuid.UUID]) -> None:
            with platform.database.sessions() as session:
                draws = set(
                    session.scalars(
                        select(OutboxItem.id)
                        .where(OutboxItem.id.in_(item_ids))
                        .where(OutboxItem.task == "draw")
                    )
                )
            runner.nudge([item_id for item_id in item_ids if item_id not in draws])

        def stop(self) -> None:
            runner.stop()

    platform.relay = _AllButDraws()
