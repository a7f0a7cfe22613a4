"""A database connection the server dropped (a restart, a fail-over, a terminated
backend) answers 503 with Retry-After, not a 500; the next request works again."""

from __future__ import annotations

import os

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from .conftest import Api


def test_a_lost_connection_answers_503_then_the_next_request_works(
    client: TestClient, api: Api, db_url: str
) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has no server connection to lose")
    player = api.account()
    assert client.get("/api/users/me", headers=player.headers).status_code == 200
    with psycopg.connect(os.environ["ALOT_TEST_POSTGRES_URL"], autocommit=True) as admin:
        terminated = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (make_url(db_url).database,),
        ).fetchall()
    assert terminated, "the app held no connection to terminate"

    lost = client.get("/api/users/me", headers=player.headers)
    assert lost.status_code == 503, lost.text
    assert lost.headers["Retry-After"] == "1"
    assert lost.headers["content-type"].startswith("application/problem+json")
    assert lost.json()["code"] == "database_unavailable"
    assert client.get("/api/users/me", headers=player.headers).status_code == 200
