"""JWTs: issued and accepted only in the shapes we expect.

Every token is HS256 (the only algorithm accepted, so `none` or an RSA/HMAC confusion
cannot sneak in), names our issuer and audience, and carries a `typ`: `access`,
`refresh`, `email_verification` or `password_reset`. A token is accepted only where its
type is expected, so a refresh token never works as an access token. Expiry is checked
against the platform clock (injectable), not the wall clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import jwt

from alot_platform.clock import Clock
from alot_platform.errors import NotAuthenticated

TokenType = Literal["access", "refresh", "email_verification", "password_reset"]
_ALGORITHM = "HS256"
_REQUIRED = ["iss", "aud", "sub", "jti", "iat", "exp", "typ"]


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

    def issue(
        self,
        typ: TokenType,
        subject: uuid.UUID,
        ttl: timedelta,
        *,
        token_id: uuid.UUID | None = None,
        session_id: uuid.UUID | None = None,
    ) -> tuple[str, Claims]:
        now = self._clock().replace(microsecond=0)
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
        try:
            payload = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                # Time is checked below against the platform clock.
                options={"require": _REQUIRED, "verify_exp": False, "verify_iat": False},
            )
            if payload["typ"] != typ:
                raise InvalidToken(f"expected a {typ} token")
            issued = datetime.fromtimestamp(int(payload["iat"]), self._clock().tzinfo)
            expires = datetime.fromtimestamp(int(payload["exp"]), self._clock().tzinfo)
            sid = payload.get("sid")
            claims = Claims(
                uuid.UUID(str(payload["sub"])),
                uuid.UUID(str(payload["jti"])),
                issued,
                expires,
                uuid.UUID(str(sid)) if sid is not None else None,
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            raise InvalidToken() from None
        if self._clock() >= claims.expires_at:
            raise InvalidToken("the token has expired")
        return claims
