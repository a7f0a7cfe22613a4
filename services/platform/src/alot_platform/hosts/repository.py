"""SQL for hosts and their lots."""

from __future__ import annotations

import uuid
from datetime import datetime

from alot_ledger.tables import accounts as ledger_accounts
from alot_ledger.tables import postings as ledger_postings
from alot_ledger.tables import transactions as ledger_transactions
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alot_platform.entries.models import LotEntry
from alot_platform.hosts.models import Host, HostStatus
from alot_platform.lots.models import Lot
from alot_platform.pagination import keyset_after
from alot_platform.users.models import User


class HostRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    def flush(self) -> None:
        self.session.flush()

    def get(self, host_id: uuid.UUID) -> Host | None:
        return self.session.get(Host, host_id)

    def get_for_update(self, host_id: uuid.UUID) -> Host | None:
        return self.session.scalars(
            select(Host).where(Host.id == host_id).with_for_update()
        ).one_or_none()

    def by_user(self, user_id: uuid.UUID) -> Host | None:
        return self.session.scalars(select(Host).where(Host.user_id == user_id)).one_or_none()

    def status_of(self, host_id: uuid.UUID) -> str | None:
        return self.session.scalar(select(Host.status).where(Host.id == host_id))

    def username(self, user_id: uuid.UUID) -> str:
        return self.session.scalar(select(User.username).where(User.id == user_id)) or ""

    def list_hosts(
        self,
        *,
        status: HostStatus | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[tuple[Host, str]]:
        """Hosts, newest application first, with their usernames."""
        statement = select(Host, User.username).join(User, User.id == Host.user_id)
        if status is not None:
            statement = statement.where(Host.status == status.value)
        if after is not None:
            statement = statement.where(
                keyset_after((Host.created_at, Host.id), after, descending=(True, True))
            )
        statement = statement.order_by(Host.created_at.desc(), Host.id.desc()).limit(limit)
        return [(host, username) for host, username in self.session.execute(statement)]

    def lots_of(
        self,
        host_id: uuid.UUID | None,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
        review_status: str | None = None,
    ) -> list[Lot]:
        """A host's lots (any status and visibility), or every host's, newest first."""
        statement = select(Lot).where(
            Lot.host_id.is_not(None) if host_id is None else Lot.host_id == host_id
        )
        if review_status is not None:
            statement = statement.where(Lot.review_status == review_status)
        if after is not None:
            statement = statement.where(
                keyset_after((Lot.created_at, Lot.id), after, descending=(True, True))
            )
        statement = statement.order_by(Lot.created_at.desc(), Lot.id.desc()).limit(limit)
        return list(self.session.scalars(statement))

    def lot_of(self, host_id: uuid.UUID, lot_id: uuid.UUID) -> Lot | None:
        return self.session.scalars(
            select(Lot).where(Lot.id == lot_id, Lot.host_id == host_id)
        ).one_or_none()

    def lots_not_open(self, host_id: uuid.UUID) -> list[Lot]:
        return list(
            self.session.scalars(select(Lot).where(Lot.host_id == host_id, Lot.status == "created"))
        )

    def buyers(self, lot_id: uuid.UUID) -> tuple[list[tuple[str, int]], int]:
        """(username, tickets) per buyer, most tickets first, and the entries count."""
        tickets = func.sum(LotEntry.ticket_count)
        rows = self.session.execute(
            select(User.username, tickets)
            .join(User, User.id == LotEntry.user_id)
            .where(LotEntry.lot_id == lot_id)
            .group_by(User.id, User.username)
            .order_by(tickets.desc(), User.username)
        )
        count = self.session.scalar(
            select(func.count(LotEntry.id)).where(LotEntry.lot_id == lot_id)
        )
        return [(name, int(n)) for name, n in rows], int(count or 0)

    def ledger_amounts(self, lot_id: uuid.UUID, account_names: list[str]) -> dict[str, int]:
        """The sum of the postings to each of ``account_names`` in ledger transactions
        about ``lot_id`` (its id among their refs)."""
        statement = (
            select(ledger_accounts.c.name, func.sum(ledger_postings.c.amount))
            .select_from(ledger_postings)
            .join(ledger_accounts, ledger_accounts.c.id == ledger_postings.c.account_id)
            .join(ledger_transactions, ledger_transactions.c.seq == ledger_postings.c.seq)
            .where(
                ledger_accounts.c.name.in_(account_names),
                ledger_transactions.c.refs_json.contains(f'"{lot_id}"', autoescape=True),
            )
            .group_by(ledger_accounts.c.name)
        )
        found = {name: int(total or 0) for name, total in self.session.execute(statement)}
        return {name: found.get(name, 0) for name in account_names}
