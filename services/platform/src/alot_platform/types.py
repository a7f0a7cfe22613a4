"""Field types for what clients send: bounded strict integers and free text a human reads.

Every integer a request carries has both bounds, so that no value reaches Python
arithmetic, SQL or the ledger that the database column or a JSON client cannot hold
(an unbounded one answered 500). Integers in request *bodies* are strict: JSON `true`,
`"1"` and `1.0` are refused, not read as 1. Query and path parameters arrive as text,
so they are parsed as integers but bounded just the same (by `MAX_SAFE_INTEGER` where
nothing smaller is natural).

Free text refuses C0 and C1 control characters and the bidirectional overrides and
isolates (U+202A-U+202E, U+2066-U+2069) that make a name display as something else;
`MultilineText` allows line feeds and tabs. The check runs on the text as sent, before
any whitespace is stripped, and the same rule is the `pattern` in the OpenAPI document.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, Strict
from pydantic_core import PydanticCustomError

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer every JSON client reads exactly (JavaScript's Number)."""

MAX_CENTS = 10**12
"""Ten billion dollars in cents: far above any prize, far below BigInteger."""

_BIDI = "\u202a-\u202e\u2066-\u2069"
_LINE_REFUSED = f"\x00-\x1f\x7f-\x9f{_BIDI}"
_MULTILINE_REFUSED = f"\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}"
# The same sets, spelled with escapes for the OpenAPI document (JSON Schema regexes).
_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
_MULTILINE_PATTERN = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"


def _refusing(characters: str, what: str) -> BeforeValidator:
    found = re.compile(f"[{characters}]")

    def check(value: Any) -> Any:
        if isinstance(value, str) and (match := found.search(value)):
            raise PydanticCustomError(
                "control_character",
                "must not contain {what} (found U+{code} at position {position})",
                {"what": what, "code": f"{ord(match.group()):04X}", "position": match.start()},
            )
        return value

    return BeforeValidator(check)


PlainText = Annotated[
    str,
    _refusing(_LINE_REFUSED, "control characters or bidirectional overrides"),
    Field(pattern=_LINE_PATTERN),
]
"""One line of text a human reads (names, titles, answers): no control characters."""

MultilineText = Annotated[
    str,
    _refusing(
        _MULTILINE_REFUSED,
        "control characters other than line feed and tab, or bidirectional overrides",
    ),
    Field(pattern=_MULTILINE_PATTERN),
]
"""Text that may span lines (descriptions): line feeds and tabs, no other controls."""

# -- integers in bodies: strict, and bounded on both sides -------------------------------

StrictInt = Annotated[int, Strict(), Field(ge=-MAX_SAFE_INTEGER, le=MAX_SAFE_INTEGER)]
"""A JSON integer (not a boolean, string or float) a client can hold; narrow it with
`Field(ge=..., le=...)` on the field."""

Cents = Annotated[int, Strict(), Field(gt=0, le=MAX_CENTS, description="US cents")]
"""A positive amount of money in cents."""

Percent = Annotated[int, Strict(), Field(ge=0, le=100)]
