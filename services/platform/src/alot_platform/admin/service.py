"""Rules for administering accounts: a suspended or banned user is logged out everywhere."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alot_platform.admin.schemas import Overview, Reconciliation, ReconciliationDifference
from alot_platform.audit.service import acting_user, record_action
from alot_platform.auth.repository import AuthRepository
from alot_platform.context import PlatformContext
from alot_platform.credits.service import reconcile_credits
from alot_platform.errors import Conflict
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.outbox.models import OutboxItem, OutboxStatus
from alot_platform.pagination import decode_cursor, encode_cursor, page_of
from alot_platform.payments.repository import PaymentRepository
from alot_platform.users.models import Role, User, UserStatus
from alot_platform.users.repository import UserRepository
from alot_platform.users.service import UserService


class LastAdmin(Conflict):
    code = "last_admin"
    title = "Cannot remove the last admin"


class AccountDeleted(Conflict):
    code = "account_deleted"
    title = "The account was deleted"


class AdminService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self.session = session
        self.users = UserService(session, platform)
        self.accounts = UserRepository(session)
        self.auth = AuthRepository(session)
        self.platform = platform

    def list_users(
        self, *, cursor: str | None, limit: int, search: str | None = None
    ) -> tuple[list[User], str | None]:
        """A page of accounts, oldest first, and the cursor of the next page (the cursor
        of a search's page is only meaningful with the same search)."""
        after = decode_cursor(cursor, "users", datetime, uuid.UUID) if cursor else None
        rows = self.accounts.list(after=after, limit=limit + 1, search=search)
        return page_of(rows, limit, lambda user: encode_cursor("users", user.created_at, user.id))

    def set_status(self, acting: User, user_id: uuid.UUID, status: UserStatus) -> User:
        user = self.users.get(user_id)
        if user.id == acting.id and status != UserStatus.ACTIVE:
            raise LastAdmin("an admin cannot suspend or ban themselves")
        # Deletion erases personal data (privacy/service.py): a status alone cannot do
        # it, and a deleted account has nobody left to reactivate it for.
        if UserStatus.DELETED in (status, UserStatus(user.status)):
            raise AccountDeleted("only the account's owner deletes it; a deleted account stays so")
        self.users.set_status(user, status)
        record_action(
            self.session,
            actor_id=acting_user(self.session),
            action="account_status_changed",
            target_type="user",
            target_id=user.id,
            details={"status": status.value},
            now=user.updated_at,
        )
        if status != UserStatus.ACTIVE:
            self.auth.revoke_all_sessions(user.id, f"account_{status.value}", self.platform.clock())
        return user

    def set_roles(self, acting: User, user_id: uuid.UUID, roles: list[Role]) -> User:
        user = self.users.get(user_id)
        if user.id == acting.id and Role.ADMIN not in roles:
            raise LastAdmin("an admin cannot remove their own admin role")
        if user.status == UserStatus.DELETED:
            raise AccountDeleted("a deleted account holds no roles")
        before = sorted(user.roles)
        self.users.set_roles(user, roles)
        record_action(
            self.session,
            actor_id=acting_user(self.session),
            action="roles_changed",
            target_type="user",
            target_id=user.id,
            details={"before": before, "after": sorted(set(roles))},
            now=user.updated_at,
        )
        return user

    def overview(self) -> Overview:
        """The counts the admin desk opens on."""
        counts = dict.fromkeys(LotStatus, 0)
        query = select(Lot.status, func.count()).group_by(Lot.status)
        for status, count in self.session.execute(query):
            counts[LotStatus(status)] = count
        dead = select(func.count()).where(OutboxItem.status == OutboxStatus.DEAD.value)
        return Overview(
            lots_by_status=counts,
            payment_events_needing_attention=PaymentRepository(
                self.session
            ).count_events_needing_attention(),
            failed_tasks=self.session.scalar(dead.select_from(OutboxItem)) or 0,
        )

    def reconciliation(self) -> Reconciliation:
        """`alot reconcile` (credits against the ledger). Nothing calls the payment
        provider here: `alot payments reconcile` does that, slowly, from the shell."""
        differences = reconcile_credits(self.session)
        return Reconciliation(
            ok=not differences,
            checked_at=self.platform.clock(),
            scope="credits",
            differences=[
                ReconciliationDifference(
                    account=d.account,
                    asset=d.asset,
                    ledger_balance_credits=d.ledger_balance,
                    projected_balance_credits=d.projected_balance,
                )
                for d in differences
            ],
        )
