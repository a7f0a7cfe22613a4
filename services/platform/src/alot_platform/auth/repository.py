"""SQL for login sessions, refresh tokens and one-time tokens."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from alot_platform.auth.models import AuthSession, OneTimeToken, RefreshToken
from alot_platform.users.models import User

# Built once: every authenticated request runs it, and building an ORM select with a
# joined load (and its key in the compiled-statement cache) costs more than running it.
_SESSION_WITH_USER = (
    select(AuthSession, User)
    .join(User, User.id == AuthSession.user_id)
    .where(AuthSession.id == bindparam("session_id"))
    .options(joinedload(User.role_grants))
)

_SESSIONS_WITH_USERS = (
    select(AuthSession, User)
    .join(User, User.id == AuthSession.user_id)
    .where(AuthSession.id.in_(bindparam("session_ids", expanding=True)))
)


@dataclass(frozen=True)
class SessionState:
    """What a request's login session says about its caller, as stored now."""

    user_id: uuid.UUID
    revoked_at: datetime | None
    user_status: str
    verified_email: bool

    @classmethod
    def of(cls, auth_session: AuthSession, user: User) -> SessionState:
        return cls(auth_session.user_id, auth_session.revoked_at, user.status, user.verified_email)


class AuthRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_session(self, auth_session: AuthSession) -> None:
        self.session.add(auth_session)
        self.session.flush()

    def get_session(self, session_id: uuid.UUID) -> AuthSession | None:
        return self.session.get(AuthSession, session_id)

    def session_with_user(self, session_id: uuid.UUID) -> tuple[AuthSession, User] | None:
        """The session and its user with the user's roles, in one round trip.

        Every authenticated request starts here, so this is one query, not three.
        """
        row = self.session.execute(_SESSION_WITH_USER, {"session_id": session_id}).unique().first()
        return None if row is None else (row[0], row[1])

    def sessions_with_users(
        self, session_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[AuthSession, User]]:
        """Each of these sessions that exists, with its user (not their roles)."""
        if not session_ids:
            return {}
        rows = self.session.execute(_SESSIONS_WITH_USERS, {"session_ids": list(session_ids)})
        return {auth_session.id: (auth_session, user) for auth_session, user in rows}

    def revoke_session(self, session_id: uuid.UUID, reason: str, now: datetime) -> None:
        self.session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )

    def revoke_all_sessions(self, user_id: uuid.UUID, reason: str, now: datetime) -> None:
        self.session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )

    def add_refresh_token(self, token: RefreshToken) -> None:
        self.session.add(token)
        self.session.flush()

    def use_refresh_token(
        self,
        token_id: uuid.UUID,
        now: datetime,
        *,
        rotated_to_id: uuid.UUID,
        rotated_access_id: uuid.UUID,
    ) -> bool:
        """Mark an unused refresh token used, naming the pair it is swapped for; False if
        it was already used.

        A conditional UPDATE, so two concurrent refreshes with one token cannot both win:
        the loser waits for the winner's row lock and then finds the token used.
        """
        result = self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
            .values(used_at=now, rotated_to_id=rotated_to_id, rotated_access_id=rotated_access_id)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def get_refresh_token(self, token_id: uuid.UUID, *, fresh: bool = False) -> RefreshToken | None:
        """The token's row; ``fresh``: as committed now, not as this session last read it."""
        return self.session.get(RefreshToken, token_id, populate_existing=fresh)

    def add_one_time_token(self, token: OneTimeToken) -> None:
        self.session.add(token)
        self.session.flush()

    def use_one_time_token(self, token_id: uuid.UUID, purpose: str, now: datetime) -> bool:
        """Mark an unused token of this purpose used; False if unknown or already used."""
        result = self.session.execute(
            update(OneTimeToken)
            .where(
                OneTimeToken.id == token_id,
                OneTimeToken.purpose == purpose,
                OneTimeToken.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def sessions_of(self, user_id: uuid.UUID) -> list[AuthSession]:
        query = select(AuthSession).where(AuthSession.user_id == user_id)
        return list(self.session.scalars(query.order_by(AuthSession.created_at)))
