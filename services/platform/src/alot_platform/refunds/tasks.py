"""Background work of refunds: what runs after a commit, each step its own unit of work.

Each ``run_*`` function takes the platform and a payload of strings, so a task queue
can run it later from a row written in the committing transaction; each is safe to run
twice, or twice at once (row locks and state checks), and raises to ask for a retry.
The scheduler's tick (scheduler.py) finds the same work left undone and runs it too.

- ``run_cash_refund`` ``{"purchase_id"}``: phases 2 and 3 of a cash refund requested
  (chosen by its buyer, or sent after the choice date): the provider is called with no
  transaction open, then its answer is recorded. Raises ``RefundUnconfirmed`` when the
  provider did not answer (the request stays open, with the error).
- ``run_return_spent_credits`` ``{"lot_id"}``: the credits spent in a refunding lot,
  given back in chunks, each committed.
- ``run_refund_overdue`` ``{"lot_id"}``: past the choice date, every purchase still
  waiting is refunded in cash: requests in chunks, each committed, then each finished.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from contextlib import contextmanager

from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.payments.provider import RefundFailed, RefundResult
from alot_platform.refunds.models import OPEN_REFUND_STATUSES, RefundRequestStatus
from alot_platform.refunds.repository import RefundRepository
from alot_platform.refunds.service import RefundService

_log = logging.getLogger(__name__)


class RefundUnconfirmed(RuntimeError):
    """The provider did not answer a refund request: it is asked again (same key)."""


def run_cash_refund(platform: PlatformContext, payload: Mapping[str, str]) -> None:
    """Finish the cash refund of ``payload["purchase_id"]`` (see the module docstring)."""
    purchase_id = uuid.UUID(payload["purchase_id"])
    status = finish_cash_refund(platform, purchase_id)
    if status == RefundRequestStatus.REQUESTED.value:
        raise RefundUnconfirmed(f"the refund of purchase {purchase_id} is not confirmed yet")


def finish_cash_refund(platform: PlatformContext, purchase_id: uuid.UUID) -> str | None:
    """Phases 2 and 3 of a cash refund still open; its status afterwards (None: no
    request). The provider's failure to answer is kept on the request, not raised."""
    with contextmanager(unit_of_work)(platform.database) as session:
        request = RefundRepository(session).refund_request(purchase_id)
        if request is None or request.status not in OPEN_REFUND_STATUSES:
            return None if request is None else request.status
        payment_id, amount, key = (
            request.provider_payment_id,
            request.amount_cents,
            request.idempotency_key,
        )
        pending = (
            request.provider_refund_id
            if request.status == RefundRequestStatus.PENDING.value
            else None
        )
    # No transaction is open (on SQLite, no write lock held) while the provider answers.
    provider = platform.payments
    result: RefundResult | None = None
    failure: str | None = None
    try:
        if pending is not None:
            result = provider.refund_status(pending)
        else:
            result = provider.refund(payment_id, amount, key)
    except RefundFailed as refused:
        _log.error("refund %s failed at the provider: %s", key, refused)
        failure = f"{refused}"
    except Exception as error:  # unanswered: the request stays open for a retry
        _log.warning("refund %s not confirmed by the provider: %s", key, error)
        with contextmanager(unit_of_work)(platform.database) as session:
            noted = RefundService(session, platform).note_attempt(purchase_id, error)
            return None if noted is None else noted.status
    with contextmanager(unit_of_work)(platform.database) as session:
        return RefundService(session, platform).record(purchase_id, result, failure).status


def run_return_spent_credits(platform: PlatformContext, payload: Mapping[str, str]) -> None:
    """Give back every credit spent in the refunding lot ``payload["lot_id"]``."""
    return_spent_credits(platform, uuid.UUID(payload["lot_id"]))


def return_spent_credits(platform: PlatformContext, lot_id: uuid.UUID) -> None:
    more = True
    while more:
        with contextmanager(unit_of_work)(platform.database) as session:
            more = RefundService(session, platform).return_spent_credits(lot_id)


def run_refund_overdue(platform: PlatformContext, payload: Mapping[str, str]) -> None:
    """Refund in cash what still waits in ``payload["lot_id"]`` after its choice date."""
    refund_overdue(platform, uuid.UUID(payload["lot_id"]))


def refund_overdue(platform: PlatformContext, lot_id: uuid.UUID) -> tuple[int, int]:
    """(purchases handled, cash refunds left unconfirmed): every chunk of requests is
    committed before the provider is asked about any of them."""
    handled = unconfirmed = 0
    more = True
    while more:
        with contextmanager(unit_of_work)(platform.database) as session:
            chunk = RefundService(session, platform).refund_overdue(lot_id)
        handled += chunk.handled
        more = chunk.more
        for purchase_id in chunk.requested:
            if finish_cash_refund(platform, purchase_id) in OPEN_REFUND_STATUSES:
                unconfirmed += 1
    return handled, unconfirmed
