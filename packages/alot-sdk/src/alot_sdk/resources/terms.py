"""`client.terms`: the current terms and privacy notice (public)."""

from __future__ import annotations

from alot_sdk.models import Terms as TermsModel
from alot_sdk.resources._resource import AsyncResource, SyncResource


class Terms(SyncResource):
    def current(self) -> TermsModel:
        """The current versions, where to read them, and the country rule."""
        response = self._client._request("GET", "/api/terms", authenticated=False)
        return self._client._parse(response, TermsModel)


class AsyncTerms(AsyncResource):
    async def current(self) -> TermsModel:
        """The current versions, where to read them, and the country rule."""
        response = await self._client._request("GET", "/api/terms", authenticated=False)
        return self._client._parse(response, TermsModel)
