"""The ledger's HTTP API (alot_ledger.http) mounted at /api/ledger with platform auth.

Public to anyone: checkpoints, the verifier key, consistency proofs and inclusion proofs
(hashes and signatures only). One transaction, alone or inside its inclusion proof:
auditors and admins, and the player the transaction names (refs ``user_id`` /
``winner_user_id``, or a posting to their credits), so a player checks their own
purchase without any role; anyone else's inclusion proof leaves the transaction out. Transaction
lists, the export and balances: auditors and admins. ALOT_LEDGER_PUBLIC=true opens every
read to anyone. Writes over HTTP are refused: every ledger transaction is written by the
platform in the same database transaction as the state change it records.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from alot_ledger import Checkpointer
from alot_ledger.http import create_router
from alot_ledger.settings import LedgerSettings
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from alot_platform.auth.dependencies import (
    SessionDep,
    current_user,
    optional_user,
    public,
    require_roles,
)
from alot_platform.config import Settings
from alot_platform.errors import Forbidden
from alot_platform.ledger.accounts import user_credits
from alot_platform.users.models import Role, User

READER_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})
# The refs that name a player in the platform's transactions (ledger/accounts.py: ids only).
_PARTY_REFS = ("user_id", "winner_user_id")


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


def names_player(transaction: dict[str, Any], user_id: str) -> bool:
    """Whether a ledger transaction is one of the player's: a ref or a posting names them."""
    refs = transaction.get("refs") or {}
    if any(refs.get(name) == user_id for name in _PARTY_REFS):
        return True
    own_credits = user_credits(uuid.UUID(user_id))
    return any(p.get("account") == own_credits for p in transaction.get("postings") or ())


# Transactions anyone may read: a lot's seed commitment names no player and only repeats
# what the lot page publishes, and a player checking a draw in their browser must be able
# to see that the ledger recorded it when the lot opened.
PUBLIC_KINDS = frozenset({"draw_commitment"})


def _public_kind(transaction: dict[str, Any]) -> bool:
    return transaction.get("kind") in PUBLIC_KINDS


async def _party(user: Annotated[User, Depends(current_user)]) -> Callable[..., bool] | None:
    """None for a reader (any transaction); else the test of the player's own (or public)."""
    if user.roles & READER_ROLES:
        return None
    user_id = str(user.id)
    return lambda transaction: _public_kind(transaction) or names_player(transaction, user_id)


def _nobody(transaction: dict[str, Any]) -> bool:
    return _public_kind(transaction)


def _view_party(
    user: Annotated[User | None, Depends(optional_user)],
) -> Callable[..., bool] | None:
    """The public inclusion proof: who may see the transaction inside it. Anonymous
    callers see only the public kinds; a caller who sends credentials is identified by them."""
    if user is None:
        return _nobody
    if user.roles & READER_ROLES:
        return None
    user_id = str(user.id)
    return lambda transaction: _public_kind(transaction) or names_player(transaction, user_id)


def create_ledger_router(settings: Settings) -> APIRouter:
    reader: Callable[..., Any] = public if settings.ledger_public else require_roles(*READER_ROLES)
    return create_router(
        get_session=_request_session,
        require_reader=reader,
        require_writer=_refuse_writes,
        checkpointer=Checkpointer.from_settings(ledger_settings(settings)),
        require_party=reader if settings.ledger_public else _party,
        allow_anyone=public,
        view_party=public if settings.ledger_public else _view_party,
    )
