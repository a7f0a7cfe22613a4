"""Two browser tabs refreshing at once keep the session (finding 9 of issue 12).

Within ``ALOT_REFRESH_REUSE_GRACE_SECONDS`` of a rotation, the same refresh token from
the same session gets the same new pair; later, a reuse still revokes the family.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient


def _refresh(client: TestClient, refresh_token: str) -> Any:
    return client.post("/api/auth/refresh", json={"refresh_token": refresh_token})


def _me(client: TestClient, access_token: str) -> int:
    headers = {"Authorization": f"Bearer {access_token}"}
    return client.get("/api/users/me", headers=headers).status_code


def _pair(response: Any) -> tuple[str, str]:
    assert response.status_code == 200, response.text
    body = response.json()
    return body["access_token"], body["refresh_token"]


def test_two_refreshes_at_once_both_get_the_same_pair(
    make_client: Callable[..., TestClient], api: Any, client: TestClient
) -> None:
    account = api.account()
    tabs = [client, make_client()]
    start = threading.Barrier(len(tabs))

    def refresh(tab: TestClient) -> Any:
        start.wait()
        return _refresh(tab, account.refresh_token)

    with ThreadPoolExecutor(len(tabs)) as pool:
        first, second = pool.map(refresh, tabs)
    assert _pair(first) == _pair(second)
    access, refresh_token = _pair(first)
    assert refresh_token != account.refresh_token
    assert _me(client, access) == 200
    # The session lives on: the new refresh token rotates as usual.
    assert _pair(_refresh(client, refresh_token))[1] != refresh_token


def test_a_reuse_within_the_grace_window_gets_the_same_pair_and_later_revokes(
    client: TestClient, api: Any, clock: Any
) -> None:
    account = api.account()
    rotated = _pair(_refresh(client, account.refresh_token))
    clock.advance(seconds=9)
    assert _pair(_refresh(client, account.refresh_token)) == rotated
    assert _me(client, rotated[0]) == 200

    clock.advance(seconds=1)  # ten seconds after the rotation: the window has closed
    replay = _refresh(client, account.refresh_token)
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"
    assert _me(client, rotated[0]) == 401
    assert _refresh(client, rotated[1]).status_code == 401


def test_no_grace_once_the_new_pair_was_used(client: TestClient, api: Any) -> None:
    """The tab that rotated has refreshed again: the old token can only be a copy."""
    account = api.account()
    rotated = _pair(_refresh(client, account.refresh_token))
    newest = _pair(_refresh(client, rotated[1]))
    replay = _refresh(client, account.refresh_token)
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"
    assert _me(client, newest[0]) == 401


def test_the_grace_window_is_configurable_and_zero_turns_it_off(
    make_client: Callable[..., TestClient], api: Any, clock: Any
) -> None:
    strict = make_client(refresh_reuse_grace_seconds=0)
    account = type(api)(strict).account()
    rotated = _pair(_refresh(strict, account.refresh_token))
    replay = _refresh(strict, account.refresh_token)
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"
    assert _me(strict, rotated[0]) == 401


def test_the_grace_does_not_reach_across_sessions(client: TestClient, api: Any) -> None:
    """A refresh token names its session; another session's rotation gives it nothing."""
    account = api.account()
    other = api.login(account.email)
    rotated = _pair(_refresh(client, account.refresh_token))
    assert _pair(_refresh(client, other["refresh_token"])) != rotated
