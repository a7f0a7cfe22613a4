"""Admin operations and the ledger over the real app in process (sync client), and
pagination over every kind of page the platform serves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from alot_sdk import (
    AlotError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
)
from alot_verify.checkpoint import generate_signer_key, verifier_key_for
from alot_verify.draw import commitment_v1, commitment_v2
from alot_verify.errors import CheckpointVerificationError
from alot_verify.ledger import verify_ledger

PASSWORD = "correct-horse-battery"


def _funded_lot(make_player: Callable[..., Any], open_lot: Callable[..., Any]) -> tuple[Any, Any]:
    lot = open_lot()
    buyer = make_player()
    buyer.client.trivia.attempt(lot.id, lot.answer)
    buyer.client.entries.purchase(lot.id, bundle_index=1)
    buyer.client.entries.purchase(lot.id, bundle_index=1)
    return lot, buyer


def test_catalogue_lots_and_users(
    admin: Any, make_player: Callable[..., Any], clock: Any, tick: Callable[[], None]
) -> None:
    classes = admin.client.admin.product_classes
    made = [
        classes.create(
            name=f"Submariner {n}",
            brand="Rolex",
            category="watch",
            tier="GRAIL",
            retail_value_cents=1_450_000 + n,
            specifications={"case_mm": 41},
        )
        for n in range(3)
    ]
    assert made[0].retail_value == "14500.00"
    assert classes.get(made[0].id).specifications == {"case_mm": 41}
    listed = classes.list(limit=2)
    assert len(listed.items) == 2
    assert listed.next_cursor is not None
    walked = [c.id for c in listed]  # the pages walked, each class once
    assert sorted(walked) == sorted(c.id for c in made)
    resumed = classes.list(limit=2, cursor=listed.next_cursor)
    assert [c.id for c in resumed.items] == walked[2:]
    assert resumed.next_cursor is None
    assert classes.update(made[1].id, name="Submariner Date").name == "Submariner Date"
    classes.delete(made[2].id)
    with pytest.raises(NotFoundError):
        classes.get(made[2].id)

    lots = admin.client.admin.lots
    created = lots.create(
        product_class_id=made[0].id,
        title="The diver's grail",
        funding_target_cents=2_500_000,
        deadline=clock.now + timedelta(days=1),
        entry_bundles=[{"price_cents": 200, "tickets": 1}, {"price_cents": 900, "tickets": 5}],
        trivia_question="Which Swiss watchmaker's logo is a five-pointed crown?",
        trivia_answer="Rolex",
        max_tickets_per_user=50,
    )
    assert (created.status, created.max_tickets_per_user) == ("created", 50)
    edited = lots.update(created.id, title="A diver's grail", max_tickets_per_user=None)
    assert (edited.title, edited.max_tickets_per_user) == ("A diver's grail", None)
    opened = lots.open(created.id)
    assert opened.status == "open"
    assert opened.draw.server_seed_commitment
    later = clock.now + timedelta(days=30)
    extended = lots.extend(created.id, deadline=later, reason="The prize ships late")
    assert (extended.status, extended.deadline) == ("open", later)
    with pytest.raises(UnprocessableEntityError) as blank:
        lots.extend(created.id, deadline=later + timedelta(days=1), reason=" ")
    assert blank.value.code == "validation_error"
    with pytest.raises(UnprocessableEntityError) as earlier:
        lots.extend(created.id, deadline=later - timedelta(days=1), reason="sooner")
    assert earlier.value.code == "invalid_lot"
    assert admin.client.lots.get(created.id).deadline == later

    ada = make_player()
    users = admin.client.admin.users
    assert {ada.id, admin.id} <= {u.id for u in users.list(limit=1)}
    assert users.get(ada.id).email == ada.email
    assert sorted(users.set_roles(ada.id, ["player", "auditor"]).roles) == ["auditor", "player"]
    assert users.set_status(ada.id, "suspended").status == "suspended"
    with pytest.raises(AuthenticationError):  # suspension ends the player's sessions
        ada.client.users.me()
    with pytest.raises(PermissionDeniedError) as inactive:
        ada.client.auth.login(ada.email, PASSWORD)
    assert inactive.value.code == "account_inactive"
    users.set_status(ada.id, "active")
    ada.client.auth.login(ada.email, PASSWORD)
    assert ada.client.users.me().id == ada.id

    with pytest.raises(PermissionDeniedError) as refused:
        ada.client.admin.lots.open(created.id)
    assert refused.value.code == "missing_role"


def test_admin_draw_and_settle_repeat_safely(
    admin: Any, make_player: Callable[..., Any], open_lot: Callable[..., Any]
) -> None:
    lot, _ = _funded_lot(make_player, open_lot)
    # The seed is public from funding on, before anyone draws: it matches the commitment.
    frozen = admin.client.lots.draw(lot.id)
    assert frozen.server_seed is not None
    commit = commitment_v1 if frozen.algorithm == "alot-v1" else commitment_v2
    assert commit(frozen.server_seed) == frozen.server_seed_commitment
    drawn = admin.client.admin.lots.draw(lot.id)
    settled = admin.client.admin.lots.settle(lot.id)
    assert drawn.server_seed == frozen.server_seed
    assert drawn.winning_ticket == settled.winning_ticket
    assert settled.stage == "settled"


def test_ledger_reads_proofs_export_and_verification(
    admin: Any,
    make_player: Callable[..., Any],
    open_lot: Callable[..., Any],
    make_checkpoint: Callable[[], int],
    make_client: Callable[..., Any],
    pinned_key: str,
) -> None:
    _lot, buyer = _funded_lot(make_player, open_lot)
    first_size = make_checkpoint()
    _second_lot, _ = _funded_lot(make_player, open_lot)
    size = make_checkpoint()
    assert first_size < size

    ledger = admin.client.ledger
    checkpoint = ledger.checkpoint()
    assert (checkpoint.size, ledger.checkpoint(first_size).size) == (size, first_size)
    assert [c.size for c in ledger.checkpoints(limit=1)] == [size, first_size]
    newest = ledger.checkpoints(limit=1)
    assert newest.next_cursor == str(size)
    resumed = ledger.checkpoints(limit=1, cursor=newest.next_cursor)
    assert ([c.size for c in resumed.items], resumed.next_cursor) == ([first_size], None)
    head = ledger.transactions(limit=2)
    assert head.next_cursor == "2"
    assert [t.seq for t in ledger.transactions(limit=2, cursor=head.next_cursor).items] == [3, 4]
    assert ledger.verifier_key().verifier_key == pinned_key

    transactions = list(ledger.transactions(limit=3))
    assert [t.seq for t in transactions] == list(range(1, size + 1))
    assert ledger.transaction(2) == transactions[1]
    proof = ledger.inclusion_proof(2)
    assert (proof.leaf_index, proof.tree_size, proof.transaction) == (1, size, transactions[1])
    assert ledger.inclusion_proof(2, tree_size=first_size).tree_size == first_size
    consistency = ledger.consistency_proof(first_size, size)
    assert consistency.old_checkpoint
    assert consistency.new_checkpoint

    posting = next(p for t in transactions for p in t.postings if p.account.startswith("lot:"))
    balance = ledger.balance(posting.account, posting.asset)
    assert balance.account == posting.account
    assert ledger.balance(posting.account, posting.asset, as_of_seq=1).balance == 0

    lines = list(ledger.export())
    assert len(lines) == size
    assert all(line.endswith(b"\n") for line in lines)
    summary = verify_ledger(lines, signed_checkpoint=checkpoint.note, verifier_key=pinned_key)
    assert summary.last_seq == size
    assert len(list(ledger.export(from_seq=2, to_seq=3))) == 2

    verifying = make_client(ledger_verifier_key=pinned_key, api_token=admin.client.access_token)
    for seq in (1, size // 2, size):
        proved = verifying.ledger.verify_inclusion(seq)
        assert (proved.seq, proved.tree_size, proved.root_hash) == (
            seq,
            size,
            checkpoint.root_hash,
        )
    assert verifying.ledger.verify_inclusion(1, tree_size=first_size).tree_size == first_size

    # A key the ledger did not sign with, even under its name, proves nothing.
    origin = pinned_key.split("+", 1)[0]
    impostor = verifier_key_for(generate_signer_key(origin)[0])
    with pytest.raises(CheckpointVerificationError):
        admin.client.ledger.verify_inclusion(1, verifier_key=impostor)
    with pytest.raises(AlotError, match="pinned verifier key"):
        admin.client.ledger.verify_inclusion(1)

    # Checkpoints are public; lists of other people's transactions need the auditor role.
    assert buyer.client.ledger.checkpoint().size == size
    with pytest.raises(PermissionDeniedError) as refused:
        buyer.client.ledger.transactions()
    assert refused.value.code == "missing_role"


def test_pages_walk_every_lot_once(
    client: Any, open_lot: Callable[..., Any], make_player: Callable[..., Any], clock: Any
) -> None:
    made = []
    for _ in range(5):
        made.append(open_lot().id)
        clock.advance(seconds=1)  # "newest" needs distinct creation times
    page = client.lots.list(limit=2)
    pages = list(page.iter_pages())
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert not pages[-1].has_next_page()
    with pytest.raises(LookupError):
        pages[-1].get_next_page()
    assert [lot.id for lot in client.lots.list(limit=2)] == list(reversed(made))  # newest first
    assert [lot.id for lot in client.lots.list(state=["funded", "settled"])] == []
    assert len(list(client.lots.list(state="open", tier="RARE", category="memorabilia"))) == 5

    buyer = make_player()
    buyer.client.trivia.attempt(made[0], "5")
    for _ in range(3):
        buyer.client.entries.purchase(made[0], bundle_index=0)
    assert len(list(buyer.client.entries.mine(limit=2))) == 3


def test_search_and_most_funded(
    client: Any, open_lot: Callable[..., Any], make_player: Callable[..., Any], clock: Any
) -> None:
    plain = open_lot(title="Plain lot")
    starry = open_lot(title="Starry Night lot")
    assert [lot.id for lot in client.lots.list(search="STARRY night")] == [starry.id]
    # The product's name is searched too (both lots share the demo product class).
    assert len(list(client.lots.list(search="jordan"))) == 2

    buyer = make_player()
    buyer.client.trivia.attempt(plain.id, "5")
    buyer.client.entries.purchase(plain.id, bundle_index=1)  # 500 of 1000 cents
    ranked = list(client.lots.list(sort="most_funded", limit=1))
    assert [lot.id for lot in ranked] == [plain.id, starry.id]
    assert ranked[0].funding.progress_bps == 5_000


def test_the_admin_desk_overview_reconciliation_and_user_search(
    admin: Any, make_player: Callable[..., Any], open_lot: Callable[..., Any]
) -> None:
    open_lot()
    ada = make_player()
    desk = admin.client.admin

    overview = desk.overview()
    assert overview.lots_by_status["open"] == 1
    assert overview.lots_by_status["settled"] == 0
    assert overview.payment_events_needing_attention == 0

    report = desk.reconciliation()
    assert (report.ok, report.scope, report.differences) == (True, "credits", [])
    assert report.checked_at.tzinfo is not None

    assert [u.id for u in desk.users.list(q=ada.username.upper())] == [ada.id]
    assert list(desk.users.list(q="no-such-account-anywhere")) == []

    with pytest.raises(PermissionDeniedError) as refused:
        ada.client.admin.reconciliation()
    assert refused.value.code == "missing_role"
