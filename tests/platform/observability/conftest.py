"""Fixtures for the business metrics' tests: the domain-event lines as the JSON log
prints them."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from alot_platform.logs import JsonFormatter


@pytest.fixture
def domain_lines(caplog: pytest.LogCaptureFixture) -> Callable[..., list[dict[str, Any]]]:
    """The domain-event lines written so far, as the JSON log prints them; with an
    ``event``, only those."""
    caplog.set_level(logging.INFO, logger="alot_platform.domain")
    formatter = JsonFormatter()

    def lines(event: str | None = None) -> list[dict[str, Any]]:
        found = [
            json.loads(formatter.format(record))
            for record in caplog.records
            if record.name == "alot_platform.domain"
        ]
        return [line for line in found if event is None or line["event"] == event]

    return lines
