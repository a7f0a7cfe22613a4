"""/api/dev/mailbox: the emails the dev mailbox kept instead of sending them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from alot_platform.auth.dependencies import PlatformDep, public
from alot_platform.errors import NotFound
from alot_platform.mail import DevMailbox

router = APIRouter(prefix="/api/dev", tags=["dev"], dependencies=[Depends(public)])


class MailboxMessage(BaseModel):
    to: str
    subject: str
    body: str
    sent_at: datetime | None


@router.get("/mailbox", summary="Emails kept by the dev mailbox (development only)")
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
