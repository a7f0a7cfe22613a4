"""Concurrent registrations: a unique-key race is answered like the sequential case, never 500."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient


def _register(client: TestClient, email: str, username: str) -> int:
    body = {
        "email": email,
        "username": username,
        "password": "correct-horse-battery",
        "date_of_birth": "1990-05-17",
    }
    return client.post("/api/auth/register", json=body).status_code


def test_same_email_at_once_creates_one_user(
    make_client: Callable[..., TestClient], count_rows: Any
) -> None:
    clients = [make_client() for _ in range(6)]
    with ThreadPoolExecutor(len(clients)) as pool:
        codes = list(
            pool.map(
                lambda pair: _register(pair[1], "race@example.com", f"racer{pair[0]}"),
                enumerate(clients),
            )
        )
    assert codes == [202] * len(clients)  # no enumeration, no 500
    assert count_rows("users") == 1


def test_same_username_at_once_has_one_winner(
    make_client: Callable[..., TestClient], count_rows: Any
) -> None:
    clients = [make_client() for _ in range(6)]
    with ThreadPoolExecutor(len(clients)) as pool:
        codes = list(
            pool.map(
                lambda pair: _register(pair[1], f"user{pair[0]}@example.com", "samename"),
                enumerate(clients),
            )
        )
    assert sorted(codes) == [202] + [409] * (len(clients) - 1)
    assert count_rows("users") == 1
