"""`client.users`: the logged-in account, and other players' public profiles."""

from __future__ import annotations

from alot_sdk._base_client import drop_none, path_segment
from alot_sdk.models import DataExport, PublicUser, User
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
