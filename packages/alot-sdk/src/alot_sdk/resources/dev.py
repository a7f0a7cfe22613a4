"""`client.dev`: development-only helpers (absent from a production platform: 404).

The dev mailbox answers only a development server on loopback, and only to the run's
dev secret (printed by `alot run`) or an admin's token (the client's, if it has one).
"""

from __future__ import annotations

from alot_sdk._base_client import drop_none
from alot_sdk.models import MailboxMessage
from alot_sdk.resources._resource import AsyncResource, SyncResource


class Dev(SyncResource):
    def mailbox(self, to: str | None = None, *, secret: str | None = None) -> list[MailboxMessage]:
        """Emails the development mailbox kept instead of sending (only those to `to`).

        `secret`: the dev secret `alot run` printed; without it the client must be an admin.
        """
        response = self._client._request(
            "GET", "/api/dev/mailbox", params=drop_none({"to": to, "secret": secret})
        )
        return [MailboxMessage.model_validate(m) for m in self._client._json(response)]


class AsyncDev(AsyncResource):
    async def mailbox(
        self, to: str | None = None, *, secret: str | None = None
    ) -> list[MailboxMessage]:
        """Emails the development mailbox kept instead of sending (only those to `to`).

        `secret`: the dev secret `alot run` printed; without it the client must be an admin.
        """
        response = await self._client._request(
            "GET", "/api/dev/mailbox", params=drop_none({"to": to, "secret": secret})
        )
        return [MailboxMessage.model_validate(m) for m in self._client._json(response)]
