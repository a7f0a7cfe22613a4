"""`client.audit`: the admin and host audit log (auditor or admin role)."""

from __future__ import annotations

from alot_sdk._base_client import drop_none, next_by_cursor
from alot_sdk.models import AuditEntry
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources._resource import AsyncResource, SyncResource


class Audit(SyncResource):
    def log(self, *, limit: int = 50, cursor: str | None = None) -> SyncPage[AuditEntry]:
        """Entries in seq order (iterate for all of them)."""
        return self._client._get_page(
            "/api/audit/log",
            drop_none({"limit": limit, "cursor": cursor}),
            AuditEntry,
            "items",
            next_by_cursor,
        )

    def export(self) -> bytes:
        """The whole log as JSON Lines, as `alot-verify audit-log` reads it."""
        return self._client._request("GET", "/api/audit/log/export").content


class AsyncAudit(AsyncResource):
    async def log(self, *, limit: int = 50, cursor: str | None = None) -> AsyncPage[AuditEntry]:
        """Entries in seq order (iterate for all of them)."""
        return await self._client._get_page(
            "/api/audit/log",
            drop_none({"limit": limit, "cursor": cursor}),
            AuditEntry,
            "items",
            next_by_cursor,
        )

    async def export(self) -> bytes:
        """The whole log as JSON Lines, as `alot-verify audit-log` reads it."""
        return (await self._client._request("GET", "/api/audit/log/export")).content
