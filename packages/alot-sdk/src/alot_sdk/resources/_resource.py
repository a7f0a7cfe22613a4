"""The base of every resource: a handle on the client that sends its requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alot_sdk._client import Alot, AsyncAlot


class SyncResource:
    def __init__(self, client: Alot) -> None:
        self._client = client


class AsyncResource:
    def __init__(self, client: AsyncAlot) -> None:
        self._client = client
