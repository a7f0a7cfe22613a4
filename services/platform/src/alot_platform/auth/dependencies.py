"""Who is calling, and may they: the dependencies every protected endpoint uses.

Authorization is deny-by-default: the app refuses to start if an `/api` route neither
depends on `current_principal` (directly or through `current_user`, `require_roles`,
`require_verified_email`) nor declares itself `public`.

Credentials: `Authorization: Bearer <access token>` (API clients) or the `alot_access`
HttpOnly cookie (browsers). A cookie-authenticated state-changing request must also
pass the signed double-submit CSRF check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from alot_platform.auth.service import AuthService
from alot_platform.context import PlatformContext, get_platform
from alot_platform.db import get_session
from alot_platform.errors import Forbidden, NotAuthenticated
from alot_platform.security.csrf import CSRF_COOKIE, CSRF_HEADER, SAFE_METHODS, check_csrf_token
from alot_platform.users.models import Role, User

ACCESS_COOKIE = "alot_access"
REFRESH_COOKIE = "alot_refresh"

SessionDep = Annotated[Session, Depends(get_session, scope="function")]
PlatformDep = Annotated[PlatformContext, Depends(get_platform)]

_bearer = HTTPBearer(auto_error=False, description="an access token from /api/auth/login")
_access_cookie = APIKeyCookie(
    name=ACCESS_COOKIE, auto_error=False, description="set by login with transport=cookie"
)


class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    title = "Email not verified"


class MissingRole(Forbidden):
    code = "missing_role"
    title = "Not allowed"


@dataclass(frozen=True)
class Principal:
    user: User
    session_id: str
    via: Literal["bearer", "cookie"]


def public() -> None:
    """Marks a route as intentionally open to anonymous callers (see module docstring)."""


def current_principal(
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_access_cookie)],
) -> Principal:
    if bearer is not None:
        found = AuthService(session, platform).authenticate(bearer.credentials)
        return Principal(found.user, str(found.session_id), "bearer")
    if cookie:
        found = AuthService(session, platform).authenticate(cookie)
        if request.method not in SAFE_METHODS:
            check_csrf_token(
                platform.keys.csrf,
                str(found.session_id),
                request.cookies.get(CSRF_COOKIE),
                request.headers.get(CSRF_HEADER),
            )
        return Principal(found.user, str(found.session_id), "cookie")
    raise NotAuthenticated("send an access token as a Bearer header or the session cookie")


def current_user(principal: Annotated[Principal, Depends(current_principal)]) -> User:
    return principal.user


def require_verified_email(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.verified_email:
        raise EmailNotVerified("verify your email address first")
    return user


def require_roles(*roles: Role) -> Callable[[User], User]:
    """A dependency admitting users holding at least one of `roles` (admin is not implied)."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    allowed = frozenset(roles)

    def _require(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.roles & allowed:
            raise MissingRole(f"requires role {' or '.join(sorted(allowed))}")
        return user

    _require.__name__ = f"require_roles_{'_'.join(sorted(allowed))}"
    return _require


CurrentUser = Annotated[User, Depends(current_user)]
VerifiedUser = Annotated[User, Depends(require_verified_email)]
