"""`client.auth`: accounts and sessions (register, verify, log in and out, passwords).

`login` keeps the session's tokens in the client; every later call sends the access
token, and an expired one is renewed with the refresh token by itself.
"""

from __future__ import annotations

from datetime import date

from alot_sdk.models import Accepted, SessionTokens
from alot_sdk.resources._resource import AsyncResource, SyncResource


def _registration(
    email: str,
    username: str,
    password: str,
    date_of_birth: date | str,
    full_name: str | None,
    country: str | None = None,
) -> dict[str, str]:
    body = {
        "email": email,
        "username": username,
        "password": password,
        "date_of_birth": date_of_birth.isoformat()
        if isinstance(date_of_birth, date)
        else date_of_birth,
    }
    if full_name is not None:
        body["full_name"] = full_name
    if country is not None:
        body["country"] = country
    return body


class Auth(SyncResource):
    def register(
        self,
        *,
        email: str,
        username: str,
        password: str,
        date_of_birth: date | str,
        full_name: str | None = None,
        country: str | None = None,
    ) -> Accepted:
        """Create a player account; a verification email follows (see `verify_email`).
        Registering accepts the current terms and privacy notice (``client.terms``);
        ``country`` (ISO alpha-2) is required where the platform has an allow-list."""
        body = _registration(email, username, password, date_of_birth, full_name, country)
        response = self._client._request(
            "POST", "/api/auth/register", json=body, authenticated=False
        )
        return self._client._parse(response, Accepted)

    def verify_email(self, token: str) -> None:
        """Confirm an email address with the token from the verification email."""
        self._client._request(
            "POST", "/api/auth/verify-email", json={"token": token}, authenticated=False
        )

    def resend_verification(self, email: str | None = None) -> Accepted:
        """Send a new verification email: to the logged-in user, or (with ``email``, no
        login needed) to that address if it has an account waiting for confirmation
        (the same answer either way)."""
        if email is not None:
            response = self._client._request(
                "POST",
                "/api/auth/verify-email/resend",
                json={"email": email},
                authenticated=False,
            )
        else:
            response = self._client._request("POST", "/api/auth/verify-email/resend")
        return self._client._parse(response, Accepted)

    def login(self, email: str, password: str) -> SessionTokens:
        """Log in; the client keeps the tokens and uses them from now on."""
        response = self._client._request(
            "POST",
            "/api/auth/login",
            json={"email": email, "password": password, "transport": "bearer"},
            authenticated=False,
            replay_safe=True,  # a second login only opens a second session
        )
        tokens = self._client._parse(response, SessionTokens)
        self._client._store_tokens(tokens)
        return tokens

    def refresh(self) -> SessionTokens:
        """Renew the session now (the client also does this by itself on a 401)."""
        return self._client._refresh()

    def logout(self) -> None:
        """End the session on the platform and forget its tokens."""
        # The refresh token outlives the access token, so it names the session even
        # when the access token has expired (an expired bearer would revoke nothing).
        if self._client.refresh_token is not None:
            self._client._request(
                "POST",
                "/api/auth/logout",
                json={"refresh_token": self._client.refresh_token},
                authenticated=False,
            )
        elif self._client.access_token is not None:
            self._client._request("POST", "/api/auth/logout")
        self._client._forget_tokens()

    def logout_everywhere(self) -> None:
        """End every session of the logged-in user, on every device (this client's
        too), and forget its tokens."""
        self._client._request("POST", "/api/auth/logout-everywhere")
        self._client._forget_tokens()

    def request_password_reset(self, email: str) -> Accepted:
        """Email a password-reset token (the same answer whether or not the email is known)."""
        response = self._client._request(
            "POST", "/api/auth/password-reset/request", json={"email": email}, authenticated=False
        )
        return self._client._parse(response, Accepted)

    def confirm_password_reset(self, token: str, new_password: str) -> None:
        """Set a new password with an emailed reset token; every session ends."""
        self._client._request(
            "POST",
            "/api/auth/password-reset/confirm",
            json={"token": token, "new_password": new_password},
            authenticated=False,
        )

    def change_password(self, current_password: str, new_password: str) -> None:
        """Change the password; every session ends, this one too (log in again)."""
        self._client._request(
            "POST",
            "/api/auth/password/change",
            json={"current_password": current_password, "new_password": new_password},
        )
        self._client._forget_tokens()


class AsyncAuth(AsyncResource):
    async def register(
        self,
        *,
        email: str,
        username: str,
        password: str,
        date_of_birth: date | str,
        full_name: str | None = None,
        country: str | None = None,
    ) -> Accepted:
        """Create a player account; a verification email follows (see `verify_email`).
        Registering accepts the current terms and privacy notice (``client.terms``);
        ``country`` (ISO alpha-2) is required where the platform has an allow-list."""
        body = _registration(email, username, password, date_of_birth, full_name, country)
        response = await self._client._request(
            "POST", "/api/auth/register", json=body, authenticated=False
        )
        return self._client._parse(response, Accepted)

    async def verify_email(self, token: str) -> None:
        """Confirm an email address with the token from the verification email."""
        await self._client._request(
            "POST", "/api/auth/verify-email", json={"token": token}, authenticated=False
        )

    async def resend_verification(self, email: str | None = None) -> Accepted:
        """Send a new verification email: to the logged-in user, or (with ``email``, no
        login needed) to that address if it has an account waiting for confirmation
        (the same answer either way)."""
        if email is not None:
            response = await self._client._request(
                "POST",
                "/api/auth/verify-email/resend",
                json={"email": email},
                authenticated=False,
            )
        else:
            response = await self._client._request("POST", "/api/auth/verify-email/resend")
        return self._client._parse(response, Accepted)

    async def login(self, email: str, password: str) -> SessionTokens:
        """Log in; the client keeps the tokens and uses them from now on."""
        response = await self._client._request(
            "POST",
            "/api/auth/login",
            json={"email": email, "password": password, "transport": "bearer"},
            authenticated=False,
            replay_safe=True,  # a second login only opens a second session
        )
        tokens = self._client._parse(response, SessionTokens)
        self._client._store_tokens(tokens)
        return tokens

    async def refresh(self) -> SessionTokens:
        """Renew the session now (the client also does this by itself on a 401)."""
        return await self._client._refresh()

    async def logout(self) -> None:
        """End the session on the platform and forget its tokens."""
        # The refresh token outlives the access token, so it names the session even
        # when the access token has expired (an expired bearer would revoke nothing).
        if self._client.refresh_token is not None:
            await self._client._request(
                "POST",
                "/api/auth/logout",
                json={"refresh_token": self._client.refresh_token},
                authenticated=False,
            )
        elif self._client.access_token is not None:
            await self._client._request("POST", "/api/auth/logout")
        self._client._forget_tokens()

    async def logout_everywhere(self) -> None:
        """End every session of the logged-in user, on every device (this client's
        too), and forget its tokens."""
        await self._client._request("POST", "/api/auth/logout-everywhere")
        self._client._forget_tokens()

    async def request_password_reset(self, email: str) -> Accepted:
        """Email a password-reset token (the same answer whether or not the email is known)."""
        response = await self._client._request(
            "POST", "/api/auth/password-reset/request", json={"email": email}, authenticated=False
        )
        return self._client._parse(response, Accepted)

    async def confirm_password_reset(self, token: str, new_password: str) -> None:
        """Set a new password with an emailed reset token; every session ends."""
        await self._client._request(
            "POST",
            "/api/auth/password-reset/confirm",
            json={"token": token, "new_password": new_password},
            authenticated=False,
        )

    async def change_password(self, current_password: str, new_password: str) -> None:
        """Change the password; every session ends, this one too (log in again)."""
        await self._client._request(
            "POST",
            "/api/auth/password/change",
            json={"current_password": current_password, "new_password": new_password},
        )
        self._client._forget_tokens()
