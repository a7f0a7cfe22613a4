"""Fixtures shared by the verifier's tests: editing draw proofs, serving files over HTTP.

Test modules cannot import each other (pytest runs with --import-mode=importlib), so
helpers more than one module needs are handed out here as fixtures.
"""

from __future__ import annotations

import copy
import http.server
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alot_verify.draw import verify_draw_proof
from alot_verify.errors import DrawVerificationError


class DrawProofs:
    """Tampered copies of draw proofs, and what the verifier says about them."""

    def tampered(self, proof: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
        """A deep copy of ``proof`` with the field at ``path`` (``a.b``, ``entries[2].x``)
        set to ``value``; ``proof`` itself is left as it was."""
        tampered = copy.deepcopy(proof)
        target: Any = tampered
        *parents, last = path.replace("[", ".").replace("]", "").split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
        return tampered

    def failed_fields(self, proof: dict[str, Any]) -> set[str]:
        """The fields the verifier names when it refuses ``proof`` (which it must)."""
        with pytest.raises(DrawVerificationError) as caught:
            verify_draw_proof(proof)
        return {f.field for f in caught.value.failures}


@pytest.fixture
def draw_proofs() -> DrawProofs:
    return DrawProofs()


@pytest.fixture
def serve_http() -> Iterator[Callable[[type[http.server.BaseHTTPRequestHandler]], str]]:
    """Serve with a request handler class on a real local HTTP server (the outside world,
    not mocked) until the test ends; returns the server's base URL."""
    running: list[tuple[http.server.ThreadingHTTPServer, threading.Thread]] = []

    def serve(handler: type[http.server.BaseHTTPRequestHandler]) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join()
