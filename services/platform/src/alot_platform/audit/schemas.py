"""Response bodies for /api/audit."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from alot_platform.pagination import Page


class AuditEntryRead(BaseModel):
    """One audit log entry, exactly as it is hashed (docs/spec/audit-log.md)."""

    seq: int
    at: str = Field(description="RFC 3339 UTC with microseconds, as hashed")
    actor_id: uuid.UUID | None
    actor_roles: list[str]
    action: str
    target_type: str
    target_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditLogPage(Page[AuditEntryRead]):
    """A page of the audit log in seq order."""

    chain_ok: bool = Field(
        description="whether this page's entries hash correctly and link to the entry"
        " before them (the whole log: `alot-verify audit-log` on the export)"
    )
