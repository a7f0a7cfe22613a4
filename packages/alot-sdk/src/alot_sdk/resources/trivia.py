"""`client.trivia`: the question a player answers before buying a lot's tickets.

A wrong answer uses one of the round's attempts; after a round of wrong answers the
platform refuses attempts until a cooldown ends (`RateLimitError` with code
`trivia_cooldown` and `retry_after`, not retried by the client).
"""

from __future__ import annotations

from alot_sdk._base_client import drop_none, path_segment
from alot_sdk.models import TriviaAttempt, TriviaStatus
from alot_sdk.resources._resource import AsyncResource, SyncResource


def _body(answer: str, invite_code: str | None, access_token: str | None) -> dict[str, str]:
    return drop_none({"answer": answer, "invite_code": invite_code, "access_token": access_token})


def _path(lot_id: str, action: str) -> str:
    return f"/api/lots/{path_segment(lot_id)}/trivia/{action}"


class Trivia(SyncResource):
    def attempt(
        self,
        lot_id: str,
        answer: str,
        *,
        invite_code: str | None = None,
        access_token: str | None = None,
    ) -> TriviaAttempt:
        """Answer the lot's trivia question; `correct` says whether it passed.

        A private lot reached by its link: pass the link's `access_token`, and its
        `invite_code` when it has one (a wrong code counts as a wrong answer)."""
        body = _body(answer, invite_code, access_token)
        response = self._client._request("POST", _path(lot_id, "attempt"), json=body)
        return self._client._parse(response, TriviaAttempt)

    def status(self, lot_id: str) -> TriviaStatus:
        """Whether the logged-in player passed, and the attempts left."""
        return self._client._parse(
            self._client._request("GET", _path(lot_id, "status")), TriviaStatus
        )


class AsyncTrivia(AsyncResource):
    async def attempt(
        self,
        lot_id: str,
        answer: str,
        *,
        invite_code: str | None = None,
        access_token: str | None = None,
    ) -> TriviaAttempt:
        """Answer the lot's trivia question; `correct` says whether it passed (see
        `Trivia.attempt` for private lots)."""
        body = _body(answer, invite_code, access_token)
        response = await self._client._request("POST", _path(lot_id, "attempt"), json=body)
        return self._client._parse(response, TriviaAttempt)

    async def status(self, lot_id: str) -> TriviaStatus:
        """Whether the logged-in player passed, and the attempts left."""
        return self._client._parse(
            await self._client._request("GET", _path(lot_id, "status")), TriviaStatus
        )
