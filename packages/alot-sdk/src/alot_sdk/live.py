"""Live events over the platform's WebSocket (`GET /api/ws`): `lots.watch` and
`notifications.watch`.

A watch is an iterator (`LiveWatch`) or an async iterator (`AsyncLiveWatch`) of
`LiveEvent`s, one per event the platform pushes, in `seq` order. It outlives any one
connection: when the connection drops (a network blip, a server restart, an idle or
slow-consumer close) it reconnects after an exponential backoff with jitter (0.5 s
doubling to 30 s by default) and resubscribes with the last `seq` it yielded, so the
platform sends what was missed before anything newer. Events are never yielded twice.

When the platform no longer keeps what was missed, or the watch sees a hole in the
`seq`s, it yields an event of type ``"resync"`` (`LiveEvent.is_resync`): what the
caller knows about the lot (or the player) may be stale, so refetch it over HTTP, then
carry on with the events that follow. `data["reason"]` says why: ``"expired"`` (the
platform's answer to a resume from too long ago), ``"gap"`` (a `seq` was skipped;
the event after the hole follows the resync) or ``"reset"`` (the platform's numbering
restarted, e.g. an embedded server restarted).

The watch pings every `heartbeat_seconds` the platform announces (its idle timeout
counts client messages), authenticates with the client's access token (refreshed once
on a 4401 close, as requests are on a 401), and closes its connection when the
iterator is closed: use it in a `with` (`async with`) block, or call `close()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from pydantic import Field, ValidationError
from websockets.asyncio.client import ClientConnection as AsyncConnection
from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import ClientConnection as SyncConnection
from websockets.sync.client import connect as sync_connect

from alot_sdk.errors import AlotError
from alot_sdk.models import AlotModel

if TYPE_CHECKING:
    from alot_sdk._client import Alot, AsyncAlot

__all__ = ["AsyncLiveWatch", "LiveError", "LiveEvent", "LiveWatch", "Reconnect"]

_log = logging.getLogger("alot_sdk.live")

WS_PATH = "/api/ws"
CLOSE_UNAUTHENTICATED = 4401
CLOSE_REFUSED_FOR_WHO = frozenset({4403, 4029})
"""Another origin, too many connections from this address: the backoff starts at 8 s."""

LOT_EVENT_TYPES = frozenset(
    {"lot_update", "lot_funded", "draw_started", "draw_completed", "lot_expired"}
)
"""What a lot's stream carries (a newer platform may add types: they are yielded too)."""
PERSONAL_EVENT_TYPES = frozenset(
    {"purchase_confirmed", "credits_awarded", "won", "refund_available", "refund_done", "prize"}
)
CURRENT = "lot_current"
"""A fresh lot watch's first event: the lot's snapshot (the `data` of a lot event) as it
stood when the watch began; events after it are what happened since."""
_REPLIES = frozenset({"welcome", "subscribed", "unsubscribed", "pong", "heartbeat"})


class LiveEvent(AlotModel):
    """One event as the platform pushed it, or a ``"resync"`` the caller must act on.

    `seq` counts the lot's events (or, when `personal`, the player's own). `data` is the
    lot's snapshot for lot events (`status`, `tickets_sold`, `funded_cents`,
    `funding_target_cents`, `progress_basis_points`, `deadline`), the draw's result for
    `draw_completed` (`winning_ticket`, `winner_user_id`, ...), the notification's facts
    for personal events, and `{"reason": ...}` for a resync.
    """

    type: str
    lot_id: str | None = None
    seq: int
    at: datetime | None = None
    """When it happened (None for a resync)."""
    data: dict[str, Any] = Field(default_factory=dict)
    personal: bool = False

    @property
    def is_resync(self) -> bool:
        """Refetch what you hold over HTTP: events may have been missed."""
        return self.type == "resync"


class LiveError(AlotError):
    """The platform refused the watch (`code`: ``lot_not_found``, ``unauthenticated``,
    ``too_many_subscriptions``, ``bad_message``), or it could not be kept up
    (``reconnects_exhausted``, with the last `close_code` when there was one)."""

    def __init__(self, code: str, message: str, *, close_code: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.close_code = close_code


@dataclass(frozen=True)
class Reconnect:
    """How a watch reconnects: waits of `initial_delay` doubling to `max_delay` seconds,
    each less a random jitter of up to a half (so clients dropped together do not come
    back together); `max_attempts` failed attempts in a row end the watch with a
    `LiveError` (None: never give up). The wait starts over once a connection works."""

    initial_delay: float = 0.5
    max_delay: float = 30.0
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if self.initial_delay < 0 or self.max_delay < self.initial_delay:
            raise ValueError("need 0 <= initial_delay <= max_delay")
        if self.max_attempts is not None and self.max_attempts < 0:
            raise ValueError("max_attempts must not be negative")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before reconnect number `attempt + 1`."""
        backoff: float = min(self.initial_delay * 2**attempt, self.max_delay)
        return backoff * (1 - 0.5 * random.random())  # noqa: S311 - spreading load


class _Streams:
    """The protocol's state for one watch, free of I/O: what to (re)subscribe with,
    and which of the platform's messages become `LiveEvent`s for the caller."""

    def __init__(self, *, lot_id: str | None, after_seq: int | None, personal: bool) -> None:
        if after_seq is not None and after_seq < 0:
            raise ValueError("after_seq must not be negative")
        self.lot_id = lot_id
        self.personal = personal
        self.last_seq = after_seq
        """The last seq yielded (or given): where a reconnect resumes."""
        self.heartbeat_seconds: float | None = None
        self.established = False
        """Did this connection get as far as the subscription's acknowledgement?"""
        self._reset_to: int | None = None
        """The seq a `subscribed` went back to: the server's resync for it is the same news."""

    def connected(self) -> None:
        self.established = False
        self.heartbeat_seconds = None

    def opening(self) -> list[dict[str, Any]]:
        """What to send once the platform said welcome."""
        if self.lot_id is not None:
            subscribe: dict[str, Any] = {"type": "subscribe", "lot_id": self.lot_id}
            if self.last_seq is not None:
                subscribe["after_seq"] = self.last_seq
            return [subscribe]
        if self.last_seq is not None:
            return [{"type": "resume_personal", "after_seq": self.last_seq}]
        return []

    def receive(self, message: Any) -> list[LiveEvent]:
        """The events `message` gives the caller (none for replies); raises `LiveError`
        for a refusal."""
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            _log.warning("ignoring a live message that is not an object with a type")
            return []
        kind = message["type"]
        if kind == "welcome":
            self._welcome(message)
            return []
        if kind == "subscribed":
            return self._subscribed(message)
        if kind == "error":
            raise LiveError(
                str(message.get("code") or "error"), str(message.get("message") or "refused")
            )
        if kind in _REPLIES:
            return []
        if not self._mine(message):
            return []
        if kind == "resync":
            return self._resync(message)
        try:
            event = LiveEvent.model_validate(message)
        except ValidationError:
            _log.warning("ignoring a %s event this SDK cannot read", kind)
            return []
        return self._in_order(event)

    def _welcome(self, message: dict[str, Any]) -> None:
        heartbeat = message.get("heartbeat_seconds")
        if isinstance(heartbeat, int | float) and heartbeat > 0:
            self.heartbeat_seconds = float(heartbeat)
        if self.lot_id is None:
            if message.get("user_id") is None:
                raise LiveError(
                    "unauthenticated", "personal events need a logged-in client (no session)"
                )
            # Nothing to subscribe to: the player's own stream flows once welcomed.
            self.established = True

    def _subscribed(self, message: dict[str, Any]) -> list[LiveEvent]:
        if message.get("lot_id") != self.lot_id:
            return []
        self.established = True
        latest = message.get("seq")
        if not isinstance(latest, int):
            return []
        if self.last_seq is None:
            self.last_seq = latest  # a fresh watch: from what happens next
            data = message.get("data")
            if isinstance(data, dict):
                # The lot as it stood when the watch began: what sold between the
                # caller's fetch and the subscription is in it, not in later events.
                return [LiveEvent(type=CURRENT, lot_id=self.lot_id, seq=latest, data=data)]
            return []
        if latest < self.last_seq:
            # The platform's numbering went back: it restarted without its stream.
            self.last_seq = self._reset_to = latest
            return [self._resync_event(latest, "reset")]
        return []

    def _mine(self, message: dict[str, Any]) -> bool:
        if message.get("personal") is True:
            return self.personal
        return self.lot_id is not None and message.get("lot_id") == self.lot_id

    def _resync(self, message: dict[str, Any]) -> list[LiveEvent]:
        latest = message.get("seq")
        if not isinstance(latest, int):
            return []
        reset_to, self._reset_to = self._reset_to, None
        if reset_to == latest and self.last_seq == latest:
            return []  # the resync that follows a reset already yielded
        self.last_seq = latest
        return [self._resync_event(latest, "expired")]

    def _in_order(self, event: LiveEvent) -> list[LiveEvent]:
        last = self.last_seq
        if last is not None and event.seq <= last:
            return []  # a replay already yielded
        self.last_seq = event.seq
        self._reset_to = None
        if last is not None and event.seq > last + 1:
            return [self._resync_event(event.seq - 1, "gap"), event]
        return [event]

    def _resync_event(self, seq: int, reason: str) -> LiveEvent:
        return LiveEvent(
            type="resync",
            lot_id=self.lot_id,
            seq=seq,
            data={"reason": reason},
            personal=self.lot_id is None,
        )


def ws_url(base_url: str) -> str:
    """The live endpoint of the platform at `base_url` (http -> ws, https -> wss)."""
    scheme, sep, rest = base_url.partition("://")
    if not sep or scheme not in ("http", "https"):
        raise ValueError(f"cannot derive a WebSocket address from {base_url!r}")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest.rstrip('/')}{WS_PATH}"


def _headers(token: str | None, user_agent: str) -> dict[str, str]:
    headers = {"User-Agent": user_agent}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _close_code(error: ConnectionClosed) -> int | None:
    return error.rcvd.code if error.rcvd is not None else None


def _decode(raw: str | bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        _log.warning("ignoring a live message that is not JSON")
        return None


class _Watch:
    """What the sync and async watches share: the streams, the backoff, the ending."""

    def __init__(self, streams: _Streams, reconnect: Reconnect) -> None:
        self._streams = streams
        self._reconnect = reconnect
        self._failures = 0
        self._last_close: int | None = None

    @property
    def last_seq(self) -> int | None:
        """The last seq yielded: pass it as `after_seq` to resume in a later watch."""
        return self._streams.last_seq

    def _next_delay(self, close_code: int | None) -> float:
        """After a lost connection: how long to wait, or LiveError when it is over."""
        if self._streams.established:
            self._failures = 0  # it worked: the backoff starts over
        self._last_close = close_code
        limit = self._reconnect.max_attempts
        if limit is not None and self._failures >= limit:
            raise LiveError(
                "reconnects_exhausted",
                f"no live connection after {self._failures} attempt(s) in a row",
                close_code=close_code,
            )
        step = self._failures
        if close_code in CLOSE_REFUSED_FOR_WHO:
            step = max(step, 4)  # asking again soon cannot help
        delay = self._reconnect.delay(step)
        self._failures += 1
        _log.info("live connection lost (close %s); reconnecting in %.2fs", close_code, delay)
        return delay

    def _ping_due(self, last_ping: float) -> float | None:
        heartbeat = self._streams.heartbeat_seconds
        return None if heartbeat is None else last_ping + heartbeat


class LiveWatch(_Watch, Iterator[LiveEvent]):
    """An iterator of live events that reconnects and resumes by itself (module doc).

    Iterating blocks until the next event. Closing it (`close()`, leaving its `with`
    block) closes the connection; `close()` may be called from another thread, and a
    `next()` blocked there then ends with StopIteration."""

    def __init__(self, client: Alot, streams: _Streams, reconnect: Reconnect) -> None:
        super().__init__(streams, reconnect)
        self._client = client
        self._closed = threading.Event()
        self._connection: SyncConnection | None = None
        self._events = self._run()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> LiveEvent:
        return next(self._events)

    def close(self) -> None:
        """Stop watching and close the connection (idempotent, thread-safe)."""
        self._closed.set()
        connection = self._connection
        if connection is not None:
            connection.close()  # wakes a recv blocked in another thread
        with contextlib.suppress(ValueError):  # running in another thread: it ends itself
            self._events.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self) -> Generator[LiveEvent]:
        client = self._client
        url = ws_url(str(client.base_url))
        while not self._closed.is_set():
            token = client.access_token
            close_code: int | None = None
            try:
                with sync_connect(
                    url,
                    additional_headers=_headers(token, client._default_headers["User-Agent"]),
                    user_agent_header=None,
                    open_timeout=client.timeout.connect,
                ) as connection:
                    self._connection = connection
                    if self._closed.is_set():
                        return
                    self._streams.connected()
                    last_ping = time.monotonic()
                    while True:
                        due = self._ping_due(last_ping)
                        wait = None if due is None else max(0.0, due - time.monotonic())
                        try:
                            raw = connection.recv(timeout=wait)
                        except TimeoutError:
                            connection.send(json.dumps({"type": "ping"}))
                            last_ping = time.monotonic()
                            continue
                        message = _decode(raw)
                        welcomed = isinstance(message, dict) and message.get("type") == "welcome"
                        yield from self._streams.receive(message)
                        if welcomed:
                            for opening in self._streams.opening():
                                connection.send(json.dumps(opening))
            except ConnectionClosed as closed:
                close_code = _close_code(closed)
            except (OSError, InvalidHandshake, TimeoutError) as error:
                _log.info("live connection failed: %r", error)
            finally:
                self._connection = None
            if self._closed.is_set():
                return
            if close_code == CLOSE_UNAUTHENTICATED:
                self._reauthenticate(token)
            self._closed.wait(self._next_delay(close_code))

    def _reauthenticate(self, token: str | None) -> None:
        """After a 4401: renew the session once, or end the watch."""
        if token is not None and self._client._refresh_after(token):
            return
        raise LiveError(
            "unauthenticated",
            "the platform refused the client's credentials",
            close_code=CLOSE_UNAUTHENTICATED,
        )


class AsyncLiveWatch(_Watch, AsyncIterator[LiveEvent]):
    """`LiveWatch` for `AsyncAlot` (asyncio): `async for`, `aclose()`, `async with`."""

    def __init__(self, client: AsyncAlot, streams: _Streams, reconnect: Reconnect) -> None:
        super().__init__(streams, reconnect)
        self._client = client
        self._closed = asyncio.Event()
        self._connection: AsyncConnection | None = None
        self._events = self._run()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> LiveEvent:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop watching and close the connection (idempotent; from another task too)."""
        self._closed.set()
        connection = self._connection
        if connection is not None:
            await connection.close()  # ends a recv awaited in another task
        with contextlib.suppress(RuntimeError):  # running in another task: it ends itself
            await self._events.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _run(self) -> AsyncGenerator[LiveEvent]:
        client = self._client
        url = ws_url(str(client.base_url))
        while not self._closed.is_set():
            token = client.access_token
            close_code: int | None = None
            try:
                async with async_connect(
                    url,
                    additional_headers=_headers(token, client._default_headers["User-Agent"]),
                    user_agent_header=None,
                    open_timeout=client.timeout.connect,
                ) as connection:
                    self._connection = connection
                    if self._closed.is_set():
                        return
                    self._streams.connected()
                    last_ping = time.monotonic()
                    while True:
                        due = self._ping_due(last_ping)
                        wait = None if due is None else max(0.0, due - time.monotonic())
                        try:
                            async with asyncio.timeout(wait):
                                raw = await connection.recv()
                        except TimeoutError:
                            await connection.send(json.dumps({"type": "ping"}))
                            last_ping = time.monotonic()
                            continue
                        message = _decode(raw)
                        welcomed = isinstance(message, dict) and message.get("type") == "welcome"
                        for event in self._streams.receive(message):
                            yield event
                        if welcomed:
                            for opening in self._streams.opening():
                                await connection.send(json.dumps(opening))
            except ConnectionClosed as closed:
                close_code = _close_code(closed)
            except (OSError, InvalidHandshake, TimeoutError) as error:
                _log.info("live connection failed: %r", error)
            finally:
                self._connection = None
            if self._closed.is_set():
                return
            if close_code == CLOSE_UNAUTHENTICATED:
                await self._reauthenticate(token)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._next_delay(close_code)):
                    await self._closed.wait()

    async def _reauthenticate(self, token: str | None) -> None:
        if token is not None and await self._client._refresh_after(token):
            return
        raise LiveError(
            "unauthenticated",
            "the platform refused the client's credentials",
            close_code=CLOSE_UNAUTHENTICATED,
        )
