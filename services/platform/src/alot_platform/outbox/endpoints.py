"""/api/admin/tasks: the outbox's dead letters, listed and retried by admins."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from alot_platform.admin.endpoints import require_admin
from alot_platform.auth.dependencies import PlatformDep, SessionDep
from alot_platform.openapi_helpers import problems
from alot_platform.outbox import service
from alot_platform.outbox.schemas import TaskPage, TaskRead
from alot_platform.pagination import DEFAULT_LIMIT, CursorParam, LimitParam

admin_router = APIRouter(
    prefix="/api/admin/tasks",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=problems(401, 403),
)


@admin_router.get(
    "/failed",
    responses=problems(422),
    summary="Background tasks that failed on every attempt (dead letters), latest first",
)
def failed_tasks(
    session: SessionDep, cursor: CursorParam = None, limit: LimitParam = DEFAULT_LIMIT
) -> TaskPage:
    items, next_cursor = service.dead(session, cursor=cursor, limit=limit)
    return TaskPage(items=[TaskRead.of(item) for item in items], next_cursor=next_cursor)


@admin_router.post(
    "/{task_id}/retry",
    responses=problems(404, 409, 422),
    summary="Run a dead task again, with a new round of attempts (`alot tasks retry`)",
)
def retry_task(task_id: uuid.UUID, session: SessionDep, platform: PlatformDep) -> TaskRead:
    """The task is pending again once this commits, and runs at once. Its handler is
    idempotent: retrying work that in fact succeeded does nothing twice."""
    return TaskRead.of(service.retry(session, task_id, platform.clock()))
