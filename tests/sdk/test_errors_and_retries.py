"""Errors per status from the real app, and the retry rules: over a real uvicorn server
for connection drops and timeouts, on built responses for the pure decisions."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from alot_sdk import (
    Alot,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from alot_sdk import _constants as constants
from alot_sdk.errors import parse_retry_after, status_error


class PromptAlot(Alot):
    """Retries without waiting: the jitter pinned to zero, as the SDK lets tests do."""

    def _jitter(self, delay: float) -> float:
        return 0.0


def _response(status: int, code: str | None = None, **headers: str) -> httpx.Response:
    body = {"code": code, "type": f"urn:alot:problem:{code}"} if code else {}
    return httpx.Response(
        status,
        json=body,
        headers=headers,
        request=httpx.Request("POST", "http://platform.test/api/x"),
    )


# -- each status as the platform sends it ------------------------------------------------


def test_each_status_maps_to_its_error(
    client: Alot,
    make_player: Callable[..., Any],
    open_lot: Callable[..., Any],
    request_log: Any,
) -> None:
    lot = open_lot()
    ada = make_player()
    ada.client.trivia.attempt(lot.id, lot.answer)

    with pytest.raises(BadRequestError) as bad:
        ada.client.entries.purchase(lot.id, bundle_index=0, idempotency_key="has a space")
    assert bad.value.code == "invalid_idempotency_key"

    with pytest.raises(AuthenticationError) as anonymous:
        client.users.me()
    error = anonymous.value
    assert (error.status_code, error.code) == (401, "not_authenticated")
    assert error.request_id == error.response.headers["x-request-id"]
    assert error.request_id in str(error)

    eve = make_player(verified=False)
    with pytest.raises(PermissionDeniedError) as unverified:
        eve.client.entries.purchase(lot.id, bundle_index=0)
    assert unverified.value.code == "email_not_verified"

    with pytest.raises(NotFoundError) as missing:
        client.lots.get(str(uuid.uuid4()))
    assert missing.value.code == "lot_not_found"
    assert missing.value.problem_type == "urn:alot:problem:lot_not_found"

    with pytest.raises(UnprocessableEntityError) as invalid:
        client.auth.register(
            email="not-an-email", username="ok_name", password="pw", date_of_birth="1990-01-01"
        )
    assert invalid.value.code == "validation_error"
    assert ["body", "email"] in [field["loc"] for field in invalid.value.errors]

    for _ in range(2):
        ada.client.entries.purchase(lot.id, bundle_index=1)  # funds, draws and settles
    request_log.clear()
    with pytest.raises(ConflictError) as conflict:
        ada.client.trivia.attempt(lot.id, lot.answer)
    assert conflict.value.code == "lot_state_conflict"
    assert len(request_log.requests) == 1  # a business conflict is raised at once


def test_a_trivia_cooldown_is_raised_not_slept_through(
    make_player: Callable[..., Any], open_lot: Callable[..., Any], request_log: Any
) -> None:
    lot = open_lot()
    ada = make_player()
    for _ in range(3):
        assert not ada.client.trivia.attempt(lot.id, "wrong").correct
    request_log.clear()
    with pytest.raises(RateLimitError) as cooldown:
        ada.client.trivia.attempt(lot.id, lot.answer)
    assert cooldown.value.code == "trivia_cooldown"
    assert cooldown.value.retry_after is not None
    assert cooldown.value.retry_after > constants.MAX_RETRY_AFTER
    assert len(request_log.requests) == 1


def test_the_rate_limit_is_a_rate_limit_error(
    make_app: Callable[..., Any], make_client: Callable[..., Alot]
) -> None:
    limited = make_client(of=make_app(rate_limit_default="2/minute"), max_retries=0)
    limited.lots.list()
    limited.lots.list()
    with pytest.raises(RateLimitError) as throttled:
        limited.lots.list()
    assert throttled.value.code == "rate_limited"
    assert throttled.value.retry_after is not None
    assert 0 < throttled.value.retry_after <= 60


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, PaymentRequiredError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_status_error_classes(status: int, error: type[APIStatusError]) -> None:
    raised = status_error(_response(status, "some_code", **{"x-request-id": "req-1"}))
    assert type(raised) is error
    assert (raised.status_code, raised.code, raised.request_id) == (status, "some_code", "req-1")


def test_a_body_that_is_not_a_problem_still_maps() -> None:
    response = httpx.Response(
        502, text="<html>bad gateway</html>", request=httpx.Request("GET", "http://x/")
    )
    raised = status_error(response)
    assert isinstance(raised, InternalServerError)
    assert raised.code is None
    assert "502" in str(raised)


# -- the retry decisions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "retry"),
    [
        (_response(408), True),
        (_response(429, "rate_limited", **{"retry-after": "3"}), True),
        (_response(429, "trivia_cooldown", **{"retry-after": "86400"}), False),
        (_response(500, "internal_error"), True),
        (_response(502), True),
        (_response(503, "not_ready"), True),
        (_response(409, "lot_state_conflict"), False),
        (_response(409, "insufficient_credits"), False),
        (_response(409, "idempotency_conflict"), False),
        (_response(409, "trivia_attempt_conflict"), True),
        (_response(409, "anything", **{"retry-after": "1"}), True),
        (_response(400, "bad_request"), False),
        (_response(401, "invalid_token"), False),
        (_response(404, "not_found"), False),
        (_response(422, "validation_error"), False),
    ],
)
def test_which_answers_are_retried(response: httpx.Response, retry: bool) -> None:
    assert Alot()._should_retry(response) is retry


def test_backoff_doubles_to_a_cap_and_honours_retry_after() -> None:
    client = PromptAlot()
    client._jitter = lambda delay: delay  # type: ignore[method-assign]
    assert [client._retry_delay(n, None) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert client._retry_delay(0, _response(503, **{"retry-after": "7"})) == 7.0
    # A wait longer than the cap is not honoured (such answers are not retried at all).
    assert client._retry_delay(0, _response(503, **{"retry-after": "600"})) == 0.5


def test_jitter_takes_off_at_most_a_quarter() -> None:
    client = Alot()
    delays = {client._jitter(2.0) for _ in range(200)}
    assert all(1.5 <= d <= 2.0 for d in delays)
    assert len(delays) > 1


def test_retry_after_as_seconds_or_a_date() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# -- over TCP: drops, timeouts, refusals ------------------------------------------------


def _keys(proxy: Any, marker: bytes) -> list[bytes]:
    return [
        m.group(1)
        for data in proxy.received
        if marker in data
        for m in [re.search(rb"(?i)idempotency-key: (\S+)", data)]
        if m
    ]


def test_a_purchase_whose_answer_is_lost_is_retried_once_and_bought_once(
    live_server: str,
    make_player: Callable[..., Any],
    open_lot: Callable[..., Any],
    faulty_proxy: Any,
) -> None:
    lot = open_lot()
    ada = make_player()
    ada.client.trivia.attempt(lot.id, lot.answer)
    marker = f"/api/lots/{lot.id}/entries/purchase ".encode()
    with faulty_proxy(live_server, lambda data: marker in data) as proxy:
        remote = PromptAlot(base_url=proxy.url, api_token=ada.client.access_token)
        purchase = remote.entries.purchase(lot.id, bundle_index=1)
        remote.close()
    assert purchase.replayed  # the retry was answered with the first purchase
    keys = _keys(proxy, marker)
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert [(e.purchase_id, e.ledger_seq) for e in ada.client.entries.mine()] == [
        (purchase.id, purchase.ledger_seq)
    ]
    assert purchase.ledger_seq is not None
    assert ada.client.lots.get(lot.id).tickets_sold == 3


def test_a_callers_key_is_kept_across_the_retry(
    live_server: str,
    make_player: Callable[..., Any],
    open_lot: Callable[..., Any],
    faulty_proxy: Any,
) -> None:
    lot = open_lot()
    ada = make_player()
    ada.client.trivia.attempt(lot.id, lot.answer)
    marker = b"/entries/purchase-with-credits "
    with faulty_proxy(live_server, lambda data: marker in data) as proxy:
        remote = PromptAlot(base_url=proxy.url, api_token=ada.client.access_token)
        with pytest.raises(ConflictError):  # no credits: refused, after the lost answer
            remote.entries.purchase_with_credits(lot.id, tickets=1, idempotency_key="mine-1")
        remote.close()
    assert _keys(proxy, marker) == [b"mine-1", b"mine-1"]


def test_a_post_the_platform_does_not_deduplicate_is_not_resent(
    live_server: str,
    make_player: Callable[..., Any],
    open_lot: Callable[..., Any],
    faulty_proxy: Any,
) -> None:
    lot = open_lot()
    ada = make_player()
    marker = b"/trivia/attempt "
    with faulty_proxy(live_server, lambda data: marker in data) as proxy:
        remote = PromptAlot(base_url=proxy.url, api_token=ada.client.access_token)
        with pytest.raises(APIConnectionError):
            remote.trivia.attempt(lot.id, "wrong")
        remote.close()
    assert proxy.count(marker) == 1
    # It did happen: resending would have spent a second attempt.
    assert ada.client.trivia.status(lot.id).attempts_made == 1


def test_a_read_that_times_out_is_retried_then_raised(live_server: str, faulty_proxy: Any) -> None:
    with faulty_proxy(live_server, blackhole=True) as proxy:
        remote = PromptAlot(base_url=proxy.url, timeout=0.3, max_retries=2)
        with pytest.raises(APITimeoutError):
            remote.lots.list()
        remote.close()
    assert proxy.count(b"GET /api/lots") == 3


def test_a_refused_connection_is_retried_then_raised() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    sent: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [sent.append]})
    remote = PromptAlot(base_url=f"http://127.0.0.1:{port}", max_retries=3, http_client=http)
    # Connecting failed before anything was sent: even a plain POST may go again.
    with pytest.raises(APIConnectionError):
        remote.auth.register(
            email="a@example.com", username="abc", password="x" * 12, date_of_birth="1990-01-01"
        )
    http.close()
    assert len(sent) == 4
    assert len({r.headers["Idempotency-Key"] for r in sent}) == 1
