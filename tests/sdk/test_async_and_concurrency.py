"""AsyncAlot over httpx's ASGI transport, and one refresh under concurrent calls (async
tasks and sync threads) when the access token expires on the platform's clock."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import anyio
import httpx
import pytest
from alot_sdk import APIConnectionError, AsyncAlot, AuthenticationError, ConflictError
from alot_verify.ledger import verify_ledger

DEV_SECRET = "dev-secret-of-the-sdk-tests"  # tests/sdk/conftest.py sets it

pytestmark = pytest.mark.anyio

PASSWORD = "correct-horse-battery"
REFRESH = r"/api/auth/refresh"


async def _async_player(
    make_async_client: Callable[..., AsyncAlot], **options: Any
) -> tuple[AsyncAlot, str]:
    client = make_async_client(**options)
    name = f"a{uuid.uuid4().hex[:10]}"
    email = f"{name}@example.com"
    await client.auth.register(
        email=email, username=name, password=PASSWORD, date_of_birth="1990-05-17"
    )
    mail = [
        m for m in await client.dev.mailbox(to=email, secret=DEV_SECRET) if "Confirm" in m.subject
    ]
    token = next(line for line in mail[-1].body.splitlines() if line.startswith("ey"))
    await client.auth.verify_email(token)
    await client.auth.login(email, PASSWORD)
    return client, email


async def test_async_player_and_auditor(
    make_async_client: Callable[..., AsyncAlot],
    admin: Any,
    clock: Any,
    make_checkpoint: Callable[[], int],
    pinned_key: str,
) -> None:
    boss = make_async_client(api_token=admin.client.access_token, ledger_verifier_key=pinned_key)
    product = await boss.admin.product_classes.create(
        name="Birkin 25", category="bag", tier="MYTHIC", retail_value_cents=2_800_000
    )
    assert [c.id async for c in await boss.admin.product_classes.list()] == [product.id]
    created = await boss.admin.lots.create(
        product_class_id=product.id,
        title="A mystery MYTHIC",
        lot_type="mystery",
        funding_target_cents=1_000,
        deadline=clock.now + timedelta(days=3),
        entry_bundles=[{"price_cents": 500, "tickets": 1}],
        trivia_question="In which city is the Eiffel Tower?",
        trivia_answer="Paris",
        draw_algorithm="alot-v1",
    )
    created = await boss.admin.lots.update(created.id, title="A mystery MYTHIC!")
    lot = await boss.admin.lots.open(created.id)
    assert [found.id async for found in await boss.lots.list(state="open")] == [lot.id]

    player, _ = await _async_player(make_async_client)
    me = await player.users.me()
    assert (await player.users.get(me.id)).username == me.username
    assert not (await player.trivia.status(lot.id)).passed
    assert (await player.trivia.attempt(lot.id, "paris")).correct
    first = await player.entries.purchase(lot.id, bundle_index=0)
    second = await player.entries.purchase(lot.id, bundle_index=0)
    assert (first.replayed, second.replayed) == (False, False)
    assert second.lot_status != "open"
    assert [e.ticket_count async for e in await player.entries.mine()] == [1, 1]
    assert (await player.lots.get(lot.id)).status == "settled"
    board = await player.lots.leaderboard(lot.id)
    assert sum([row.tickets async for row in board]) == 2
    result = await player.lots.verify_draw(
        lot.id, expected_commitment=lot.draw.server_seed_commitment
    )
    # The proof names the winner by their pseudonym in the lot, as their receipts do.
    assert result.winner_user_id is None
    assert result.winner_holder == first.holder == second.holder
    drawn = await player.lots.draw(lot.id)
    assert (drawn.winner_user_id, drawn.winner_holder) == (me.id, first.holder)
    assert [r.lot_id async for r in await player.reveals.list()] == [lot.id]
    assert (await player.credits.balance()).balance_credits == 0
    assert [t async for t in await player.credits.transactions()] == []
    with pytest.raises(ConflictError):
        await player.entries.purchase_with_credits(lot.id, tickets=1)

    size = make_checkpoint()
    assert (await boss.ledger.checkpoint()).size == size
    assert [c.size async for c in await boss.ledger.checkpoints()] == [size]
    assert (await boss.ledger.verifier_key()).verifier_key == pinned_key
    seqs = [t.seq async for t in await boss.ledger.transactions(limit=2)]
    assert seqs == list(range(1, size + 1))
    assert (await boss.ledger.transaction(1)).seq == 1
    assert (await boss.ledger.inclusion_proof(1)).tree_size == size
    assert (await boss.ledger.consistency_proof(1, size)).new_size == size
    escrow = f"lot:{lot.id}:escrow"
    assert (await boss.ledger.balance(escrow, "USD", as_of_seq=1)).balance == 0
    lines = [line async for line in await boss.ledger.export()]
    checkpoint = await boss.ledger.checkpoint()
    assert verify_ledger(lines, signed_checkpoint=checkpoint.note, verifier_key=pinned_key)
    assert (await boss.ledger.verify_inclusion(size)).root_hash == checkpoint.root_hash

    assert (await boss.admin.lots.draw(lot.id)).stage == "settled"
    assert (await boss.admin.lots.settle(lot.id)).stage == "settled"
    assert (await boss.admin.users.get(me.id)).email == me.email
    assert me.id in [u.id async for u in await boss.admin.users.list()]

    await player.auth.logout()
    with pytest.raises(AuthenticationError):
        await player.users.me()


async def test_expired_token_is_refreshed_once_for_concurrent_tasks(
    make_async_client: Callable[..., AsyncAlot], clock: Any, request_log: Any
) -> None:
    player, _ = await _async_player(make_async_client)
    me = await player.users.me()
    first_refresh_token = player.refresh_token
    clock.advance(minutes=16)  # the access token (15 minutes) has expired
    request_log.clear()

    found: list[str] = []

    async def call() -> None:
        found.append((await player.users.me()).id)

    async with anyio.create_task_group() as tasks:
        for _ in range(8):
            tasks.start_soon(call)

    assert found == [me.id] * 8
    assert request_log.count("POST", REFRESH) == 1
    assert player.refresh_token != first_refresh_token
    # Had two tasks both used the first refresh token, the platform would have revoked
    # the session: it still works.
    assert (await player.users.me()).id == me.id


def test_expired_token_is_refreshed_once_for_concurrent_threads(
    make_player: Callable[..., Any], clock: Any, request_log: Any
) -> None:
    ada = make_player()
    clock.advance(minutes=16)
    request_log.clear()
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(lambda _: ada.client.users.me().id, range(8)))
    assert found == [ada.id] * 8
    assert request_log.count("POST", REFRESH) == 1
    assert ada.client.users.me().id == ada.id


async def test_async_client_retries_a_refused_connection() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    sent: list[httpx.Request] = []

    async def log(request: httpx.Request) -> None:
        sent.append(request)

    class Prompt(AsyncAlot):
        def _jitter(self, delay: float) -> float:
            return 0.0

    async with httpx.AsyncClient(event_hooks={"request": [log]}) as http:
        client = Prompt(base_url=f"http://127.0.0.1:{port}", max_retries=2, http_client=http)
        with pytest.raises(APIConnectionError):
            await client.lots.list()
    assert len(sent) == 3
