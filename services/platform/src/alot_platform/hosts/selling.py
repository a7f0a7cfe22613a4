"""Whether a host lot sells now: its host must not be suspended.

A suspended host's open lots stay open (they expire and refund at their deadline, or
are drawn if funded before), but sell nothing: purchases and credit purchases answer
409 ``host_suspended`` until the host is reinstated. Platform lots (no host) cost no
read at all; a host lot costs one indexed read of its host's status per purchase batch.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alot_platform.errors import Conflict
from alot_platform.hosts.models import Host, HostStatus
from alot_platform.lots.models import Lot


class HostSuspended(Conflict):
    code = "host_suspended"
    title = "The lot's host is suspended: it sells nothing for now"


def require_host_selling(session: Session, lot: Lot) -> None:
    """Refuse (409 host_suspended) a host lot whose host is not approved."""
    if lot.host_id is None:
        return
    status = session.scalar(select(Host.status).where(Host.id == lot.host_id))
    if status != HostStatus.APPROVED:
        raise HostSuspended(
            f"lot {lot.id}'s host is {status}: the lot does not sell until it is reinstated",
            lot_id=str(lot.id),
        )


def count_funded_host_lot(session: Session, host_id: uuid.UUID) -> None:
    """A host lot reached its target: one more in its host's stats (in the funding's
    own transaction)."""
    session.execute(
        update(Host)
        .where(Host.id == host_id)
        .values(total_lots_funded=Host.total_lots_funded + 1)
        .execution_options(synchronize_session=False)
    )
