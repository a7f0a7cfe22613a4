"""Demo data for `make run`: an admin whose password is generated once and kept in
`<var_dir>/demo-admin.json`, so every run prints the same working credentials.
(Demo lots arrive with the lot engine.)"""

from __future__ import annotations

import json
import os
import secrets
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date

from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.users.models import Role
from alot_platform.users.service import UserService

DEMO_ADMIN_EMAIL = "admin@alot.example.com"
DEMO_ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    username: str
    password: str


def demo_credentials(platform: PlatformContext) -> DemoCredentials:
    path = platform.settings.var_dir / "demo-admin.json"
    if path.exists():
        return DemoCredentials(**json.loads(path.read_text()))
    credentials = DemoCredentials(
        DEMO_ADMIN_EMAIL, DEMO_ADMIN_USERNAME, "demo-" + secrets.token_urlsafe(12)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(credentials), handle)
    return credentials


def ensure_demo_admin(platform: PlatformContext) -> tuple[DemoCredentials, bool]:
    """Create the demo admin unless it exists; return its credentials and whether it was new."""
    credentials = demo_credentials(platform)
    with contextmanager(unit_of_work)(platform.database) as session:
        users = UserService(session, platform)
        if users.get_by_email(credentials.email) is not None:
            return credentials, False
        users.create(
            email=credentials.email,
            username=credentials.username,
            hashed_password=platform.hasher.hash(credentials.password),
            date_of_birth=date(1990, 1, 1),
            full_name="Demo Admin",
            roles=(Role.PLAYER, Role.ADMIN),
            verified_email=True,
        )
    return credentials, True
