"""Authentication rules: register, log in, refresh with rotation, log out, verify, reset.

A login creates an `AuthSession` (a refresh-token family). Each refresh uses up the
presented refresh token and issues a new pair in the same session; a used refresh token
presented again means someone holds a copy, so the session is revoked for everyone
(the attacker and the user both have to log in again). Except within a short grace
window (``ALOT_REFRESH_REUSE_GRACE_SECONDS``) after the rotation: two browser tabs
refreshing with the same token at once both get the same new pair, as the OAuth 2.0
Security BCP describes for concurrent refresh. Access tokens carry the session id and
die with it, so logout and password change take effect at once.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from alot_platform.auth import emails
from alot_platform.auth.models import AuthSession, RefreshToken
from alot_platform.auth.passwords import check_password_rules
from alot_platform.auth.repository import AuthRepository, SessionState
from alot_platform.auth.tokens import Claims, InvalidToken, TokenType
from alot_platform.compliance.models import AcceptanceSource
from alot_platform.compliance.service import check_declared_country
from alot_platform.context import PlatformContext
from alot_platform.errors import Forbidden, NotAuthenticated
from alot_platform.outbox.service import enqueue
from alot_platform.users.models import User, UserStatus
from alot_platform.users.repository import DuplicateUser
from alot_platform.users.service import UsernameTaken, UserService, normalize_email


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    title = "Invalid email or password"


class InvalidCredentialsNoted(InvalidCredentials):
    """The same answer; the owner's alert written with it must be committed."""

    keeps_changes = True


class WrongPassword(Forbidden):
    code = "wrong_password"
    title = "Current password is wrong"


class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    title = "Email not verified"


class AccountInactive(Forbidden):
    code = "account_inactive"
    title = "Account suspended or banned"


class RefreshTokenReused(InvalidToken):
    code = "refresh_token_reused"
    title = "Refresh token reused"
    keeps_changes = True  # the session revocation must survive the error response


@dataclass(frozen=True)
class IssuedTokens:
    session_id: uuid.UUID
    access_token: str
    refresh_token: str
    access_expires_in: int
    refresh_expires_in: int
    refresh_token_id: uuid.UUID


@dataclass(frozen=True)
class Authenticated:
    user: User
    session_id: uuid.UUID


_VERIFY: TokenType = emails.EMAIL_VERIFICATION
_RESET: TokenType = emails.PASSWORD_RESET


class AuthService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self.session = session
        self.platform = platform
        self.auth = AuthRepository(session)
        self.users = UserService(session, platform)

    # -- registration and email ------------------------------------------------------

    def register(
        self,
        *,
        email: str,
        username: str,
        password: str,
        date_of_birth: date,
        full_name: str | None,
        country: str | None = None,
    ) -> uuid.UUID:
        """Create a player; return the outbox email to deliver once committed.

        The answer must not depend on whether the email has an account: every check
        that can fail (password, age, username) comes before the email is looked at,
        and a known address gets the same answer, with no account created (but the
        username spent, as an account would have spent it) and its owner told by email
        instead. Both emails go through the outbox.
        """
        email = normalize_email(email)
        check_password_rules(password, email=email, username=username)
        self.users.check_age(date_of_birth)
        country = check_declared_country(country, self.platform.settings)
        hashed = self.platform.hasher.hash(password)  # also for known emails: same cost
        self.users.check_username_free(username)
        owner = self.users.get_by_email(email)
        if owner is not None:
            # The username is spent as a new account would have taken it.
            self.users.reserve_username(username)
            return self._already_registered(owner)
        try:
            user = self.users.create(
                email=email,
                username=username,
                hashed_password=hashed,
                date_of_birth=date_of_birth,
                full_name=full_name,
                country=country,
                terms_source=AcceptanceSource.REGISTRATION,
            )
        except DuplicateUser:
            # A concurrent registration committed first: answer as if we had seen it,
            # in the same order (the username first).
            self.users.check_username_free(username)
            owner = self.users.get_by_email(email)
            if owner is not None:
                self.users.reserve_username(username)
                return self._already_registered(owner)
            raise UsernameTaken(f"the username {username!r} is taken") from None
        return self.email_verification(user)

    def _already_registered(self, owner: User) -> uuid.UUID:
        return enqueue(
            self.session,
            key=f"already-registered:{uuid.uuid4()}",
            user_id=owner.id,
            subject=emails.ALREADY_REGISTERED_SUBJECT,
            body=emails.already_registered_body(self.platform),
            now=self._now(),
        ).id

    def email_verification(self, user: User) -> uuid.UUID:
        """Queue a verification email (its link is minted when it is sent)."""
        return self._queue(emails.EMAIL_VERIFICATION, user_id=user.id)

    def email_verification_to(self, email: str) -> uuid.UUID:
        """Queue a verification email to the account of ``email``, if one exists and
        still needs confirming when it is sent (written like a reset: the same work
        whether or not the address has an account)."""
        return self._queue(emails.EMAIL_VERIFICATION, address=normalize_email(email))

    def verify_email(self, token: str) -> None:
        user = self._use_one_time_token(token, _VERIFY)
        user.verified_email = True
        user.updated_at = self.platform.clock()

    def request_password_reset(self, email: str) -> uuid.UUID:
        """Queue a reset email to the account of ``email``, if one exists when it is sent.

        The request path does not look the address up: it writes the same outbox row
        for a known and an unknown address, so both answer alike and in the same time.
        The sender resolves the address, mints the token and sends (or drops the row).
        """
        return self._queue(emails.PASSWORD_RESET, address=normalize_email(email))

    def alert_failed_logins(self, email: str) -> uuid.UUID:
        """Queue an email telling the owner of ``email`` (if any) of failed sign-ins.

        Written for the address, like a reset: the same work whether or not it has an
        account, so a failed login answers alike either way.
        """
        return self._queue(emails.FAILED_LOGINS, address=normalize_email(email))

    def _queue(
        self, kind: str, *, user_id: uuid.UUID | None = None, address: str | None = None
    ) -> uuid.UUID:
        """An account email of ``kind`` in the outbox; written (and its token minted)
        when it is sent."""
        return enqueue(
            self.session,
            key=f"{kind.replace('_', '-')}:{uuid.uuid4()}",  # e.g. password-reset:<uuid>
            user_id=user_id,
            address=address,
            kind=kind,
            now=self._now(),
        ).id

    def confirm_password_reset(self, token: str, new_password: str) -> None:
        user = self._use_one_time_token(token, _RESET)
        self._set_password(user, new_password, reason="password_reset")
        # Receiving the reset email proves the address, as verification would.
        user.verified_email = True

    # -- sessions --------------------------------------------------------------------

    def login(self, email: str, password: str) -> IssuedTokens:
        user = self.users.get_by_email(email)
        matches, new_hash = self.platform.hasher.verify(
            password, user.hashed_password if user else None
        )
        if user is None or not matches:
            raise InvalidCredentials()
        _ensure_active(user.status)
        if new_hash is not None:
            user.hashed_password = new_hash
        auth_session = AuthSession(id=uuid.uuid4(), user_id=user.id, created_at=self._now())
        self.auth.add_session(auth_session)
        return self._issue(user.id, auth_session.id)

    def refresh(self, refresh_token: str) -> IssuedTokens:
        claims = self.platform.tokens.decode(refresh_token, "refresh")
        stored = self.auth.get_refresh_token(claims.token_id)
        if stored is None or stored.session_id != claims.session_id:
            raise InvalidToken()
        auth_session = self.auth.get_session(stored.session_id)
        if auth_session is None or auth_session.revoked_at is not None:
            raise InvalidToken("this session has ended; log in again")
        user = self.users.get(auth_session.user_id)
        _ensure_active(user.status)
        access_id, refresh_id = uuid.uuid4(), uuid.uuid4()
        if self.auth.use_refresh_token(
            stored.id, self._now(), rotated_to_id=refresh_id, rotated_access_id=access_id
        ):
            return self._issue(user.id, auth_session.id, access_id=access_id, refresh_id=refresh_id)
        again = self._rotated_within_grace(stored.id)
        if again is not None:
            return again
        self.auth.revoke_session(auth_session.id, "refresh_token_reuse", self._now())
        raise RefreshTokenReused(
            "this refresh token was already used; the session is revoked, log in again"
        )

    def _rotated_within_grace(self, token_id: uuid.UUID) -> IssuedTokens | None:
        """The pair a used refresh token was swapped for, if it was swapped less than the
        grace window ago and that pair's refresh token is unused: two tabs refreshing at
        once both get the winner's pair.

        The pair is not stored: it is signed again from the ids and time recorded with
        the rotation, which gives the same token text.
        """
        used = self.auth.get_refresh_token(token_id, fresh=True)
        if (
            used is None
            or used.used_at is None
            or used.rotated_to_id is None
            or used.rotated_access_id is None
        ):
            return None
        grace = timedelta(seconds=self.platform.settings.refresh_reuse_grace_seconds)
        if self._now() - used.used_at >= grace:
            return None
        rotated = self.auth.get_refresh_token(used.rotated_to_id, fresh=True)
        if rotated is None or rotated.session_id != used.session_id or rotated.used_at is not None:
            return None  # the pair has moved on: the old token is a copy after all
        auth_session = self.auth.get_session(used.session_id)
        assert auth_session is not None
        return self._sign(
            auth_session.user_id,
            used.session_id,
            access_id=used.rotated_access_id,
            refresh_id=rotated.id,
            issued_at=rotated.issued_at,
        )

    def authenticate(self, access_token: str) -> Authenticated:
        claims = access_claims(self.platform, access_token)
        assert claims.session_id is not None
        return Authenticated(user=self.signed_in(claims), session_id=claims.session_id)

    def signed_in(self, claims: Claims) -> User:
        """The user valid access-token ``claims`` stand for; refused if the session they
        name has ended or the account is not active."""
        assert claims.session_id is not None
        found = self.auth.session_with_user(claims.session_id)
        check_signed_in(claims, None if found is None else SessionState.of(*found))
        assert found is not None
        return found[1]

    def session_of_refresh_token(self, refresh_token: str) -> uuid.UUID | None:
        """The session a (possibly expired or used) valid-signature refresh token names."""
        try:
            return self.platform.tokens.decode(refresh_token, "refresh").session_id
        except InvalidToken:
            return None

    def logout(self, session_id: uuid.UUID) -> None:
        self.auth.revoke_session(session_id, "logout", self._now())

    def logout_everywhere(self, user: User) -> None:
        """End every session of ``user`` (every device, this one too)."""
        self.auth.revoke_all_sessions(user.id, "logout_everywhere", self._now())

    def change_password(self, user: User, current_password: str, new_password: str) -> None:
        matches, _ = self.platform.hasher.verify(current_password, user.hashed_password)
        if not matches:
            raise WrongPassword()
        self._set_password(user, new_password, reason="password_changed")

    # -- helpers ---------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.platform.clock()

    def _set_password(self, user: User, new_password: str, *, reason: str) -> None:
        check_password_rules(new_password, email=user.email, username=user.username)
        user.hashed_password = self.platform.hasher.hash(new_password)
        user.updated_at = self._now()
        self.auth.revoke_all_sessions(user.id, reason, self._now())

    def _issue(
        self,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        *,
        access_id: uuid.UUID | None = None,
        refresh_id: uuid.UUID | None = None,
    ) -> IssuedTokens:
        now = self._now().replace(microsecond=0)
        issued = self._sign(
            user_id,
            session_id,
            access_id=access_id or uuid.uuid4(),
            refresh_id=refresh_id or uuid.uuid4(),
            issued_at=now,
        )
        self.auth.add_refresh_token(
            RefreshToken(
                id=issued.refresh_token_id,
                session_id=session_id,
                issued_at=now,
                expires_at=now + self.platform.refresh_ttl,
            )
        )
        return issued

    def _sign(
        self,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        *,
        access_id: uuid.UUID,
        refresh_id: uuid.UUID,
        issued_at: datetime,
    ) -> IssuedTokens:
        """The pair with these ids and issue time (the same text every time)."""
        tokens = self.platform.tokens
        access, access_claims = tokens.issue(
            "access",
            user_id,
            self.platform.access_ttl,
            token_id=access_id,
            session_id=session_id,
            issued_at=issued_at,
        )
        refresh, refresh_claims = tokens.issue(
            "refresh",
            user_id,
            self.platform.refresh_ttl,
            token_id=refresh_id,
            session_id=session_id,
            issued_at=issued_at,
        )
        now = self._now()
        return IssuedTokens(
            session_id=session_id,
            access_token=access,
            refresh_token=refresh,
            access_expires_in=_seconds_until(access_claims.expires_at, now),
            refresh_expires_in=_seconds_until(refresh_claims.expires_at, now),
            refresh_token_id=refresh_id,
        )

    def _use_one_time_token(self, token: str, purpose: TokenType) -> User:
        claims = self.platform.tokens.decode(token, purpose)
        if not self.auth.use_one_time_token(claims.token_id, purpose, self._now()):
            raise InvalidToken("this link was already used or is unknown")
        return self.users.get(claims.subject)


def access_claims(platform: PlatformContext, access_token: str) -> Claims:
    """The claims of a valid access token naming a session (no database read)."""
    claims = platform.tokens.decode(access_token, "access")
    if claims.session_id is None:
        raise InvalidToken()
    return claims


def check_signed_in(claims: Claims, state: SessionState | None) -> None:
    """Refuse ``claims`` unless the session they name (``state``, None if there is none)
    is live and its account active: shared by ``authenticate`` and by services that
    read the session in their own transaction."""
    if state is None or state.revoked_at is not None or state.user_id != claims.subject:
        raise InvalidToken("this session has ended; log in again")
    _ensure_active(state.user_status)


def require_verified(user: User | SessionState) -> None:
    if not user.verified_email:
        raise EmailNotVerified("verify your email address first")


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(0, math.ceil((moment - now).total_seconds()))


def _ensure_active(status: str) -> None:
    if status != UserStatus.ACTIVE.value:
        raise AccountInactive(f"this account is {status}")
