"""What a scrape answers, from one process or from several (prometheus_client multiprocess).

One process (``alot run``, tests): the default registry, in memory.

Several (``alot serve --workers N``, a Celery worker's pool): every process writes its
values to files in ``PROMETHEUS_MULTIPROC_DIR`` and a scrape merges the files
(``MultiProcessCollector``). prometheus_client picks where values go when a metric is
created, at import: the directory must be in the environment before the platform is
imported. ``alot serve`` sets it before it spawns its workers; ``alot worker`` sets it
and starts itself again (``prepare_multiprocess_dir``). By default each such command
gets a fresh directory under ``<var_dir>/prometheus/``; an operator's
``PROMETHEUS_MULTIPROC_DIR`` is used as it is (never emptied: empty it before starting,
e.g. a tmpfs per container), and may be shared by ``alot serve`` and ``alot worker`` on
one host (one scrape then sums both).

A process that ended leaves its files. Its counters and histograms must stay (the sums
would go backwards), but its "live" gauges (requests in flight, connections) must not
linger. Nothing tells us when a process ends (uvicorn has no ``child_exit`` hook, and a
Celery child killed with SIGKILL says nothing), so every scrape first looks at the pids
the live gauge files belong to and drops the files of those no longer running
(``mark_process_dead``). A dead process can write nothing more, so dropping its files
races with nobody; a pid the kernel reuses later simply starts from a fresh file.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from alot_platform.config import Settings

_log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    """The directory this process's metrics are written to, if it runs multiprocess."""
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


def prepare_multiprocess_dir(settings: Settings, kind: str) -> Path:
    """The directory for ``alot serve`` or ``alot worker`` (``kind``), put in the
    environment: the operator's if set, else a fresh ``<var_dir>/prometheus/<kind>-<pid>``
    (the directories of commands no longer running are removed)."""
    configured = multiprocess_dir()
    if configured is not None:
        configured.mkdir(parents=True, exist_ok=True)
        return configured
    root = (settings.var_dir / "prometheus").resolve()
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        pid = _pid_in(old.name, "-")
        if old.is_dir() and pid is not None and not _running(pid):
            shutil.rmtree(old, ignore_errors=True)
    path = root / f"{kind}-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(mode=0o700)
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def forget_ended_processes(path: Path) -> list[int]:
    """Drop the live gauges of processes that are no longer running; their pids."""
    ended: set[int] = set()
    for file in path.glob("gauge_live*_*.db"):
        pid = _pid_in(file.stem, "_")
        if pid is not None and pid not in ended and not _running(pid):
            ended.add(pid)
    for pid in ended:
        mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]
    return sorted(ended)


def scrape_registry(*collectors: Collector) -> CollectorRegistry:
    """A registry of this process's (or process family's) metrics and ``collectors``.

    The ``collectors`` (the database figures) are collected first: an error they count
    shows in the same scrape.
    """
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    path = multiprocess_dir()
    registry.register(_ProcessFamily(path) if path is not None else _ThisProcess())
    return registry


def serve_metrics_port(settings: Settings, *collectors: Collector) -> None:
    """Serve the metrics on ALOT_METRICS_HOST:ALOT_METRICS_PORT (a thread), if set.

    No token there: the port is meant for the internal network only.
    """
    if settings.metrics_port is None:
        return
    start_http_server(
        settings.metrics_port,
        addr=settings.metrics_host,
        registry=scrape_registry(*collectors),
    )
    _log.info("metrics on http://%s:%d/metrics", settings.metrics_host, settings.metrics_port)


class _ThisProcess(Collector):
    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class _ProcessFamily(Collector):
    def __init__(self, path: Path) -> None:
        self._path = path
        self._merged = MultiProcessCollector(None, path=str(path))  # type: ignore[no-untyped-call]

    def collect(self) -> Iterable[Metric]:
        forget_ended_processes(self._path)
        merged: Iterable[Metric] = self._merged.collect()  # type: ignore[no-untyped-call]
        return merged


def _pid_in(name: str, separator: str) -> int | None:
    tail = name.rsplit(separator, 1)[-1]
    return int(tail) if tail.isdigit() else None


def _running(pid: int) -> bool:
    """Is ``pid`` a live process (a zombie, killed but not reaped yet, is not)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust the signal
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
