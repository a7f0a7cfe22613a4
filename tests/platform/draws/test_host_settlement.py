"""A host lot's settlement: ALOT!'s commission to revenue, the host's share held, and
every cent accounted for (the ledger's accounts sum to what came in)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.platform.marketplace import make_host, open_host_lot


def _usd(http: Any, account: str) -> int:
    return int(http.ledger_balance(account, "USD"))


@pytest.mark.parametrize(
    ("commission_bps", "cash_buys", "credit_buys"),
    [
        (1500, [1, 1, 1], []),  # 13.50 cash: share 11.47, commission 2.03 (rounded down)
        (2000, [0], [3, 3, 3]),  # 1.00 cash, 9 tickets in credits: the share exceeds the cash
    ],
)
def test_a_host_lot_settles_into_commission_and_held_share(
    http: Any, lots: Any, commission_bps: int, cash_buys: list[int], credit_buys: list[int]
) -> None:
    host = make_host(http.client, http.api.account(), commission_bps=commission_bps)
    lot = open_host_lot(http.desk, host, non_winner_credit_rate_percent=10)
    lot_id = lot["id"]
    for bundle in cash_buys:
        assert http.buy(http.player(lot_id), lot_id, bundle).status_code == 201
    for bundle in credit_buys:
        buyer = http.player(lot_id)
        lots.grant_credits(buyer.id, 1000)
        assert http.buy_with_credits(buyer, lot_id, bundle).status_code == 201
    served = http.client.get(f"/api/lots/{lot_id}/draw").json()
    assert served["lot_status"] == "settled", served

    read = http.client.get(f"/api/lots/{lot_id}").json()
    cash, funded = read["funding"]["cash_cents"], read["funding"]["funded_cents"]
    assert cash == sum({0: 100, 1: 450}[b] for b in cash_buys)
    commission = funded * commission_bps // 10_000
    share = funded - commission
    assert _usd(http, f"host:{host}:held") == share
    assert _usd(http, f"lot:{lot_id}:escrow") == 0
    # Revenue is the cash kept: what came in less the host's share (negative when
    # credits paid for more of the lot than the commission covers).
    assert _usd(http, "platform:revenue") == cash - share
    assert -_usd(http, "platform:cash") == _usd(http, "platform:revenue") + share
    if credit_buys:
        assert share > cash  # the platform paid the host for the credits' part
