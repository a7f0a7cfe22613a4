"""`client.trivia`: the question a player answers before buying a lot's tickets.

A wrong answer uses one of the round's attempts; after a round of wrong answers the
platform refuses attempts until a cooldown ends (`RateLimitError` with code
`trivia_cooldown` and `retry_after`, not retried by the client).
"""

from __future__ import annotations

from alot_sdk._base_client import path_segment
from alot_sdk.models import TriviaAttempt, TriviaStatus
from alot_sdk.resources._resource import AsyncResource, SyncResource


def _path(lot_id: str, action: str) -> str:
    return f"/api/lots/{path_segment(lot_id)}/trivia/{action}"


class Trivia(SyncResource):
    def attempt(self, lot_id: str, answer: str) -> TriviaAttempt:
        """Answer the lot's trivia question; `correct` says whether it passed."""
        response = self._client._request("POST", _path(lot_id, "attempt"), json={"answer": answer})
        return self._client._parse(response, TriviaAttempt)

    def status(self, lot_id: str) -> TriviaStatus:
        """Whether the logged-in player passed, and the attempts left."""
        return self._client._parse(
            self._client._request("GET", _path(lot_id, "status")), TriviaStatus
        )


class AsyncTrivia(AsyncResource):
    async def attempt(self, lot_id: str, answer: str) -> TriviaAttempt:
        """Answer the lot's trivia question; `correct` says whether it passed."""
        response = await self._client._request(
            "POST", _path(lot_id, "attempt"), json={"answer": answer}
        )
        return self._client._parse(response, TriviaAttempt)

    async def status(self, lot_id: str) -> TriviaStatus:
        """Whether the logged-in player passed, and the attempts left."""
        return self._client._parse(
            await self._client._request("GET", _path(lot_id, "status")), TriviaStatus
        )
