"""Request and response bodies of prize fulfillment.

A shipping address is personal data: it is accepted here, encrypted at rest
(``FulfillmentService``), and only ever answered to its winner and its shipper (the
host of a host lot, an admin for a platform lot) once the prize is claimed."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from alot_platform.pagination import Page
from alot_platform.types import MultilineText, PlainText

# ISO 3166-1 alpha-2, officially assigned codes.
COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 (a table reads better than 249 quoted strings)
)


def _known_country(code: str) -> str:
    if code not in COUNTRY_CODES:
        raise ValueError(f"{code} is not an ISO 3166-1 alpha-2 country code")
    return code


def _e164(phone: str) -> str:
    """Spaces, dots, dashes and brackets dropped: a + and 7 to 15 digits remain."""
    digits = re.sub(r"[ ().-]", "", phone)
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", digits):
        raise ValueError("a phone number in international form: + country code and number")
    return digits


def _line(max_length: int, min_length: int = 1) -> object:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Name = Annotated[PlainText, _line(200)]
Line = Annotated[PlainText, _line(200)]
OptionalLine = Annotated[PlainText, _line(200, 0)]
City = Annotated[PlainText, _line(100)]
Region = Annotated[PlainText, _line(100, 0)]
PostalCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$")
]
Country = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$"),
    AfterValidator(_known_country),
]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\+[0-9 ().-]{7,24}$"),
    AfterValidator(_e164),
]


class ShippingAddress(BaseModel):
    """Where a prize is shipped. Country: ISO 3166-1 alpha-2; phone: international form."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="the recipient")
    line1: Line
    line2: OptionalLine | None = None
    city: City
    region: Region | None = Field(default=None, description="state, county or province")
    postal_code: PostalCode
    country: Country = Field(description="ISO 3166-1 alpha-2, e.g. GB")
    phone: Phone = Field(description="international form, e.g. +44 20 7946 0958")


class ClaimRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shipping_address: ShippingAddress


class ShipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: Annotated[PlainText, _line(100)]
    tracking_number: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./-]{2,63}$")
    ]


class DisputeReason(StrEnum):
    NOT_RECEIVED = "not_received"
    NOT_AS_DESCRIBED = "not_as_described"


class DisputeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: DisputeReason
    details: Annotated[MultilineText, _line(2000)]


class Resolution(StrEnum):
    RELEASE = "release"
    """The shipment stands: delivered (by an admin), the host is paid."""
    COMPENSATE = "compensate"
    """The prize never came right: the winner is owed its retail value in cash."""


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: Resolution
    note: Annotated[MultilineText, _line(2000)]


class Fulfillment(BaseModel):
    """Where a won prize stands (no address: see ``TrackingRead`` and the queues)."""

    status: str = Field(
        description="won (to claim), claimed (to ship), shipped, delivered, disputed"
    )
    claim_deadline: datetime | None = None
    claimed_at: datetime | None = None
    ship_deadline: datetime | None = None
    shipped_at: datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    delivered_at: datetime | None = None
    delivery_confirmed_by: Literal["winner", "automatic", "admin"] | None = None
    disputed_at: datetime | None = None
    dispute_reason: str | None = None
    dispute_resolution: str | None = Field(
        default=None,
        description="release (the host is paid) or compensate (the winner is paid the"
        " retail value); set when an admin resolved the dispute",
    )
    dispute_resolved_at: datetime | None = None
    cash_alternative_cents: int | None = Field(
        default=None,
        description="the prize's retail value owed to the winner in cash instead of the"
        " prize (a dispute resolved for the winner, or the claim deadline passed)",
    )
    cash_alternative_reason: str | None = Field(
        default=None, description="dispute_compensated or claim_expired"
    )


class TrackingRead(Fulfillment):
    """The winner's own view of their prize, with the address they gave."""

    reveal_id: uuid.UUID
    lot_id: uuid.UUID
    lot_title: str
    prize_name: str
    prize_retail_value_cents: int
    shipper: Literal["host", "platform"]
    dispute_details: str | None = None
    shipping_address: ShippingAddress | None = None


class ShipmentRead(Fulfillment):
    """A prize in a shipper's queue: the address only once it is claimed."""

    reveal_id: uuid.UUID
    lot_id: uuid.UUID
    lot_title: str
    prize_name: str
    prize_retail_value_cents: int
    shipper: Literal["host", "platform"]
    host_id: uuid.UUID | None = None
    winner_username: str
    dispute_details: str | None = None
    shipping_address: ShippingAddress | None = Field(
        default=None, description="only to the shipper, and only once claimed"
    )


class ShipmentPage(Page[ShipmentRead]):
    """Prizes to ship or shipped, oldest deadline first."""
