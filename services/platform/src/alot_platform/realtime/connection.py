"""One WebSocket connection: the live protocol (docs/platform/realtime.md).

Two coroutines per connection: the server's task (``run``) reads and answers client
messages one at a time; a writer task sends what waits in the connection's bounded
queue; a timer adds a heartbeat when nothing was sent for ``heartbeat_seconds``. The hub hands
envelopes to ``deliver`` on the event loop, which only appends to that queue, never
waits: a queue that overflows closes this connection (4008) and slows nobody else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from alot_platform.realtime.hub import Envelope, Hub, lot_stream, user_stream

_log = logging.getLogger(__name__)

NORMAL = 1000
TOO_BIG = 1009
UNAUTHENTICATED = 4401
ORIGIN_REFUSED = 4403
IDLE = 4408
SLOW_CONSUMER = 4008
TOO_MANY_CONNECTIONS = 4029

_CLOSE_SECONDS = 5.0


@dataclass(frozen=True)
class Limits:
    heartbeat_seconds: int
    idle_timeout_seconds: int
    max_subscriptions: int
    max_message_bytes: int
    send_queue: int


@dataclass
class _Position:
    """Where a connection stands in one stream."""

    last: int = 0
    """The highest seq sent (later live events only)."""
    held: list[Envelope] | None = field(default_factory=list)
    """Live events that arrived while the backlog was read; None once live."""
    unsent_below: int = 0
    """Personal stream: seqs up to here were committed before the connection (never sent
    live); a ``resume_personal`` may send them."""


def _dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def _at(now: datetime) -> str:
    return now.isoformat().replace("+00:00", "Z")


class _Refused(Exception):
    def __init__(self, code: str, message: str, lot_id: str | None = None) -> None:
        super().__init__(message)
        self.reply: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if lot_id is not None:
            self.reply["lot_id"] = lot_id


class Connection:
    def __init__(
        self,
        websocket: WebSocket,
        hub: Hub,
        limits: Limits,
        *,
        user_id: uuid.UUID | None,
        look: Callable[[uuid.UUID], Awaitable[dict[str, Any] | None]],
        now: Callable[[], datetime],
    ) -> None:
        self._ws = websocket
        self._hub = hub
        self._limits = limits
        self._user_id = user_id
        self._look = look
        self._now = now
        self._positions: dict[str, _Position] = {}
        # Memory per idle connection matters (thousands per process): a deque and a
        # future instead of an asyncio.Queue, and one task (the writer) besides the
        # server's own, which reads.
        self._outbox: deque[str] = deque()
        self._wakeup: asyncio.Future[None] | None = None
        self._closed = False
        self._code: int | None = None
        self._reader: asyncio.Task[Any] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._read_deadline: asyncio.Timeout | None = None
        self._beat_timer: asyncio.TimerHandle | None = None
        self._sent_at = 0.0

    # -- the hub's side (event loop, never awaits) ----------------------------------

    def deliver(self, envelope: Envelope) -> None:
        position = self._positions.get(envelope.stream)
        if position is None:
            return
        if position.held is not None:
            position.held.append(envelope)
        elif envelope.seq > position.last:
            position.last = envelope.seq
            self._send(envelope.text)

    def resync(self, stream: str, latest: int) -> None:
        position = self._positions.get(stream)
        if position is None or position.held is not None:
            return  # not subscribed, or subscribing now (it reads the backlog itself)
        kind, _, key = stream.partition(":")
        if kind == "lot":
            self._reply({"type": "resync", "lot_id": key, "seq": latest})
        else:
            self._reply({"type": "resync", "lot_id": None, "personal": True, "seq": latest})
        position.last = latest
        position.unsent_below = min(position.unsent_below, latest)

    def close(self, code: int | None) -> None:
        """End the connection; ``code`` None: the client left (nothing to send)."""
        if self._closed:
            return
        self._closed, self._code = True, code
        current = asyncio.current_task()
        if self._writer is not None and self._writer is not current:
            self._writer.cancel()
        if self._read_deadline is not None and self._reader is not current:
            # The reader waits for the client under a deadline: move it to now.
            with contextlib.suppress(RuntimeError):
                self._read_deadline.reschedule(asyncio.get_running_loop().time())

    def _send(self, text: str) -> None:
        if self._closed:
            return
        if len(self._outbox) >= self._limits.send_queue:
            _log.info("live connection dropped: its send queue overflowed")
            self.close(SLOW_CONSUMER)
            return
        self._outbox.append(text)
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    def _reply(self, message: dict[str, Any]) -> None:
        self._send(_dumps(message))

    def _beat(self) -> None:
        """A heartbeat if nothing was sent for ``heartbeat_seconds``. One timer per
        heartbeat, not one per message sent: the fan-out's cost is per message."""
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        heartbeat = self._limits.heartbeat_seconds
        quiet = loop.time() - self._sent_at
        if quiet >= heartbeat and not self._outbox:
            self._reply({"type": "heartbeat", "at": _at(self._now())})
            quiet = 0.0
        self._beat_timer = loop.call_later(max(0.01, heartbeat - quiet), self._beat)

    # -- the connection's life --------------------------------------------------------

    async def run(self, expires_at: datetime | None) -> None:
        """Serve the accepted ``websocket`` until either side closes it."""
        expiry: asyncio.TimerHandle | None = None
        self._reader = asyncio.current_task()
        try:
            if self._user_id is not None:
                await self._follow_personal(self._user_id)
            await self._ws.send_text(
                _dumps(
                    {
                        "type": "welcome",
                        "user_id": None if self._user_id is None else str(self._user_id),
                        "heartbeat_seconds": self._limits.heartbeat_seconds,
                        "idle_timeout_seconds": self._limits.idle_timeout_seconds,
                        "max_subscriptions": self._limits.max_subscriptions,
                    }
                )
            )
            if expires_at is not None:
                delay = max(0.0, (expires_at - self._now()).total_seconds())
                expiry = asyncio.get_running_loop().call_later(delay, self.close, UNAUTHENTICATED)
            loop = asyncio.get_running_loop()
            self._sent_at = loop.time()
            self._beat_timer = loop.call_later(self._limits.heartbeat_seconds, self._beat)
            self._writer = asyncio.create_task(self._write())
            await self._read()
        except (WebSocketDisconnect, OSError):
            self.close(None)  # the client left
        except Exception:
            _log.exception("live connection failed")
            self.close(None)
        finally:
            self._closed = True
            if expiry is not None:
                expiry.cancel()
            if self._beat_timer is not None:
                self._beat_timer.cancel()
            if self._writer is not None:
                self._writer.cancel()
            for stream in self._positions:
                self._hub.detach(stream, self)
            self._positions.clear()
            self._outbox.clear()
        if self._code is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(_CLOSE_SECONDS):
                    await self._ws.close(self._code)

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                if not self._outbox:
                    self._wakeup = loop.create_future()
                    try:
                        await self._wakeup
                    finally:
                        self._wakeup = None
                    continue
                await self._ws.send_text(self._outbox.popleft())
                self._sent_at = loop.time()
        except asyncio.CancelledError:
            raise
        except Exception:
            self.close(None)  # the client is gone (or going): the reader ends too

    async def _read(self) -> None:
        while not self._closed:
            try:
                async with asyncio.timeout(self._limits.idle_timeout_seconds) as deadline:
                    self._read_deadline = deadline
                    message = await self._ws.receive()
            except TimeoutError:
                self.close(IDLE)  # nothing if close() moved the deadline: closed already
                return
            finally:
                self._read_deadline = None
            if message["type"] == "websocket.disconnect":
                self.close(None)
                return
            text = message.get("text")
            if text is None:
                self._reply(_error("bad_message", "send JSON text frames"))
                continue
            if len(text) > self._limits.max_message_bytes or (
                len(text.encode()) > self._limits.max_message_bytes
            ):
                self.close(TOO_BIG)
                return
            try:
                await self._handle(text)
            except _Refused as refused:
                self._reply(refused.reply)

    # -- client messages ----------------------------------------------------------------

    async def _handle(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            raise _Refused("bad_message", "not JSON") from None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise _Refused("bad_message", 'a message is a JSON object with a "type"')
        kind = message["type"]
        if kind == "ping":
            self._reply({"type": "pong", "at": _at(self._now())})
        elif kind == "subscribe":
            lot_id = _lot_id(message)
            await self._subscribe(lot_id, _after_seq(message, required=False))
        elif kind == "unsubscribe":
            lot_id = _lot_id(message)
            position = self._positions.pop(lot_stream(lot_id), None)
            if position is not None:
                self._hub.detach(lot_stream(lot_id), self)
            self._reply({"type": "unsubscribed", "lot_id": str(lot_id)})
        elif kind == "resume_personal":
            after_seq = _after_seq(message, required=True)
            assert after_seq is not None
            if self._user_id is None:
                raise _Refused(
                    "unauthenticated", "personal events need an authenticated connection"
                )
            await self._resume_personal(self._user_id, after_seq)
        else:
            raise _Refused("bad_message", f"unknown message type {kind[:40]!r}")

    async def _subscribe(self, lot_id: uuid.UUID, after_seq: int | None) -> None:
        stream = lot_stream(lot_id)
        subscriptions = sum(1 for s in self._positions if s.startswith("lot:"))
        if stream not in self._positions and subscriptions >= self._limits.max_subscriptions:
            raise _Refused(
                "too_many_subscriptions",
                f"at most {self._limits.max_subscriptions} lots per connection",
                str(lot_id),
            )
        if self._closed:
            return
        # Listen first, then read the backlog: an event committed in between is held,
        # and sent after the backlog unless the backlog had it (seq de-duplicates).
        position = _Position()
        self._positions[stream] = position
        self._hub.attach(stream, self)
        backlog = await self._hub.backlog(stream, after_seq)
        # Then read the lot: every event up to the backlog's latest seq committed before
        # this read, so the lot as read is at least that new. A client that fetched the
        # lot before subscribing catches up from it (later events come live).
        current = await self._look(lot_id)
        if self._positions.get(stream) is not position:
            return  # unsubscribed (or subscribed again) meanwhile
        if current is None:
            del self._positions[stream]
            self._hub.detach(stream, self)
            raise _Refused("lot_not_found", f"no lot {lot_id}", str(lot_id))
        self._reply(
            {"type": "subscribed", "lot_id": str(lot_id), "seq": backlog.latest, "data": current}
        )
        if after_seq is None:
            position.last = backlog.latest
        elif backlog.missed is None:
            self._reply({"type": "resync", "lot_id": str(lot_id), "seq": backlog.latest})
            position.last = backlog.latest
        else:
            position.last = after_seq
            for envelope in backlog.missed:
                position.last = envelope.seq
                self._send(envelope.text)
        self._release(position)

    async def _follow_personal(self, user_id: uuid.UUID) -> None:
        stream = user_stream(user_id)
        position = _Position()
        self._positions[stream] = position
        self._hub.attach(stream, self)
        backlog = await self._hub.backlog(stream, None)
        position.last = position.unsent_below = backlog.latest
        self._release(position)

    async def _resume_personal(self, user_id: uuid.UUID, after_seq: int) -> None:
        stream = user_stream(user_id)
        position = self._positions[stream]
        if position.held is not None:  # a resume is running: one at a time
            raise _Refused("bad_message", "a resume_personal is already running")
        position.held = []
        backlog = await self._hub.backlog(stream, after_seq)
        if backlog.missed is None:
            self._reply({"type": "resync", "lot_id": None, "personal": True, "seq": backlog.latest})
            position.last = max(position.last, backlog.latest)
        else:
            # Events committed before this connection opened were not sent live; later
            # ones were, up to position.last.
            for envelope in backlog.missed:
                if envelope.seq <= position.unsent_below or envelope.seq > position.last:
                    self._send(envelope.text)
                    position.last = max(position.last, envelope.seq)
        position.unsent_below = 0
        self._release(position)

    def _release(self, position: _Position) -> None:
        held, position.held = position.held or [], None
        for envelope in held:
            self.deliver(envelope)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def _lot_id(message: dict[str, Any]) -> uuid.UUID:
    value = message.get("lot_id")
    try:
        if not isinstance(value, str):
            raise ValueError
        return uuid.UUID(value)
    except ValueError:
        raise _Refused("bad_message", '"lot_id" must be a lot\'s UUID') from None


def _after_seq(message: dict[str, Any], *, required: bool) -> int | None:
    value = message.get("after_seq")
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise _Refused("bad_message", '"after_seq" must be a non-negative integer')
    return value
