"""/api/dev/mailbox: the emails the dev mailbox kept instead of sending them.

The mailbox holds every verification and password-reset link, so reading it takes over
any account. It therefore exists only for local play:

- it is mounted only when ``ALOT_ENV=development`` *and* ``ALOT_DEV_BIND_HOST`` (set by
  ``alot run`` to the address it listens on) is a loopback address (``mailbox_enabled``);
- a request must carry the per-run dev secret (``ALOT_DEV_MAILBOX_SECRET``, generated
  by ``alot run`` at every start and printed in its banner) in ``X-Dev-Secret`` or
  ``?secret=``, or an admin's access token. Anything else answers 401 (no credentials)
  or 403 (a wrong secret, or a signed-in non-admin).
"""

from __future__ import annotations

import hmac
import ipaddress
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import APIKeyHeader, APIKeyQuery, HTTPAuthorizationCredentials
from pydantic import BaseModel

from alot_platform.auth.dependencies import (
    PlatformDep,
    SessionDep,
    _access_cookie,
    _bearer,
    current_principal,
    public,
)
from alot_platform.config import Settings
from alot_platform.errors import Forbidden, NotAuthenticated, NotFound
from alot_platform.mail import DevMailbox
from alot_platform.users.models import Role

DEV_SECRET_HEADER = "X-Dev-Secret"  # noqa: S105 (a header name)
DEV_SECRET_QUERY = "secret"  # noqa: S105 (a query parameter name)

_secret_header = APIKeyHeader(
    name=DEV_SECRET_HEADER,
    auto_error=False,
    scheme_name="DevSecretHeader",
    description="the dev secret `alot run` prints in its banner",
)
_secret_query = APIKeyQuery(
    name=DEV_SECRET_QUERY,
    auto_error=False,
    scheme_name="DevSecretQuery",
    description="the dev secret `alot run` prints in its banner",
)


def is_loopback(host: str | None) -> bool:
    """Is ``host`` a loopback address (127.0.0.0/8, ::1, ``localhost``)?"""
    if not host:
        return False
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def mailbox_enabled(settings: Settings) -> bool:
    """Mount the dev mailbox? Only in development, on a server bound to loopback."""
    return settings.env == "development" and is_loopback(settings.dev_bind_host)


def mailbox_reader(
    request: Request,
    platform: PlatformDep,
    session: SessionDep,
    header_secret: Annotated[str | None, Depends(_secret_header)],
    query_secret: Annotated[str | None, Depends(_secret_query)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_access_cookie)],
) -> None:
    """Admit the holder of this run's dev secret, or an admin."""
    given = header_secret if header_secret is not None else query_secret
    if given is not None:
        expected = platform.settings.dev_mailbox_secret
        if expected is not None and hmac.compare_digest(
            given.encode(), expected.get_secret_value().encode()
        ):
            return
        raise Forbidden("wrong dev secret (`alot run` prints this run's in its banner)")
    if bearer is None and not cookie:
        raise NotAuthenticated(
            f"send the dev secret (`{DEV_SECRET_HEADER}` header or `?{DEV_SECRET_QUERY}=`,"
            " printed by `alot run`) or an admin's access token"
        )
    principal = current_principal(request, session, platform, bearer, cookie)
    if Role.ADMIN not in principal.user.roles:
        raise Forbidden("the dev mailbox is for admins or holders of the dev secret")


# `public` to the deny-by-default check: the guard is mailbox_reader (secret or admin).
router = APIRouter(
    prefix="/api/dev",
    tags=["dev"],
    dependencies=[Depends(public), Depends(mailbox_reader)],
)


class MailboxMessage(BaseModel):
    to: str
    subject: str
    body: str
    sent_at: datetime | None


@router.get(
    "/mailbox",
    summary="Emails kept by the dev mailbox (development on loopback; dev secret or admin)",
)
def mailbox(
    platform: PlatformDep,
    to: Annotated[
        str | None, Query(max_length=254, description="only mail to this address")
    ] = None,
) -> list[MailboxMessage]:
    if not isinstance(platform.mailer, DevMailbox):
        raise NotFound("the dev mailbox is off: email goes out by SMTP")
    wanted = to.strip().lower() if to else None
    return [
        MailboxMessage(to=m.to, subject=m.subject, body=m.body, sent_at=m.sent_at)
        for m in platform.mailer.messages(wanted)
    ]
