"""Field types for what clients send: bounded strict integers and free text a human reads.

Every integer a request carries has both bounds, so that no value reaches Python
arithmetic, SQL or the ledger that the database column or a JSON client cannot hold
(an unbounded one answered 500). Integers in request *bodies* are strict: JSON `true`,
`"1"` and `1.0` are refused, not read as 1. Query and path parameters arrive as text,
so they are parsed as integers but bounded just the same (by `MAX_SAFE_INTEGER` where
nothing smaller is natural).

Free text refuses C0 and C1 control characters and the bidirectional overrides and
isolates (U+202A-U+202E, U+2066-U+2069) that make a name display as something else;
`MultilineText` allows line feeds and tabs. The rule is a `pattern`, so the OpenAPI
document states it and clients can check it before sending. (Where a field strips
surrounding whitespace, a line feed or tab at either end is stripped, not refused:
what is stored never holds one.) A field that needs a pattern of its own (a username)
states one that allows no control characters either.

Put these types first and further constraints after them, as in
`Annotated[PlainText, StringConstraints(max_length=200)]`; no validator function runs
before the constraints (pydantic would leave constraints placed after a validator out
of the OpenAPI document).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, Strict

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer every JSON client reads exactly (JavaScript's Number)."""

MAX_CENTS = 10**12
"""Ten billion dollars in cents: far above any prize, far below BigInteger."""

# Escapes, not the characters themselves: the same text is a Rust regex (pydantic) and
# an ECMA 262 / Python regex (the OpenAPI document and its readers).
CONTROL_CHARACTERS = r"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
"""A regex character range of what free text may not hold (for patterns of its own)."""
_MULTILINE_REFUSED = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"

PLAIN_TEXT_PATTERN = f"^[^{CONTROL_CHARACTERS}]*$"
MULTILINE_TEXT_PATTERN = f"^[^{_MULTILINE_REFUSED}]*$"

PlainText = Annotated[str, Field(pattern=PLAIN_TEXT_PATTERN)]
"""One line of text a human reads (names, titles, answers): no control characters."""

MultilineText = Annotated[str, Field(pattern=MULTILINE_TEXT_PATTERN)]
"""Text that may span lines (descriptions): line feeds and tabs, no other controls."""

# -- integers in bodies: strict, and bounded on both sides -------------------------------

StrictInt = Annotated[int, Strict()]
"""A JSON integer, not a boolean, string or float. Bound it on the field:
`tickets: StrictInt = Field(ge=1, le=10_000)`. (The types below carry their bounds;
give them no `Field(ge=..., le=...)` of their own, which pydantic would ignore.)"""

SafeInt = Annotated[StrictInt, Field(ge=-MAX_SAFE_INTEGER, le=MAX_SAFE_INTEGER)]
"""Any integer a JSON client reads exactly, for free-form values."""

Cents = Annotated[int, Strict(), Field(gt=0, le=MAX_CENTS, description="US cents")]
"""A positive amount of money in cents."""

Percent = Annotated[int, Strict(), Field(ge=0, le=100)]

# -- moments -----------------------------------------------------------------------------

_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2999, 12, 31, tzinfo=UTC)


def _storable(moment: datetime) -> datetime:
    # 9999-12-31T23:59:59-14:00 is a valid timestamp that no UTC column can hold, and a
    # deadline near the end of time leaves no room for the refund window after it.
    if not _EARLIEST <= moment <= _LATEST:
        raise ValueError("must be between 1970-01-01 and 2999-12-31 (UTC)")
    return moment.astimezone(UTC)


Timestamp = Annotated[AwareDatetime, AfterValidator(_storable)]
"""A moment with its UTC offset (ISO 8601), between 1970 and 2999; read as UTC."""
