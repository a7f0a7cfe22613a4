"""Rules for accounts: creation, age, personal data, profile changes, roles and status."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy.orm import Session

from alot_platform.compliance.models import AcceptanceSource
from alot_platform.compliance.schemas import TermsStatus
from alot_platform.compliance.service import ComplianceService
from alot_platform.context import PlatformContext
from alot_platform.errors import Conflict, InvalidInput, NotFound
from alot_platform.users.models import Role, User, UserRole, UserStatus, new_holder_secret
from alot_platform.users.repository import DuplicateUser, UserRepository
from alot_platform.users.schemas import PublicUser, UserRead, UserUpdate


class Underage(InvalidInput):
    code = "underage"
    title = "Too young"


class UsernameTaken(Conflict):
    code = "username_taken"
    title = "Username taken"


class UserNotFound(NotFound):
    code = "user_not_found"
    title = "User not found"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def normalize_username(username: str) -> str:
    return username.strip().lower()


def _full_name_context(user_id: uuid.UUID) -> str:
    return f"users.full_name:{user_id}"


def _date_of_birth_context(user_id: uuid.UUID) -> str:
    return f"users.date_of_birth:{user_id}"


class UserService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self.users = UserRepository(session)
        self.platform = platform

    def check_age(self, date_of_birth: date) -> None:
        """Raise unless the person born on that day is of age today (platform clock)."""
        today = self.platform.clock().date()
        minimum = self.platform.settings.minimum_age_years
        if date_of_birth > today:
            raise InvalidInput("the date of birth is in the future", field="date_of_birth")
        if date_of_birth.year < 1900:
            raise InvalidInput("the date of birth is implausibly early", field="date_of_birth")
        had_birthday = (today.month, today.day) >= (date_of_birth.month, date_of_birth.day)
        age = today.year - date_of_birth.year - (0 if had_birthday else 1)
        if age < minimum:
            raise Underage(f"players must be at least {minimum} years old", field="date_of_birth")

    def check_username_free(self, username: str) -> None:
        """Raise unless nobody has ``username`` and no registration reserved it."""
        name = normalize_username(username)
        if self.users.get_by_username(name) is not None or self.users.username_reserved(name):
            raise UsernameTaken(f"the username {name!r} is taken")

    def reserve_username(self, username: str) -> None:
        self.users.reserve_username(normalize_username(username), self.platform.clock())

    def get_by_email(self, email: str) -> User | None:
        return self.users.get_by_email(normalize_email(email))

    def create(
        self,
        *,
        email: str,
        username: str,
        hashed_password: str,
        date_of_birth: date | None,
        full_name: str | None = None,
        roles: Iterable[Role] = (Role.PLAYER,),
        verified_email: bool = False,
        country: str | None = None,
        terms_source: AcceptanceSource = AcceptanceSource.OPERATOR,
    ) -> User:
        """A new account, recorded as accepting the current terms and privacy notice
        (``terms_source``: registration's statement, or an operator's tool)."""
        now = self.platform.clock()
        user_id = uuid.uuid4()
        user = User(
            id=user_id,
            email=normalize_email(email),
            username=normalize_username(username),
            hashed_password=hashed_password,
            verified_email=verified_email,
            verified_identity=False,
            status=UserStatus.ACTIVE.value,
            total_entries=0,
            total_won=0,
            holder_secret=new_holder_secret(),
            created_at=now,
            updated_at=now,
            role_grants=[UserRole(role=r.value, granted_at=now) for r in sorted(set(roles))],
        )
        user.country = country
        self._set_full_name(user, full_name)
        self._set_date_of_birth(user, date_of_birth)
        self.users.add(user)
        ComplianceService(self.users.session, self.platform).record_current(user.id, terms_source)
        return user

    def get(self, user_id: uuid.UUID) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise UserNotFound(f"no user {user_id}")
        return user

    def read(self, user: User) -> UserRead:
        cipher = self.platform.cipher
        full_name = (
            cipher.decrypt(user.full_name_encrypted, _full_name_context(user.id))
            if user.full_name_encrypted
            else None
        )
        dob = (
            date.fromisoformat(
                cipher.decrypt(user.date_of_birth_encrypted, _date_of_birth_context(user.id))
            )
            if user.date_of_birth_encrypted
            else None
        )
        return UserRead(
            id=user.id,
            email=user.email,
            username=user.username,
            full_name=full_name,
            date_of_birth=dob,
            verified_email=user.verified_email,
            verified_identity=user.verified_identity,
            status=UserStatus(user.status),
            roles=sorted(user.roles),
            created_at=user.created_at,
            country=user.country,
            terms=TermsStatus.of(
                ComplianceService(self.users.session, self.platform).standing(user.id)
            ),
        )

    def public(self, user_id: uuid.UUID) -> PublicUser:
        user = self.get(user_id)
        return PublicUser(id=user.id, username=user.username)

    def update_profile(self, user: User, changes: UserUpdate) -> User:
        fields = changes.model_dump(exclude_unset=True)
        username = normalize_username(fields["username"]) if fields.get("username") else None
        if username is not None and username != user.username:
            self.check_username_free(username)
        try:
            with self.users.unique_guard():
                if username is not None:
                    user.username = username
                if "full_name" in fields:
                    self._set_full_name(user, fields["full_name"])
                user.updated_at = self.platform.clock()
        except DuplicateUser:
            raise UsernameTaken(f"the username {username!r} is taken") from None
        return user

    def set_status(self, user: User, status: UserStatus) -> None:
        user.status = status.value
        user.updated_at = self.platform.clock()
        self.users.flush()

    def set_roles(self, user: User, roles: Iterable[Role]) -> None:
        wanted = set(roles)
        now = self.platform.clock()
        user.role_grants = [g for g in user.role_grants if Role(g.role) in wanted] + [
            UserRole(role=r.value, granted_at=now) for r in sorted(wanted - user.roles)
        ]
        user.updated_at = now
        self.users.flush()

    def _set_full_name(self, user: User, full_name: str | None) -> None:
        user.full_name_encrypted = (
            self.platform.cipher.encrypt(full_name, _full_name_context(user.id))
            if full_name
            else None
        )

    def _set_date_of_birth(self, user: User, date_of_birth: date | None) -> None:
        user.date_of_birth_encrypted = (
            self.platform.cipher.encrypt(date_of_birth.isoformat(), _date_of_birth_context(user.id))
            if date_of_birth
            else None
        )
