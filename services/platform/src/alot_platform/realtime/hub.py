"""The live hub: numbers committed events, keeps the recent ones, fans them out.

Every event gets a ``seq`` in its stream: a lot's events count the lot's stream, a
personal event counts its user's. The hub keeps the last ``ALOT_WS_STREAM_LENGTH``
envelopes of each stream so that a client that reconnects resumes where it stopped.

Two backends, one interface (``Hub``):

- in-process (no ``ALOT_REDIS_URL``, ``alot run``): counters and bounded buffers in this
  process, which is the only one with connections;
- Redis: one Lua script per commit atomically increments each event's stream counter,
  appends the envelope to a bounded Stream (its id is ``<seq>-0``, so resuming is an
  XRANGE) and PUBLISHes it on one channel. Every API process has one subscriber task
  that receives every event and hands it to its own connections.

Publishing runs in the committing thread (``platform.events``): one call per commit,
never raising (the commit is in; a lost event costs clients a refetch). Delivery to
connections runs on the server's event loop, and only ever ``put_nowait``s into each
connection's own queue (see ``connection.py``): a slow client never slows another.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from alot_platform.realtime.events import Event

if TYPE_CHECKING:
    from alot_platform.context import PlatformContext

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Envelope:
    """One numbered event as clients receive it (``text``: its JSON)."""

    stream: str
    seq: int
    text: str


@dataclass(frozen=True, slots=True)
class Backlog:
    """A stream's position, and what a resuming client missed.

    ``missed`` is None when the kept events no longer reach back to ``after_seq + 1``
    (or ``after_seq`` is ahead of the stream): the client must refetch (``resync``).
    """

    latest: int
    missed: list[Envelope] | None


class Subscriber(Protocol):
    """A connection, as the hub sees it: it is handed envelopes on the event loop."""

    def deliver(self, envelope: Envelope) -> None: ...

    def resync(self, stream: str, latest: int) -> None:
        """Events of ``stream`` may have been lost: tell the client to refetch, and
        carry on from ``latest``."""
        ...


def lot_stream(lot_id: uuid.UUID) -> str:
    return f"lot:{lot_id}"


def user_stream(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


def _stream_of(event: Event) -> str:
    if event.personal:
        assert event.user_id is not None
        return user_stream(event.user_id)
    assert event.lot_id is not None
    return lot_stream(event.lot_id)


def _body(event: Event) -> str:
    """The envelope's JSON without its ``seq`` (added once the seq is known)."""
    envelope: dict[str, Any] = {
        "type": event.type.value,
        "lot_id": None if event.lot_id is None else str(event.lot_id),
        "at": event.at.isoformat().replace("+00:00", "Z"),
        "data": dict(event.data),
    }
    if event.personal:
        envelope["personal"] = True
    return json.dumps(envelope, separators=(",", ":"), default=str)


def _with_seq(body: str, seq: int) -> str:
    # The same concatenation the Lua script does: seq first, then the body's fields.
    return '{"seq":' + str(seq) + "," + body[1:]


def _deliverable(event: Event) -> bool:
    return not event.internal and (event.personal or event.lot_id is not None)


class Hub:
    """The interface both backends share; connections use only this."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: dict[str, set[Subscriber]] = {}

    # -- the committing thread ----------------------------------------------------

    def publish(self, events: Sequence[Event]) -> None:
        """Number, keep and fan out one commit's events (a ``platform.events`` listener)."""
        batch = [(_stream_of(e), _body(e)) for e in events if _deliverable(e)]
        if batch:
            try:
                self._publish(batch)
            except Exception:  # the commit is in: never fail it
                _log.exception("live events of a commit were not published (%d)", len(batch))

    def _publish(self, batch: list[tuple[str, str]]) -> None:
        raise NotImplementedError

    # -- the event loop -------------------------------------------------------------

    async def start(self) -> None:
        """Start delivering to this process's connections (the app's lifespan)."""
        self._loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        self._loop = None

    def attach(self, stream: str, subscriber: Subscriber) -> None:
        """Deliver ``stream``'s live events to ``subscriber`` from now on."""
        self._subscribers.setdefault(stream, set()).add(subscriber)

    def detach(self, stream: str, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.get(stream)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[stream]

    async def backlog(self, stream: str, after_seq: int | None) -> Backlog:
        """``stream``'s latest seq and, with ``after_seq``, the kept events after it."""
        raise NotImplementedError

    def _deliver(self, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            subscribers = self._subscribers.get(envelope.stream)
            if subscribers:
                for subscriber in list(subscribers):
                    subscriber.deliver(envelope)

    def _deliver_soon(self, envelopes: list[Envelope]) -> None:
        loop = self._loop
        if loop is None:
            return
        # RuntimeError: the loop closed while the server stopped.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._deliver, envelopes)


class MemoryHub(Hub):
    """Counters and buffers in this process: the embedded server (``alot run``)."""

    def __init__(self, stream_length: int) -> None:
        super().__init__()
        self._length = stream_length
        self._lock = threading.Lock()
        self._seqs: dict[str, int] = {}
        self._kept: dict[str, deque[Envelope]] = {}

    def _publish(self, batch: list[tuple[str, str]]) -> None:
        envelopes: list[Envelope] = []
        # Numbering and scheduling the delivery under one lock: deliveries reach the
        # loop in seq order whatever threads commit at once.
        with self._lock:
            for stream, body in batch:
                seq = self._seqs.get(stream, 0) + 1
                self._seqs[stream] = seq
                envelope = Envelope(stream, seq, _with_seq(body, seq))
                kept = self._kept.get(stream)
                if kept is None:
                    kept = self._kept[stream] = deque(maxlen=self._length)
                kept.append(envelope)
                envelopes.append(envelope)
            self._deliver_soon(envelopes)

    async def backlog(self, stream: str, after_seq: int | None) -> Backlog:
        with self._lock:
            latest = self._seqs.get(stream, 0)
            kept = list(self._kept.get(stream, ()))
        return _backlog(latest, after_seq, kept)


def _backlog(latest: int, after_seq: int | None, kept: list[Envelope]) -> Backlog:
    if after_seq is None or after_seq == latest:
        return Backlog(latest, [])
    missed = [e for e in kept if e.seq > after_seq]
    if after_seq > latest or not missed or missed[0].seq != after_seq + 1:
        return Backlog(latest, None)
    return Backlog(latest, missed)


# KEYS: (seq counter, stream) per event. ARGV: max length, ttl, channel, then (stream
# name, body) per event. Returns nothing: the PUBLISH is the delivery.
_PUBLISH = """
local length, ttl, channel = ARGV[1], ARGV[2], ARGV[3]
for i = 1, #KEYS, 2 do
  local name, body = ARGV[3 + i], ARGV[4 + i]
  local seq = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ttl)
  local text = '{"seq":' .. seq .. ',' .. string.sub(body, 2)
  redis.call('XADD', KEYS[i + 1], 'MAXLEN', '~', length, seq .. '-0', 't', text)
  redis.call('EXPIRE', KEYS[i + 1], ttl)
  redis.call('PUBLISH', channel, name .. '\\n' .. seq .. '\\n' .. text)
end
return #KEYS / 2
"""

_RECONNECT_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)
_PUBLISH_TIMEOUT = 0.5
_REST_SECONDS = 1.0


class RedisHub(Hub):
    """Counters, Streams and one Pub/Sub channel in Redis: every API process."""

    def __init__(self, url: str, prefix: str, stream_length: int, ttl_seconds: int) -> None:
        import redis

        super().__init__()
        self._url = url
        self._prefix = prefix + "rt:"
        self.channel = prefix + "rt:events"
        self.subscriber_name = f"{prefix}rt:subscriber"
        self._length = stream_length
        self._ttl = ttl_seconds
        # Publishing runs on the committing thread: short timeouts, and after a failure
        # nothing is tried for a second, so a Redis outage costs a commit at most one
        # short wait, not one per event (clients see a gap or resync afterwards).
        self._redis = redis.Redis.from_url(
            url, socket_timeout=_PUBLISH_TIMEOUT, socket_connect_timeout=_PUBLISH_TIMEOUT
        )
        self._script = self._redis.register_script(_PUBLISH)
        self._resting_until = 0.0
        self._reader: Any = None
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    def _keys(self, stream: str) -> tuple[str, str]:
        return f"{self._prefix}seq:{stream}", f"{self._prefix}s:{stream}"

    def _publish(self, batch: list[tuple[str, str]]) -> None:
        if time.monotonic() < self._resting_until:
            _log.warning("live events of a commit dropped: Redis failed just now")
            return
        keys: list[str] = []
        args: list[Any] = [self._length, self._ttl, self.channel]
        for stream, body in batch:
            keys.extend(self._keys(stream))
            args.extend((stream, body))
        try:
            self._script(keys=keys, args=args)
        except Exception:
            self._resting_until = time.monotonic() + _REST_SECONDS
            raise

    async def start(self) -> None:
        import redis.asyncio

        await super().start()
        self._reader = redis.asyncio.Redis.from_url(
            self._url,
            socket_timeout=5,
            socket_connect_timeout=5,
            client_name=self.subscriber_name,  # operators see who holds the subscription
        )
        self._listening = asyncio.Event()
        self._task = asyncio.create_task(self._listen(), name="alot-live-subscriber")
        # Connections opened from here on miss nothing published after this returns.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self._listening.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._reader is not None:
            await self._reader.aclose()
            self._reader = None
        await super().stop()

    async def _listen(self) -> None:
        failures = 0
        while True:
            pubsub = self._reader.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._listening.set()
                if failures:
                    _log.warning("live events subscriber reconnected to Redis")
                    failures = 0
                    await self._resync_all()
                while True:
                    message = await pubsub.get_message(timeout=30.0)
                    if message is not None and message["type"] == "message":
                        self._on_message(message["data"])
                        # Buffered messages are read without yielding: let the
                        # connections' writers send between them, or a burst would
                        # fill every queue before any writer ran.
                        await asyncio.sleep(0)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Events published meanwhile are lost to this process's clients: they
                # see a gap at the next event and refetch.
                _log.exception("live events subscriber lost Redis; reconnecting")
                await asyncio.sleep(_RECONNECT_SECONDS[min(failures, len(_RECONNECT_SECONDS) - 1)])
                failures += 1
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _resync_all(self) -> None:
        """After losing Redis: every subscriber of this process refetches.

        Events committed meanwhile were never published, and a Redis that came back
        empty (no persistence, a failover) numbers streams from 1 again: later events
        would have seqs the connections already sent, and be dropped as replays. A
        resync with each stream's seq now is the client's cue to refetch, and where
        the connection resumes counting."""
        streams = list(self._subscribers)
        if not streams:
            return
        latest = await self._reader.mget([self._keys(stream)[0] for stream in streams])
        for stream, seq in zip(streams, latest, strict=True):
            for subscriber in list(self._subscribers.get(stream, ())):
                subscriber.resync(stream, int(seq or 0))

    def _on_message(self, data: bytes) -> None:
        stream, seq, text = data.decode().split("\n", 2)
        self._deliver((Envelope(stream, int(seq), text),))

    async def backlog(self, stream: str, after_seq: int | None) -> Backlog:
        seq_key, stream_key = self._keys(stream)
        async with self._reader.pipeline(transaction=True) as pipe:
            pipe.get(seq_key)
            if after_seq is not None and after_seq >= 0:
                pipe.xrange(stream_key, min=f"{after_seq + 1}-0")
            results = await pipe.execute()
        latest = int(results[0] or 0)
        kept: list[Envelope] = []
        if len(results) > 1:
            for entry_id, fields in results[1]:
                seq = int(entry_id.split(b"-", 1)[0])
                kept.append(Envelope(stream, seq, fields[b"t"].decode()))
        return _backlog(latest, after_seq, kept)


def hub_for(platform: PlatformContext) -> Hub:
    settings = platform.settings
    if settings.redis_url:
        return RedisHub(
            settings.redis_url,
            settings.redis_prefix,
            settings.ws_stream_length,
            settings.ws_stream_ttl_seconds,
        )
    return MemoryHub(settings.ws_stream_length)


def install(platform: PlatformContext) -> Hub:
    """Publish ``platform``'s committed events through a new hub (returned)."""
    hub = hub_for(platform)
    platform.events.listen("live", hub.publish)
    return hub
