"""A host's whole life through the real HTTP API, with Stripe as the provider and the
fake Stripe server behind it: apply, approval at 20% commission, Connect onboarding
(``account.updated`` enables payouts), a lot made, submitted and approved (its commission
frozen against the host's later terms), sold through Checkout and with credits until
funded, drawn and settled, the prize claimed, shipped and delivered, the host's share
released and transferred by the scheduler's tick; then the auditor's checks:
``alot payments reconcile``, every asset summing to zero, and ``alot-verify ledger`` on
the export. Also: another host cannot read the lot's sales or ship its prize.

Lives beside the payments suite for its fixtures (the fake Stripe, the till)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alot_ledger import Checkpointer, export_lines
from alot_platform.cli import main
from alot_platform.scheduler import ledger_checkpointer, run_tick
from alot_verify.cli import cli as verify_cli
from click.testing import CliRunner

from tests.platform.fulfillment.conftest import ADDRESS, SHIPMENT
from tests.platform.hosts.conftest import HostDesk
from tests.platform.hosts.money_books import Books

COMMISSION_BPS = 2000


def _desk(till: Any) -> HostDesk:
    return HostDesk(till.client, till.api, till.clock, till.desk)


def _pay_by_card(till: Any, account: Any, lot_id: str, bundle_index: int) -> dict[str, Any]:
    """A purchase through Checkout, paid at the fake's hosted page; its webhooks sent."""
    purchase = till.buy(account, lot_id, bundle_index)
    assert purchase["status"] == "pending", purchase
    for event in reversed(till.fake.pay(purchase["payment"]["payment_id"])):
        assert till.deliver(event).status_code == 200
    assert till.purchase(purchase["id"])["status"] == "succeeded"
    return purchase


def _get(till: Any, path: str, account: Any) -> dict[str, Any]:
    response = till.client.get(path, headers=account.headers)
    assert response.status_code == 200, (path, response.text)
    body: dict[str, Any] = response.json()
    return body


def _won(till: Any, players: list[Any], lot_id: str) -> tuple[Any, str]:
    """The winner among ``players`` and the id of their reveal of ``lot_id``."""
    won = [
        (player, reveal["id"])
        for player in players
        for reveal in _get(till, "/api/users/me/reveals", player)["items"]
        if reveal["lot_id"] == lot_id and reveal["status"] == "won"
    ]
    assert len(won) == 1, won
    return won[0]


def _verify_ledger(platform: Any, tmp_path: Path) -> None:
    checkpointer: Checkpointer = ledger_checkpointer(platform)
    run_tick(platform, checkpointer)
    made = checkpointer.checkpoint(platform.database.engine)
    note = tmp_path / "checkpoint.txt"
    note.write_text(made.note)
    path = tmp_path / "ledger.jsonl"
    path.write_text("".join(export_lines(platform.database.engine)))
    args = ["ledger", str(path), "--checkpoint", str(note), "--key", checkpointer.verifier_key]
    result = CliRunner().invoke(verify_cli, args)
    assert result.exit_code == 0, result.output


def test_a_host_goes_from_application_to_a_reconciled_payout(
    till: Any, cli_env: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    hosts = _desk(till)
    books = Books(till.platform)
    books.check()

    # A user applies; an admin approves at 20%: the user is a host.
    seller = till.api.account()
    applied = hosts.apply(seller)
    assert applied.status_code == 201, applied.text
    host_id = applied.json()["id"]
    assert "host" not in _get(till, "/api/users/me", seller)["roles"]
    approved = hosts.review(host_id, "approve", commission_bps=COMMISSION_BPS)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["commission_bps"]) == (
        "approved",
        COMMISSION_BPS,
    )
    assert "host" in _get(till, "/api/users/me", seller)["roles"]

    # Connect onboarding on the fake; Stripe's account.updated enables payouts.
    link = till.client.post("/api/hosts/me/connect", headers=seller.headers)
    assert link.status_code == 200, link.text
    assert link.json()["status"] == "pending"
    account_id = link.json()["account_id"]
    assert till.fake.accounts[account_id]["metadata"] == {"host_id": host_id}
    assert till.deliver(till.fake.complete_onboarding(account_id)).status_code == 200
    assert _get(till, "/api/hosts/me/payouts", seller)["connect"]["status"] == "enabled"

    # A lot: created, submitted, approved by an admin: open, its commission frozen.
    created = hosts.create_lot(seller)
    assert created.status_code == 201, created.text
    lot_id = created.json()["lot"]["id"]
    assert created.json()["review_status"] == "draft"
    submitted = hosts.submit(seller, lot_id)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["review_status"] == "pending"
    opened = hosts.approve_lot(lot_id)
    assert opened.status_code == 200, opened.text
    assert (opened.json()["status"], opened.json()["commission_bps"]) == ("open", COMMISSION_BPS)
    # New terms for the host later: the open lot keeps (and settles at) its own.
    changed = till.client.post(
        f"/api/admin/hosts/{host_id}/commission",
        json={"commission_bps": 2500, "reason": "New terms"},
        headers=till.admin.headers,
    )
    assert changed.status_code == 200, changed.text
    economics = _get(till, f"/api/hosts/me/lots/{lot_id}", seller)["economics"]
    assert economics["commission_bps"] == COMMISSION_BPS
    target = hosts.lot_body()["funding_target_cents"]
    assert target == 1_000

    # Players pass the trivia and buy: 4.50 by card, 1.00 in credits, 4.50 by card.
    ada, bob, cy = (till.player(lot_id) for _ in range(3))
    _pay_by_card(till, ada, lot_id, 1)
    till.grant_credits(cy.id, 100)
    with_credits = till.desk.buy_with_credits(cy, lot_id, 1)
    assert with_credits.status_code == 201, with_credits.text
    assert till.lot(lot_id)["status"] == "open"
    _pay_by_card(till, bob, lot_id, 1)
    assert till.fake.created("/v1/checkout/sessions") == 2

    # Funded: drawn and settled at once; the host's share is held, escrow empty.
    draw = till.client.get(f"/api/lots/{lot_id}/draw").json()
    assert (draw["lot_status"], draw["stage"]) == ("settled", "settled"), draw
    funded = draw["escrow_cents"]
    assert funded == target
    share = funded - funded * COMMISSION_BPS // 10_000
    assert share == 800
    assert till.ledger_balance(f"host:{host_id}:held", "USD") == share
    assert till.ledger_balance(f"host:{host_id}:payable", "USD") == 0
    assert till.ledger_balance(f"lot:{lot_id}:escrow", "USD") == 0
    assert till.ledger_balance(f"lot:{lot_id}:escrow", "CRD") == 0
    sales = _get(till, f"/api/hosts/me/lots/{lot_id}/sales", seller)
    assert (sales["funded_cents"], sales["held_cents"]) == (funded, share)
    assert books.check().usd["held"] == share

    # The winner claims; the host sees the address and ships; the winner confirms.
    winner, reveal_id = _won(till, [ada, bob, cy], lot_id)
    claimed = till.client.post(
        f"/api/reveals/{reveal_id}/claim",
        json={"shipping_address": ADDRESS},
        headers=winner.headers,
    )
    assert claimed.status_code == 200, claimed.text
    [item] = _get(till, "/api/hosts/me/fulfillment", seller)["items"]
    assert item["reveal_id"] == reveal_id
    assert item["shipping_address"]["line1"] == ADDRESS["line1"]
    assert item["shipping_address"]["postal_code"] == ADDRESS["postal_code"]
    shipped = till.client.post(
        f"/api/hosts/me/fulfillment/{reveal_id}/ship", json=SHIPMENT, headers=seller.headers
    )
    assert shipped.status_code == 200, shipped.text
    confirmed = till.client.post(
        f"/api/reveals/{reveal_id}/confirm-delivery", headers=winner.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "delivered"
    assert till.ledger_balance(f"host:{host_id}:held", "USD") == 0
    assert till.ledger_balance(f"host:{host_id}:payable", "USD") == share
    books.check()

    # The scheduler's tick transfers the share to the host's account on Stripe.
    report = run_tick(till.platform)
    assert report.payouts_made == 1, report.summary()
    [transfer] = till.fake.transfers.values()
    payout_id = transfer["transfer_group"].removeprefix("payout:")
    assert (transfer["amount"], transfer["currency"], transfer["destination"]) == (
        share,
        "usd",
        account_id,
    )
    assert transfer["metadata"] == {"payout_id": payout_id, "host_id": host_id}
    [(refs, meta)] = till.ledger("host_payout")
    assert refs == {
        "host_id": host_id,
        "payout_id": payout_id,
        "stripe_transfer_id": transfer["id"],
    }
    assert meta["amount_cents"] == share
    assert till.ledger_balance(f"host:{host_id}:payable", "USD") == 0
    mine = _get(till, "/api/hosts/me/payouts", seller)
    [payout] = mine["payouts"]
    assert (payout["id"], payout["status"], payout["amount_cents"]) == (payout_id, "paid", share)
    assert payout["stripe_transfer_id"] == transfer["id"]
    assert mine["balances"]["paid_out_cents"] == share
    assert run_tick(till.platform).payouts_made == 0  # nothing left to pay

    # The auditor's checks: Stripe agrees, the books balance, the ledger verifies.
    reconciled = CliRunner().invoke(main, ["payments", "reconcile", "--json"], env=cli_env())
    assert reconciled.exit_code == 0, reconciled.output
    assert json.loads(reconciled.output)["disagreements"] == [], reconciled.output
    paid = books.check()
    assert (paid.usd["held"], paid.usd["host_payable"], paid.usd["escrow"]) == (0, 0, 0)
    # 9.00 came by card, Stripe kept its fees, the host was paid 8.00: the rest is the
    # platform's. Its commission (2.00) bore the 1.00 paid in credits.
    stripe_fees = 2 * till.fake.fee_of(450)
    assert paid.usd["processing_fees"] == -stripe_fees
    assert paid.usd["revenue"] == funded * COMMISSION_BPS // 10_000 - 100
    assert paid.cash_held == 900 - stripe_fees - share
    _verify_ledger(till.platform, tmp_path)


def test_another_host_cannot_read_the_sales_or_ship_the_prize(till: Any) -> None:
    hosts = _desk(till)
    host_a, _a_id = hosts.approved_host(commission_bps=COMMISSION_BPS)
    host_b, _b_id = hosts.approved_host()
    lot_id = hosts.open_lot(host_a)["lot"]["id"]
    winner = till.player(lot_id)
    for _ in range(2):
        _pay_by_card(till, winner, lot_id, 1)
    till.grant_credits(winner.id, 100)
    assert till.desk.buy_with_credits(winner, lot_id, 1).status_code == 201
    assert till.lot(lot_id)["status"] == "settled"
    _winner, reveal_id = _won(till, [winner], lot_id)
    claimed = till.client.post(
        f"/api/reveals/{reveal_id}/claim",
        json={"shipping_address": ADDRESS},
        headers=winner.headers,
    )
    assert claimed.status_code == 200, claimed.text

    sales = till.client.get(f"/api/hosts/me/lots/{lot_id}/sales", headers=host_b.headers)
    assert sales.status_code == 404, sales.text
    assert sales.json()["code"] == "lot_not_found"
    assert _get(till, "/api/hosts/me/fulfillment", host_b)["items"] == []
    ship = till.client.post(
        f"/api/hosts/me/fulfillment/{reveal_id}/ship", json=SHIPMENT, headers=host_b.headers
    )
    assert ship.status_code == 404, ship.text
    assert ADDRESS["line1"] not in ship.text
    # Its own host reads both.
    assert _get(till, f"/api/hosts/me/lots/{lot_id}/sales", host_a)["held_cents"] == 800
    [item] = _get(till, "/api/hosts/me/fulfillment", host_a)["items"]
    assert item["reveal_id"] == reveal_id
