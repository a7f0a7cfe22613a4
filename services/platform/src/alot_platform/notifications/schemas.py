"""Request and response bodies for /api/users/me/notifications and /api/users/me/preferences."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from pydantic.json_schema import SkipJsonSchema

from alot_platform.notifications.messages import render
from alot_platform.notifications.models import Notification, NotificationKind
from alot_platform.pagination import Page

MAX_MARK = 100
"""Ids one mark-read request may name (mark more with ``up_to``)."""


class NotificationRead(BaseModel):
    """Something that happened to the player, with its words and where to see it."""

    id: uuid.UUID
    kind: NotificationKind
    title: str
    body: str
    link: str = Field(
        description="the web client's page about it (a path: /lots/{id}/draw, "
        "/purchases/{id}/refund, /me/entries, /lots/{id})",
        examples=["/lots/0b7c.../draw"],
    )
    lot_id: uuid.UUID | None
    data: dict[str, Any] = Field(
        description="the facts, by kind: won {lot_id, lot_title, winning_ticket, "
        "total_tickets}; credits_awarded {... credits, winning_ticket}; refund_available "
        "{... refund_choice_deadline, purchase_ids, cash_percent, credits_percent}; "
        "refund_done {... purchase_id, refund_choice, refunded_cents | refunded_credits, "
        "tickets}; lot_closing {... reason (nearly_funded | closing_soon), funded_percent, "
        "deadline}"
    )
    read: bool
    read_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: Notification) -> NotificationRead:
        message = render(row.kind, row.data)
        return cls(
            id=row.id,
            kind=NotificationKind(row.kind),
            title=message.title,
            body=message.body,
            link=message.link,
            lot_id=row.lot_id,
            data=row.data,
            read=row.read_at is not None,
            read_at=row.read_at,
            created_at=row.created_at,
        )


class NotificationPage(Page[NotificationRead]):
    """The caller's notifications, newest first, and how many are unread in all."""

    unread_count: int = Field(description="unread notifications in all, not only on this page")


class MarkRead(BaseModel):
    """Which notifications to mark read: some ``ids``, or every one ``up_to`` one
    (that one and all older). Marking a read notification again changes nothing."""

    model_config = ConfigDict(extra="forbid")

    ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=MAX_MARK)
    up_to: uuid.UUID | None = Field(
        default=None, description="this notification and every older one"
    )

    @model_validator(mode="after")
    def _one_way(self) -> MarkRead:
        if (self.ids is None) == (self.up_to is None):
            raise ValueError("give either ids or up_to")
        return self


class MarkedRead(BaseModel):
    marked: int = Field(description="notifications that were unread and are now read")
    unread_count: int


class PreferencesRead(BaseModel):
    """The caller's email choices. Transactional emails (a win, a refund to choose or
    made, account emails such as password resets) are always sent and cannot be
    turned off; in-app notifications are written whatever the choices."""

    reminder_emails: bool = Field(
        description="a lot you entered is 90% funded or closes within 24 hours"
    )
    credits_emails: bool = Field(description="credits you earned when a lot you entered was drawn")
    marketing_emails: bool = Field(description="news and offers; off unless you turn it on")
    transactional_emails: Literal[True] = Field(
        default=True, description="always sent: wins, refunds, account security"
    )
    updated_at: datetime | None = Field(description="null: never changed (the defaults)")


class PreferencesUpdate(BaseModel):
    """Only the choices to change."""

    model_config = ConfigDict(extra="forbid")

    # Omitted means unchanged; null is refused (below), so the schema says boolean only.
    reminder_emails: StrictBool | SkipJsonSchema[None] = None
    credits_emails: StrictBool | SkipJsonSchema[None] = None
    marketing_emails: StrictBool | SkipJsonSchema[None] = None

    @model_validator(mode="before")
    @classmethod
    def _transactional_stay(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if "transactional_emails" in data:
                raise ValueError(
                    "transactional emails (wins, refunds, account security) are always sent"
                )
            nulls = sorted(name for name, value in data.items() if value is None)
            if nulls:
                raise ValueError(f"{', '.join(nulls)}: true or false, not null")
        return data
