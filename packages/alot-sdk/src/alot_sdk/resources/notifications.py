"""`client.notifications`: what the platform told the logged-in player (a win, credits,
a refund to choose or made, a lot about to close), marking it read, and which emails
the player wants."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alot_sdk._base_client import drop_none, next_by_cursor
from alot_sdk.live import AsyncLiveWatch, LiveWatch, Reconnect, _Streams
from alot_sdk.models import EmailPreferences, MarkedRead, Notification, NotificationList
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources._resource import AsyncResource, SyncResource

_PATH = "/api/users/me/notifications"
_PREFERENCES = "/api/users/me/preferences"


def _list_params(limit: int, cursor: str | None, unread: bool) -> dict[str, Any]:
    return drop_none({"limit": limit, "cursor": cursor, "unread": "true" if unread else None})


def _mark_body(ids: Sequence[str] | None, up_to: str | None) -> dict[str, Any]:
    if (ids is None) == (up_to is None):
        raise ValueError("mark_read takes either ids or up_to")
    return {"ids": list(ids)} if ids is not None else {"up_to": up_to}


def _preference_changes(**choices: bool | None) -> dict[str, bool]:
    return {name: value for name, value in choices.items() if value is not None}


class Notifications(SyncResource):
    def list(
        self, *, limit: int = 50, cursor: str | None = None, unread: bool = False
    ) -> SyncPage[Notification]:
        """My notifications, newest first (iterate for all of them); ``unread=True``
        for the unread ones only."""
        return self._client._get_page(
            _PATH, _list_params(limit, cursor, unread), Notification, "items", next_by_cursor
        )

    def unread_count(self) -> int:
        """How many of my notifications are unread."""
        response = self._client._request("GET", _PATH, params={"limit": 1})
        return self._client._parse(response, NotificationList).unread_count

    def mark_read(
        self, ids: Sequence[str] | None = None, *, up_to: str | None = None
    ) -> MarkedRead:
        """Mark ``ids`` read, or the notification ``up_to`` and every older one.
        Repeating it changes nothing; an id that is not mine raises NotFoundError."""
        response = self._client._request("POST", f"{_PATH}/read", json=_mark_body(ids, up_to))
        return self._client._parse(response, MarkedRead)

    def mark_all_read(self) -> MarkedRead:
        """Mark every notification I have now read (one that arrives meanwhile stays
        unread)."""
        newest = self._client._parse(
            self._client._request("GET", _PATH, params={"limit": 1}), NotificationList
        )
        if not newest.items:
            return MarkedRead(marked=0, unread_count=newest.unread_count)
        return self.mark_read(up_to=newest.items[0].id)

    def watch(
        self, *, after_seq: int | None = None, reconnect: Reconnect | None = None
    ) -> LiveWatch:
        """My own live events as they happen (`LiveEvent`, `personal` true): a Checkout
        purchase confirmed, credits awarded, a win, a refund available or done.

        `seq` counts my own stream; pass the last one you saw as `after_seq` to get what
        was missed first. Reconnects and resumes by itself, and yields a ``"resync"``
        when events may have been lost (list the notifications then). Needs a logged-in
        client (`LiveError` code ``unauthenticated`` otherwise). See `alot_sdk.live`.
        """
        streams = _Streams(lot_id=None, after_seq=after_seq, personal=True)
        return LiveWatch(self._client, streams, reconnect or Reconnect())

    def preferences(self) -> EmailPreferences:
        """My email choices (transactional emails are always sent)."""
        return self._client._parse(self._client._request("GET", _PREFERENCES), EmailPreferences)

    def update_preferences(
        self,
        *,
        reminder_emails: bool | None = None,
        credits_emails: bool | None = None,
        marketing_emails: bool | None = None,
    ) -> EmailPreferences:
        """Change some email choices (None keeps a choice as it is)."""
        body = _preference_changes(
            reminder_emails=reminder_emails,
            credits_emails=credits_emails,
            marketing_emails=marketing_emails,
        )
        response = self._client._request("PATCH", _PREFERENCES, json=body)
        return self._client._parse(response, EmailPreferences)


class AsyncNotifications(AsyncResource):
    async def list(
        self, *, limit: int = 50, cursor: str | None = None, unread: bool = False
    ) -> AsyncPage[Notification]:
        """My notifications, newest first (iterate for all of them); ``unread=True``
        for the unread ones only."""
        return await self._client._get_page(
            _PATH, _list_params(limit, cursor, unread), Notification, "items", next_by_cursor
        )

    async def unread_count(self) -> int:
        """How many of my notifications are unread."""
        response = await self._client._request("GET", _PATH, params={"limit": 1})
        return self._client._parse(response, NotificationList).unread_count

    async def mark_read(
        self, ids: Sequence[str] | None = None, *, up_to: str | None = None
    ) -> MarkedRead:
        """Mark ``ids`` read, or the notification ``up_to`` and every older one.
        Repeating it changes nothing; an id that is not mine raises NotFoundError."""
        response = await self._client._request("POST", f"{_PATH}/read", json=_mark_body(ids, up_to))
        return self._client._parse(response, MarkedRead)

    async def mark_all_read(self) -> MarkedRead:
        """Mark every notification I have now read (one that arrives meanwhile stays
        unread)."""
        newest = self._client._parse(
            await self._client._request("GET", _PATH, params={"limit": 1}), NotificationList
        )
        if not newest.items:
            return MarkedRead(marked=0, unread_count=newest.unread_count)
        return await self.mark_read(up_to=newest.items[0].id)

    async def watch(
        self, *, after_seq: int | None = None, reconnect: Reconnect | None = None
    ) -> AsyncLiveWatch:
        """My own live events as they happen (`LiveEvent`, `personal` true): a Checkout
        purchase confirmed, credits awarded, a win, a refund available or done.

        `seq` counts my own stream; pass the last one you saw as `after_seq` to get what
        was missed first. Reconnects and resumes by itself, and yields a ``"resync"``
        when events may have been lost (list the notifications then). Needs a logged-in
        client (`LiveError` code ``unauthenticated`` otherwise). See `alot_sdk.live`.
        """
        streams = _Streams(lot_id=None, after_seq=after_seq, personal=True)
        return AsyncLiveWatch(self._client, streams, reconnect or Reconnect())

    async def preferences(self) -> EmailPreferences:
        """My email choices (transactional emails are always sent)."""
        return self._client._parse(
            await self._client._request("GET", _PREFERENCES), EmailPreferences
        )

    async def update_preferences(
        self,
        *,
        reminder_emails: bool | None = None,
        credits_emails: bool | None = None,
        marketing_emails: bool | None = None,
    ) -> EmailPreferences:
        """Change some email choices (None keeps a choice as it is)."""
        body = _preference_changes(
            reminder_emails=reminder_emails,
            credits_emails=credits_emails,
            marketing_emails=marketing_emails,
        )
        response = await self._client._request("PATCH", _PREFERENCES, json=body)
        return self._client._parse(response, EmailPreferences)
