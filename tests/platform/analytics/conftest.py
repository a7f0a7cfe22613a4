"""The draw suite's HTTP helpers (`http`, `lots`), for a history built through the API."""

from __future__ import annotations

from tests.platform.draws.conftest import http, lots

__all__ = ["http", "lots"]
