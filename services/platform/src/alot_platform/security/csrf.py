"""CSRF protection for cookie-authenticated requests: a signed double-submit token.

At login the server sets a readable `alot_csrf` cookie holding `<nonce>.<mac>`, where
mac = HMAC(csrf key, session id || nonce). A state-changing request authenticated by
cookie must repeat that value in the `X-CSRF-Token` header. Another site can make the
browser send the cookie but cannot read it to copy it into a header, and it cannot mint
a token of its own because the MAC binds the token to the victim's session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from alot_platform.errors import Forbidden

CSRF_COOKIE = "alot_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _mac(key: bytes, session_id: str, nonce: str) -> str:
    digest = hmac.new(key, f"{session_id}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_csrf_token(key: bytes, session_id: str) -> str:
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_mac(key, session_id, nonce)}"


class CsrfRejected(Forbidden):
    code = "csrf_failed"
    title = "CSRF check failed"


def check_csrf_token(
    key: bytes, session_id: str, cookie_value: str | None, header_value: str | None
) -> None:
    """Raise CsrfRejected unless header and cookie match and the token is this session's."""
    if not cookie_value or not header_value:
        raise CsrfRejected(f"cookie-authenticated requests must send the {CSRF_HEADER} header")
    if not hmac.compare_digest(cookie_value.encode(), header_value.encode()):
        raise CsrfRejected(f"the {CSRF_HEADER} header does not match the {CSRF_COOKIE} cookie")
    nonce, _, mac = cookie_value.partition(".")
    if not nonce or not hmac.compare_digest(mac.encode(), _mac(key, session_id, nonce).encode()):
        raise CsrfRejected("the CSRF token was not issued for this session")
