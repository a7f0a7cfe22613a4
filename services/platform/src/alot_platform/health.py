"""Liveness and readiness probes (exempt from rate limiting and authentication)."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from alot_platform.auth.dependencies import PlatformDep
from alot_platform.errors import AlotError
from alot_platform.openapi_helpers import problems

router = APIRouter(tags=["health"])
_log = logging.getLogger(__name__)


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class NotReady(AlotError):
    status_code = 503
    code = "not_ready"
    title = "Not ready"


@router.get("/healthz", summary="The process is up")
def healthz() -> Health:
    return Health()


@router.get("/readyz", responses=problems(503), summary="The database answers")
def readyz(platform: PlatformDep) -> Health:
    try:
        with platform.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        _log.exception("readiness check failed")
        raise NotReady("the database is unreachable") from None
    return Health()
