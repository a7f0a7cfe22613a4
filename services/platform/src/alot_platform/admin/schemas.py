"""Request and response bodies for /api/admin."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from alot_platform.pagination import Page
from alot_platform.users.models import Role, UserStatus
from alot_platform.users.schemas import UserRead


class UserPage(Page[UserRead]):
    """Accounts, oldest first."""


class RolesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[Role] = Field(min_length=1, max_length=4)


class StatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: UserStatus
