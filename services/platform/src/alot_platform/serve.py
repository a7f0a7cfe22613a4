"""Serving the API with several worker processes, each with its own listening socket.

``uvicorn --workers N`` shares one listening socket between its processes, and the
process that wakes first accepts every connection waiting: clients connecting at once
can all land in one process (one core, one GIL) while the others idle, and kept-alive
connections never move. The hot-lot benchmark ran at one of two speeds depending on
where its connections happened to land.

Here each worker binds its own socket to the same port with ``SO_REUSEPORT`` (Linux):
the kernel assigns each new connection to one of the sockets by a hash of its
addresses, whatever the timing. It can only pick among the sockets listening at that
moment, so the workers start listening together: each loads the app first, then waits
for the others at a barrier. (A worker that listened first while another was still
importing got every connection of clients that connected at once: the hot-lot
benchmark then ran at the speed of one process.)

The parent process starts the workers, forwards SIGINT/SIGTERM to them and waits; a
worker that dies takes the server down (exit status 1) instead of leaving it running
short-handed.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.synchronize import Barrier
from types import FrameType
from typing import Any

import uvicorn

from alot_platform.config import Settings

SERVER_OPTIONS: dict[str, Any] = {
    "access_log": False,  # the app writes its own access lines
    "log_config": None,
    # uvicorn would trust X-Forwarded-For from loopback and rewrite the client address:
    # the app reads forwarded headers itself, from ALOT_TRUSTED_PROXIES only.
    "proxy_headers": False,
    # Compression would cost every WebSocket its own zlib state (hundreds of kB with
    # context takeover) and a compression per message per connection on fan-out.
    "ws_per_message_deflate": False,
    "ws": "websockets-sansio",
}
"""How every server of the API runs uvicorn (``alot run`` and ``alot serve``)."""

_BACKLOG = 2048
_GRACE_SECONDS = 30.0
_START_SECONDS = 120.0


def http_limits(settings: Settings) -> dict[str, Any]:
    """uvicorn options that cap a request's head (request line and headers).

    httptools, uvicorn's faster parser, buffers a request head of any size; h11 refuses
    one that grows past ``h11_max_incomplete_event_size`` before it ends with a 400. (One
    that arrives whole in a single read is parsed, and the app answers it 431; body size
    is limited in the app too: see ``security.limits``.)
    """
    return {
        "http": "h11",
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        # A WebSocket frame larger than a client message may be is refused (1009) before
        # it is buffered whole; the app checks the size too.
        "ws_max_size": settings.ws_max_message_bytes,
    }


def raise_open_files_limit() -> int:
    """Lift this process's soft limit on open files to its hard limit; the new limit.

    Every WebSocket holds a socket for as long as its client watches: the usual soft
    limit (1024) would refuse connections long before memory or CPU run out.
    """
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return soft
        return target
    return soft


def can_share_port() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def serve(host: str, port: int, workers: int) -> int:
    """Run ``workers`` server processes on ``host:port`` until signalled; the exit status."""
    # Bound once here without SO_REUSEPORT: a port in use fails now, with the parent's
    # error. (With it, a second server would silently share the port with the first.)
    _bind(host, port, share=False).close()
    spawn = multiprocessing.get_context("spawn")
    all_loaded = spawn.Barrier(workers)
    processes = [
        spawn.Process(target=_worker, args=(host, port, all_loaded), name=f"alot-worker-{n}")
        for n in range(workers)
    ]
    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:  # each worker shuts down gracefully on either signal
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signum)

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for process in processes:
            process.start()
        while not stopping and all(process.is_alive() for process in processes):
            time.sleep(0.2)
        failed = not stopping
        if failed:  # a worker died on its own: stop the others
            for process in processes:
                if process.is_alive():
                    process.terminate()
        deadline = time.monotonic() + _GRACE_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        return 1 if failed else 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def bind_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (not listening yet), or ``OSError`` if it is taken.

    ``alot run`` takes its port with it before it migrates or seeds anything, and hands
    the socket to uvicorn: no other server can take the port in between.
    """
    return _bind(host, port, share=False)


def _bind(host: str, port: int, *, share: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if share:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _worker(host: str, port: int, all_loaded: Barrier) -> None:
    raise_open_files_limit()
    sock = _bind(host, port)
    config = uvicorn.Config(
        "alot_platform.app:create_app",
        factory=True,
        **SERVER_OPTIONS,
        **http_limits(Settings()),
    )
    config.load()
    # A worker that never gets here takes the server down (the parent sees it die);
    # the others then stop waiting, with an error.
    all_loaded.wait(_START_SECONDS)
    sock.listen(_BACKLOG)
    uvicorn.Server(config).run(sockets=[sock])
