"""Request and response bodies for /api/users."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from alot_platform.compliance.schemas import TermsStatus
from alot_platform.types import PlainText
from alot_platform.users.models import Role, UserStatus

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_]{3,32}$"),
    Field(description="3-32 letters, digits or underscores; stored lower-case", examples=["ada"]),
]
FullName = Annotated[
    PlainText, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]


class UserRead(BaseModel):
    """The account as its owner (or an admin) sees it."""

    id: uuid.UUID
    email: str
    username: str
    full_name: str | None
    date_of_birth: date | None
    verified_email: bool
    verified_identity: bool
    status: UserStatus
    roles: list[Role]
    created_at: datetime
    country: str | None = Field(
        default=None, description="ISO 3166-1 alpha-2, as declared at registration"
    )
    terms: TermsStatus | None = Field(
        default=None, description="the player's acceptance of the current terms"
    )


class PublicUser(BaseModel):
    """What anyone may see of another user."""

    id: uuid.UUID
    username: str


class UserUpdate(BaseModel):
    """Fields a user may change on their own account (email and roles are not among them)."""

    model_config = ConfigDict(extra="forbid")

    username: Username | None = None
    full_name: FullName | None = None
