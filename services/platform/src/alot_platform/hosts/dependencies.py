"""Who is a host: the `current_host` dependency every /api/hosts/me* route uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import select

from alot_platform.auth.dependencies import CurrentUser, SessionDep
from alot_platform.errors import Forbidden, NotFound
from alot_platform.hosts.models import Host, HostStatus


class NotAHost(NotFound):
    code = "not_a_host"
    title = "No host profile"


class HostNotApproved(Forbidden):
    code = "host_not_approved"
    title = "The host is not approved"


async def _host_row(user: CurrentUser, session: SessionDep) -> Host:
    host = session.scalars(select(Host).where(Host.user_id == user.id)).one_or_none()
    if host is None:
        raise NotAHost("you have no host profile; apply at POST /api/hosts/apply")
    return host


async def _approved_host(host: Annotated[Host, Depends(_host_row)]) -> Host:
    """A host allowed to act as one now (approved; a suspended host may still read)."""
    if host.status != HostStatus.APPROVED:
        raise HostNotApproved(f"your host profile is {host.status}", status=host.status)
    return host


# Any host profile, whatever its status: reading your own profile, payouts, fulfillment.
CurrentHost = Annotated[Host, Depends(_host_row)]
# An approved host: creating and editing lots, and anything else that sells.
ApprovedHost = Annotated[Host, Depends(_approved_host)]
