"""`client.payouts`: a host's Stripe Connect onboarding and payouts.

A host's share of a lot is held until its winner has the prize, then payable; the
platform pays the payable balance out by Stripe transfers to the host's connected
account once onboarding is done (`connect()` gives the onboarding link). Admins' side
(every payout, retries, winners owed) is on `client.admin` (`payouts()`,
`retry_payout()`, `record_winner_payout()`).
"""

from __future__ import annotations

from alot_sdk.models import ConnectLink, HostPayouts
from alot_sdk.resources._resource import AsyncResource, SyncResource


class Payouts(SyncResource):
    def connect(self) -> ConnectLink:
        """Create my connected account (once) and return a fresh onboarding link.
        `NotFoundError` (code `not_a_host`) without a host profile."""
        response = self._client._request("POST", "/api/hosts/me/connect", replay_safe=True)
        return self._client._parse(response, ConnectLink)

    def mine(self) -> HostPayouts:
        """My Connect status, balances (held, payable, pending, paid out) and payouts."""
        response = self._client._request("GET", "/api/hosts/me/payouts")
        return self._client._parse(response, HostPayouts)


class AsyncPayouts(AsyncResource):
    async def connect(self) -> ConnectLink:
        """Create my connected account (once) and return a fresh onboarding link."""
        response = await self._client._request("POST", "/api/hosts/me/connect", replay_safe=True)
        return self._client._parse(response, ConnectLink)

    async def mine(self) -> HostPayouts:
        """My Connect status, balances and payouts; see `Payouts.mine`."""
        response = await self._client._request("GET", "/api/hosts/me/payouts")
        return self._client._parse(response, HostPayouts)
