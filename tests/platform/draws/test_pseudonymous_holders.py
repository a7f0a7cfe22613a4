"""Pseudonymous holders (issue 19): a public draw proof names each holder by a per-lot
pseudonym, never by account, while the receipts tell each player theirs and the
ledger's purchases tie pseudonyms to accounts for auditors.

Through the real endpoints: a lot bought with cash, credits and free entries is drawn
and its proof searched for any user id; one player's pseudonyms are compared within a
lot and across two; the ledger export is read by `alot-verify ledger` and
`alot-verify draw --ledger`; a lot created before pseudonyms draws as it always did.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import alot_ledger
import pytest
from alembic import command
from alot_ledger import export_lines
from alot_platform.config import Settings
from alot_platform.db import Base
from alot_platform.draws.models import LotteryDraw
from alot_platform.draws.service import DrawService
from alot_platform.entries.models import LotEntry, LotEntryPurchase
from alot_platform.lots.models import Lot
from alot_platform.migrate import alembic_config, migrate
from alot_platform.users.models import User
from alot_verify.cli import cli as verify_cli
from alot_verify.draw import Entry, holder_pseudonym, ticket_map_root, verify_draw_proof
from alot_verify.ledger import LedgerFailed, verify_ledger
from click.testing import CliRunner
from sqlalchemy import column, create_engine, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import TableClause

HEX64 = set("0123456789abcdef")


def _enter_free(http: Any, account: Any, lot_id: str) -> dict[str, Any]:
    response = http.client.post(
        f"/api/lots/{lot_id}/free-entries",
        headers={**account.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    entry: dict[str, Any] = response.json()
    return entry


def _my_entries(http: Any, account: Any) -> list[dict[str, Any]]:
    response = http.client.get("/api/users/me/entries", headers=account.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _is_holder(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= HEX64


def _ledger_failures(lines: list[str]) -> list[Any]:
    try:
        verify_ledger(lines)
    except LedgerFailed as exc:
        return list(exc.failures)
    return []


@pytest.mark.parametrize("algorithm", ["alot-v1", "alot-v2"])
def test_a_pseudonymous_proof_names_no_account_and_the_ledger_ties_holders(
    http: Any, lots: Any, platform: Any, tmp_path: Path, algorithm: str
) -> None:
    lot = http.open_lot(draw_algorithm=algorithm)
    lot_id = lot["id"]
    assert lot["pseudonymous_holders"] is True
    ada, bob, cy = (http.player(lot_id) for _ in range(3))
    lots.grant_credits(cy.id, 300)
    free = _enter_free(http, ada, lot_id)
    first = http.buy(bob, lot_id, 1)
    assert first.status_code == 201, first.text
    credits = http.buy_with_credits(cy, lot_id, 3)
    assert credits.status_code == 201, credits.text
    funding = http.buy(bob, lot_id, 1)
    assert funding.json()["lot_status"] == "funded", funding.text

    # Each receipt tells its player their pseudonym in the lot.
    holders = {
        ada.id: free["holder"],
        bob.id: first.json()["holder"],
        cy.id: credits.json()["holder"],
    }
    assert all(_is_holder(h) for h in holders.values()), holders
    assert len(set(holders.values())) == 3
    assert funding.json()["holder"] == holders[bob.id]  # stable within the lot

    served = http.client.get(f"/api/lots/{lot_id}/draw").json()
    assert served["stage"] == "settled"
    proof = served["proof"]
    text = json.dumps(proof)
    assert "user_id" not in text
    for account in (ada, bob, cy):
        assert account.id not in text
    assert "winner_user_id" not in proof
    assert _is_holder(proof["winner_holder"])
    assert all(
        set(e) <= {"holder", "tickets_start", "tickets_end", "amount_cents", "purchase_seq", "kind"}
        for e in proof["entries"]
    )
    by_range = {(e["tickets_start"], e["tickets_end"]): e["holder"] for e in proof["entries"]}
    for account, receipt in ((ada, free), (bob, first.json()), (cy, credits.json())):
        assert by_range[(receipt["tickets_start"], receipt["tickets_end"])] == holders[account.id]
    assert (
        by_range[(funding.json()["tickets_start"], funding.json()["tickets_end"])]
        == holders[bob.id]
    )
    # Each entry carries what its purchase put in the escrow (cash cents, credits, 0 for
    # the free entry) and that purchase's ledger seq, the receipt's; together the
    # amounts are the frozen escrow.
    receipts = (free, first.json(), credits.json(), funding.json())
    assert {
        (e["tickets_start"], e["tickets_end"]): (e["amount_cents"], e["purchase_seq"])
        for e in proof["entries"]
    } == {
        (r["tickets_start"], r["tickets_end"]): (
            r["amount_cents"] + r.get("spent_credits", 0),
            r["ledger_seq"],
        )
        for r in receipts
    }
    assert [(e.get("kind"), e["amount_cents"] > 0) for e in proof["entries"]] == [
        ("free", False),
        (None, True),
        (None, True),
        (None, True),
    ]
    assert proof["entries"][0]["amount_cents"] == 0
    assert proof["entries"][2]["amount_cents"] == credits.json()["spent_credits"]
    assert sum(e["amount_cents"] for e in proof["entries"]) == served["escrow_cents"]
    assert verify_draw_proof(proof).winner_holder == proof["winner_holder"]
    bare = http.client.get(f"/api/lots/{lot_id}/draw/proof")
    assert bare.status_code == 200
    assert bare.json() == proof

    # The draw record keeps the winning account (winners are announced) beside the holder.
    assert served["winner_holder"] == proof["winner_holder"]
    winner = next(a for a, h in holders.items() if h == proof["winner_holder"])
    assert served["winner_user_id"] == winner

    # My entries show the same pseudonym on each of the player's entries.
    assert {e["holder"] for e in _my_entries(http, bob)} == {holders[bob.id]}

    # The ledger: every purchase and free entry names its holder next to its user id,
    # the same the receipt gave; the draw_result memo names both.
    lines = list(export_lines(platform.database.engine))
    transactions = [json.loads(line) for line in lines]
    entered = [
        t
        for t in transactions
        if t["kind"] in ("entry_purchase", "free_entry") and t["refs"].get("lot_id") == lot_id
    ]
    assert len(entered) == 4
    for t in entered:
        assert t["refs"]["holder"] == holders[t["refs"]["user_id"]], t
    # Each entry's purchase_seq is its purchase's transaction in the ledger: that lot,
    # that holder, that ticket range, and postings to the escrow summing to its amount.
    by_seq = {t["seq"]: t for t in entered}
    escrow = f"lot:{lot_id}:escrow"
    for e in proof["entries"]:
        t = by_seq[e["purchase_seq"]]
        assert t["kind"] == ("free_entry" if e.get("kind") == "free" else "entry_purchase")
        assert t["refs"]["holder"] == e["holder"]
        assert (t["metadata"]["tickets_start"], t["metadata"]["tickets_end"]) == (
            e["tickets_start"],
            e["tickets_end"],
        )
        paid = sum(p["amount"] for p in t["postings"] if p["account"] == escrow)
        assert paid == e["amount_cents"], (e, t)
    assert sorted(by_seq) == sorted(e["purchase_seq"] for e in proof["entries"])
    result = next(
        t for t in transactions if t["kind"] == "draw_result" and t["refs"]["lot_id"] == lot_id
    )
    assert result["refs"]["winner_holder"] == proof["winner_holder"]
    assert result["refs"]["winner_user_id"] == winner

    # The pseudonym is the contract's HMAC of the lot id under the player's secret,
    # which no response carries.
    with lots.session() as session:
        secret = session.scalars(
            select(User.holder_secret).where(User.id == uuid.UUID(ada.id))
        ).one()
    assert holder_pseudonym(secret, lot_id) == holders[ada.id]
    me = http.client.get("/api/users/me", headers=ada.headers).text
    assert secret.hex() not in me
    assert "holder_secret" not in me


@pytest.mark.parametrize("algorithm", ["alot-v1", "alot-v2"])
def test_alot_verify_ledger_and_draw_ledger_pass_on_a_pseudonymous_lot(
    http: Any, lots: Any, platform: Any, tmp_path: Path, algorithm: str
) -> None:
    lot_id = http.open_lot(draw_algorithm=algorithm)["id"]
    ada, bob, cy = (http.player(lot_id) for _ in range(3))
    lots.grant_credits(cy.id, 300)
    _enter_free(http, ada, lot_id)
    assert http.buy(bob, lot_id, 1).status_code == 201
    assert http.buy_with_credits(cy, lot_id, 3).status_code == 201
    assert http.buy(bob, lot_id, 1).json()["lot_status"] == "funded"
    proof = http.client.get(f"/api/lots/{lot_id}/draw").json()["proof"]
    lines = list(export_lines(platform.database.engine))

    assert _ledger_failures(lines) == []
    proof_path = tmp_path / "proof.json"
    proof_path.write_text(json.dumps(proof))
    export = tmp_path / "ledger.jsonl"
    export.write_text("".join(lines))
    ran = CliRunner().invoke(verify_cli, ["draw", str(proof_path), "--ledger", str(export)])
    assert ran.exit_code == 0, ran.output
    assert f"winner holder {proof['winner_holder']}" in ran.output
    # The amounts and purchases were judged, not skipped: the proof's amounts sum to the
    # escrow, and each entry is its purchase in the ledger.
    ran = CliRunner().invoke(
        verify_cli, ["--json", "draw", str(proof_path), "--ledger", str(export)]
    )
    assert ran.exit_code == 0, ran.output
    results = {c["check"]: c["ok"] for c in json.loads(ran.stdout)["checks"]}
    assert results["entries.amounts"] is True, results
    assert results["draw.entries_purchased"] is True, results
    assert results["draw.ticket_map_from_ledger"] is True, results


def test_a_player_has_one_holder_per_lot_and_another_in_each_lot(http: Any) -> None:
    first_lot = http.open_lot()["id"]
    second_lot = http.open_lot()["id"]
    ada = http.player(first_lot)
    http.desk.pass_trivia(ada, second_lot, " rolex ")
    receipts = [http.buy(ada, first_lot, 0).json() for _ in range(2)]
    other = http.buy(ada, second_lot, 0).json()
    assert receipts[0]["holder"] == receipts[1]["holder"]
    assert _is_holder(other["holder"])
    assert other["holder"] != receipts[0]["holder"]

    entries = _my_entries(http, ada)
    by_lot: dict[str, set[str]] = {}
    for entry in entries:
        by_lot.setdefault(entry["lot_id"], set()).add(entry["holder"])
    assert by_lot == {first_lot: {receipts[0]["holder"]}, second_lot: {other["holder"]}}

    # Another player in the same lot has another pseudonym.
    bob = http.player(first_lot)
    assert http.buy(bob, first_lot, 0).json()["holder"] != receipts[0]["holder"]


def test_a_lot_from_before_pseudonyms_draws_with_named_holders(
    lots: Any, api: Any, platform: Any
) -> None:
    lot_id = lots.open_lot(target_cents=300, pseudonymous=False)
    ada, bob = api.account(), api.account()
    lots.buy(lot_id, ada.id, 1, cash=100)
    lots.buy(lot_id, bob.id, 2, cash=200)  # funds and freezes

    with lots.session() as session:
        DrawService(session, platform).draw(lot_id)
        entries = session.scalars(
            select(LotEntry).where(LotEntry.lot_id == lot_id).order_by(LotEntry.tickets_start)
        ).all()
        draw = session.scalars(select(LotteryDraw).where(LotteryDraw.lot_id == lot_id)).one()
        assert all(e.holder is None for e in entries)
        named = [Entry(str(e.user_id), e.tickets_start, e.tickets_end) for e in entries]
        proof = draw.proof
        assert proof is not None
        # Byte for byte the named map it always was: no amounts, no purchase seqs.
        assert proof["entries"] == [e.to_json() for e in named]
        assert all(set(e) == {"user_id", "tickets_start", "tickets_end"} for e in proof["entries"])
        assert draw.draw_inputs is not None
        assert draw.draw_inputs["ticket_map_root"] == ticket_map_root(named)
        assert "winner_holder" not in proof
        assert proof["winner_user_id"] == str(draw.winner_user_id)

    served = api.client.get(f"/api/lots/{lot_id}/draw").json()
    assert served["winner_holder"] is None
    assert served["winner_user_id"] == proof["winner_user_id"]
    lot = api.client.get(f"/api/lots/{lot_id}").json()
    assert lot["pseudonymous_holders"] is False
    assert {
        e["holder"]
        for e in api.client.get("/api/users/me/entries", headers=ada.headers).json()["items"]
    } == {None}
    result = verify_draw_proof(proof)
    assert result.winner_user_id == proof["winner_user_id"]
    assert result.winner_holder is None


def test_a_ticket_without_its_ledger_transaction_is_never_frozen(
    lots: Any, api: Any, platform: Any
) -> None:
    """An entry's purchase_seq is its purchase's ledger transaction; a purchase the
    ledger never recorded cannot be tied to money, so the freeze refuses the whole map
    rather than publish it (and the funding purchase with it rolls back)."""
    lot_id = lots.open_lot(target_cents=300)
    ada, bob = api.account(), api.account()
    unrecorded = lots.buy(lot_id, ada.id, 1, cash=100)
    with lots.session() as session:
        session.execute(
            update(LotEntryPurchase)
            .where(LotEntryPurchase.id == unrecorded)
            .values(ledger_seq=None)
        )
    with pytest.raises(RuntimeError, match="has no ledger transaction"):
        lots.buy(lot_id, bob.id, 2, cash=200)  # would fund and freeze
    assert lots.rows(LotteryDraw, lot_id=lot_id) == []
    assert lots.lot(lot_id).status == "open"


def test_migration_0023_gives_each_user_a_secret_and_keeps_existing_lots_named(
    make_settings: Callable[..., Settings], db_url: str, old_rows: Any
) -> None:
    settings = make_settings()
    alot_ledger.migrate(db_url)
    command.upgrade(alembic_config(db_url), "0022")
    engine = create_engine(db_url)
    try:
        now = datetime(2026, 12, 1, 12, tzinfo=UTC)
        users, products, lots_table = (
            _at_0022(name) for name in ("users", "product_classes", "lots")
        )
        user_ids = [uuid.uuid4() for _ in range(3)]
        with engine.begin() as connection:
            for i, user_id in enumerate(user_ids):
                connection.execute(
                    users.insert().values(
                        id=user_id,
                        email=f"old{i}@example.com",
                        username=f"old{i}",
                        hashed_password="x",
                        verified_email=True,
                        verified_identity=False,
                        status="active",
                        total_entries=0,
                        total_won=0,
                        created_at=now,
                        updated_at=now,
                    )
                )
            product_id = old_rows.product(connection, products, now)
            lot_id = old_rows.lot(
                connection,
                lots_table,
                now,
                product_class_id=product_id,
                status="open",
                free_tickets=0,
            )

        migrate(settings)

        with engine.connect() as connection:
            secrets_by_user = dict(connection.execute(select(User.id, User.holder_secret)).all())
            named = connection.execute(
                select(Lot.pseudonymous_holders).where(Lot.id == lot_id)
            ).scalar_one()
        assert set(secrets_by_user) == set(user_ids)
        assert all(len(s) == 32 for s in secrets_by_user.values())
        assert len(set(secrets_by_user.values())) == 3  # each its own random draw
        assert named is False  # its draw stays exactly as it was
        with engine.begin() as connection, pytest.raises(IntegrityError):
            connection.execute(
                update(User).where(User.id == user_ids[0]).values(holder_secret=None)
            )

        config = alembic_config(db_url)
        config.attributes["settings"] = settings
        command.downgrade(config, "0022")
        migrate(settings)  # and up again: new secrets, the lot still named
        with engine.connect() as connection:
            again = dict(connection.execute(select(User.id, User.holder_secret)).all())
        assert set(again) == set(user_ids)
    finally:
        engine.dispose()


def _at_0022(name: str) -> TableClause:
    """Table ``name`` as it stood at revision 0022 (the model's columns, with their
    types, less those 0023 adds)."""
    added = {"holder_secret", "pseudonymous_holders", "holder"}
    model = Base.metadata.tables[name]
    return table(name, *(column(c.name, c.type) for c in model.columns if c.name not in added))
