"""Request and response bodies for /api/admin."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from alot_platform.lots.models import LotStatus
from alot_platform.pagination import Page
from alot_platform.users.models import Role, UserStatus
from alot_platform.users.schemas import UserRead


class UserPage(Page[UserRead]):
    """Accounts, oldest first."""


class RolesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[Role] = Field(min_length=1, max_length=4)


class StatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: UserStatus


class Overview(BaseModel):
    """The admin desk's counts."""

    lots_by_status: dict[LotStatus, int] = Field(
        description="number of lots in each status (every status present, 0 when none)"
    )
    payment_events_needing_attention: int = Field(
        description="what GET /api/admin/payments/events lists: unapplied, unmatched,"
        " refund mismatches and disputes"
    )
    failed_tasks: int = Field(
        description="background tasks that failed on every attempt: what"
        " GET /api/admin/tasks/failed lists"
    )


class ReconciliationDifference(BaseModel):
    account: str = Field(examples=["user:0b8e.../credits"])
    asset: str = Field(examples=["CRD"])
    ledger_balance_credits: int = Field(description="the ledger's balance: the truth")
    projected_balance_credits: int | None = Field(
        description="the platform's projection (user_universal_credits); null: no row"
    )


class Reconciliation(BaseModel):
    """`alot reconcile`, over HTTP: every credit balance checked against the ledger."""

    ok: bool = Field(description="true when there is no difference")
    checked_at: datetime
    scope: Literal["credits"] = Field(
        description="what was compared: every player's credit balance with its ledger"
        " account (payments are reconciled with the provider by `alot payments reconcile`)"
    )
    differences: list[ReconciliationDifference]
