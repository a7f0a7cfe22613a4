"""The live tests run on both hubs: in-process, and Redis (when ALOT_TEST_REDIS_URL is set)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.services)])
def hub_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "memory":
        return {}
    url = request.getfixturevalue("redis_url")  # its own key prefix, removed after
    return {"redis_url": url, "redis_prefix": os.environ["ALOT_TEST_REDIS_PREFIX"]}


@pytest.fixture
def make_client(
    make_client: Callable[..., TestClient], hub_settings: dict[str, Any]
) -> Callable[..., TestClient]:
    def make(**overrides: Any) -> TestClient:
        return make_client(**{**hub_settings, **overrides})

    return make
