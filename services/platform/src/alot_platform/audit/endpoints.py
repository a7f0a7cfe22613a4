"""/api/audit: the admin and host audit log, for auditors and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from alot_platform.audit.schemas import AuditEntryRead, AuditLogPage
from alot_platform.audit.service import AuditLogReader
from alot_platform.auth.dependencies import SessionDep, require_roles
from alot_platform.openapi_helpers import problems
from alot_platform.pagination import DEFAULT_LIMIT, CursorParam, LimitParam
from alot_platform.users.models import Role

router = APIRouter(
    prefix="/api/audit",
    tags=["audit"],
    dependencies=[Depends(require_roles(Role.AUDITOR, Role.ADMIN))],
    responses=problems(401, 403),
)


@router.get("/log", responses=problems(422), summary="The audit log of admin and host actions")
def read_log(
    session: SessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
    newest_first: Annotated[
        bool, Query(description="newest entries first (the export is always oldest first)")
    ] = False,
) -> AuditLogPage:
    entries, next_cursor, chain_ok = AuditLogReader(session).page(
        cursor=cursor, limit=limit, newest_first=newest_first
    )
    return AuditLogPage(
        items=[AuditEntryRead.model_validate(e) for e in entries],
        next_cursor=next_cursor,
        chain_ok=chain_ok,
    )


@router.get(
    "/log/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/jsonl": {}}, "description": "JSON Lines"}},
    summary="The whole audit log as JSON Lines (feed it to `alot-verify audit-log`)",
)
def export_log(session: SessionDep) -> StreamingResponse:
    # Read in full before answering: the request's session ends with the response.
    body = b"".join(AuditLogReader(session).export())
    return StreamingResponse(
        iter([body]),
        media_type="application/jsonl",
        headers={"Content-Disposition": 'attachment; filename="audit-log.jsonl"'},
    )
