"""A player's resources over the real app in process (sync client): trivia, entries,
draws, credits, reveals, refunds, users and auth, each call checked against what the
platform then holds. (Fixture values are conftest types; tests cannot import them.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from alot_sdk import (
    AlotError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    format_money,
)
from alot_verify.errors import DrawVerificationError

DEV_SECRET = "dev-secret-of-the-sdk-tests"  # tests/sdk/conftest.py sets it

PASSWORD = "correct-horse-battery"


def test_a_lot_from_trivia_to_verified_draw(
    make_player: Callable[..., Any], open_lot: Callable[..., Any], request_log: Any
) -> None:
    lot = open_lot()
    ada, bob = make_player(), make_player()

    status = ada.client.trivia.status(lot.id)
    assert (status.passed, status.attempts_made) == (False, 0)
    wrong = ada.client.trivia.attempt(lot.id, "eleven")
    assert not wrong.correct
    assert wrong.status.attempts_left == status.attempts_left - 1
    assert ada.client.trivia.attempt(lot.id, " 5 ").correct
    assert ada.client.trivia.status(lot.id).passed
    assert bob.client.trivia.attempt(lot.id, lot.answer).correct

    first = ada.client.entries.purchase(lot.id, bundle_index=0, idempotency_key="ada-1")
    assert (first.status, first.tickets, first.amount_cents, first.replayed) == (
        "succeeded",
        1,
        200,
        False,
    )
    assert first.amount_display == format_money(200) == "$2.00"
    again = ada.client.entries.purchase(lot.id, bundle_index=0, idempotency_key="ada-1")
    assert again.replayed
    assert again.id == first.id
    sent = [r for r in request_log.requests if r.url.path.endswith("/entries/purchase")]
    assert [r.headers["Idempotency-Key"] for r in sent] == ["ada-1", "ada-1"]

    bob.client.entries.purchase(lot.id, bundle_index=1)
    funding = bob.client.entries.purchase(lot.id, bundle_index=1)  # 200 + 500 + 500 >= 1000
    assert funding.lot_status in {"funded", "drawing", "settled"}
    assert sent[0].headers["Idempotency-Key"] != request_log.requests[-1].headers.get(
        "Idempotency-Key"
    )

    # The draw runs once the funding purchase commits; in process it has by now.
    draw = ada.client.lots.draw(lot.id)
    assert draw.stage == "settled"
    assert draw.total_tickets == 7
    result = ada.client.lots.verify_draw(lot.id, expected_commitment=lot.commitment)
    # The proof names holders by their pseudonym in the lot (each receipt says whose).
    assert ada.client.lots.get(lot.id).pseudonymous_holders
    assert result.winner_user_id is None
    assert result.winner_holder in {first.holder, funding.holder}
    assert first.holder != funding.holder
    assert result.winner_holder == draw.winner_holder
    assert draw.winner_user_id == (ada.id if result.winner_holder == first.holder else bob.id)
    assert 1 <= result.winning_ticket <= 7
    with pytest.raises(DrawVerificationError, match="server_seed_commitment"):
        ada.client.lots.verify_draw(lot.id, expected_commitment="00" * 32)
    assert ada.client.lots.draw_proof(lot.id)["algorithm"] == "alot-v1"

    board = ada.client.lots.leaderboard(lot.id)
    assert [(row.rank, row.username, row.tickets) for row in board.items] == [
        (1, bob.username, 6),
        (2, ada.username, 1),
    ]
    assert board.next_cursor is None
    top = ada.client.lots.leaderboard(lot.id, limit=1)
    assert [r.username for r in top.get_next_page().items] == [ada.username]
    assert [(r.rank, r.username) for r in top] == [(1, bob.username), (2, ada.username)]

    assert [e.ticket_count for e in ada.client.entries.mine()] == [1]
    assert sorted(e.tickets_start for e in bob.client.entries.mine()) == [2, 5]
    winner = ada if draw.winner_user_id == ada.id else bob
    loser = bob if winner is ada else ada
    # is_winner marks the one entry holding the winning ticket (bob may hold two).
    holds = [
        e.tickets_start <= result.winning_ticket <= e.tickets_end
        for e in winner.client.entries.mine()
    ]
    assert [e.is_winner for e in winner.client.entries.mine()] == holds
    assert sum(holds) == 1
    assert not any(e.is_winner for e in loser.client.entries.mine())

    # The loser is paid credits (this lot: 50% of what they paid), which buy tickets.
    credits = loser.client.credits.balance()
    paid = sum(e.amount_paid_cents for e in loser.client.entries.mine())
    assert credits.balance_credits == paid // 2
    assert credits.total_earned_credits == credits.balance_credits
    assert credits.balance_display.endswith("credits")
    history = list(loser.client.credits.transactions())
    assert sum(t.amount_credits for t in history) == credits.balance_credits
    assert [r.lot_id for r in loser.client.reveals.list()] == [lot.id]

    second = open_lot()
    assert loser.client.trivia.attempt(second.id, second.answer).correct
    bought = loser.client.entries.purchase_with_credits(second.id, tickets=1)
    assert (bought.method, bought.spent_credits, bought.amount_cents) == ("credits", 100, 0)
    assert loser.client.credits.balance().balance_credits == credits.balance_credits - 100

    request_log.clear()
    with pytest.raises(ConflictError) as refused:
        loser.client.entries.purchase_with_credits(second.id, tickets=10_000)
    assert refused.value.code == "insufficient_credits"
    # A business conflict is not retried: asking again cannot succeed.
    assert request_log.count("POST", r".*/purchase-with-credits") == 1


def test_a_buyer_of_an_expired_lot_chooses_credits(
    make_player: Callable[..., Any],
    open_lot: Callable[..., Any],
    admin: Any,
    clock: Any,
    tick: Callable[[], None],
) -> None:
    lot = open_lot(deadline=clock.now + timedelta(days=1))
    ada = make_player()
    ada.client.trivia.attempt(lot.id, lot.answer)
    purchase = ada.client.entries.purchase(lot.id, bundle_index=1)

    # Past the deadline, unfunded: the tick expires the lot and starts its refunds, no
    # admin step. The access tokens expire too: the clients renew them by themselves
    # with their (7-day) refresh tokens.
    clock.advance(days=2)
    tick()
    refunds = admin.client.admin.lots.refunds(lot.id)
    assert refunds.lot_status == "refunding"
    # The admin's action, for exceptional cases, only answers the progress now.
    assert admin.client.admin.lots.start_refunds(lot.id) == refunds
    pending = ada.client.refunds.get(purchase.id)  # reading chooses nothing
    assert (pending.refund_choice, pending.refunded_credits) == (None, None)
    # both choices' amounts, as the platform computes them, before choosing
    assert (pending.cash_offer_cents, pending.credits_offer_credits) == (490, 750)
    assert pending.can_choose
    assert pending.refund_choice_deadline == refunds.refund_choice_deadline
    (entry,) = ada.client.entries.mine()
    assert (entry.purchase_status, entry.refund_choice) == ("succeeded", None)

    chosen = ada.client.refunds.choose(purchase.id, "credits")
    assert (chosen.refund_choice, chosen.refunded_credits) == ("credits", 750)  # 1.5 x 500
    assert chosen.refund_status == "succeeded"
    assert ada.client.credits.balance().balance_credits == 750
    assert admin.client.admin.lots.refunds(lot.id).purchases.get("refunded") == 1
    assert ada.client.refunds.get(purchase.id) == chosen
    assert not chosen.can_choose
    (entry,) = ada.client.entries.mine()
    assert (entry.purchase_status, entry.refund_choice, entry.refunded_credits) == (
        "refunded",
        "credits",
        750,
    )
    (reveal,) = ada.client.reveals.list()
    assert (reveal.status, reveal.refunded_credits, reveal.refunded_cents) == ("refunded", 750, 0)
    with pytest.raises(ConflictError):
        ada.client.refunds.choose(purchase.id, "cash")


def test_account_and_session(make_player: Callable[..., Any], make_client: Any) -> None:
    ada = make_player()
    me = ada.client.users.me()
    assert (me.email, me.verified_email, me.roles) == (ada.email, True, ["player"])
    renamed = ada.client.users.update_me(full_name="Ada King")
    assert renamed.full_name == "Ada King"
    assert renamed.username == ada.username
    assert ada.client.users.get(ada.id).username == ada.username

    before = (ada.client.access_token, ada.client.refresh_token)
    tokens = ada.client.auth.refresh()
    assert (tokens.access_token, tokens.refresh_token) == (
        ada.client.access_token,
        ada.client.refresh_token,
    )
    assert tokens.refresh_token != before[1]

    stale = make_client(api_token=ada.client.access_token, refresh_token=ada.client.refresh_token)
    ada.client.auth.logout()
    assert ada.client.access_token is None
    assert ada.client.refresh_token is None
    # The session is over on the platform: its tokens no longer work anywhere.
    with pytest.raises(AuthenticationError) as ended:
        stale.users.me()
    assert ended.value.code == "invalid_token"
    assert ended.value.request_id
    assert stale.access_token is None  # a failed refresh forgets the dead session
    with pytest.raises(AlotError, match="no refresh token"):
        stale.auth.refresh()

    ada.client.auth.login(ada.email, PASSWORD)
    ada.client.auth.change_password(PASSWORD, "another-horse-battery")
    assert ada.client.access_token is None
    ada.client.auth.request_password_reset(ada.email)
    reset = next(
        m for m in ada.client.dev.mailbox(to=ada.email, secret=DEV_SECRET) if "Reset" in m.subject
    )
    token = next(line for line in reset.body.splitlines() if line.startswith("ey"))
    ada.client.auth.confirm_password_reset(token, "third-horse-battery")
    ada.client.auth.login(ada.email, "third-horse-battery")
    assert ada.client.users.me().id == ada.id


def test_unverified_player_can_resend_the_confirmation(make_player: Callable[..., Any]) -> None:
    eve = make_player(verified=False)
    assert not eve.client.users.me().verified_email
    eve.client.auth.resend_verification()
    assert (
        sum("Confirm" in m.subject for m in eve.client.dev.mailbox(to=eve.email, secret=DEV_SECRET))
        == 2
    )
    # Without a login, by the address (as on the web client's "resend the link").
    eve.client.auth.logout()
    eve.client.auth.resend_verification(email=eve.email)
    assert (
        sum("Confirm" in m.subject for m in eve.client.dev.mailbox(to=eve.email, secret=DEV_SECRET))
        == 3
    )


def test_logout_everywhere_ends_every_session(
    make_player: Callable[..., Any], make_client: Callable[..., Any]
) -> None:
    ada = make_player()
    elsewhere = make_client()
    elsewhere.auth.login(ada.email, PASSWORD)
    assert elsewhere.users.me().id == ada.id
    ada.client.auth.logout_everywhere()
    assert ada.client.access_token is None
    with pytest.raises(AuthenticationError) as ended:
        elsewhere.users.me()
    assert ended.value.code == "invalid_token"
    ada.client.auth.login(ada.email, PASSWORD)  # the password is unchanged
    assert ada.client.users.me().id == ada.id


def test_lot_reads_are_public(client: Any, open_lot: Callable[..., Any]) -> None:
    lot = open_lot()
    fetched = client.lots.get(lot.id)
    assert (fetched.status, fetched.funding.target_cents, fetched.price_per_ticket_cents) == (
        "open",
        1000,
        167,
    )
    assert [b.tickets for b in fetched.entry_bundles] == [1, 3]
    assert fetched.retail_value_display == "$3,500.00"
    with pytest.raises(NotFoundError) as missing:
        client.lots.draw_proof(lot.id)
    assert missing.value.code == "draw_not_done"
