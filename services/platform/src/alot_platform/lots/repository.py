"""SQL for lots and product classes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from alot_platform.entries.models import LotEntry
from alot_platform.lots.models import Lot, LotStatus, LotType, ProductClass, Visibility
from alot_platform.pagination import keyset_after
from alot_platform.users.models import User


@dataclass(frozen=True)
class LotQuery:
    """What a discovery page asks for (already validated by the service)."""

    statuses: Sequence[LotStatus]
    public_only: bool
    tier: str | None = None
    category: str | None = None
    deadline_after: datetime | None = None
    deadline_until: datetime | None = None
    min_progress_percent: int | None = None
    # Each word must occur in the title, or in the product's name or brand where the
    # product is shown (known lots, settled mystery lots; every lot when not public_only).
    search_words: Sequence[str] = ()
    sort: str = "newest"
    # Keyset position: the (sort key, id) of the last lot on the previous page.
    after_key: datetime | int | None = None
    after_id: uuid.UUID | None = None
    # One host's lots only (its public page).
    host_id: uuid.UUID | None = None


def progress_bps() -> ColumnElement[int]:
    """funded / target in basis points, rounded down: the integer ``lot_read`` shows as
    ``progress_bps`` (integer division on SQLite and PostgreSQL alike)."""
    return ((Lot.cash_cents + Lot.credits_spent) * 10_000) // Lot.funding_target_cents


def _matches(word: str, public_only: bool) -> ColumnElement[bool]:
    """``word`` (LIKE wildcards taken literally) in the title, or in the product's name
    or brand unless the product is hidden from this viewer (a mystery lot before it
    settles: searching its product must not reveal it)."""
    in_product = or_(
        ProductClass.name.icontains(word, autoescape=True),
        ProductClass.brand.icontains(word, autoescape=True),
    )
    if public_only:
        in_product = and_(
            or_(Lot.lot_type != LotType.MYSTERY.value, Lot.status == LotStatus.SETTLED.value),
            in_product,
        )
    return or_(Lot.title.icontains(word, autoescape=True), in_product)


@dataclass(frozen=True)
class LeaderboardEntry:
    username: str
    tickets: int
    entries: int


class LotRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, lot_id: uuid.UUID) -> Lot | None:
        return self.session.get(Lot, lot_id)

    def get_many(self, lot_ids: Sequence[uuid.UUID]) -> list[Lot]:
        """The lots of ``lot_ids`` that exist, in no particular order."""
        if not lot_ids:
            return []
        return list(self.session.scalars(select(Lot).where(Lot.id.in_(lot_ids))))

    def get_for_update(self, lot_id: uuid.UUID) -> Lot | None:
        """The lot with its row locked until commit: every state change goes through this.

        ``populate_existing`` re-reads the row after the lock is granted, so a lot loaded
        earlier in the session cannot hide another transaction's committed change.
        """
        return self.session.scalars(
            select(Lot)
            .where(Lot.id == lot_id)
            .with_for_update(of=Lot)
            .execution_options(populate_existing=True)
        ).one_or_none()

    def with_sealed_seeds(self) -> list[Lot]:
        """Every lot holding a sealed server seed (opened at least once), locked."""
        return list(
            self.session.scalars(
                select(Lot)
                .where(Lot.server_seed_sealed.is_not(None))
                .order_by(Lot.id)
                .with_for_update(of=Lot)
            )
        )

    def add(self, row: Lot | ProductClass) -> None:
        self.session.add(row)

    def flush(self) -> None:
        self.session.flush()

    def get_product_class(self, product_class_id: uuid.UUID) -> ProductClass | None:
        return self.session.get(ProductClass, product_class_id)

    def list_product_classes(
        self, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[ProductClass]:
        """Product classes, oldest first, strictly after the ``after`` key."""
        keys = (ProductClass.created_at, ProductClass.id)
        query = select(ProductClass).order_by(*keys).limit(limit)
        if after is not None:
            query = query.where(keyset_after(keys, after, descending=(False, False)))
        return list(self.session.scalars(query))

    def get_product_class_by_name(self, name: str) -> ProductClass | None:
        return self.session.scalars(
            select(ProductClass).where(ProductClass.name == name).limit(1)
        ).first()

    def open_lot_titled(self, title: str) -> Lot | None:
        return self.session.scalars(
            select(Lot).where(Lot.title == title, Lot.status == LotStatus.OPEN.value).limit(1)
        ).first()

    def by_access_token(self, token: str) -> Lot | None:
        return self.session.scalars(select(Lot).where(Lot.access_token == token)).one_or_none()

    def product_class_in_use(self, product_class_id: uuid.UUID) -> bool:
        return bool(
            self.session.scalar(select(exists().where(Lot.product_class_id == product_class_id)))
        )

    def delete(self, row: ProductClass) -> None:
        self.session.delete(row)
        self.session.flush()

    def discover(self, query: LotQuery, *, limit: int) -> list[Lot]:
        """One page of lots in a stable order (the id breaks ties)."""
        key: SQLColumnExpression[Any]
        if query.sort == "newest":
            key = Lot.created_at
        elif query.sort == "ending_soon":
            key = Lot.deadline
        else:
            key = progress_bps()
        conditions: list[ColumnElement[bool]] = [Lot.status.in_([s.value for s in query.statuses])]
        if query.public_only:
            conditions.append(Lot.visibility == Visibility.PUBLIC.value)
        if query.host_id is not None:
            conditions.append(Lot.host_id == query.host_id)
        if query.tier is not None:
            conditions.append(ProductClass.tier == query.tier)
        if query.category is not None:
            conditions.append(ProductClass.category == query.category)
        if query.deadline_after is not None:
            conditions.append(Lot.deadline > query.deadline_after)
        if query.deadline_until is not None:
            conditions.append(Lot.deadline <= query.deadline_until)
        if query.min_progress_percent is not None:
            conditions.append(
                (Lot.cash_cents + Lot.credits_spent) * 100
                >= Lot.funding_target_cents * query.min_progress_percent
            )
        for word in query.search_words:
            conditions.append(_matches(word, query.public_only))
        newest = query.sort in ("newest", "most_funded")  # both descending
        if query.after_key is not None and query.after_id is not None:
            conditions.append(
                keyset_after(
                    (key, Lot.id), (query.after_key, query.after_id), descending=(newest, newest)
                )
            )
        order = (key.desc(), Lot.id.desc()) if newest else (key, Lot.id)
        statement = (
            select(Lot)
            .join(ProductClass, ProductClass.id == Lot.product_class_id)
            .where(*conditions)
            .order_by(*order)
            .limit(limit)
        )
        return list(self.session.scalars(statement))

    def leaderboard(
        self, lot_id: uuid.UUID, *, after: tuple[int, str] | None, limit: int
    ) -> list[LeaderboardEntry]:
        """Tickets per player, most first, ties by username (unique), strictly after the
        ``after`` (tickets, username) key; usernames only (never emails)."""
        tickets = func.sum(LotEntry.ticket_count)
        statement = (
            select(User.username, tickets, func.count(LotEntry.id))
            .join(User, User.id == LotEntry.user_id)
            .where(LotEntry.lot_id == lot_id)
            .group_by(User.id, User.username)
            .order_by(tickets.desc(), User.username)
            .limit(limit)
        )
        if after is not None:
            statement = statement.having(
                keyset_after((tickets, User.username), after, descending=(True, False))
            )
        return [
            LeaderboardEntry(username, int(total), int(count))
            for username, total, count in self.session.execute(statement)
        ]
