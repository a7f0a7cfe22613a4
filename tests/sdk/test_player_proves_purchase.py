"""A player proves their own purchase is in the ledger with the SDK, with no role:
`ledger.verify_inclusion(purchase.ledger_seq)` and `ledger.verify_purchase(purchase)`,
sync and async, against the real app in process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alot_sdk import AlotError, AsyncAlot, NotFoundError, PermissionDeniedError
from alot_sdk._verification import check_inclusion
from alot_verify.errors import ProofVerificationError


@pytest.fixture
def purchased(
    make_player: Callable[..., Any], open_lot: Callable[..., Any], pinned_key: str
) -> tuple[Any, Any]:
    lot = open_lot()
    buyer = make_player(ledger_verifier_key=pinned_key)
    buyer.client.trivia.attempt(lot.id, lot.answer)
    return buyer, buyer.client.entries.purchase(lot.id, bundle_index=1)


def test_a_player_verifies_their_purchase_without_a_role(
    purchased: tuple[Any, Any], make_checkpoint: Callable[[], int]
) -> None:
    buyer, purchase = purchased
    assert isinstance(purchase.ledger_seq, int)
    with pytest.raises(NotFoundError) as early:  # no checkpoint covers it yet
        buyer.client.ledger.verify_purchase(purchase)
    assert early.value.code == "not_checkpointed"

    size = make_checkpoint()
    proved = buyer.client.ledger.verify_purchase(purchase)
    assert (proved.seq, proved.tree_size) == (purchase.ledger_seq, size)
    assert proved.transaction.refs["purchase_id"] == purchase.id
    assert buyer.client.ledger.verify_inclusion(purchase.ledger_seq) == proved


def test_a_purchase_is_not_proved_by_another_transaction(
    purchased: tuple[Any, Any], make_checkpoint: Callable[[], int]
) -> None:
    buyer, purchase = purchased
    make_checkpoint()
    other = purchase.model_copy(update={"tickets": purchase.tickets + 1})
    differs = r"metadata\.tickets is 3, the purchase says 4"
    with pytest.raises(ProofVerificationError, match=differs):
        buyer.client.ledger.verify_purchase(other)
    pending = purchase.model_copy(update={"ledger_seq": None, "status": "pending"})
    with pytest.raises(AlotError, match="no ledger transaction records it yet"):
        buyer.client.ledger.verify_purchase(pending)


def test_nobody_else_proves_a_players_purchase(
    purchased: tuple[Any, Any],
    make_checkpoint: Callable[[], int],
    make_player: Callable[..., Any],
    pinned_key: str,
) -> None:
    _, purchase = purchased
    make_checkpoint()
    stranger = make_player(ledger_verifier_key=pinned_key)
    with pytest.raises(PermissionDeniedError) as refused:
        stranger.client.ledger.verify_purchase(purchase)
    assert refused.value.code == "not_a_party"
    # The inclusion proof itself is public, without the transaction.
    proof = stranger.client.ledger.inclusion_proof(purchase.ledger_seq)
    assert proof.transaction is None
    assert proof.leaf_index == purchase.ledger_seq - 1


def test_a_proof_without_its_transaction_checks_the_one_fetched_alone(
    purchased: tuple[Any, Any], make_checkpoint: Callable[[], int], pinned_key: str
) -> None:
    buyer, purchase = purchased
    make_checkpoint()
    seq = purchase.ledger_seq
    mine = buyer.client.ledger.transaction(seq).model_dump(mode="json")
    public = buyer.client.ledger.inclusion_proof(seq).model_dump(mode="json")
    del public["transaction"]
    proved = check_inclusion(public, mine, seq, pinned_key)
    assert proved.transaction.refs["purchase_id"] == purchase.id
    forged = {**mine, "metadata": {**mine["metadata"], "tickets": 99}}
    with pytest.raises(ProofVerificationError):
        check_inclusion(public, forged, seq, pinned_key)


@pytest.mark.anyio
async def test_async_verify_purchase(
    purchased: tuple[Any, Any],
    make_checkpoint: Callable[[], int],
    make_async_client: Callable[..., AsyncAlot],
    pinned_key: str,
) -> None:
    buyer, purchase = purchased
    size = make_checkpoint()
    player = make_async_client(api_token=buyer.client.access_token, ledger_verifier_key=pinned_key)
    proved = await player.ledger.verify_purchase(purchase)
    assert (proved.seq, proved.tree_size) == (purchase.ledger_seq, size)
    again = await player.ledger.verify_inclusion(purchase.ledger_seq)
    assert again == proved
