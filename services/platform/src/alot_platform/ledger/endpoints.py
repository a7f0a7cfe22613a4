"""The ledger's HTTP API (alot_ledger.http) mounted at /api/ledger with platform auth.

Reads: anyone when ALOT_LEDGER_PUBLIC=true, else auditors and admins. Writes over HTTP
are refused: every ledger transaction is written by the platform in the same database
transaction as the state change it records, never posted from outside.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from alot_ledger import Checkpointer
from alot_ledger.http import create_router
from alot_ledger.settings import LedgerSettings
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from alot_platform.auth.dependencies import SessionDep, current_user, public, require_roles
from alot_platform.config import Settings
from alot_platform.errors import Forbidden
from alot_platform.users.models import Role, User


class LedgerWritesRefused(Forbidden):
    code = "ledger_writes_refused"
    title = "The ledger is written only by the platform"


async def _refuse_writes(_user: Annotated[User, Depends(current_user)]) -> None:
    raise LedgerWritesRefused(
        "ledger transactions are written with the state change they record; "
        "checkpoints are made by the platform's scheduler"
    )


async def _request_session(session: SessionDep) -> Session:
    # The request's one unit of work, shared with the auth dependencies: a second
    # session would be a second transaction (and on SQLite wait for the first's lock).
    return session


def ledger_settings(settings: Settings) -> LedgerSettings:
    """The ledger's settings on the platform's database and var directory."""
    return LedgerSettings(database_url=settings.resolved_database_url, var_dir=settings.var_dir)


def create_ledger_router(settings: Settings) -> APIRouter:
    reader: Callable[..., Any] = (
        public if settings.ledger_public else require_roles(Role.AUDITOR, Role.ADMIN)
    )
    return create_router(
        get_session=_request_session,
        require_reader=reader,
        require_writer=_refuse_writes,
        checkpointer=Checkpointer.from_settings(ledger_settings(settings)),
    )
