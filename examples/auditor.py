"""An auditor's run: download the ledger and its checkpoint, verify them, print a report.

Checks, each printed as `OK: ...` or `FAIL: ...`:

1. the platform still serves the verifier key you pinned (a change needs explaining);
2. the whole export: every hash and link, balances per asset, no credit balance below
   zero, and the Merkle root of the signed checkpoint, signed by *your* pinned key;
3. inclusion proofs of the first and the last checkpointed transaction, one by one;
4. the draws of the latest settled lots, recomputed from their proofs.

The pinned key comes from the operator over a channel you trust, never from the server
being checked (`--verifier-key` or `ALOT_VERIFY_LEDGER_KEY`). Reading the ledger takes
an auditor or admin account (`ALOT_EMAIL` / `ALOT_PASSWORD`, or `ALOT_API_TOKEN`).
Against `make run`:

    ALOT_VERIFY_LEDGER_KEY='alot.local/ledger+...' ALOT_EMAIL=admin@alot.example.com \\
        ALOT_PASSWORD=... .venv/bin/python examples/auditor.py

Exit 0 when everything verified, 1 when anything failed, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from alot_sdk import Alot, AlotError
from alot_verify.errors import AlotVerifyError
from alot_verify.ledger import LedgerFailed, verify_ledger_file


class Report:
    def __init__(self) -> None:
        self.failures = 0

    def ok(self, message: str) -> None:
        print(f"OK: {message}")

    def fail(self, message: str) -> None:
        self.failures += 1
        print(f"FAIL: {message}")


def check_key(client: Alot, pinned: str, report: Report) -> None:
    served = client.ledger.verifier_key().verifier_key
    if served == pinned:
        report.ok(f"the platform serves the pinned verifier key {pinned.split('+')[0]}")
    else:
        report.fail(f"the platform now serves another verifier key: {served}")


def check_ledger(client: Alot, pinned: str, folder: Path, report: Report) -> int:
    checkpoint = client.ledger.checkpoint()
    export = folder / "ledger.jsonl"
    (folder / "checkpoint.txt").write_text(checkpoint.note)
    with export.open("wb") as out:
        for line in client.ledger.export(to_seq=checkpoint.size):
            out.write(line)
    report.ok(f"downloaded {checkpoint.size} transactions and the checkpoint to {folder}")
    try:
        summary = verify_ledger_file(export, signed_checkpoint=checkpoint.note, verifier_key=pinned)
    except LedgerFailed as failed:
        for failure in failed.failures:
            report.fail(f"ledger: {failure}")
        return checkpoint.size
    except AlotVerifyError as error:
        report.fail(f"ledger: {error}")
        return checkpoint.size
    report.ok(
        f"{summary.transactions} transactions: hashes, chain, balances and the signed root"
        f" of size {checkpoint.size} ({checkpoint.root_hash[:16]}...) all check out"
    )
    for asset, moved in sorted(summary.volume.items()):
        report.ok(f"volume {asset}: {moved} minor units moved")
    return checkpoint.size


def check_inclusion(client: Alot, pinned: str, size: int, report: Report) -> None:
    for seq in sorted({1, size}):
        try:
            proved = client.ledger.verify_inclusion(seq, verifier_key=pinned)
        except AlotVerifyError as error:
            report.fail(f"transaction {seq}: {error}")
            continue
        report.ok(
            f"transaction {seq} ({proved.transaction.kind}) is in the signed tree of size"
            f" {proved.tree_size}"
        )


def check_draws(client: Alot, limit: int, report: Report) -> None:
    checked = 0
    for lot in client.lots.list(state="settled"):
        if checked == limit:
            break
        checked += 1
        try:
            draw = client.lots.verify_draw(lot.id)
        except AlotVerifyError as error:
            report.fail(f"draw of {lot.title!r}: {error}")
            continue
        report.ok(
            f"draw of {lot.title!r}: ticket {draw.winning_ticket} -> user {draw.winner_user_id}"
        )
    if not checked:
        report.ok("no settled lot to check yet")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--verifier-key",
        default=os.environ.get("ALOT_VERIFY_LEDGER_KEY"),
        help="the pinned checkpoint key (default: ALOT_VERIFY_LEDGER_KEY)",
    )
    parser.add_argument("--out", type=Path, help="folder for the export (default: a temp dir)")
    parser.add_argument("--draws", type=int, default=5, help="settled lots to check")
    args = parser.parse_args(argv)
    if not args.verifier_key:
        print("usage: pin the ledger's verifier key with --verifier-key or ALOT_VERIFY_LEDGER_KEY")
        return 2

    report = Report()
    with Alot(ledger_verifier_key=args.verifier_key) as client:
        email, password = os.environ.get("ALOT_EMAIL"), os.environ.get("ALOT_PASSWORD")
        if email and password:
            client.auth.login(email, password)
        check_key(client, args.verifier_key, report)
        with tempfile.TemporaryDirectory() as scratch:
            folder = args.out or Path(scratch)
            folder.mkdir(parents=True, exist_ok=True)
            size = check_ledger(client, args.verifier_key, folder, report)
        check_inclusion(client, args.verifier_key, size, report)
        check_draws(client, args.draws, report)
    print(f"{'FAILED' if report.failures else 'PASSED'}: {report.failures} failure(s)")
    return 1 if report.failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AlotError as error:
        print(f"FAIL: {error}")
        sys.exit(1)
