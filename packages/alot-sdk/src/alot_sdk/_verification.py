"""The checks behind `lots.verify_draw`, `ledger.verify_inclusion` and
`ledger.verify_purchase`, done with alot_verify.

Both work on the JSON exactly as the platform sent it (hashes are over canonical JSON,
so nothing may be re-serialized on the way) and ignore anything the server says about
its own correctness: a draw is recomputed from its inputs, a transaction is re-hashed,
its Merkle path walked up to a root, and that root must be signed by the key the
caller pinned beforehand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alot_verify.canonical import canonical_json
from alot_verify.checkpoint import verify_checkpoint
from alot_verify.draw import DrawResult, verify_draw_proof
from alot_verify.errors import (
    DrawVerificationError,
    FieldMismatch,
    InputError,
    ProofVerificationError,
)
from alot_verify.ledger import transaction_leaf_hash
from alot_verify.merkle import verify_inclusion

from alot_sdk.models import LedgerTransaction, Purchase, VerifiedInclusion

# `transaction` is optional: the public proof leaves it out for a caller it does not name.
_INCLUSION_MEMBERS = ("leaf_index", "tree_size", "leaf_hash", "proof", "checkpoint")


def check_draw(
    proof: Any,
    lot_id: str,
    *,
    expected_commitment: str | None = None,
    beacon_public_key: bytes | None = None,
) -> DrawResult:
    """Verify a draw proof and that it is the proof of `lot_id` (and of its commitment)."""
    result = verify_draw_proof(proof, beacon_public_key=beacon_public_key)
    mismatches: list[FieldMismatch] = []
    if result.lot_id != str(lot_id):
        mismatches.append(
            FieldMismatch("lot_id", str(lot_id), result.lot_id, "the proof is of another lot")
        )
    if expected_commitment is not None:
        published = _commitment(proof)
        if published != expected_commitment:
            mismatches.append(
                FieldMismatch(
                    "server_seed_commitment",
                    expected_commitment,
                    str(published),
                    "not the commitment published when the lot opened",
                )
            )
    if mismatches:
        raise DrawVerificationError(mismatches)
    return result


def _commitment(proof: Mapping[str, Any]) -> Any:
    if proof.get("algorithm") == "alot-v1":
        return proof.get("server_seed_commitment")
    inputs = proof.get("draw_inputs")
    return inputs.get("server_seed_commitment") if isinstance(inputs, Mapping) else None


def check_inclusion(
    document: Any, transaction: Any, seq: int, verifier_key: str
) -> VerifiedInclusion:
    """Check an inclusion proof document for transaction `seq` against a pinned key.

    `transaction` is the same transaction fetched on its own; it must be the proof's,
    byte for byte in canonical form (when the proof leaves it out, the proof's leaf
    must still be its hash). Raises `InputError` for a malformed document,
    `CheckpointVerificationError` when the checkpoint is not signed by `verifier_key`,
    `ProofVerificationError` when anything else does not match.
    """
    if not isinstance(document, Mapping):
        raise InputError("an inclusion proof is a JSON object", where="$")
    missing = [name for name in _INCLUSION_MEMBERS if name not in document]
    if missing:
        raise InputError(f"missing member(s) {', '.join(missing)}", where="inclusion proof")
    proved = document.get("transaction")
    if proved is None:
        proved = transaction
    leaf = transaction_leaf_hash(proved)
    if canonical_json(transaction) != canonical_json(proved):
        raise ProofVerificationError(
            f"transaction {seq} as served alone differs from the one in its inclusion proof"
        )
    if proved["hash"] != leaf.hex():
        raise ProofVerificationError(
            f"transaction {seq} hashes to {leaf.hex()}, not to its stated hash {proved['hash']}"
        )
    if proved["seq"] != seq:
        raise ProofVerificationError(
            f"asked for transaction {seq}, the proof is of {proved['seq']}"
        )
    leaf_index, tree_size = document["leaf_index"], document["tree_size"]
    if leaf_index != seq - 1:
        raise ProofVerificationError(f"transaction {seq} must be leaf {seq - 1}, not {leaf_index}")
    if document["leaf_hash"] != leaf.hex():
        raise ProofVerificationError(
            f"the proof's leaf_hash {document['leaf_hash']} is not the transaction's {leaf.hex()}"
        )
    if not isinstance(document["checkpoint"], str):
        raise InputError("must be the signed note text", where="checkpoint")
    checkpoint = verify_checkpoint(document["checkpoint"], verifier_key)
    if checkpoint.size != tree_size:
        raise ProofVerificationError(
            f"the proof is for tree size {tree_size}; the signed checkpoint is of {checkpoint.size}"
        )
    verify_inclusion(leaf, leaf_index, tree_size, _hashes(document["proof"]), checkpoint.root_hash)
    return VerifiedInclusion(
        seq=seq,
        transaction=LedgerTransaction.model_validate(proved),
        leaf_hash=leaf.hex(),
        tree_size=tree_size,
        root_hash=checkpoint.root_hash.hex(),
        origin=checkpoint.origin,
    )


def check_purchase_transaction(purchase: Purchase, proved: VerifiedInclusion) -> None:
    """That the proved transaction is the one that recorded `purchase`: its kind, ids,
    tickets and holder pseudonym. Raises `ProofVerificationError` naming what differs."""
    transaction = proved.transaction
    stated = {
        "kind": (transaction.kind, "entry_purchase"),
        "refs.purchase_id": (transaction.refs.get("purchase_id"), str(purchase.id)),
        "refs.lot_id": (transaction.refs.get("lot_id"), str(purchase.lot_id)),
        "metadata.tickets": (transaction.metadata.get("tickets"), purchase.tickets),
        "metadata.tickets_start": (
            transaction.metadata.get("tickets_start"),
            purchase.tickets_start,
        ),
        "metadata.tickets_end": (transaction.metadata.get("tickets_end"), purchase.tickets_end),
        # The pseudonym on the receipt is the one the ledger (and so the proof) names.
        "refs.holder": (transaction.refs.get("holder"), purchase.holder),
    }
    differing = [
        f"{name} is {found!r}, the purchase says {expected!r}"
        for name, (found, expected) in stated.items()
        if found != expected
    ]
    if differing:
        raise ProofVerificationError(
            f"ledger transaction {transaction.seq} is not purchase {purchase.id}: "
            + "; ".join(differing)
        )


def _hashes(value: Any) -> list[bytes]:
    if not isinstance(value, list):
        raise InputError("must be an array of hex hashes", where="proof")
    hashes = []
    for i, item in enumerate(value):
        try:
            digest = bytes.fromhex(item) if isinstance(item, str) else b""
        except ValueError:
            digest = b""
        if len(digest) != 32:
            raise InputError("must be 64 hex digits", where=f"proof[{i}]")
        hashes.append(digest)
    return hashes
