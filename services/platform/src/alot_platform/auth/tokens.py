"""JWTs: issued and accepted only in the shapes we expect.

Every token is HS256 (the only algorithm accepted, so `none` or an RSA/HMAC confusion
cannot sneak in), names our issuer and audience, and carries a `typ`: `access`,
`refresh`, `email_verification` or `password_reset`. A token is accepted only where its
type is expected, so a refresh token never works as an access token. Expiry is checked
against the platform clock (injectable), not the wall clock.

A player's access token comes back with every request until it expires: the codec
remembers the tokens it verified lately (the exact token text, so the same signature
over the same claims) and checks only their type and expiry again. Tokens that fail
are never remembered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

import jwt

from alot_platform.clock import Clock
from alot_platform.errors import NotAuthenticated

TokenType = Literal["access", "refresh", "email_verification", "password_reset"]
_ALGORITHM = "HS256"
_REQUIRED = ["iss", "aud", "sub", "jti", "iat", "exp", "typ"]
_REMEMBERED = 4096


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    title = "Invalid or expired token"


@dataclass(frozen=True)
class Claims:
    subject: uuid.UUID
    token_id: uuid.UUID
    issued_at: datetime
    expires_at: datetime
    session_id: uuid.UUID | None


class TokenCodec:
    def __init__(self, key: bytes, issuer: str, audience: str, clock: Clock) -> None:
        self._key = key
        self._issuer = issuer
        self._audience = audience
        self._clock = clock
        self._verified = lru_cache(maxsize=_REMEMBERED)(self._verify)

    def issue(
        self,
        typ: TokenType,
        subject: uuid.UUID,
        ttl: timedelta,
        *,
        token_id: uuid.UUID | None = None,
        session_id: uuid.UUID | None = None,
        issued_at: datetime | None = None,
    ) -> tuple[str, Claims]:
        """Sign a token. HS256 is deterministic: the same claims (``token_id`` and
        ``issued_at`` given again) give the same token text."""
        now = (issued_at or self._clock()).replace(microsecond=0)
        claims = Claims(subject, token_id or uuid.uuid4(), now, now + ttl, session_id)
        payload: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(subject),
            "jti": str(claims.token_id),
            "iat": int(now.timestamp()),
            "exp": int(claims.expires_at.timestamp()),
            "typ": typ,
        }
        if session_id is not None:
            payload["sid"] = str(session_id)
        token = jwt.encode(payload, self._key, algorithm=_ALGORITHM, headers={"typ": "JWT"})
        return token, claims

    def decode(self, token: str, typ: TokenType) -> Claims:
        """Return the claims of a valid, unexpired token of this type, else InvalidToken."""
        token_type, claims = self._verified(token)
        if token_type != typ:
            raise InvalidToken(f"expected a {typ} token")
        if self._clock() >= claims.expires_at:
            raise InvalidToken("the token has expired")
        return claims

    def _verify(self, token: str) -> tuple[str, Claims]:
        """The type and claims of a token whose signature, issuer and audience check."""
        try:
            payload = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                # Time is checked by decode against the platform clock.
                options={"require": _REQUIRED, "verify_exp": False, "verify_iat": False},
            )
            zone = self._clock().tzinfo
            sid = payload.get("sid")
            return str(payload["typ"]), Claims(
                uuid.UUID(str(payload["sub"])),
                uuid.UUID(str(payload["jti"])),
                datetime.fromtimestamp(int(payload["iat"]), zone),
                datetime.fromtimestamp(int(payload["exp"]), zone),
                uuid.UUID(str(sid)) if sid is not None else None,
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            raise InvalidToken() from None
