"""`client.play`: the logged-in player's responsible-play settings: cash spend limits
(lower ones apply at once, higher ones or removals 24 hours later), a time-out or
self-exclusion (no purchases until it ends; it cannot be ended early or shortened), and
the reality-check interval. A refused purchase raises `ConflictError` with code
``spend_limit_exceeded`` or `PermissionDeniedError` with code ``play_excluded``."""

from __future__ import annotations

from typing import Any

from alot_sdk.models import PlayStatus
from alot_sdk.resources._resource import AsyncResource, SyncResource

_PATH = "/api/users/me/play"


def _limits(
    daily_cents: int | None, weekly_cents: int | None, monthly_cents: int | None
) -> dict[str, Any]:
    return {
        "daily_cents": daily_cents,
        "weekly_cents": weekly_cents,
        "monthly_cents": monthly_cents,
    }


class Play(SyncResource):
    def get(self) -> PlayStatus:
        """My limits (with raises waiting), spending and what is left per period, a
        time-out or self-exclusion, and the reality-check interval."""
        return self._client._parse(self._client._request("GET", _PATH), PlayStatus)

    def set_limits(
        self,
        *,
        daily_cents: int | None = None,
        weekly_cents: int | None = None,
        monthly_cents: int | None = None,
    ) -> PlayStatus:
        """Set all three limits (None: no limit). Lower ones apply at once; higher
        ones, or removing one, 24 hours later (see `PlayStatus.pending`)."""
        body = _limits(daily_cents, weekly_cents, monthly_cents)
        response = self._client._request("PUT", f"{_PATH}/limits", json=body)
        return self._client._parse(response, PlayStatus)

    def time_out(self, hours: int) -> PlayStatus:
        """Stop my purchases for ``hours`` (24 to 1008). It cannot be ended early."""
        body = {"hours": hours, "confirm": True}
        response = self._client._request("POST", f"{_PATH}/time-out", json=body)
        return self._client._parse(response, PlayStatus)

    def self_exclude(self, months: int) -> PlayStatus:
        """Exclude myself from purchases for ``months`` (6 to 60). It cannot be ended
        early, by me or by an admin."""
        body = {"months": months, "confirm": True}
        response = self._client._request("POST", f"{_PATH}/self-exclusion", json=body)
        return self._client._parse(response, PlayStatus)

    def set_reality_check(self, minutes: int | None) -> PlayStatus:
        """Remind me in the web client every ``minutes`` (15 to 240; None: off)."""
        response = self._client._request("PUT", f"{_PATH}/reality-check", json={"minutes": minutes})
        return self._client._parse(response, PlayStatus)


class AsyncPlay(AsyncResource):
    async def get(self) -> PlayStatus:
        """My limits (with raises waiting), spending and what is left per period, a
        time-out or self-exclusion, and the reality-check interval."""
        return self._client._parse(await self._client._request("GET", _PATH), PlayStatus)

    async def set_limits(
        self,
        *,
        daily_cents: int | None = None,
        weekly_cents: int | None = None,
        monthly_cents: int | None = None,
    ) -> PlayStatus:
        """Set all three limits (None: no limit). Lower ones apply at once; higher
        ones, or removing one, 24 hours later (see `PlayStatus.pending`)."""
        body = _limits(daily_cents, weekly_cents, monthly_cents)
        response = await self._client._request("PUT", f"{_PATH}/limits", json=body)
        return self._client._parse(response, PlayStatus)

    async def time_out(self, hours: int) -> PlayStatus:
        """Stop my purchases for ``hours`` (24 to 1008). It cannot be ended early."""
        body = {"hours": hours, "confirm": True}
        response = await self._client._request("POST", f"{_PATH}/time-out", json=body)
        return self._client._parse(response, PlayStatus)

    async def self_exclude(self, months: int) -> PlayStatus:
        """Exclude myself from purchases for ``months`` (6 to 60). It cannot be ended
        early, by me or by an admin."""
        body = {"months": months, "confirm": True}
        response = await self._client._request("POST", f"{_PATH}/self-exclusion", json=body)
        return self._client._parse(response, PlayStatus)

    async def set_reality_check(self, minutes: int | None) -> PlayStatus:
        """Remind me in the web client every ``minutes`` (15 to 240; None: off)."""
        response = await self._client._request(
            "PUT", f"{_PATH}/reality-check", json={"minutes": minutes}
        )
        return self._client._parse(response, PlayStatus)
