"""`client.users`: the logged-in account, and other players' public profiles."""

from __future__ import annotations

from alot_sdk._base_client import drop_none, path_segment
from alot_sdk.models import DataExport, IdentityCheck, PublicUser, TermsStatus, User
from alot_sdk.resources._resource import AsyncResource, SyncResource


class Users(SyncResource):
    def me(self) -> User:
        """The logged-in account."""
        return self._client._parse(self._client._request("GET", "/api/users/me"), User)

    def update_me(self, *, username: str | None = None, full_name: str | None = None) -> User:
        """Change the username or full name (fields left None keep their value)."""
        body = drop_none({"username": username, "full_name": full_name})
        return self._client._parse(self._client._request("PATCH", "/api/users/me", json=body), User)

    def get(self, user_id: str) -> PublicUser:
        """What anyone may see of a user."""
        response = self._client._request("GET", f"/api/users/{path_segment(user_id)}")
        return self._client._parse(response, PublicUser)

    def accept_terms(self, *, terms_version: str, privacy_version: str) -> TermsStatus:
        """Accept the current terms and privacy notice (``client.terms.current()`` names
        them); other versions are refused (409 ``terms_version_outdated``)."""
        body = {"terms_version": terms_version, "privacy_version": privacy_version}
        response = self._client._request("POST", "/api/users/me/terms", json=body)
        return self._client._parse(response, TermsStatus)

    def start_identity_check(self) -> IdentityCheck:
        """Start an identity check; the player continues at the returned ``url``."""
        response = self._client._request("POST", "/api/users/me/identity")
        return self._client._parse(response, IdentityCheck)

    def export(self) -> DataExport:
        """Everything the platform holds about the logged-in player."""
        return self._client._parse(self._client._request("GET", "/api/users/me/export"), DataExport)

    def delete_account(self, password: str) -> None:
        """Delete the logged-in account: personal data erased, credits forfeited, purchase
        and ledger records kept under the account's id. Every session ends; this client
        forgets its tokens. `ConflictError` (code ``account_deletion_blocked``, with
        ``reasons``) while tickets, a prize, cash owed or host lots are in flight."""
        self._client._request(
            "DELETE", "/api/users/me", json={"password": password, "confirm": "DELETE"}
        )
        self._client._forget_tokens()


class AsyncUsers(AsyncResource):
    async def me(self) -> User:
        """The logged-in account."""
        return self._client._parse(await self._client._request("GET", "/api/users/me"), User)

    async def update_me(self, *, username: str | None = None, full_name: str | None = None) -> User:
        """Change the username or full name (fields left None keep their value)."""
        body = drop_none({"username": username, "full_name": full_name})
        return self._client._parse(
            await self._client._request("PATCH", "/api/users/me", json=body), User
        )

    async def get(self, user_id: str) -> PublicUser:
        """What anyone may see of a user."""
        response = await self._client._request("GET", f"/api/users/{path_segment(user_id)}")
        return self._client._parse(response, PublicUser)

    async def accept_terms(self, *, terms_version: str, privacy_version: str) -> TermsStatus:
        """Accept the current terms and privacy notice (``client.terms.current()`` names
        them); other versions are refused (409 ``terms_version_outdated``)."""
        body = {"terms_version": terms_version, "privacy_version": privacy_version}
        response = await self._client._request("POST", "/api/users/me/terms", json=body)
        return self._client._parse(response, TermsStatus)

    async def start_identity_check(self) -> IdentityCheck:
        """Start an identity check; the player continues at the returned ``url``."""
        response = await self._client._request("POST", "/api/users/me/identity")
        return self._client._parse(response, IdentityCheck)

    async def export(self) -> DataExport:
        """Everything the platform holds about the logged-in player."""
        return self._client._parse(
            await self._client._request("GET", "/api/users/me/export"), DataExport
        )

    async def delete_account(self, password: str) -> None:
        """Delete the logged-in account (see `Users.delete_account`)."""
        await self._client._request(
            "DELETE", "/api/users/me", json={"password": password, "confirm": "DELETE"}
        )
        self._client._forget_tokens()
