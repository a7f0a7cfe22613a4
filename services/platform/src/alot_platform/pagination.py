"""One way to page every list of the API: keyset pages behind an opaque cursor.

A list answers ``{"items": [...], "next_cursor": "..."}``; the client passes
``next_cursor`` back as the ``cursor`` query parameter, until it is null. ``limit`` is
1 to ``MAX_LIMIT`` (default ``DEFAULT_LIMIT``) everywhere.

A cursor is the base64url of a small JSON array: the list's name and the sort key of
the page's last item, which always ends with a unique column (the id) so the order is
total. The next page starts strictly after that key (keyset pagination): rows added or
removed meanwhile shift no later item onto or off the page, unlike an offset. A cursor
from another list, or one that does not decode, is refused with 422 ``invalid_cursor``.
Clients must treat cursors as opaque: the encoding may change.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, SQLColumnExpression, and_, or_

from alot_platform.errors import InvalidInput

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "CursorParam",
    "InvalidCursor",
    "LimitParam",
    "Page",
    "decode_cursor",
    "encode_cursor",
    "keyset_after",
    "page_of",
]

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
_MAX_CURSOR_LENGTH = 500
_MAX_KEY_INT = 2**63 - 1

T = TypeVar("T")
R = TypeVar("R")

CursorParam = Annotated[
    str | None,
    Query(
        max_length=_MAX_CURSOR_LENGTH,
        description="`next_cursor` of the previous page; omit for the first page",
    ),
]
LimitParam = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"items per page, 1 to {MAX_LIMIT}")
]


class Page(BaseModel, Generic[T]):
    """The envelope of every list: subclass it per item type (``class LotPage(Page[LotRead])``)
    so the OpenAPI document names it."""

    items: list[T]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page"
    )


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    title = "Invalid cursor"


KeyPart = datetime | uuid.UUID | int | str


def encode_cursor(kind: str, *key: KeyPart) -> str:
    """The opaque cursor of position ``key`` in the list ``kind``."""
    parts: list[Any] = [kind]
    for part in key:
        if isinstance(part, datetime):
            parts.append(part.astimezone(UTC).isoformat())
        elif isinstance(part, uuid.UUID):
            parts.append(str(part))
        else:
            parts.append(part)
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, *shape: type[KeyPart]) -> tuple[Any, ...]:
    """The key ``encode_cursor(kind, ...)`` encoded, each part converted to ``shape``'s
    type; ``InvalidCursor`` (422) for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
        if not isinstance(parts, list) or len(parts) != len(shape) + 1 or parts[0] != kind:
            raise ValueError("another list's cursor")
        return tuple(_convert(part, want) for part, want in zip(parts[1:], shape, strict=True))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidCursor("the cursor is not one this list returned", field="cursor") from None


def _convert(part: Any, want: type[KeyPart]) -> KeyPart:
    if want is datetime:
        moment = datetime.fromisoformat(part)
        if moment.tzinfo is None:
            raise ValueError("naive timestamp")
        return moment
    if want is uuid.UUID:
        return uuid.UUID(part)
    if want is int:
        # Sort keys here are counts (tickets, ranks): a forged one must not reach the
        # database as a number no integer column holds.
        if type(part) is not int or not 0 <= part <= _MAX_KEY_INT:
            raise ValueError("not a count")
        return part
    if type(part) is not str:
        raise ValueError("not a string")
    return part


def keyset_after(
    columns: Sequence[SQLColumnExpression[Any]],
    key: Sequence[Any],
    *,
    descending: Sequence[bool],
) -> ColumnElement[bool]:
    """Rows strictly after ``key`` in the order ``columns`` (each ascending unless its
    ``descending`` flag says otherwise): ``(a > x) or (a = x and b > y) ...``."""
    clauses: list[ColumnElement[bool]] = []
    for depth, (column, value, desc) in enumerate(zip(columns, key, descending, strict=True)):
        equal_before = [c == v for c, v in zip(columns[:depth], key[:depth], strict=True)]
        beyond = column < value if desc else column > value
        clauses.append(and_(*equal_before, beyond))
    return or_(*clauses)


def page_of(
    rows: Sequence[R], limit: int, cursor_of: Callable[[R], str]
) -> tuple[list[R], str | None]:
    """``rows`` fetched with ``limit + 1``: the page and the cursor after it (None at the end)."""
    page = list(rows[:limit])
    more = len(rows) > limit
    return page, cursor_of(page[-1]) if more and page else None
