"""Set-up for web/e2e/payouts.spec.ts on the e2e server's data: the platform's own code
owes money as a released share or a winner's compensation leaves it, so the payout
screens can be driven without selling, shipping and disputing a lot first.

    payouts_setup.py release <host id> <cents> -> host:<id>:payable + cents
    payouts_setup.py owe <user id> <cents>     -> user:<id>:payable + cents

The money comes from ``platform:revenue`` (the platform's own), so the e2e ledger still
balances; the real paths (settlement, release, compensation) are covered by
tests/platform/hosts/test_money_conservation.py and, in the browser, by
web/e2e/marketplace.spec.ts (a host paid after a delivery).
"""

from __future__ import annotations

import sys
import uuid
from contextlib import contextmanager

from alot_ledger import Ledger, Posting
from alot_platform.clock import system_clock
from alot_platform.config import Settings
from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.hosts.escrow import HOST_RELEASE, WINNER_COMPENSATION
from alot_platform.keys import load_keys
from alot_platform.ledger.accounts import PLATFORM_REVENUE, USD, host_payable, user_payable
from alot_platform.mail import mailer_from_settings


def main(command: str, subject: str, cents: str = "0") -> None:
    settings = Settings()  # ALOT_VAR_DIR: the e2e server's database and keys
    platform = PlatformContext.build(
        settings, system_clock, load_keys(settings), mailer_from_settings(settings)
    )
    try:
        with contextmanager(unit_of_work)(platform.database) as session:
            amount = int(cents)
            kind, account = (
                (HOST_RELEASE, host_payable(uuid.UUID(subject)))
                if command == "release"
                else (WINNER_COMPENSATION, user_payable(uuid.UUID(subject)))
            )
            Ledger(session).post(
                kind,
                [Posting(PLATFORM_REVENUE, USD, -amount), Posting(account, USD, amount)],
                refs={"e2e_setup": command},
            )
    finally:
        platform.database.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])
