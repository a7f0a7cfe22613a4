"""Rules for administering accounts: a suspended or banned user is logged out everywhere."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from alot_platform.auth.repository import AuthRepository
from alot_platform.context import PlatformContext
from alot_platform.errors import Conflict
from alot_platform.pagination import decode_cursor, encode_cursor, page_of
from alot_platform.users.models import Role, User, UserStatus
from alot_platform.users.repository import UserRepository
from alot_platform.users.service import UserService


class LastAdmin(Conflict):
    code = "last_admin"
    title = "Cannot remove the last admin"


class AdminService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self.users = UserService(session, platform)
        self.accounts = UserRepository(session)
        self.auth = AuthRepository(session)
        self.platform = platform

    def list_users(self, *, cursor: str | None, limit: int) -> tuple[list[User], str | None]:
        """A page of accounts, oldest first, and the cursor of the next page."""
        after = decode_cursor(cursor, "users", datetime, uuid.UUID) if cursor else None
        rows = self.accounts.list(after=after, limit=limit + 1)
        return page_of(rows, limit, lambda user: encode_cursor("users", user.created_at, user.id))

    def set_status(self, acting: User, user_id: uuid.UUID, status: UserStatus) -> User:
        user = self.users.get(user_id)
        if user.id == acting.id and status != UserStatus.ACTIVE:
            raise LastAdmin("an admin cannot suspend or ban themselves")
        self.users.set_status(user, status)
        if status != UserStatus.ACTIVE:
            self.auth.revoke_all_sessions(user.id, f"account_{status.value}", self.platform.clock())
        return user

    def set_roles(self, acting: User, user_id: uuid.UUID, roles: list[Role]) -> User:
        user = self.users.get(user_id)
        if user.id == acting.id and Role.ADMIN not in roles:
            raise LastAdmin("an admin cannot remove their own admin role")
        self.users.set_roles(user, roles)
        return user
