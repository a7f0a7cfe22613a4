"""A player's data rights: the export of everything the platform holds about them, and
the erasure of their personal data when they delete their account.

The export walks the models rather than listing them, so a table added later is in it
without anyone remembering to add it: every row of every table with a foreign key to
``users.id`` that names the player, and every row one step further from the rows the
player owns (a ``user_id`` column: their purchases' refunds and fees, their host
profile's lots and payouts, their sessions' refresh tokens). Encrypted columns are
decrypted; secrets are withheld, and the export says which and why.

Deletion erases what identifies the person and keeps what the platform's records of
money and draws need, which hold the account's random id and amounts only: the ledger
(append-only, and every draw proof and balance depends on it), purchases and entries
(a draw proof's ticket map), and payment records the law requires for accounting.
docs/platform/responsible-play.md explains what remains and why.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from alot_ledger import Ledger, Posting
from sqlalchemy import Column, Table, delete, or_, select, update
from sqlalchemy.orm import Session

from alot_platform.auth.models import OneTimeToken
from alot_platform.auth.repository import AuthRepository
from alot_platform.auth.service import WrongPassword
from alot_platform.context import PlatformContext
from alot_platform.credits.models import CreditTransactionType, UserUniversalCredits
from alot_platform.credits.service import CreditChange, CreditsService
from alot_platform.db import Base
from alot_platform.entries.models import LotEntry
from alot_platform.errors import Conflict
from alot_platform.fulfillment.service import address_context
from alot_platform.hosts.models import Host
from alot_platform.ledger.accounts import (
    CRD,
    CREDITS_ISSUED,
    USD,
    host_held,
    host_payable,
    user_credits,
    user_payable,
)
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.notifications.models import Notification, NotificationPreferences
from alot_platform.outbox.models import OutboxItem
from alot_platform.play.repository import PlayRepository
from alot_platform.play.service import exclusion_of
from alot_platform.reveals.models import Reveal, RevealStatus
from alot_platform.users.models import Role, User, UserStatus
from alot_platform.users.service import _date_of_birth_context, _full_name_context

EXPORT_FORMAT = "alot-data-export/1"
CREDITS_FORFEITED = "credits_forfeited"
"""Ledger kind: a deleted account's credits returned to the platform's issue account."""

# Columns never exported, and why (shown in the export itself).
WITHHELD: dict[tuple[str, str], str] = {
    ("users", "hashed_password"): "your password's hash: a secret, never shown to anyone",
    ("users", "holder_secret"): "the key of your holder pseudonyms: it alone ties your"
    " pseudonyms in different lots together, so it is never shown to anyone; each entry's"
    " pseudonym is in lot_entries.holder",
    ("lots", "server_seed_sealed"): "an undrawn lot's sealed seed would tell its winner; "
    "it is published in the draw proof once the lot is drawn",
    ("lots", "access_token"): "a private lot's access link: shown to its host on the lot page",
    ("outbox", "body"): "an email's text can hold a one-time sign-in, verification or reset"
    " link; the subject and address are included",
    ("outbox", "payload"): "the data an email or task was built from; the same facts are in"
    " the other tables here",
    ("refresh_tokens", "rotated_access_id"): "an internal token id",
}

# Rows that name the player only as the one who acted on someone else's record (an admin
# who reviewed a host): the export shows that they did, not the other person's data.
REFERENCE_ONLY: dict[tuple[str, str], frozenset[str]] = {
    ("hosts", "reviewed_by"): frozenset({"id", "reviewed_by", "reviewed_at", "status"}),
}

# Encrypted columns: the name shown in the export, and the context each was sealed with.
_Decrypt = Callable[[dict[str, Any]], str]
ENCRYPTED: dict[tuple[str, str], tuple[str, _Decrypt]] = {
    ("users", "full_name_encrypted"): ("full_name", lambda row: _full_name_context(row["id"])),
    ("users", "date_of_birth_encrypted"): (
        "date_of_birth",
        lambda row: _date_of_birth_context(row["id"]),
    ),
    ("reveals", "shipping_address_encrypted"): (
        "shipping_address",
        lambda row: address_context(row["id"]),
    ),
}

# Lots a player's tickets are still in play in: deleting would leave a draw or refund
# without anyone to tell or pay.
_LOTS_IN_PLAY = (
    LotStatus.OPEN.value,
    LotStatus.FUNDED.value,
    LotStatus.DRAWING.value,
    LotStatus.EXPIRED.value,
    LotStatus.REFUNDING.value,
)
# Prizes not yet delivered or whose dispute is open.
_PRIZES_IN_FLIGHT = (
    RevealStatus.WON.value,
    RevealStatus.CLAIMED.value,
    RevealStatus.SHIPPED.value,
    RevealStatus.DISPUTED.value,
)


class AccountDeletionBlocked(Conflict):
    code = "account_deletion_blocked"
    title = "The account cannot be deleted yet"


def user_tables() -> list[tuple[Table, list[Column[Any]]]]:
    """Every table with a foreign key to ``users.id``, and those columns."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [
            column
            for column in table.columns
            if any(fk.target_fullname == "users.id" for fk in column.foreign_keys)
        ]
        if columns:
            found.append((table, columns))
    return found


def _owned_children(owner: Table) -> list[tuple[Table, Column[Any]]]:
    """Tables with a foreign key into ``owner``'s primary key (one step from a row the
    player owns)."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            for fk in column.foreign_keys:
                if fk.column.table is owner and fk.column.primary_key:
                    found.append((table, column))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class DataRights:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform

    # -- export -------------------------------------------------------------------------

    def export(self, user: User) -> dict[str, Any]:
        """Everything held about ``user``: the account, then every table that names them."""
        tables: dict[str, dict[Any, dict[str, Any]]] = {}
        owned: list[tuple[Table, list[Any]]] = []
        users = Base.metadata.tables["users"]
        tables["users"] = self._rows(users, [users.c.id == user.id])
        for table, columns in user_tables():
            found = tables.setdefault(table.name, {})
            for column in columns:
                rows = self._rows(table, [column == user.id])
                shown = REFERENCE_ONLY.get((table.name, column.name))
                for key, row in rows.items():
                    if shown is None:
                        found[key] = row
                    else:
                        found.setdefault(key, {k: v for k, v in row.items() if k in shown})
                if column.name == "user_id" and len(table.primary_key.columns) == 1:
                    owned.append((table, [key[0] for key in rows]))
        for parent, ids in owned:
            if not ids:
                continue
            for child, column in _owned_children(parent):
                tables.setdefault(child.name, {}).update(self._rows(child, [column.in_(ids)]))
        account = next(iter(tables.pop("users").values()))
        return {
            "format": EXPORT_FORMAT,
            "exported_at": self._platform.clock().isoformat(),
            "user_id": str(user.id),
            "account": {**account, "roles": sorted(user.roles)},
            "tables": {
                name: [_jsonable(row) for row in rows.values()]
                for name, rows in sorted(tables.items())
            },
            "withheld": [
                {"table": table, "column": column, "reason": reason}
                for (table, column), reason in sorted(WITHHELD.items())
            ],
            "not_included": {
                "ledger": "the ledger names you by account id only (user_id refs and"
                " user:<id>:credits / user:<id>:payable accounts); each of your purchases'"
                " transactions is readable with its inclusion proof at"
                " /api/ledger/proofs/inclusion?seq=<ledger_seq>",
                "audit_log": "the audit log records admins' and hosts' actions by id; it"
                " holds no personal data",
            },
        }

    def _rows(self, table: Table, conditions: list[Any]) -> dict[Any, dict[str, Any]]:
        """Rows of ``table`` meeting any condition, keyed by primary key, decrypted and
        with withheld columns left out."""
        found: dict[Any, dict[str, Any]] = {}
        for row in self._session.execute(select(table).where(or_(*conditions))).mappings():
            key = tuple(row[c.name] for c in table.primary_key.columns)
            found[key] = self._shown(table, dict(row))
        return found

    def _shown(self, table: Table, row: dict[str, Any]) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        for name, value in row.items():
            if (table.name, name) in WITHHELD:
                continue
            encrypted = ENCRYPTED.get((table.name, name))
            if encrypted is None:
                shown[name] = value
                continue
            label, context = encrypted
            plain = (
                self._platform.cipher.decrypt(value, context(row)) if value is not None else None
            )
            shown[label] = json.loads(plain) if plain and plain.startswith("{") else plain
        return shown

    # -- deletion -----------------------------------------------------------------------

    def blockers(self, user: User) -> list[dict[str, Any]]:
        """Why the account cannot be deleted now (empty: it can)."""
        found: list[dict[str, Any]] = []
        if Role.ADMIN in user.roles:
            found.append(
                _blocker("admin", "an admin account: another admin removes the role first")
            )
        exclusion = exclusion_of(PlayRepository(self._session).get(user.id), self._platform.clock())
        if exclusion is not None:
            # Erasing the account would let the same person register again with the same
            # email and play: a break must hold until it ends, so the record stays.
            found.append(
                _blocker(
                    "exclusion_in_force",
                    f"your {exclusion.kind.value.replace('_', '-')} lasts until"
                    f" {exclusion.ends_at.isoformat()}; the account can be deleted after it",
                    ends_at=exclusion.ends_at.isoformat(),
                )
            )
        lots = self._session.scalars(
            select(LotEntry.lot_id)
            .distinct()
            .join(Lot, Lot.id == LotEntry.lot_id)
            .where(LotEntry.user_id == user.id, Lot.status.in_(_LOTS_IN_PLAY))
        ).all()
        if lots:
            found.append(
                _blocker(
                    "tickets_in_play",
                    "you hold tickets in lots not yet drawn or refunded",
                    lot_ids=sorted(str(lot) for lot in lots),
                )
            )
        prizes = self._session.scalars(
            select(Reveal.id).where(
                Reveal.user_id == user.id,
                Reveal.status.in_(_PRIZES_IN_FLIGHT),
                Reveal.dispute_resolved_at.is_(None),
            )
        ).all()
        if prizes:
            found.append(
                _blocker(
                    "prize_in_fulfillment",
                    "a prize you won is not yet delivered (or its dispute is open)",
                    reveal_ids=sorted(str(r) for r in prizes),
                )
            )
        ledger = Ledger(self._session)
        if ledger.balance(user_payable(user.id), USD).balance > 0:
            found.append(_blocker("cash_owed", "the platform still owes you a cash payment"))
        host = self._session.scalar(select(Host).where(Host.user_id == user.id))
        if host is not None:
            open_lots = self._session.scalars(
                select(Lot.id).where(
                    Lot.host_id == host.id,
                    Lot.status.in_(_LOTS_IN_PLAY),
                )
            ).all()
            if open_lots:
                found.append(
                    _blocker(
                        "host_lots_open",
                        "your host lots are still selling, drawing or refunding",
                        lot_ids=sorted(str(lot) for lot in open_lots),
                    )
                )
            owed = (
                ledger.balance(host_payable(host.id), USD).balance
                + ledger.balance(host_held(host.id), USD).balance
            )
            if owed != 0:
                found.append(
                    _blocker("host_balance", "your host balance is not yet paid out", cents=owed)
                )
        return found

    def delete_account(self, user: User, password: str) -> None:
        """Erase the account's personal data (see the module docstring for what stays)."""
        matches, _ = self._platform.hasher.verify(password, user.hashed_password)
        if not matches:
            raise WrongPassword("the password is wrong")
        blockers = self.blockers(user)
        if blockers:
            raise AccountDeletionBlocked(
                "; ".join(b["message"] for b in blockers), reasons=blockers
            )
        now = self._platform.clock()
        self._forfeit_credits(user)
        old_email = user.email
        short = user.id.hex[:12]
        user.email = f"deleted-{user.id.hex}@deleted.invalid"
        user.username = f"deleted-{short}"
        user.full_name_encrypted = None
        user.date_of_birth_encrypted = None
        # Nobody knows this password: the account cannot be signed in to again.
        user.hashed_password = self._platform.hasher.hash(secrets.token_urlsafe(32))
        user.status = UserStatus.DELETED.value
        user.updated_at = now
        user.role_grants = []
        AuthRepository(self._session).revoke_all_sessions(user.id, "account_deleted", now)
        session = self._session
        session.execute(delete(Notification).where(Notification.user_id == user.id))
        session.execute(
            delete(NotificationPreferences).where(NotificationPreferences.user_id == user.id)
        )
        session.execute(delete(OneTimeToken).where(OneTimeToken.user_id == user.id))
        session.execute(
            delete(OutboxItem).where(
                or_(OutboxItem.user_id == user.id, OutboxItem.address == old_email)
            )
        )
        session.execute(
            update(Reveal)
            .where(Reveal.user_id == user.id)
            .values(shipping_address_encrypted=None, dispute_details=None, tracking_number=None)
        )
        session.execute(
            update(Host)
            .where(Host.user_id == user.id)
            .values(
                display_name=f"deleted-{short}",
                description=None,
                logo_url=None,
                website_url=None,
                business_details={},
                status_reason=None,
                updated_at=now,
            )
        )
        session.flush()

    def _forfeit_credits(self, user: User) -> None:
        """Credits are not cash and cannot be paid out: they return to the platform, in
        the ledger and in the balance projection, so no balance is left on an account
        nobody can use."""
        balance = self._session.scalar(
            select(UserUniversalCredits.balance).where(UserUniversalCredits.user_id == user.id)
        )
        if not balance:
            return
        receipt = Ledger(self._session).post(
            CREDITS_FORFEITED,
            [Posting(user_credits(user.id), CRD, -balance), Posting(CREDITS_ISSUED, CRD, balance)],
            refs={"user_id": str(user.id)},
            metadata={"reason": "account_deleted"},
        )
        CreditsService(self._session, self._platform.clock()).apply(
            [CreditChange(user.id, -balance, CreditTransactionType.ADJUSTMENT)],
            ledger_seq=receipt.seq,
        )


def _blocker(code: str, message: str, **facts: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **facts}


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {name: _plain_deep(value) for name, value in row.items()}


def _plain_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_deep(v) for v in value]
    return _plain(value)
