"""Set-up for web/e2e/split-view.spec.ts: the operator signing a second history.

Prints a checkpoint note of the given size whose root is not the ledger's, signed with
the e2e server's own ledger signing key (from its ALOT_VAR_DIR, as the platform loads
it). It is exactly what a dishonest operator would show one player while showing the
real checkpoint to everyone else: validly signed, same size, another root.
"""

from __future__ import annotations

import hashlib
import sys

from alot_ledger import Checkpointer
from alot_platform.config import Settings
from alot_platform.ledger.endpoints import ledger_settings
from alot_verify.checkpoint import Checkpoint, sign_checkpoint


def main(size: int) -> None:
    checkpointer = Checkpointer.from_settings(ledger_settings(Settings()))
    other_root = hashlib.sha256(f"another history of {size} transactions".encode()).digest()
    checkpoint = Checkpoint(checkpointer.origin, size, other_root)
    note = sign_checkpoint(checkpoint, checkpointer.signer_key)
    sys.stdout.write(note)


if __name__ == "__main__":
    main(int(sys.argv[1]))
