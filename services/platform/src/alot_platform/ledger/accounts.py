"""The platform's chart of accounts in the ledger, and the sign convention it uses.

Amounts are signed and every transaction sums to zero per asset. Balances are read from
the holder's side: a positive balance is value the account holds. Two boundary accounts
stand for the world outside the ledger and so carry the mirror image of what came in:

- ``platform:cash`` (USD): money entering through the payment provider is drawn from it,
  money paid back out returns to it; minus its balance is the cash the platform holds.
- ``platform:credits_issued`` (CRD): credits are issued from it; minus its balance is
  the credits ever issued.

Everything else holds value: ``lot:<id>:escrow`` (USD and CRD committed to a lot until
it settles or refunds), ``platform:revenue``, ``platform:fees`` (the 2% kept on cash
refunds), ``host:<id>:held`` (a host's share of a settled lot, held until the winner has
the prize), ``host:<id>:payable`` (released to the host, owed until paid out),
``user:<id>:payable`` (cash owed to a winner whose prize never came),
``user:<id>:credits`` (never negative) and ``platform:credits_redeemed`` (credits spent
on funded lots, out of circulation).

One account holds the opposite of value: ``platform:processing_fees`` (USD), the payment
provider's fees on the payments it took (Stripe keeps them out of the money it pays
out). A fee is money leaving the platform, so ``platform:cash`` gets it back and this
expense account goes down by it: minus its balance is the fees paid, and revenue plus
fees plus processing fees is what the platform kept. The sandbox provider charges none.
Ledger refs carry ids only: never emails, names or addresses.
"""

from __future__ import annotations

import uuid

PLATFORM_CASH = "platform:cash"
PLATFORM_REVENUE = "platform:revenue"
PLATFORM_FEES = "platform:fees"
PROCESSING_FEES = "platform:processing_fees"
CREDITS_ISSUED = "platform:credits_issued"
CREDITS_REDEEMED = "platform:credits_redeemed"

USD = "USD"
CRD = "CRD"


def lot_escrow(lot_id: uuid.UUID) -> str:
    return f"lot:{lot_id}:escrow"


def user_credits(user_id: uuid.UUID) -> str:
    return f"user:{user_id}:credits"


def host_held(host_id: uuid.UUID) -> str:
    return f"host:{host_id}:held"


def host_payable(host_id: uuid.UUID) -> str:
    return f"host:{host_id}:payable"


def user_payable(user_id: uuid.UUID) -> str:
    return f"user:{user_id}:payable"
