"""The witness's HTTP interface: ``POST /add-checkpoint`` (C2SP tlog-witness).

A threaded standard-library server: the witness does little work per request and its
state's transaction serialises submissions for one log.
"""

from __future__ import annotations

import http.server
import logging

from alot_witness.witness import Witness

_log = logging.getLogger(__name__)

# tlog-witness allows 63 proof hashes and a checkpoint with a few signatures: far below.
MAX_BODY_BYTES = 64 * 1024


def make_server(witness: Witness, host: str, port: int) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/add-checkpoint":
                self._answer(404, "text/plain; charset=utf-8", "not found\n")
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._answer(411, "text/plain; charset=utf-8", "Content-Length required\n")
                return
            if not 0 <= length <= MAX_BODY_BYTES:
                self._answer(413, "text/plain; charset=utf-8", "request too large\n")
                return
            body = self.rfile.read(length)
            answer = witness.add_checkpoint(body)
            if answer.status in (409, 422) and not answer.content_type.startswith("text/x.tlog"):
                # A checkpoint inconsistent with one we cosigned: possible evidence of a
                # fork, so the whole request is kept in the log.
                _log.warning(
                    "add-checkpoint refused (%s): %s\n%s",
                    answer.status,
                    answer.body.strip(),
                    body.decode("utf-8", "replace"),
                )
            else:
                _log.info("add-checkpoint: %s %s", answer.status, answer.body.strip()[:200])
            self._answer(answer.status, answer.content_type, answer.body)

        def do_GET(self) -> None:
            self._answer(404, "text/plain; charset=utf-8", "not found\n")

        def _answer(self, status: int, content_type: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            _log.debug(format, *args)

    return http.server.ThreadingHTTPServer((host, port), Handler)
