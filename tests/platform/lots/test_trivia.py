"""The trivia gate: normalization, keyed digests, rounds and cooldown, concurrency."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from alot_platform.db import unit_of_work
from alot_platform.errors import AlotError
from alot_platform.keys import Keys
from alot_platform.lots.models import Lot
from alot_platform.trivia.service import (
    TriviaNotPassed,
    TriviaService,
    answer_digest,
    normalize_answer,
)
from alot_platform.users.models import User
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text


@pytest.mark.parametrize(
    ("submitted", "normalized"),
    [
        ("Rolex", "rolex"),
        ("  ROLEX  ", "rolex"),
        ("Rôlex!", "rolex"),
        ("«rolex.»", "rolex"),
        ("¿Rolex?", "rolex"),
        ("ＲＯＬＥＸ", "rolex"),  # full-width letters fold to ASCII (NFKD)
        ("Paul   \t Newman", "paul newman"),
        ("Straße", "strasse"),
        ("Crème Brûlée", "creme brulee"),
        ("A.P.", "a.p"),  # inner punctuation is part of the answer
        ("?! ...", ""),
    ],
)
def test_normalize_answer(submitted: str, normalized: str) -> None:
    assert normalize_answer(submitted) == normalized


def test_digests_are_keyed_and_bound_to_the_lot() -> None:
    keys = Keys(secret=b"k" * 32, field_encryption=(b"f" * 32,))
    other_keys = Keys(secret=b"o" * 32, field_encryption=(b"f" * 32,))
    lot, other_lot = uuid.uuid4(), uuid.uuid4()
    digest = answer_digest(keys, lot, "Rolex")
    assert digest == answer_digest(keys, lot, " rôlex! ")
    assert len(digest) == 64
    assert digest != answer_digest(keys, other_lot, "Rolex")
    assert digest != answer_digest(other_keys, lot, "Rolex")
    assert digest != answer_digest(keys, lot, "Omega")


def test_the_database_holds_no_answer(app: FastAPI, lots: Any) -> None:
    lot = lots.create(trivia_answer="Paul Newman")
    with app.state.platform.database.engine.connect() as connection:
        row = connection.execute(
            text("SELECT * FROM lots WHERE trivia_question = :q"), {"q": lot["trivia_question"]}
        ).one()
    assert not any("newman" in str(value).lower() for value in row)


def test_a_correct_answer_passes_the_gate(
    client: TestClient, api: Any, lots: Any, count_rows: Callable[[str], int]
) -> None:
    lot = lots.open_lot()
    player = api.account()
    status_url = f"/api/lots/{lot['id']}/trivia/status"
    before = client.get(status_url, headers=player.headers).json()
    assert before == {
        "lot_id": lot["id"],
        "question": lot["trivia_question"],
        "passed": False,
        "attempts_made": 0,
        "attempts_left": 3,
        "attempts_per_round": 3,
        "cooldown_until": None,
    }
    wrong = lots.answer(player, lot["id"], "Omega")
    assert wrong.status_code == 200, wrong.text
    assert wrong.json()["correct"] is False
    assert wrong.json()["status"]["attempts_left"] == 2

    right = lots.answer(player, lot["id"], "  rolex. ")
    assert right.status_code == 200
    assert right.json()["correct"] is True
    assert right.json()["status"]["passed"] is True
    assert count_rows("lot_trivia_attempts") == 2

    # Answering again after passing records nothing.
    again = lots.answer(player, lot["id"], "Omega")
    assert again.json()["correct"] is True
    assert count_rows("lot_trivia_attempts") == 2
    assert client.get(status_url, headers=player.headers).json()["passed"] is True


def test_three_misses_start_a_cooldown_then_three_more(
    client: TestClient,
    api: Any,
    lots: Any,
    clock: Any,
    make_client: Callable[..., TestClient],
    count_rows: Callable[[str], int],
) -> None:
    lot = lots.open_lot()
    player = api.account()
    for left in (2, 1, 0):
        response = lots.answer(player, lot["id"], "Omega")
        assert response.json()["status"]["attempts_left"] == left
    assert response.json()["status"]["cooldown_until"] == "2026-03-02T12:00:00Z"

    refused = lots.answer(player, lot["id"], "Rolex")  # even the right answer waits
    assert refused.status_code == 429
    assert refused.json()["code"] == "trivia_cooldown"
    assert refused.headers["Retry-After"] == "86400"
    assert count_rows("lot_trivia_attempts") == 3

    clock.advance(hours=23, minutes=59)
    lots.login_again(player)
    assert lots.answer(player, lot["id"], "Rolex").headers["Retry-After"] == "60"

    clock.advance(minutes=1)
    status = client.get(f"/api/lots/{lot['id']}/trivia/status", headers=player.headers).json()
    assert status["attempts_left"] == 3
    assert status["cooldown_until"] is None
    assert lots.answer(player, lot["id"], "Omega").json()["status"]["attempts_left"] == 2
    assert lots.answer(player, lot["id"], "Rolex").json()["correct"] is True
    assert count_rows("lot_trivia_attempts") == 5


def test_the_round_and_cooldown_are_settings(
    make_client: Callable[..., TestClient], api: Any, lots: Any
) -> None:
    lot = lots.open_lot()
    player = api.account()
    strict = make_client(trivia_attempts_per_round=1, trivia_cooldown_seconds=60)
    response = strict.post(
        f"/api/lots/{lot['id']}/trivia/attempt", json={"answer": "no"}, headers=player.headers
    )
    assert response.json()["status"]["cooldown_until"] == "2026-03-01T12:01:00Z"
    again = strict.post(
        f"/api/lots/{lot['id']}/trivia/attempt", json={"answer": "Rolex"}, headers=player.headers
    )
    assert again.status_code == 429
    assert again.headers["Retry-After"] == "60"


def test_refused_attempts_write_nothing(
    client: TestClient,
    api: Any,
    lots: Any,
    walk_states: Any,
    count_rows: Callable[[str], int],
) -> None:
    created = lots.create()
    hidden = lots.open_lot(visibility="private")
    closed = lots.open_lot()
    walk_states(closed["id"], "funded")
    open_lot = lots.open_lot()
    player = api.account()
    cases = [
        (created["id"], {"answer": "Rolex"}, 404, "lot_not_found"),
        (hidden["id"], {"answer": "Rolex"}, 404, "lot_not_found"),
        (str(uuid.uuid4()), {"answer": "Rolex"}, 404, "lot_not_found"),
        (closed["id"], {"answer": "Rolex"}, 409, "lot_state_conflict"),
        (open_lot["id"], {"answer": "?!"}, 422, "trivia_answer_empty"),
        (open_lot["id"], {"answer": ""}, 422, "validation_error"),
        (open_lot["id"], {"answer": "x" * 501}, 422, "validation_error"),
        (open_lot["id"], {"reply": "Rolex"}, 422, "validation_error"),
    ]
    for lot_id, body, status, code in cases:
        response = client.post(
            f"/api/lots/{lot_id}/trivia/attempt", json=body, headers=player.headers
        )
        assert (response.status_code, response.json()["code"]) == (status, code), body
    anonymous = client.post(f"/api/lots/{open_lot['id']}/trivia/attempt", json={"answer": "x"})
    assert anonymous.status_code == 401
    assert count_rows("lot_trivia_attempts") == 0


def test_answers_are_refused_from_the_deadline_before_the_tick_runs(
    client: TestClient, api: Any, lots: Any, clock: Any, count_rows: Callable[[str], int]
) -> None:
    lot = lots.open_lot(deadline=(clock.now + timedelta(hours=1)).isoformat())
    early, late = api.account(), api.account()
    lots.pass_trivia(early, lot["id"])
    clock.advance(hours=1)
    for account in (early, late):
        lots.login_again(account)
    before = count_rows("lot_trivia_attempts")

    refused = lots.answer(late, lot["id"], "Rolex")

    # The tick has not run: the lot still reads open, and its question is closed.
    assert client.get(f"/api/lots/{lot['id']}").json()["status"] == "open"
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "lot_deadline_passed"
    assert refused.json()["deadline"] == "2026-03-01T13:00:00+00:00"
    assert count_rows("lot_trivia_attempts") == before
    # So are purchases, even for a player who passed before the deadline.
    bought = lots.buy(early, lot["id"])
    assert (bought.status_code, bought.json()["code"]) == (409, "lot_deadline_passed")


def _service_call(app: FastAPI, lot_id: str, user_id: str, call: Callable[..., Any]) -> Any:
    platform = app.state.platform
    with contextmanager(unit_of_work)(platform.database) as session:
        lot = session.get(Lot, uuid.UUID(lot_id))
        user = session.get(User, uuid.UUID(user_id))
        assert lot is not None
        assert user is not None
        return call(TriviaService(session, platform), lot, user)


def test_require_passed_is_the_purchase_gate(app: FastAPI, api: Any, lots: Any) -> None:
    lot = lots.open_lot()
    player = api.account()

    def require(service: TriviaService, lot: Lot, user: User) -> None:
        service.require_passed(lot, user)

    with pytest.raises(TriviaNotPassed) as refused:
        _service_call(app, lot["id"], player.id, require)
    assert (refused.value.status_code, refused.value.code) == (403, "trivia_not_passed")

    lots.answer(player, lot["id"], "Omega")
    with pytest.raises(TriviaNotPassed):
        _service_call(app, lot["id"], player.id, require)
    # Passing another lot's question does not count here.
    other = lots.open_lot()
    assert lots.answer(player, other["id"], "Rolex").json()["correct"] is True
    with pytest.raises(TriviaNotPassed):
        _service_call(app, lot["id"], player.id, require)

    lots.answer(player, lot["id"], "Rolex")
    _service_call(app, lot["id"], player.id, require)


def test_concurrent_attempts_never_exceed_the_round(
    app: FastAPI, api: Any, lots: Any, count_rows: Callable[[str], int]
) -> None:
    lot = lots.open_lot()
    player = api.account()
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def answer_wrong() -> None:
        def attempt(service: TriviaService, lot: Lot, user: User) -> Any:
            return service.attempt(lot, user, "Omega")

        start.wait()
        try:
            _service_call(app, lot["id"], player.id, attempt)
            outcomes.append("recorded")
        except AlotError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=answer_wrong) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("recorded") == 3
    assert set(outcomes) <= {"recorded", "trivia_cooldown", "trivia_attempt_conflict"}
    assert count_rows("lot_trivia_attempts") == 3
    with app.state.platform.database.engine.connect() as connection:
        numbers = connection.execute(
            text("SELECT attempt_number FROM lot_trivia_attempts ORDER BY attempt_number")
        ).scalars()
        assert list(numbers) == [1, 2, 3]
