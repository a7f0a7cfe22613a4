"""Response bodies for /api/admin/tasks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from alot_platform.outbox.models import EMAIL, OutboxItem
from alot_platform.pagination import Page


class TaskRead(BaseModel):
    """An outbox row, as an admin sees it: what it is about, and why it failed. An
    email's body is not shown (it may be personal); its subject and recipient are."""

    id: uuid.UUID
    key: str = Field(description="what it is about, e.g. `draw:<lot id>`", examples=["draw:…"])
    task: str = Field(description="`email`, or the handler's name (`draw`, `payment_event`)")
    status: str = Field(description="`pending`, `done`, `dropped` or `dead`")
    payload: dict[str, Any] | None = Field(description="a task's arguments; null for an email")
    user_id: uuid.UUID | None = Field(description="an email's recipient")
    subject: str | None = Field(description="an email's subject")
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime = Field(
        description="a dead task: when it died; a pending one: when it runs next"
    )

    @classmethod
    def of(cls, item: OutboxItem) -> TaskRead:
        email = item.task == EMAIL
        return cls(
            id=item.id,
            key=item.key,
            task=item.task,
            status=item.status,
            payload=item.payload,
            user_id=item.user_id,
            subject=item.subject if email else None,
            attempts=item.attempts,
            last_error=item.last_error,
            created_at=item.created_at,
            next_attempt_at=item.next_attempt_at,
        )


class TaskPage(Page[TaskRead]):
    """Dead tasks, the latest to die first."""
