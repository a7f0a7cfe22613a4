"""Every platform table, imported in one place so Alembic and tests see the full metadata."""

from alot_platform.auth.models import AuthSession, OneTimeToken, RefreshToken
from alot_platform.db import Base
from alot_platform.users.models import User, UserRole

__all__ = ["AuthSession", "Base", "OneTimeToken", "RefreshToken", "User", "UserRole"]
