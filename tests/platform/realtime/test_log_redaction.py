"""A token sent as ``?token=`` never reaches a log line, whoever writes it."""

from __future__ import annotations

import logging

import pytest
from alot_platform.logs import configure_logging


def test_query_string_tokens_are_redacted_from_every_logger(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO")
    # What uvicorn writes for each WebSocket handshake (uvicorn.error, path with query).
    logging.getLogger("uvicorn.error").info(
        '%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", "/api/ws?token=eyJ.secret.sig&x=1"
    )
    logging.getLogger("alot_platform.anything").warning("GET /api/ws?lang=en&TOKEN=abc.def")
    err = capsys.readouterr().err
    assert "eyJ.secret.sig" not in err
    assert "abc.def" not in err
    assert "/api/ws?token=[redacted]&x=1" in err
    assert "&TOKEN=[redacted]" in err
