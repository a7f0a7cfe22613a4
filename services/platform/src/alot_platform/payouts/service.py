"""The rules of hosts' payouts and winners' cash payments (see payouts/models.py).

- Connect: a host (approved or suspended: a suspended host is still owed what it
  earned) gets one connected Express account, created under the key
  ``connect-account:<host id>`` so two clicks make one account, and a fresh onboarding
  link each time it asks. ``hosts.payouts_enabled`` follows the account: read when the
  link is made, and from Stripe's ``account.updated`` events (payments/service.py).
- Payouts: a host whose payouts are enabled and whose payable balance, less its pending
  payouts, reaches ``ALOT_HOST_PAYOUT_MINIMUM_CENTS`` gets one payout for all of it
  (the tick finds them: ``make_due_payouts``). The row reserves the amount under the
  host's row lock, so two ticks never reserve the same money twice. A host with a
  payout that failed for good gets no new one until an admin retries it (otherwise the
  same refusal would be asked for every tick).
- Winners: cash owed on ``user:<id>:payable`` (a prize compensated) is paid by hand
  (a bank transfer: Stripe cannot pay a person without a connected account) and
  recorded by an admin with its reference: ``winner_payout``, never more than owed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from alot_ledger import Ledger, Posting
from alot_ledger.tables import accounts as ledger_accounts
from alot_ledger.tables import transactions as ledger_transactions
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alot_platform.audit.service import acting_user, record_action
from alot_platform.context import PlatformContext
from alot_platform.errors import Conflict, NotFound
from alot_platform.hosts.models import Host
from alot_platform.ledger.accounts import PLATFORM_CASH, USD, host_held, host_payable, user_payable
from alot_platform.observability import business
from alot_platform.outbox.service import enqueue_task
from alot_platform.payments.provider import ConnectAccount, TransferResult
from alot_platform.payouts import emails
from alot_platform.payouts.models import HostPayout, PayoutStatus
from alot_platform.users.models import User

HOST_PAYOUT = "host_payout"
WINNER_PAYOUT = "winner_payout"
PAYOUT_TASK = "host_payout"
CURRENCY = "USD"

ConnectStatus = Literal["none", "pending", "enabled"]


class PayoutNotFound(NotFound):
    code = "payout_not_found"
    title = "Payout not found"


class PayoutNotFailed(Conflict):
    code = "payout_not_failed"
    title = "Only a failed payout can be retried"


class PayoutsNotEnabled(Conflict):
    code = "payouts_not_enabled"
    title = "The host's connected account cannot receive payouts"


class NotEnoughPayable(Conflict):
    code = "payable_insufficient"
    title = "The host's payable balance does not cover the payout"


class MoreThanOwed(Conflict):
    code = "more_than_owed"
    title = "More than the winner is owed"


class WinnerNotFound(NotFound):
    code = "user_not_found"
    title = "User not found"


class ReferenceReused(Conflict):
    code = "payment_reference_reused"
    title = "This reference already records another payment"


@dataclass(frozen=True)
class Balances:
    held_cents: int
    payable_cents: int
    pending_cents: int
    """Reserved by payouts not yet paid (part of ``payable_cents``)."""
    paid_out_cents: int


@dataclass(frozen=True)
class HostPayouts:
    host: Host
    status: ConnectStatus
    balances: Balances
    payouts: list[HostPayout]


@dataclass(frozen=True)
class WinnerOwed:
    user_id: uuid.UUID
    username: str | None
    owed_cents: int


@dataclass(frozen=True)
class WinnerPayment:
    user_id: uuid.UUID
    amount_cents: int
    reference: str
    ledger_seq: int
    owed_cents: int
    """What the winner is still owed after this payment."""


@dataclass(frozen=True)
class TransferCall:
    """A pending payout as the provider is to be asked for it."""

    payout_id: uuid.UUID
    host_id: uuid.UUID
    amount_cents: int
    currency: str
    destination: str
    idempotency_key: str
    asked_before: bool
    """The provider was asked already (its answer lost, or an error): look for the
    transfer first, in case the key has expired at the provider since."""

    @property
    def transfer_group(self) -> str:
        return f"payout:{self.payout_id}"


def connect_status(host: Host) -> ConnectStatus:
    if host.stripe_connect_account_id is None:
        return "none"
    return "enabled" if host.payouts_enabled else "pending"


def connect_idempotency_key(host_id: uuid.UUID) -> str:
    return f"connect-account:{host_id}"


class PayoutService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform

    # -- Connect ------------------------------------------------------------------------

    def record_account(self, host_id: uuid.UUID, account: ConnectAccount) -> Host:
        """Keep the host's connected account and whether it can be paid now."""
        host = self._host_for_update(host_id)
        if host.stripe_connect_account_id is None:
            host.stripe_connect_account_id = account.account_id
        if host.stripe_connect_account_id == account.account_id:
            host.payouts_enabled = account.enabled
            host.updated_at = self._platform.clock()
        self._session.flush()
        return host

    def account_updated(self, account: ConnectAccount) -> Host | None:
        """Stripe's ``account.updated``: the host whose account it is, updated (None: no
        host of ours has this account)."""
        host = self._session.scalars(
            select(Host)
            .where(Host.stripe_connect_account_id == account.account_id)
            .with_for_update()
        ).one_or_none()
        if host is None:
            return None
        host.payouts_enabled = account.enabled
        host.updated_at = self._platform.clock()
        self._session.flush()
        return host

    # -- reading --------------------------------------------------------------------------

    def balances(self, host_id: uuid.UUID) -> Balances:
        ledger = Ledger(self._session)
        totals = dict(
            self._session.execute(
                select(HostPayout.status, func.coalesce(func.sum(HostPayout.amount_cents), 0))
                .where(HostPayout.host_id == host_id)
                .group_by(HostPayout.status)
            ).all()
        )
        return Balances(
            held_cents=ledger.balance(host_held(host_id), USD).balance,
            payable_cents=ledger.balance(host_payable(host_id), USD).balance,
            pending_cents=int(totals.get(PayoutStatus.PENDING.value, 0)),
            paid_out_cents=int(totals.get(PayoutStatus.PAID.value, 0)),
        )

    def of_host(self, host: Host, *, limit: int = 100) -> HostPayouts:
        payouts = list(
            self._session.scalars(
                select(HostPayout)
                .where(HostPayout.host_id == host.id)
                .order_by(HostPayout.created_at.desc(), HostPayout.id.desc())
                .limit(limit)
            )
        )
        return HostPayouts(host, connect_status(host), self.balances(host.id), payouts)

    def recent(self, *, status: PayoutStatus | None = None, limit: int = 200) -> list[HostPayout]:
        query = select(HostPayout).order_by(HostPayout.created_at.desc(), HostPayout.id.desc())
        if status is not None:
            query = query.where(HostPayout.status == status.value)
        return list(self._session.scalars(query.limit(limit)))

    def winners_owed(self, *, limit: int = 500) -> list[WinnerOwed]:
        """Every user the platform owes cash (``user:<id>:payable`` above zero)."""
        rows = self._session.execute(
            select(ledger_accounts.c.name, ledger_accounts.c.balance)
            .where(
                ledger_accounts.c.asset == USD,
                ledger_accounts.c.name.like("user:%:payable"),
                ledger_accounts.c.balance > 0,
            )
            .order_by(ledger_accounts.c.name)
            .limit(limit)
        ).all()
        owed = {uuid.UUID(str(name).split(":")[1]): int(balance) for name, balance in rows}
        names = dict(
            self._session.execute(select(User.id, User.username).where(User.id.in_(owed))).all()
        )
        return [WinnerOwed(user_id, names.get(user_id), cents) for user_id, cents in owed.items()]

    # -- making payouts ---------------------------------------------------------------------

    def payable_host_ids(self, *, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        """Hosts that can be paid (account enabled, no failed payout waiting for an admin),
        by id; whether they have enough payable is checked under the host's lock."""
        failed = select(HostPayout.id).where(
            HostPayout.host_id == Host.id, HostPayout.status == PayoutStatus.FAILED.value
        )
        query = select(Host.id).where(
            Host.payouts_enabled.is_(True),
            Host.stripe_connect_account_id.is_not(None),
            ~failed.exists(),
        )
        if after is not None:
            query = query.where(Host.id > after)
        return list(self._session.scalars(query.order_by(Host.id).limit(limit)))

    def make_payout(self, host_id: uuid.UUID) -> HostPayout | None:
        """One payout of everything the host may be paid now, with its outbox task; None
        when that is below the minimum, or the host cannot be paid."""
        host = self._host_for_update(host_id)
        if not host.payouts_enabled or host.stripe_connect_account_id is None:
            return None
        balances = self.balances(host.id)
        available = balances.payable_cents - balances.pending_cents
        if available < self._platform.settings.host_payout_minimum_cents:
            return None
        now = self._platform.clock()
        payout_id = uuid.uuid4()
        payout = HostPayout(
            id=payout_id,
            host_id=host.id,
            amount_cents=available,
            currency=CURRENCY,
            status=PayoutStatus.PENDING.value,
            destination=host.stripe_connect_account_id,
            idempotency_key=f"payout:{payout_id}",
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        self._session.add(payout)
        self._session.flush()
        self._enqueue(payout, now)
        return payout

    def retry(self, payout_id: uuid.UUID) -> HostPayout:
        """An admin asks again for a payout that failed for good (its cause fixed)."""
        payout = self._payout_for_update(payout_id)
        if payout.status != PayoutStatus.FAILED.value:
            raise PayoutNotFailed(f"the payout is {payout.status}", status=payout.status)
        host = self._host_for_update(payout.host_id)
        if not host.payouts_enabled or host.stripe_connect_account_id is None:
            raise PayoutsNotEnabled(
                "the host has not finished Stripe onboarding (or Stripe disabled its payouts)"
            )
        balances = self.balances(host.id)
        if balances.payable_cents - balances.pending_cents < payout.amount_cents:
            raise NotEnoughPayable(
                f"payable {balances.payable_cents}, pending {balances.pending_cents},"
                f" payout {payout.amount_cents}"
            )
        now = self._platform.clock()
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="payout_retried",
            target_type="payout",
            target_id=payout.id,
            details={"host_id": host.id, "amount_cents": payout.amount_cents},
            now=now,
        )
        # The refused request moved nothing: a new key (the old one would replay the refusal).
        payout.idempotency_key = f"payout:{payout.id}:retry:{payout.attempts}"
        payout.destination = host.stripe_connect_account_id
        payout.status = PayoutStatus.PENDING.value
        payout.updated_at = now
        self._session.flush()
        self._enqueue(payout, now)
        return payout

    def _enqueue(self, payout: HostPayout, now: datetime) -> None:
        enqueue_task(
            self._session,
            task=PAYOUT_TASK,
            key=f"host-payout:{payout.idempotency_key}",
            payload={"payout_id": str(payout.id)},
            now=now,
        )

    # -- the phases of one payout -------------------------------------------------------------

    def transfer_call(self, payout_id: uuid.UUID) -> TransferCall | None:
        payout = self._session.get(HostPayout, payout_id)
        if payout is None or payout.status != PayoutStatus.PENDING.value:
            return None
        return TransferCall(
            payout.id,
            payout.host_id,
            payout.amount_cents,
            payout.currency,
            payout.destination,
            payout.idempotency_key,
            payout.attempts > 0,
        )

    def record_paid(self, payout_id: uuid.UUID, transfer: TransferResult) -> HostPayout:
        """The transfer is made: the ledger's ``host_payout`` and the row paid, at once."""
        payout = self._payout_for_update(payout_id)
        if payout.status != PayoutStatus.PENDING.value:
            return payout  # recorded by another runner
        if (
            transfer.amount_cents != payout.amount_cents
            or transfer.currency.upper() != payout.currency
            or transfer.destination != payout.destination
        ):
            raise RuntimeError(
                f"transfer {transfer.transfer_id} ({transfer.amount_cents} {transfer.currency}"
                f" to {transfer.destination}) does not match payout {payout.id}"
            )
        receipt = Ledger(self._session).post(
            HOST_PAYOUT,
            [
                Posting(host_payable(payout.host_id), USD, -payout.amount_cents),
                Posting(PLATFORM_CASH, USD, payout.amount_cents),
            ],
            refs={
                "host_id": str(payout.host_id),
                "payout_id": str(payout.id),
                "stripe_transfer_id": transfer.transfer_id,
            },
            metadata={"amount_cents": payout.amount_cents, "destination": payout.destination},
            idempotency_key=f"{HOST_PAYOUT}:{payout.id}",
        )
        now = self._platform.clock()
        payout.status = PayoutStatus.PAID.value
        payout.stripe_transfer_id = transfer.transfer_id
        payout.ledger_seq = receipt.seq
        payout.attempts += 1
        payout.last_error = None
        payout.paid_at = now
        payout.updated_at = now
        self._session.flush()
        emails.enqueue_paid(self._session, self._platform, payout)
        business.payout_sent(self._session, payout)
        return payout

    def record_refused(self, payout_id: uuid.UUID, reason: str) -> HostPayout:
        """Refused for good: failed, nothing posted, its amount free again."""
        payout = self._payout_for_update(payout_id)
        if payout.status != PayoutStatus.PENDING.value:
            return payout
        payout.status = PayoutStatus.FAILED.value
        payout.attempts += 1
        payout.last_error = f"refused by the provider: {reason}"[:2000]
        payout.updated_at = self._platform.clock()
        self._session.flush()
        emails.enqueue_failed(self._session, self._platform, payout)
        return payout

    def note_attempt(self, payout_id: uuid.UUID, error: BaseException) -> HostPayout | None:
        """No answer: the payout stays pending (reserved) and is asked for again."""
        payout = self._session.get(HostPayout, payout_id, with_for_update=True)
        if payout is None or payout.status != PayoutStatus.PENDING.value:
            return payout
        payout.attempts += 1
        payout.last_error = f"{type(error).__name__}: {error}"[:2000]
        payout.updated_at = self._platform.clock()
        self._session.flush()
        return payout

    def stale_pending(
        self, *, updated_before: datetime, after: uuid.UUID | None, limit: int
    ) -> list[uuid.UUID]:
        query = select(HostPayout.id).where(
            HostPayout.status == PayoutStatus.PENDING.value,
            HostPayout.updated_at < updated_before,
        )
        if after is not None:
            query = query.where(HostPayout.id > after)
        return list(self._session.scalars(query.order_by(HostPayout.id).limit(limit)))

    # -- winners ----------------------------------------------------------------------------

    def record_winner_payout(
        self, admin: User, user_id: uuid.UUID, amount_cents: int, reference: str
    ) -> WinnerPayment:
        """A cash payment made by hand to a winner owed cash, recorded once per reference."""
        winner = self._session.get(User, user_id, with_for_update=True)
        if winner is None:
            raise WinnerNotFound(f"no user {user_id}")
        key = f"{WINNER_PAYOUT}:{user_id}:{reference}"
        ledger = Ledger(self._session)
        seq = self._session.scalar(
            select(ledger_transactions.c.seq).where(ledger_transactions.c.idempotency_key == key)
        )
        if seq is not None:  # recorded already: the same payment, or a reused reference
            first = ledger.transaction(int(seq))
            if int(first["metadata"].get("amount_cents", -1)) != amount_cents:
                raise ReferenceReused(f"reference {reference!r} records another amount")
            owed = ledger.balance(user_payable(user_id), USD).balance
            return WinnerPayment(user_id, amount_cents, reference, int(seq), owed)
        owed = ledger.balance(user_payable(user_id), USD).balance
        if amount_cents > owed:
            raise MoreThanOwed(
                f"the winner is owed {owed} cents", owed_cents=owed, amount_cents=amount_cents
            )
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="winner_payment_recorded",
            target_type="user",
            target_id=user_id,
            details={"amount_cents": amount_cents},
            now=self._platform.clock(),
        )
        receipt = ledger.post(
            WINNER_PAYOUT,
            [
                Posting(user_payable(user_id), USD, -amount_cents),
                Posting(PLATFORM_CASH, USD, amount_cents),
            ],
            refs={
                "user_id": str(user_id),
                "payment_reference": reference,
                "recorded_by": str(admin.id),
            },
            metadata={"amount_cents": amount_cents, "method": "manual"},
            idempotency_key=key,
        )
        return WinnerPayment(user_id, amount_cents, reference, receipt.seq, owed - amount_cents)

    # -- rows -------------------------------------------------------------------------------

    def _host_for_update(self, host_id: uuid.UUID) -> Host:
        host = self._session.get(Host, host_id, with_for_update=True, populate_existing=True)
        if host is None:
            raise NotFound(f"no host {host_id}")
        return host

    def _payout_for_update(self, payout_id: uuid.UUID) -> HostPayout:
        payout = self._session.get(
            HostPayout, payout_id, with_for_update=True, populate_existing=True
        )
        if payout is None:
            raise PayoutNotFound(f"no payout {payout_id}")
        return payout
