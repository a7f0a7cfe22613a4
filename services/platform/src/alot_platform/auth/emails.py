"""The account emails: what they say, and the one-time links they carry.

A verification or reset email is queued in the outbox by ``kind`` and written here when
it is sent (alot_platform/outbox), so its token is minted off the request path and
never rests in the outbox. Each email carries a link to the web client's page for it
(``<public URL>/verify?token=...``, ``/reset-password?token=...``) and, for API
clients, the bare token on a line of its own.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from alot_platform.auth.models import OneTimeToken
from alot_platform.auth.repository import AuthRepository
from alot_platform.auth.tokens import TokenType
from alot_platform.context import PlatformContext
from alot_platform.users.models import User, UserStatus

EMAIL_VERIFICATION: TokenType = "email_verification"
PASSWORD_RESET: TokenType = "password_reset"  # noqa: S105 - a token kind
FAILED_LOGINS = "failed_logins"
KINDS: frozenset[str] = frozenset({EMAIL_VERIFICATION, PASSWORD_RESET, FAILED_LOGINS})

ALREADY_REGISTERED_SUBJECT = "Someone tried to register with your email"
VERIFICATION_SUBJECT = "Confirm your email for ALOT!"
RESET_SUBJECT = "Reset your ALOT! password"
FAILED_LOGINS_SUBJECT = "Failed sign-ins to your ALOT! account"


def link(platform: PlatformContext, page: str, token: str) -> str:
    return f"{platform.settings.public_url.rstrip('/')}/{page}?{urlencode({'token': token})}"


def already_registered_body(platform: PlatformContext) -> str:
    reset_page = f"{platform.settings.public_url.rstrip('/')}/reset-password"
    return (
        "Somebody (maybe you) tried to create an ALOT! account with this address, which "
        f"already has one. If you forgot your password, ask for a reset link at {reset_page} "
        "(or POST /api/auth/password-reset/request). Otherwise ignore this message."
    )


def write(
    kind: str, session: Session, platform: PlatformContext, user: User
) -> tuple[str, str] | None:
    """Subject and body of a ``kind`` email to ``user``, minting its one-time token in
    ``session``; None when there is nothing to send any more (the address is verified
    already, the account cannot reset its password)."""
    settings = platform.settings
    if kind == EMAIL_VERIFICATION:
        if user.verified_email:
            return None
        ttl = settings.email_verification_ttl_seconds
        token = _one_time_token(session, platform, user, EMAIL_VERIFICATION, ttl)
        return VERIFICATION_SUBJECT, (
            f"Confirm your email address by opening this link:\n\n"
            f"{link(platform, 'verify', token)}\n\n"
            f"It expires in {ttl // 3600} hours. API clients: send the token below to "
            f"POST /api/auth/verify-email.\n\ntoken:\n{token}\n"
        )
    if kind == PASSWORD_RESET:
        if user.status != UserStatus.ACTIVE.value:
            return None
        ttl = settings.password_reset_ttl_seconds
        token = _one_time_token(session, platform, user, PASSWORD_RESET, ttl)
        return RESET_SUBJECT, (
            f"Set a new password by opening this link:\n\n"
            f"{link(platform, 'reset-password', token)}\n\n"
            f"It expires in {ttl // 60} minutes and works once. If you did not ask for it, "
            "ignore this message. API clients: send the token below with the new password "
            f"to POST /api/auth/password-reset/confirm.\n\ntoken:\n{token}\n"
        )
    if kind == FAILED_LOGINS:
        if user.status != UserStatus.ACTIVE.value:
            return None
        reset_page = f"{settings.public_url.rstrip('/')}/reset-password"
        return FAILED_LOGINS_SUBJECT, (
            "Someone failed to sign in to your ALOT! account several times, from several "
            "addresses. If that was you, all is well. If not, your password held and the "
            "attempts are being slowed down; you can still sign in as usual. If your "
            f"password is used anywhere else, change it, or ask for a reset link at "
            f"{reset_page}."
        )
    raise ValueError(f"no account email of kind {kind!r}")


def _one_time_token(
    session: Session, platform: PlatformContext, user: User, purpose: TokenType, ttl_seconds: int
) -> str:
    token, claims = platform.tokens.issue(purpose, user.id, timedelta(seconds=ttl_seconds))
    AuthRepository(session).add_one_time_token(
        OneTimeToken(
            id=claims.token_id,
            user_id=user.id,
            purpose=purpose,
            issued_at=claims.issued_at,
            expires_at=claims.expires_at,
        )
    )
    return token
