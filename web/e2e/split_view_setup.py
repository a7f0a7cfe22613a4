"""Set-up for web/e2e/split-view.spec.ts: the operator signing a second history.

``split_view_setup.py SIZE`` prints a checkpoint note of that size whose root is not the
ledger's, signed with the e2e server's own ledger signing key (from its ALOT_VAR_DIR, as
the platform loads it): exactly what a dishonest operator would show one player while
showing the real checkpoint to everyone else (validly signed, same size, another root).

``split_view_setup.py SIZE --another-key`` prints, as JSON, such a note signed with a
new key under another origin name, and that key's verifier key: an operator that swaps
its key and name to show a player another history as if it were a new ledger.
"""

from __future__ import annotations

import hashlib
import json
import sys

from alot_ledger import Checkpointer
from alot_platform.config import Settings
from alot_platform.ledger.endpoints import ledger_settings
from alot_verify.checkpoint import Checkpoint, generate_signer_key, sign_checkpoint


def main(size: int, *, another_key: bool) -> None:
    checkpointer = Checkpointer.from_settings(ledger_settings(Settings()))
    other_root = hashlib.sha256(f"another history of {size} transactions".encode()).digest()
    checkpoint = Checkpoint(checkpointer.origin, size, other_root)
    if not another_key:
        sys.stdout.write(sign_checkpoint(checkpoint, checkpointer.signer_key))
        return
    origin = f"{checkpointer.origin}-swapped"
    signer, verifier = generate_signer_key(origin)
    note = sign_checkpoint(Checkpoint(origin, size, other_root), signer)
    sys.stdout.write(json.dumps({"note": note, "verifier_key": verifier}))


if __name__ == "__main__":
    main(int(sys.argv[1]), another_key="--another-key" in sys.argv[2:])
