"""Who is calling, and may they: the dependencies every protected endpoint uses.

Authorization is deny-by-default: the app refuses to start if an `/api` route neither
depends on `current_principal` (directly or through `current_user`, `require_roles`,
`require_verified_email`) nor declares itself `public`.

Credentials: `Authorization: Bearer <access token>` (API clients) or the `alot_access`
HttpOnly cookie (browsers). A cookie-authenticated state-changing request must also
pass the signed double-submit CSRF check.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from alot_platform.audit.service import note_actor
from alot_platform.auth.service import (
    AuthService,
    access_claims,
    require_verified,
)
from alot_platform.auth.tokens import Claims
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


class MissingRole(Forbidden):
    code = "missing_role"
    title = "Not allowed"


@dataclass(frozen=True)
class Principal:
    user: User
    session_id: str
    via: Literal["bearer", "cookie"]


async def public() -> None:
    """Marks a route as intentionally open to anonymous callers (see module docstring)."""


@dataclass(frozen=True)
class Caller:
    """A caller whose access token is valid, before anything was read from the database.

    For endpoints whose service checks the session and the user itself, in its own
    transaction, with ``check_signed_in`` (the hot purchase path checks a whole batch of
    callers in one query instead of one query per request). Such an endpoint is as
    guarded as one using ``current_principal``: the service refuses an ended session or
    an inactive account before it reads or writes anything else.
    """

    claims: Claims
    via: Literal["bearer", "cookie"]

    @property
    def session_id(self) -> uuid.UUID:
        assert self.claims.session_id is not None
        return self.claims.session_id


async def current_caller(
    request: Request,
    platform: PlatformDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_access_cookie)],
) -> Caller:
    """A valid access token (``async``: verifying a signature reads no database)."""
    return _caller(request, platform, bearer, cookie)


def current_principal(
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_access_cookie)],
) -> Principal:
    """A valid access token whose session is live and whose account is active."""
    caller = _caller(request, platform, bearer, cookie)
    user = AuthService(session, platform).signed_in(caller.claims)
    note_actor(session, user.id)  # who acts, for the audit log (audit/service.py)
    return Principal(user, str(caller.session_id), caller.via)


def _caller(
    request: Request,
    platform: PlatformContext,
    bearer: HTTPAuthorizationCredentials | None,
    cookie: str | None,
) -> Caller:
    if bearer is not None:
        return Caller(access_claims(platform, bearer.credentials), "bearer")
    if cookie:
        claims = access_claims(platform, cookie)
        if request.method not in SAFE_METHODS:
            check_csrf_token(
                platform.keys.csrf,
                str(claims.session_id),
                request.cookies.get(CSRF_COOKIE),
                request.headers.get(CSRF_HEADER),
            )
        return Caller(claims, "cookie")
    raise NotAuthenticated("send an access token as a Bearer header or the session cookie")


_optional_bearer = HTTPBearer(auto_error=False, description="optional: an access token")
_optional_access_cookie = APIKeyCookie(name=ACCESS_COOKIE, auto_error=False)


def optional_user(
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
    cookie: Annotated[str | None, Depends(_optional_access_cookie)],
    _open: Annotated[None, Depends(public)],
) -> User | None:
    """For routes open to anyone: None for an anonymous caller; a caller who sends
    credentials is identified by them (an invalid token is refused, as everywhere)."""
    if bearer is None and not cookie:
        return None
    return current_principal(request, session, platform, bearer, cookie).user


# The dependencies below only look at what current_principal loaded: ``async`` so that
# FastAPI runs them on the event loop instead of sending each to a worker thread (a
# thread hop costs more CPU than they do).


async def current_user(principal: Annotated[Principal, Depends(current_principal)]) -> User:
    return principal.user


async def require_verified_email(user: Annotated[User, Depends(current_user)]) -> User:
    require_verified(user)
    return user


def require_roles(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency admitting users holding at least one of `roles` (admin is not implied)."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    allowed = frozenset(roles)

    async def _require(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.roles & allowed:
            raise MissingRole(f"requires role {' or '.join(sorted(allowed))}")
        return user

    _require.__name__ = f"require_roles_{'_'.join(sorted(allowed))}"
    return _require


CurrentUser = Annotated[User, Depends(current_user)]
CurrentCaller = Annotated[Caller, Depends(current_caller)]
VerifiedUser = Annotated[User, Depends(require_verified_email)]
