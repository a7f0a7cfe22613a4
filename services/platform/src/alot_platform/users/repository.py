"""SQL for users and their roles."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alot_platform.users.models import User


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, user_id)

    def get_by_email(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email))

    def get_by_username(self, username: str) -> User | None:
        return self.session.scalar(select(User).where(User.username == username))

    def add(self, user: User) -> User:
        self.session.add(user)
        self.session.flush()
        return user

    def flush(self) -> None:
        self.session.flush()

    def list(self, *, limit: int, offset: int) -> list[User]:
        query = select(User).order_by(User.created_at, User.id).limit(limit).offset(offset)
        return list(self.session.scalars(query))

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(User)) or 0)
