"""SQL for users and their roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alot_platform.pagination import keyset_after
from alot_platform.users.models import ReservedUsername, User


class DuplicateUser(Exception):
    """Another transaction committed the same email or username first."""


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, user_id)

    def get_by_email(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email))

    def get_by_username(self, username: str) -> User | None:
        return self.session.scalar(select(User).where(User.username == username))

    def username_reserved(self, username: str) -> bool:
        return self.session.get(ReservedUsername, username) is not None

    def reserve_username(self, username: str, now: datetime) -> None:
        """Keep ``username`` from later registrations (once; a repeat changes nothing)."""
        try:
            with self.session.begin_nested():
                self.session.add(ReservedUsername(username=username, reserved_at=now))
                self.session.flush()
        except IntegrityError:
            pass  # reserved already, by a concurrent registration

    def add(self, user: User) -> User:
        """Insert ``user``; raise DuplicateUser if a concurrent insert took its email/username."""
        with self.unique_guard():
            self.session.add(user)
        return user

    @contextmanager
    def unique_guard(self) -> Iterator[None]:
        """Make the changes of the block in a savepoint: a unique-key race raises
        DuplicateUser and leaves the rest of the unit of work intact (not a 500)."""
        try:
            with self.session.begin_nested():
                yield
                self.session.flush()
        except IntegrityError as exc:
            raise DuplicateUser from exc

    def flush(self) -> None:
        self.session.flush()

    def list(
        self, *, after: tuple[datetime, uuid.UUID] | None, limit: int, search: str | None = None
    ) -> list[User]:
        """Accounts, oldest first, strictly after the ``after`` (created_at, id) key;
        with ``search``, only those whose email or username contains it (any case)."""
        keys = (User.created_at, User.id)
        query = select(User).order_by(*keys).limit(limit)
        if search:
            needle = search.lower()
            query = query.where(
                or_(
                    func.lower(User.email).contains(needle, autoescape=True),
                    func.lower(User.username).contains(needle, autoescape=True),
                )
            )
        if after is not None:
            query = query.where(keyset_after(keys, after, descending=(False, False)))
        return list(self.session.scalars(query))
