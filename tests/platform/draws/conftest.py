"""Fixtures for the draw engine's tests: lots in given states, written straight to the DB.

`LotFactory` builds the rows the lot and entry services would have written (an open lot
with a committed seed, purchases with their entries and escrow postings) so that the
draw, settlement and refund services can be tested on their own. The end-to-end tests
in this folder go through the real HTTP endpoints instead.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

import pytest
from alot_ledger import Ledger
from alot_platform.context import PlatformContext
from alot_platform.credits.models import CreditTransactionType
from alot_platform.credits.service import CreditChange, CreditsService
from alot_platform.draws.service import DrawService
from alot_platform.entries.holders import entry_holder
from alot_platform.entries.models import LotEntry, LotEntryPurchase, PaymentMethod, PurchaseStatus
from alot_platform.entries.service import purchase_ledger_request
from alot_platform.lots.models import DrawAlgorithm, Lot, LotStatus, ProductClass
from alot_platform.lots.repository import LotRepository
from alot_platform.lots.service import draw_timestamp
from alot_platform.lots.state import transition
from alot_platform.reveals.models import Reveal
from alot_platform.users.models import User
from alot_verify.draw import commitment_v1, commitment_v2
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause


class LotFactory:
    def __init__(self, services: Any) -> None:
        self.platform: PlatformContext = services.platform
        self.session: Callable[[], AbstractContextManager[Session]] = services.session
        self.grant_credits = services.grant_credits

    def open_lot(
        self,
        *,
        target_cents: int = 1000,
        algorithm: DrawAlgorithm = DrawAlgorithm.V2,
        rate: int = 10,
        deadline_hours: float = 24,
        declared: bool = True,
        pseudonymous: bool = True,
    ) -> uuid.UUID:
        """Open a lot as LotService.open does: declared beacon-less at opening, or
        (``declared=False``) as lots opened before declarations existed; naming its
        holders by pseudonym, as every lot created since migration 0023 does, or
        (``pseudonymous=False``) by user id, as the lots created before it."""
        now = self.platform.clock()
        seed = secrets.token_hex(32)
        commit = commitment_v2(seed) if algorithm is DrawAlgorithm.V2 else commitment_v1(seed)
        with self.session() as session:
            product = ProductClass(
                name="Test watch",
                brand="Brand",
                category="watches",
                tier="RARE",
                retail_value_cents=50_000,
                currency="USD",
                specifications={},
                images=[],
                created_at=now,
                updated_at=now,
            )
            session.add(product)
            session.flush()
            lot_id = uuid.uuid4()
            lot = Lot(
                id=lot_id,
                product_class_id=product.id,
                lot_type="known",
                title="A test lot",
                funding_target_cents=target_cents,
                currency="USD",
                deadline=now + timedelta(hours=deadline_hours),
                status=LotStatus.CREATED.value,
                cash_cents=0,
                credits_spent=0,
                tickets_sold=0,
                entry_bundles=[{"price_cents": 100, "tickets": 1}],
                visibility="public",
                non_winner_credit_rate_percent=rate,
                trivia_question="?",
                trivia_answer_hmac="0" * 64,
                draw_algorithm=algorithm.value,
                server_seed_sealed=self.platform.seed_sealer.seal(seed, lot_id),
                server_seed_commitment=commit,
                # Declared beacon-less at opening, as LotService.open declares a lot
                # opened without a drand chain (the ledger's draw.beacon_declared rule).
                beacon_declared=declared,
                beacon_chain_hash=None,
                pseudonymous_holders=pseudonymous,
                created_at=now,
                updated_at=now,
            )
            session.add(lot)
            session.flush()
            transition(lot, LotStatus.OPEN, now)
            receipt = Ledger(session).memo(
                "draw_commitment",
                refs={"lot_id": str(lot.id)},
                metadata={
                    "algorithm": algorithm.value,
                    "server_seed_commitment": commit,
                    "lot_created_at": draw_timestamp(now),
                    **({"beacon": None} if declared else {}),
                },
            )
            lot.commitment_ledger_seq = receipt.seq
            return lot.id

    def buy(
        self, lot_id: uuid.UUID, user_id: str, tickets: int, *, cash: int = 0, credits: int = 0
    ) -> uuid.UUID:
        """One purchase as the entry service makes it; funds (and freezes) at the target."""
        now = self.platform.clock()
        user = uuid.UUID(user_id)
        with self.session() as session:
            lot = LotRepository(session).get_for_update(lot_id)
            assert lot is not None
            assert lot.status == LotStatus.OPEN.value
            method = PaymentMethod.CREDITS if credits else PaymentMethod.CASH
            payment_id = None
            if cash:
                payment_id = self.platform.payments.charge(
                    amount_cents=cash,
                    currency="USD",
                    idempotency_key=uuid.uuid4().hex,
                    description="test purchase",
                    metadata={},
                ).payment_id
            purchase = LotEntryPurchase(
                lot_id=lot.id,
                user_id=user,
                method=method.value,
                tickets=tickets,
                amount_cents=cash,
                credits_spent=credits,
                currency="USD",
                status=PurchaseStatus.SUCCEEDED.value,
                idempotency_key=uuid.uuid4().hex,
                request_hash="0" * 64,
                provider="sandbox" if cash else None,
                provider_payment_id=payment_id,
                created_at=now,
                completed_at=now,
            )
            session.add(purchase)
            session.flush()
            start = lot.tickets_sold + 1
            entry = LotEntry(
                lot_id=lot.id,
                user_id=user,
                purchase_id=purchase.id,
                tickets_start=start,
                tickets_end=start + tickets - 1,
                ticket_count=tickets,
                amount_paid_cents=cash,
                credits_spent=credits,
                holder=entry_holder(lot, session.get_one(User, user).holder_secret),
                created_at=now,
            )
            session.add(entry)
            lot.tickets_sold += tickets
            lot.cash_cents += cash
            lot.credits_spent += credits
            if session.query(Reveal).filter_by(lot_id=lot.id, user_id=user).first() is None:
                session.add(Reveal(user_id=user, lot_id=lot.id, details={}, created_at=now))
            # The purchase's ledger transaction as the entry service writes it (holder,
            # ticket range, escrow postings), before the freeze: `alot-verify ledger`
            # rebuilds the frozen ticket map and escrow from these.
            receipt = Ledger(session).append(purchase_ledger_request(lot, purchase, entry))
            purchase.ledger_seq = receipt.seq  # the ticket map names it (purchase_seq)
            if lot.funded_cents >= lot.funding_target_cents:
                transition(lot, LotStatus.FUNDED, now)
                DrawService(session, self.platform).freeze(lot)
            if credits:
                CreditsService(session, now).apply(
                    [
                        CreditChange(
                            user,
                            -credits,
                            CreditTransactionType.ENTRY_PURCHASE,
                            lot_id=lot.id,
                            purchase_id=purchase.id,
                        )
                    ],
                    ledger_seq=receipt.seq,
                )
            return purchase.id

    def lot(self, lot_id: uuid.UUID) -> Lot:
        with self.session() as session:
            lot = session.get(Lot, lot_id)
            assert lot is not None
            return lot

    def rows(self, model: type[Any], **where: Any) -> list[Any]:
        with self.session() as session:
            return list(session.query(model).filter_by(**where).all())


class OldRows:
    """Rows written straight into tables as an older schema revision had them, for the
    migration tests (the ORM models describe the newest schema, so they cannot write
    these). Each test passes the columns its revision has beyond these common ones."""

    def product(self, connection: Connection, table: TableClause, now: datetime) -> uuid.UUID:
        product_id = uuid.uuid4()
        connection.execute(
            table.insert().values(
                id=product_id,
                name="Watch",
                category="watch",
                tier="RARE",
                retail_value_cents=50_000,
                currency="USD",
                specifications={},
                images=[],
                created_at=now,
                updated_at=now,
            )
        )
        return product_id

    def lot(
        self, connection: Connection, table: TableClause, now: datetime, **columns: Any
    ) -> uuid.UUID:
        """An alot-v2 lot of a new product, with ``columns`` (status, ...) set."""
        lot_id = uuid.uuid4()
        connection.execute(
            table.insert().values(
                id=lot_id,
                lot_type="known",
                title="An old lot",
                funding_target_cents=1000,
                currency="USD",
                deadline=now,
                cash_cents=0,
                credits_spent=0,
                tickets_sold=0,
                entry_bundles=[{"price_cents": 100, "tickets": 1}],
                visibility="public",
                non_winner_credit_rate_percent=10,
                trivia_question="?",
                trivia_answer_hmac="0" * 64,
                draw_algorithm="alot-v2",
                created_at=now,
                updated_at=now,
                **columns,
            )
        )
        return lot_id


@pytest.fixture
def old_rows() -> OldRows:
    return OldRows()


@pytest.fixture
def lots(services: Any) -> LotFactory:
    return LotFactory(services)


# The draw tests' own lot defaults (the other suites keep the desk's): a $10 target
# and $1 tickets, so that a few purchases fund a lot.
DRAW_LOT_DEFAULTS: dict[str, Any] = {
    "funding_target_cents": 1000,
    "entry_bundles": [
        {"price_cents": 100, "tickets": 1},
        {"price_cents": 450, "tickets": 5},
    ],
}


class Http:
    """The lot engine over HTTP, as an admin and players use it.

    Lots and purchases are the shared `LotDesk`'s, with this suite's lot defaults."""

    def __init__(self, desk: Any) -> None:
        self.desk = desk
        self.client: TestClient = desk.client
        self.api = desk.api
        self.clock = desk.clock
        self.admin = desk.admin
        self.open_lot = desk.open_lot
        self.buy = desk.buy
        self.buy_with_credits = desk.buy_with_credits

    def advance(self, *accounts: Any, **delta: float) -> None:
        """Move the clock and log the admin and ``accounts`` in again (tokens expire)."""
        self.clock.advance(**delta)
        for account in (self.admin, *accounts):
            self.desk.login_again(account)

    def player(self, lot_id: str) -> Any:
        """A new account that first answered the trivia wrongly, then rightly (the
        answer is matched without case or surrounding spaces)."""
        account = self.api.account()
        wrong = self.desk.answer(account, lot_id, "Omega")
        assert wrong.status_code == 200, wrong.text
        assert wrong.json()["correct"] is False
        self.desk.pass_trivia(account, lot_id, " rolex ")
        return account

    def admin_post(self, path: str, **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.admin.headers, **kwargs)

    def admin_get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.admin.headers, **kwargs)

    def ledger_size(self) -> int:
        page = self.admin_get("/api/ledger/transactions", params={"limit": 1})
        assert page.status_code == 200, page.text
        return int(page.json()["size"])

    def ledger_transaction(self, seq: int) -> dict[str, Any]:
        response = self.admin_get(f"/api/ledger/transactions/{seq}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def ledger_balance(self, account: str, asset: str) -> int:
        response = self.admin_get(f"/api/ledger/accounts/{account}/balances/{asset}")
        assert response.status_code == 200, response.text
        return int(response.json()["balance"])


@pytest.fixture
def http(make_lot_desk: Any) -> Http:
    return Http(make_lot_desk(**DRAW_LOT_DEFAULTS))


@pytest.fixture
def api_factory(make_lot_desk: Any) -> Callable[[TestClient], Http]:
    """An `Http` helper for a client built with other settings (via make_client)."""

    def make(client: TestClient) -> Http:
        return Http(make_lot_desk(on=client, **DRAW_LOT_DEFAULTS))

    return make
