"""Background work of payouts, each step its own unit of work (see payouts/models.py).

- ``run_host_payout`` ``{"payout_id"}`` (the outbox's ``host_payout`` task): phases 2
  and 3 of a pending payout: the provider is asked for the transfer with no
  transaction open, then its answer recorded. Raises ``PayoutUnconfirmed`` when the
  provider did not answer (the payout stays pending, reserved, with the error; the
  outbox asks again with backoff, under the same key).
- ``make_due_payouts``: the tick's job: a payout for every host whose payable balance
  may be paid, then every payout left pending (a lost task, a crash) finished.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.payments.provider import TransferFailed, TransferResult
from alot_platform.payouts.models import HostPayout
from alot_platform.payouts.service import PayoutService

_log = logging.getLogger(__name__)
_BATCH = 100


class PayoutUnconfirmed(RuntimeError):
    """The provider did not answer a transfer: it is asked again with the same key."""


def run_host_payout(platform: PlatformContext, payload: Mapping[str, str]) -> None:
    payout_id = uuid.UUID(payload["payout_id"])
    if finish_payout(platform, payout_id) == "pending":
        raise PayoutUnconfirmed(f"the transfer of payout {payout_id} is not confirmed yet")


def finish_payout(platform: PlatformContext, payout_id: uuid.UUID) -> str | None:
    """Phases 2 and 3 of a pending payout; its status afterwards (None: no payout)."""
    with contextmanager(unit_of_work)(platform.database) as session:
        service = PayoutService(session, platform)
        call = service.transfer_call(payout_id)
        if call is None:
            payout = session.get(HostPayout, payout_id)
            return None if payout is None else payout.status
    provider = platform.payments
    transfer: TransferResult | None = None
    try:  # no transaction open, no row locked, while the provider answers
        if call.asked_before:
            transfer = provider.find_transfer(call.transfer_group)
        if transfer is None:
            transfer = provider.transfer(
                amount_cents=call.amount_cents,
                currency=call.currency,
                destination=call.destination,
                transfer_group=call.transfer_group,
                metadata={"payout_id": str(call.payout_id), "host_id": str(call.host_id)},
                idempotency_key=call.idempotency_key,
            )
    except TransferFailed as refused:
        _log.error("payout %s refused by the provider: %s", payout_id, refused)
        with contextmanager(unit_of_work)(platform.database) as session:
            return PayoutService(session, platform).record_refused(payout_id, str(refused)).status
    except Exception as error:
        _log.warning("payout %s not confirmed by the provider: %s", payout_id, error)
        with contextmanager(unit_of_work)(platform.database) as session:
            noted = PayoutService(session, platform).note_attempt(payout_id, error)
            return None if noted is None else noted.status
    with contextmanager(unit_of_work)(platform.database) as session:
        return PayoutService(session, platform).record_paid(payout_id, transfer).status


@dataclass
class PayoutSweep:
    made: list[uuid.UUID] = field(default_factory=list)
    finished: int = 0
    still_pending: int = 0
    failures: list[str] = field(default_factory=list)


def make_due_payouts(platform: PlatformContext, *, stale_after_seconds: int = 60) -> PayoutSweep:
    """The tick's payouts job: new payouts where due, then stale pending ones finished.

    A payout just made is run by its outbox task after the commit (inline, a thread or
    a worker); the tick only finishes payouts untouched for a minute.
    """
    sweep = PayoutSweep()
    after: uuid.UUID | None = None
    while True:
        with contextmanager(unit_of_work)(platform.database) as session:
            host_ids = PayoutService(session, platform).payable_host_ids(after=after, limit=_BATCH)
        for host_id in host_ids:
            try:
                with contextmanager(unit_of_work)(platform.database) as session:
                    payout = PayoutService(session, platform).make_payout(host_id)
                    if payout is not None:
                        sweep.made.append(payout.id)
            except Exception:
                _log.exception("payouts: host %s not paid out", host_id)
                sweep.failures.append(f"payout of host {host_id}")
        if len(host_ids) < _BATCH:
            break
        after = host_ids[-1]
    before = platform.clock() - timedelta(seconds=stale_after_seconds)
    last: uuid.UUID | None = None
    while True:
        with contextmanager(unit_of_work)(platform.database) as session:
            stale = PayoutService(session, platform).stale_pending(
                updated_before=before, after=last, limit=_BATCH
            )
        for payout_id in stale:
            try:
                status = finish_payout(platform, payout_id)
            except Exception:
                _log.exception("payouts: payout %s not finished", payout_id)
                sweep.failures.append(f"payout {payout_id}")
                continue
            if status == "pending":
                sweep.still_pending += 1
            else:
                sweep.finished += 1
        if len(stale) < _BATCH:
            break
        last = stale[-1]
    return sweep
