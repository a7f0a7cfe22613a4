"""Hosts paid through Stripe Connect, against the fake Stripe over HTTP with the real
stripe library: onboarding (an Express account once, a fresh link each time,
``account.updated`` enabling payouts), transfers under a key per payout that survive
Stripe's errors and our crashes without paying twice, refusals retried by an admin, and
``alot payments reconcile`` on transfers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from alot_ledger import Ledger, Posting
from alot_platform.cli import main
from alot_platform.ledger.accounts import PLATFORM_CASH, USD, host_payable
from alot_platform.scheduler import run_tick
from click.testing import CliRunner
from sqlalchemy import text

from tests.platform.marketplace import make_host


def _payable(till: Any, host_id: str, cents: int) -> None:
    """A host's share released (as escrow.release_to_host leaves it), ``cents`` payable."""
    with till.session() as session:
        Ledger(session).post(
            "host_release",
            [
                Posting(PLATFORM_CASH, USD, -cents),
                Posting(host_payable(uuid.UUID(host_id)), USD, cents),
            ],
            refs={"host_id": host_id},
        )


def _onboarded(till: Any) -> tuple[Any, str, str]:
    """A host whose Express account finished onboarding: (account, host id, acct id)."""
    seller = till.api.account()
    host_id = make_host(till.client, seller)
    link = till.client.post("/api/hosts/me/connect", headers=seller.headers)
    assert link.status_code == 200, link.text
    account_id = link.json()["account_id"]
    assert till.deliver(till.fake.complete_onboarding(account_id)).status_code == 200
    return seller, host_id, account_id


def _mine(till: Any, seller: Any) -> dict[str, Any]:
    response = till.client.get("/api/hosts/me/payouts", headers=seller.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_onboarding_creates_one_account_and_a_fresh_link_each_time(till: Any) -> None:
    seller = till.api.account()
    host_id = make_host(till.client, seller)
    assert _mine(till, seller)["connect"] == {
        "status": "none",
        "account_id": None,
        "test_mode": True,
    }
    first = till.client.post("/api/hosts/me/connect", headers=seller.headers)
    again = till.client.post("/api/hosts/me/connect", headers=seller.headers)
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert first.json()["account_id"] == again.json()["account_id"]
    assert first.json()["url"] != again.json()["url"]  # links are single-use
    assert first.json()["status"] == "pending"
    assert till.fake.created("/v1/accounts") == 1
    [account] = till.fake.accounts.values()
    assert account["type"] == "express"
    assert account["metadata"] == {"host_id": host_id}
    link = till.fake.account_links[-1]
    assert link["return_url"] == "http://127.0.0.1:8000/host/payouts?onboarding=return"
    assert link["refresh_url"] == "http://127.0.0.1:8000/host/payouts?onboarding=refresh"
    keys = [k for m, p, k in till.fake.requests if (m, p) == ("POST", "/v1/accounts")]
    assert keys == [f"connect-account:{host_id}"]

    # Stripe reports the finished onboarding: the host can be paid.
    event = till.fake.complete_onboarding(account["id"])
    assert till.deliver(event).json()["status"] == "stored"
    assert till.event_row(event["id"])["outcome"] == "account_updated"
    assert _mine(till, seller)["connect"]["status"] == "enabled"
    assert till.deliver(event).json()["status"] == "duplicate"
    # ... and disabled again later: payouts stop.
    till.deliver(till.fake.complete_onboarding(account["id"], enabled=False))
    assert _mine(till, seller)["connect"]["status"] == "pending"

    # A host not approved (pending review, or rejected) cannot onboard yet.
    applicant = till.api.account()
    applicant_host = make_host(till.client, applicant)
    with till.platform.database.engine.begin() as connection:
        connection.execute(
            text("UPDATE hosts SET status = 'pending' WHERE id = :id"),
            {"id": till._db_id(applicant_host)},
        )
    pending = till.client.post("/api/hosts/me/connect", headers=applicant.headers)
    assert pending.status_code == 403, pending.text
    assert pending.json()["code"] == "host_not_approved"

    # Not a host: no profile, nothing created.
    player = till.api.account()
    refused = till.client.post("/api/hosts/me/connect", headers=player.headers)
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_a_host"
    assert till.client.get("/api/hosts/me/payouts").status_code == 401
    assert till.fake.created("/v1/accounts") == 1


def test_a_payable_balance_is_transferred_once(till: Any) -> None:
    seller, host_id, account_id = _onboarded(till)
    _payable(till, host_id, 5000)
    report = run_tick(till.platform)
    assert report.payouts_made == 1, report.summary()
    [payout] = _mine(till, seller)["payouts"]
    assert payout["status"] == "paid"
    assert payout["amount_cents"] == 5000
    [transfer] = till.fake.transfers.values()
    assert transfer["id"] == payout["stripe_transfer_id"]
    assert (transfer["amount"], transfer["currency"], transfer["destination"]) == (
        5000,
        "usd",
        account_id,
    )
    assert transfer["metadata"] == {"payout_id": payout["id"], "host_id": host_id}
    assert transfer["transfer_group"] == f"payout:{payout['id']}"
    keys = {k for m, p, k in till.fake.requests if (m, p) == ("POST", "/v1/transfers")}
    assert keys == {f"payout:{payout['id']}"}
    [(refs, meta)] = till.ledger("host_payout")
    assert refs == {
        "host_id": host_id,
        "payout_id": payout["id"],
        "stripe_transfer_id": transfer["id"],
    }
    assert meta["amount_cents"] == 5000
    assert till.ledger_balance(f"host:{host_id}:payable", "USD") == 0
    assert _mine(till, seller)["balances"]["paid_out_cents"] == 5000
    [paid_mail] = [m for m in till.mails_to(seller.email) if "payout" in m["subject"]]
    assert paid_mail["subject"] == "Your payout of $50.00 is on its way"
    assert transfer["id"] in paid_mail["body"]
    # Nothing more to pay: the next ticks transfer nothing.
    till.clock.advance(minutes=5)
    assert run_tick(till.platform).payouts_made == 0
    assert till.fake.created("/v1/transfers") == 1

    # Below the minimum (1.00) nothing is paid; at it, all of it.
    _payable(till, host_id, 99)
    assert run_tick(till.platform).payouts_made == 0
    _payable(till, host_id, 1)
    assert run_tick(till.platform).payouts_made == 1
    assert [t["amount"] for t in till.fake.transfers.values()] == [5000, 100]


def test_stripe_errors_are_retried_with_the_same_key(till: Any) -> None:
    seller, host_id, _account = _onboarded(till)
    _payable(till, host_id, 2500)
    till.fake.fail("/v1/transfers", "500", times=10)  # beyond the library's retries
    run_tick(till.platform)
    [payout] = _mine(till, seller)["payouts"]
    assert payout["status"] == "pending"
    assert payout["attempts"] >= 1
    assert "did not confirm" in payout["last_error"]
    assert _mine(till, seller)["balances"]["pending_cents"] == 2500
    assert till.fake.created("/v1/transfers") == 0
    assert till.ledger("host_payout") == []
    # The reservation holds: more payable does not re-pay the pending amount.
    _payable(till, host_id, 500)
    till.fake.recover()
    till.clock.advance(minutes=2)
    run_tick(till.platform)
    payouts = _mine(till, seller)["payouts"]
    assert sorted((p["amount_cents"], p["status"]) for p in payouts) == [
        (500, "paid"),
        (2500, "paid"),
    ]
    assert sorted(t["amount"] for t in till.fake.transfers.values()) == [500, 2500]
    assert till.ledger_balance(f"host:{host_id}:payable", "USD") == 0


def test_a_crash_between_stripe_and_the_ledger_is_healed_without_a_second_transfer(
    till: Any,
) -> None:
    seller, host_id, account_id = _onboarded(till)
    _payable(till, host_id, 1200)
    # The transfer's answer arrives after the client gave up (Stripe made it), and the
    # process died before recording it: the payout is pending; Stripe has the transfer.
    till.fake.fail("/v1/transfers", "timeout", times=10)  # the library's retries too
    run_tick(till.platform)
    [payout] = _mine(till, seller)["payouts"]
    assert payout["status"] == "pending"
    assert till.fake.created("/v1/transfers") == 1
    till.fake.recover()
    # A day later Stripe has forgotten the key: the retry finds the transfer by its
    # group (one per payout) instead of making another.
    till.fake.forget_idempotency_keys()
    till.clock.advance(hours=25)
    for _ in range(2):
        run_tick(till.platform)
    till.desk.login_again(seller)
    [payout] = _mine(till, seller)["payouts"]
    assert payout["status"] == "paid"
    assert till.fake.created("/v1/transfers") == 1
    [transfer] = till.fake.transfers.values()
    assert payout["stripe_transfer_id"] == transfer["id"]
    assert len(till.ledger("host_payout")) == 1
    assert till.ledger_balance(f"host:{host_id}:payable", "USD") == 0
    assert account_id == transfer["destination"]


def test_a_refused_transfer_fails_frees_its_amount_and_is_retried_by_an_admin(
    till: Any,
) -> None:
    seller, host_id, _account = _onboarded(till)
    _payable(till, host_id, 3000)
    till.fake.refuse_transfers = "Your destination account is restricted"
    run_tick(till.platform)
    [payout] = _mine(till, seller)["payouts"]
    assert payout["status"] == "failed"
    assert "restricted" in payout["last_error"]
    balances = _mine(till, seller)["balances"]
    assert (balances["payable_cents"], balances["pending_cents"]) == (3000, 0)
    assert till.ledger("host_payout") == []
    [failed_mail] = [m for m in till.mails_to(seller.email) if "payout" in m["subject"]]
    assert failed_mail["subject"] == "We could not send your payout of $30.00"
    assert "restricted" in failed_mail["body"]
    # No new payout while one waits for an admin: the same refusal every tick otherwise.
    till.clock.advance(minutes=5)
    assert run_tick(till.platform).payouts_made == 0
    listed = till.client.get(
        "/api/admin/payouts", params={"status": "failed"}, headers=till.admin.headers
    )
    assert [p["id"] for p in listed.json()["host_payouts"]] == [payout["id"]]
    assert (
        till.client.post(
            f"/api/admin/payouts/{payout['id']}/retry", headers=seller.headers
        ).status_code
        == 403
    )
    till.fake.refuse_transfers = None
    retried = till.client.post(
        f"/api/admin/payouts/{payout['id']}/retry", headers=till.admin.headers
    )
    assert retried.status_code == 200, retried.text
    [payout] = _mine(till, seller)["payouts"]
    assert payout["status"] == "paid"
    assert till.fake.created("/v1/transfers") == 1
    again = till.client.post(f"/api/admin/payouts/{payout['id']}/retry", headers=till.admin.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "payout_not_failed"
    missing = till.client.post(
        f"/api/admin/payouts/{uuid.uuid4()}/retry", headers=till.admin.headers
    )
    assert missing.status_code == 404


def test_reconcile_compares_payouts_with_stripes_transfers(
    till: Any, cli_env: Callable[..., dict[str, str]]
) -> None:
    _seller, host_id, account_id = _onboarded(till)
    _payable(till, host_id, 4000)
    run_tick(till.platform)
    env = cli_env()
    runner = CliRunner()
    clean = runner.invoke(main, ["payments", "reconcile"], env=env)
    assert clean.exit_code == 0, clean.output

    outside = till.fake.create_transfer_outside(account_id, 700)
    with till.platform.database.engine.begin() as connection:
        connection.execute(text("UPDATE host_payouts SET amount_cents = 3999"))
    [payout_id] = [str(r["id"]) for r in till.rows("host_payouts")]
    found = runner.invoke(main, ["payments", "reconcile", "--json"], env=env)
    assert found.exit_code == 1, found.output
    problems = {(r["subject"], r["problem"]) for r in json.loads(found.output)["disagreements"]}
    payout_subject = f"payout:{uuid.UUID(payout_id)}"
    assert problems == {
        (payout_subject, "transfer_differs"),
        (f"transfer:{outside}", "transfer_without_payout"),
    }


def test_a_connect_endpoint_may_sign_with_its_own_secret(
    till: Any,
    make_client: Callable[..., Any],
    stripe_overrides: dict[str, Any],
    signer: Callable[..., str],
) -> None:
    seller = till.api.account()
    make_host(till.client, seller)
    account_id = till.client.post("/api/hosts/me/connect", headers=seller.headers).json()[
        "account_id"
    ]
    connect = make_client(**stripe_overrides, stripe_connect_webhook_secret="whsec_connect_only")
    event = till.fake.complete_onboarding(account_id)
    payload = json.dumps(event)

    def deliver(secret: str) -> Any:
        return connect.post(
            "/api/webhooks/stripe",
            content=payload,
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": signer(payload, secret=secret),
            },
        )

    refused = deliver("whsec_someone_else")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_webhook_signature"
    assert _mine(till, seller)["connect"]["status"] == "pending"
    assert deliver("whsec_connect_only").json()["status"] == "stored"
    assert _mine(till, seller)["connect"]["status"] == "enabled"
    # The platform endpoint's own secret still works beside it.
    assert deliver(stripe_overrides["stripe_webhook_secret"]).json()["status"] == "duplicate"
