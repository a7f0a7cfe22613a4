"""/api/auth: register, login, refresh, logout, email verification, password reset/change."""

from __future__ import annotations

import contextlib
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from alot_platform.auth.dependencies import (
    ACCESS_COOKIE,
    REFRESH_COOKIE,
    PlatformDep,
    Principal,
    SessionDep,
    current_principal,
    optional_user,
    public,
)
from alot_platform.auth.schemas import (
    Accepted,
    LoginRequest,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    RefreshRequest,
    RegisterRequest,
    ResendVerificationRequest,
    SessionTokens,
    Transport,
    VerifyEmailRequest,
)
from alot_platform.auth.service import (
    AuthService,
    InvalidCredentials,
    InvalidCredentialsNoted,
    IssuedTokens,
)
from alot_platform.auth.throttle import LoginThrottle
from alot_platform.auth.tokens import InvalidToken
from alot_platform.context import PlatformContext
from alot_platform.errors import NotAuthenticated
from alot_platform.openapi_helpers import problems
from alot_platform.security.client_address import client_address
from alot_platform.security.csrf import CSRF_COOKIE, CSRF_HEADER, check_csrf_token, issue_csrf_token
from alot_platform.users.models import User
from alot_platform.users.service import normalize_email

_log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/auth", tags=["auth"])
_public = [Depends(public)]


async def login_throttle(request: Request) -> LoginThrottle:
    """The app's login throttle (``async``: no I/O, so no worker thread)."""
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


def _session_response(
    response: Response, platform: PlatformContext, issued: IssuedTokens, transport: Transport
) -> SessionTokens:
    if transport == "bearer":
        return SessionTokens(
            token_type="bearer",  # noqa: S106 - a token kind, not a password
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_in=issued.access_expires_in,
            refresh_expires_in=issued.refresh_expires_in,
        )
    settings = platform.settings
    common = {"secure": settings.cookie_secure, "samesite": settings.cookie_samesite}
    csrf = issue_csrf_token(platform.keys.csrf, str(issued.session_id))
    response.set_cookie(
        ACCESS_COOKIE,
        issued.access_token,
        max_age=issued.access_expires_in,
        path="/api",
        httponly=True,
        **common,  # type: ignore[arg-type]
    )
    response.set_cookie(
        REFRESH_COOKIE,
        issued.refresh_token,
        max_age=issued.refresh_expires_in,
        path="/api/auth",
        httponly=True,
        **common,  # type: ignore[arg-type]
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=issued.refresh_expires_in,
        path="/",
        httponly=False,  # the page's script reads it to echo it in X-CSRF-Token
        **common,  # type: ignore[arg-type]
    )
    return SessionTokens(
        token_type="cookie",  # noqa: S106 - a token kind, not a password
        expires_in=issued.access_expires_in,
        refresh_expires_in=issued.refresh_expires_in,
        csrf_token=csrf,
    )


def _clear_session_cookies(response: Response, platform: PlatformContext) -> None:
    settings = platform.settings
    for name, path, httponly in (
        (ACCESS_COOKIE, "/api", True),
        (REFRESH_COOKIE, "/api/auth", True),
        (CSRF_COOKIE, "/", False),
    ):
        response.delete_cookie(
            name,
            path=path,
            secure=settings.cookie_secure,
            httponly=httponly,
            samesite=settings.cookie_samesite,
        )


@router.post(
    "/register",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=_public,
    responses=problems(403, 409, 422),
    summary="Create a player account (a verification email follows)",
)
def register(
    body: RegisterRequest,
    session: SessionDep,
    platform: PlatformDep,
) -> Accepted:
    # The email is in the outbox: sent after the commit, off the request path, so the
    # answer takes as long whatever the email turns out to need.
    AuthService(session, platform).register(
        email=body.email,
        username=body.username,
        password=body.password,
        date_of_birth=body.date_of_birth,
        full_name=body.full_name,
        country=body.country,
    )
    return Accepted(detail="check your email to confirm the address")


@router.post(
    "/login",
    dependencies=_public,
    responses=problems(401, 403, 422),
    summary="Log in; tokens in the body (bearer) or in HttpOnly cookies (cookie)",
)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    platform: PlatformDep,
    throttle: Annotated[LoginThrottle, Depends(login_throttle)],
) -> SessionTokens:
    settings = platform.settings
    ip = client_address(request.scope, settings.trusted_proxies, settings.forwarded_header)
    email = normalize_email(body.email)
    throttle.check(email, ip)  # before the password is tried at all
    service = AuthService(session, platform)
    try:
        issued = service.login(email, body.password)
    except InvalidCredentials:
        if throttle.failed(email, ip):
            # Sent by the outbox's tick; the answer is the same 401.
            service.alert_failed_logins(email)
            raise InvalidCredentialsNoted() from None
        raise
    throttle.succeeded(email, ip)
    return _session_response(response, platform, issued, body.transport)


@router.post(
    "/refresh",
    dependencies=_public,
    responses=problems(401, 403, 422),
    summary="Swap a refresh token for a new pair (the old one stops working)",
)
def refresh(
    request: Request,
    response: Response,
    session: SessionDep,
    platform: PlatformDep,
    body: RefreshRequest | None = None,
) -> SessionTokens:
    service = AuthService(session, platform)
    if body is not None and body.refresh_token:
        return _session_response(response, platform, service.refresh(body.refresh_token), "bearer")
    cookie = request.cookies.get(REFRESH_COOKIE)
    if not cookie:
        raise NotAuthenticated("send refresh_token in the body or the refresh cookie")
    session_id = service.session_of_refresh_token(cookie)
    if session_id is None:
        raise InvalidToken()
    check_csrf_token(
        platform.keys.csrf,
        str(session_id),
        request.cookies.get(CSRF_COOKIE),
        request.headers.get(CSRF_HEADER),
    )
    return _session_response(response, platform, service.refresh(cookie), "cookie")


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=_public,
    responses=problems(403, 422),
    summary="End this session (its access and refresh tokens stop working)",
)
def logout(
    request: Request,
    response: Response,
    session: SessionDep,
    platform: PlatformDep,
    body: RefreshRequest | None = None,
) -> None:
    service = AuthService(session, platform)
    bearer = request.headers.get("authorization", "")
    # Every session the caller proves it holds ends: an expired access token must not
    # stop the refresh token sent beside it from being revoked.
    ended = set()
    if bearer.lower().startswith("bearer "):
        with contextlib.suppress(NotAuthenticated):
            ended.add(service.authenticate(bearer[7:].strip()).session_id)
    if body is not None and body.refresh_token:
        refreshed = service.session_of_refresh_token(body.refresh_token)
        if refreshed is not None:
            ended.add(refreshed)
    if not ended and (REFRESH_COOKIE in request.cookies or ACCESS_COOKIE in request.cookies):
        session_id = service.session_of_refresh_token(request.cookies.get(REFRESH_COOKIE, ""))
        if session_id is None:
            try:
                session_id = service.authenticate(request.cookies.get(ACCESS_COOKIE, "")).session_id
            except NotAuthenticated:
                session_id = None
        if session_id is not None:
            # Without this, another site could log the user out.
            check_csrf_token(
                platform.keys.csrf,
                str(session_id),
                request.cookies.get(CSRF_COOKIE),
                request.headers.get(CSRF_HEADER),
            )
            ended.add(session_id)
    for session_id in ended:
        service.logout(session_id)
    _clear_session_cookies(response, platform)


@router.post(
    "/logout-everywhere",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 403),
    summary="End every session of the current user, on every device (this one too)",
)
def logout_everywhere(
    response: Response,
    principal: Annotated[Principal, Depends(current_principal)],
    session: SessionDep,
    platform: PlatformDep,
) -> None:
    AuthService(session, platform).logout_everywhere(principal.user)
    _clear_session_cookies(response, platform)


@router.post(
    "/verify-email",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=_public,
    responses=problems(401, 422),
    summary="Confirm an email address with the emailed token (works once)",
)
def verify_email(body: VerifyEmailRequest, session: SessionDep, platform: PlatformDep) -> None:
    AuthService(session, platform).verify_email(body.token)


@router.post(
    "/verify-email/resend",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problems(401, 422),
    summary="Send a new verification email (to the current user, or to an email typed)",
)
def resend_verification(
    user: Annotated[User | None, Depends(optional_user)],
    session: SessionDep,
    platform: PlatformDep,
    body: ResendVerificationRequest | None = None,
) -> Accepted:
    """Logged in: to the caller's own address. Anonymous (just registered, or holding
    an expired link): to the ``email`` in the body, if it has an account still waiting
    for confirmation; the answer is the same either way (no user enumeration)."""
    service = AuthService(session, platform)
    if user is not None:
        if not user.verified_email:
            service.email_verification(user)
    elif body is not None and body.email:
        service.email_verification_to(body.email)
    else:
        raise NotAuthenticated("log in, or send the email address to confirm")
    return Accepted(detail="if the address still needs confirming, an email is on its way")


@router.post(
    "/password-reset/request",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=_public,
    responses=problems(422),
    summary="Email a password-reset token (same answer whether or not the email is known)",
)
def request_password_reset(
    body: PasswordResetRequest,
    session: SessionDep,
    platform: PlatformDep,
) -> Accepted:
    AuthService(session, platform).request_password_reset(body.email)
    return Accepted(detail="if an account uses this address, a reset email is on its way")


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=_public,
    responses=problems(401, 422),
    summary="Set a new password with a reset token; every session is logged out",
)
def confirm_password_reset(
    body: PasswordResetConfirm, session: SessionDep, platform: PlatformDep
) -> None:
    AuthService(session, platform).confirm_password_reset(body.token, body.new_password)


@router.post(
    "/password/change",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change the password; every session (this one too) is logged out",
)
def change_password(
    body: PasswordChange,
    response: Response,
    principal: Annotated[Principal, Depends(current_principal)],
    session: SessionDep,
    platform: PlatformDep,
) -> None:
    AuthService(session, platform).change_password(
        principal.user, body.current_password, body.new_password
    )
    _clear_session_cookies(response, platform)
