"""Every account in the ledger, summed: the checks money conservation is made of.

``Books(platform).check()`` reads every (account, asset) balance straight from the
ledger's accounts and asserts, per asset, that they sum to zero, that no account lies
outside the chart of accounts (alot_platform/ledger/accounts.py), and that the cash the
platform holds (minus ``platform:cash``) is exactly what the accounts that hold cash
hold: escrow + revenue + fees + processing fees + hosts' held + hosts' payable +
winners' payable. Credits likewise: issued = held by users + in escrow + redeemed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from alot_ledger.tables import accounts
from sqlalchemy import select

USD_HOLDERS = {
    "escrow": re.compile(r"lot:[0-9a-f-]{36}:escrow"),
    "revenue": re.compile(r"platform:revenue"),
    "fees": re.compile(r"platform:fees"),
    "processing_fees": re.compile(r"platform:processing_fees"),
    "held": re.compile(r"host:[0-9a-f-]{36}:held"),
    "host_payable": re.compile(r"host:[0-9a-f-]{36}:payable"),
    "user_payable": re.compile(r"user:[0-9a-f-]{36}:payable"),
}
CRD_HOLDERS = {
    "escrow": re.compile(r"lot:[0-9a-f-]{36}:escrow"),
    "user_credits": re.compile(r"user:[0-9a-f-]{36}:credits"),
    "redeemed": re.compile(r"platform:credits_redeemed"),
}


@dataclass(frozen=True)
class Totals:
    cash_held: int
    """Minus ``platform:cash``: the money the platform holds now."""
    usd: dict[str, int]
    credits_issued: int
    crd: dict[str, int]


class Books:
    def __init__(self, platform: Any) -> None:
        self.platform = platform

    def balances(self) -> dict[tuple[str, str], int]:
        with self.platform.database.engine.connect() as connection:
            rows = connection.execute(
                select(accounts.c.name, accounts.c.asset, accounts.c.balance)
            ).all()
        return {(str(name), str(asset)): int(balance) for name, asset, balance in rows}

    def check(self) -> Totals:
        balances = self.balances()
        per_asset: dict[str, int] = defaultdict(int)
        for (_name, asset), amount in balances.items():
            per_asset[asset] += amount
        assert all(total == 0 for total in per_asset.values()), dict(per_asset)
        usd = dict.fromkeys(USD_HOLDERS, 0)
        crd = dict.fromkeys(CRD_HOLDERS, 0)
        cash = issued = 0
        for (name, asset), amount in balances.items():
            if (name, asset) == ("platform:cash", "USD"):
                cash = -amount
                continue
            if (name, asset) == ("platform:credits_issued", "CRD"):
                issued = -amount
                continue
            holders = USD_HOLDERS if asset == "USD" else CRD_HOLDERS
            kinds = [kind for kind, pattern in holders.items() if pattern.fullmatch(name)]
            assert len(kinds) == 1, f"{name} ({asset}) is outside the chart of accounts"
            (usd if asset == "USD" else crd)[kinds[0]] += amount
        assert cash == sum(usd.values()), (cash, usd)
        assert issued == sum(crd.values()), (issued, crd)
        return Totals(cash, usd, issued, crd)
