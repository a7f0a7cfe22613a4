"""The analytics answer (every figure is defined in docs/platform/analytics.md)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class AnalyticsDay(BaseModel):
    date: dt.date
    lots_created: int
    lots_funded: int
    lots_expired: int


class AnalyticsConversion(BaseModel):
    """Lots that reached an outcome in the range: funded / (funded + expired)."""

    funded: int
    expired: int
    rate_bps: int | None = Field(description="rounded down; null when no lot reached an outcome")
    rate: str | None = Field(description='the rate as a percentage with two decimals, "66.66"')


class AnalyticsTimeToFunding(BaseModel):
    """opened_at -> funded_at of the lots funded in the range, in whole seconds."""

    lots: int
    mean_seconds: int | None
    p50_seconds: int | None
    p90_seconds: int | None


class AnalyticsCredits(BaseModel):
    issued_credits: int
    spent_credits: int
    redeemed_credits: int
    refunded_credits: int


class AnalyticsLotRevenue(BaseModel):
    lot_id: str
    ledger_seq: int
    settled_at: str = Field(description="the settlement's ledger time")
    revenue_cents: int
    revenue: str


class AnalyticsRevenuePerLot(BaseModel):
    lots: list[AnalyticsLotRevenue]
    settled_lots: int
    total_cents: int
    total: str
    mean_cents: int | None = Field(description="rounded toward minus infinity; null when none")
    mean: str | None


class AnalyticsMoney(BaseModel):
    gmv_cents: int
    gmv: str
    cash_refunded_cents: int
    cash_refunded: str
    refund_fees_cents: int
    refunded_to_credits_cents: int
    processing_fees_cents: int
    processing_fees: str
    host_payouts_cents: int
    host_payouts: str
    host_commission_cents: int
    host_commission: str
    host_share_held_cents: int


class Analytics(BaseModel):
    from_: dt.date = Field(alias="from", serialization_alias="from")
    to: dt.date = Field(description="exclusive: the day after the last day counted")
    days: list[AnalyticsDay]
    lots_created: int
    lots_funded: int
    lots_expired: int
    conversion: AnalyticsConversion
    time_to_funding: AnalyticsTimeToFunding
    credits: AnalyticsCredits
    revenue_per_lot: AnalyticsRevenuePerLot
    money: AnalyticsMoney

    model_config = {"populate_by_name": True}
