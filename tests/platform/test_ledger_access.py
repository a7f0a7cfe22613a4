"""Who reads what of the mounted ledger, and a player checking their own purchase.

Public: checkpoints, the verifier key, consistency proofs (hashes and signatures only).
A transaction and its inclusion proof: the auditor role, and the player it names.
Lists, the export and balances: the auditor role (or ALOT_LEDGER_PUBLIC).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from alot_ledger import Checkpointer
from alot_platform.ledger.endpoints import ledger_settings
from alot_verify.cli import cli
from alot_verify.ledger import transaction_leaf_hash
from click.testing import CliRunner
from fastapi.testclient import TestClient

PUBLIC = [
    "/api/ledger/checkpoint",
    "/api/ledger/checkpoints",
    "/api/ledger/checkpoints/{size}",
    "/api/ledger/verifier-key",
    "/api/ledger/proofs/consistency?old_size=1&new_size={size}",
]
AUDITORS_ONLY = [
    "/api/ledger/transactions",
    "/api/ledger/export",
    "/api/ledger/accounts/platform:cash/balances/USD",
]


def _checkpoint(client: TestClient) -> int:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    made = Checkpointer.from_settings(ledger_settings(platform.settings)).checkpoint(
        platform.database.engine
    )
    return made.size


@pytest.fixture
def bought(
    client: TestClient, make_lot_desk: Callable[..., Any], services: Any
) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    """A player's cash purchase and credit purchase in one lot, both checkpointed."""
    desk = make_lot_desk()
    lot = desk.open_lot()
    player = desk.player(lot["id"])
    services.grant_credits(player.id, 300)
    cash = desk.buy(player, lot["id"])
    assert cash.status_code == 201, cash.text
    credits = desk.buy_with_credits(player, lot["id"], 2)
    assert credits.status_code == 201, credits.text
    _checkpoint(client)
    return desk, player, cash.json(), credits.json()


def test_checkpoints_key_and_consistency_are_public(client: TestClient, bought: Any) -> None:
    size = client.get("/api/ledger/checkpoint").json()["size"]
    for path in PUBLIC:
        response = client.get(path.format(size=size))
        assert response.status_code == 200, (path, response.text)


def test_lists_export_and_balances_need_the_auditor_role(
    client: TestClient, bought: Any, api: Any
) -> None:
    _, player, _, _ = bought
    for path in AUDITORS_ONLY:
        assert client.get(path).status_code == 401, path
        refused = client.get(path, headers=player.headers)
        assert refused.status_code == 403, path
        assert refused.json()["code"] == "missing_role"
    admin = api.admin()
    for path in AUDITORS_ONLY:
        assert client.get(path, headers=admin.headers).status_code == 200, path


def test_a_purchase_answer_names_its_ledger_transaction(
    client: TestClient, bought: Any, api: Any
) -> None:
    _, player, cash, credits = bought
    admin = api.admin()
    for purchase, method in ((cash, "cash"), (credits, "credits")):
        seq = purchase["ledger_seq"]
        assert isinstance(seq, int)
        line = client.get(f"/api/ledger/transactions/{seq}", headers=admin.headers).json()
        assert line["kind"] == "entry_purchase"
        assert line["refs"]["purchase_id"] == purchase["id"]
        assert line["refs"]["user_id"] == player.id
        assert line["metadata"]["method"] == method


def test_a_replayed_purchase_answers_the_same_seq(
    make_lot_desk: Callable[..., Any], services: Any
) -> None:
    desk = make_lot_desk()
    lot = desk.open_lot()
    player = desk.player(lot["id"])
    services.grant_credits(player.id, 100)
    for buy in (
        lambda key: desk.buy(player, lot["id"], key=key),
        lambda key: desk.buy_with_credits(player, lot["id"], 1, key=key),
    ):
        key = desk.key()
        first, again = buy(key), buy(key)
        assert first.status_code == 201, first.text
        assert again.status_code in (200, 201), again.text
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["ledger_seq"] == first.json()["ledger_seq"] is not None


def test_a_player_proves_their_own_purchase_without_a_role(
    client: TestClient, bought: Any, tmp_path: Any
) -> None:
    _, player, cash, credits = bought
    key = client.get("/api/ledger/verifier-key").json()["verifier_key"]
    for purchase in (cash, credits):
        seq = purchase["ledger_seq"]
        response = client.get(f"/api/ledger/proofs/inclusion?seq={seq}", headers=player.headers)
        assert response.status_code == 200, response.text
        document = response.json()
        assert document["transaction"]["refs"]["purchase_id"] == purchase["id"]
        assert document["leaf_hash"] == transaction_leaf_hash(document["transaction"]).hex()
        alone = client.get(f"/api/ledger/transactions/{seq}", headers=player.headers)
        assert alone.json() == document["transaction"]

        proof_file = tmp_path / f"inclusion-{seq}.json"
        proof_file.write_text(json.dumps(document), encoding="utf-8")
        checked = CliRunner().invoke(cli, ["inclusion", str(proof_file), "--key", key])
        assert checked.exit_code == 0, checked.output
        assert checked.stdout.startswith("OK: checkpoint for ")


def test_nobody_else_reads_a_players_transaction(
    client: TestClient, bought: Any, make_lot_desk: Callable[..., Any]
) -> None:
    desk, _, cash, _ = bought
    stranger = desk.player()
    seq = cash["ledger_seq"]
    for path in (f"/api/ledger/proofs/inclusion?seq={seq}", f"/api/ledger/transactions/{seq}"):
        assert client.get(path).status_code == 401, path
        refused = client.get(path, headers=stranger.headers)
        assert refused.status_code == 403, path
        assert refused.json()["code"] == "not_a_party"
        assert refused.headers["content-type"].startswith("application/problem+json")
    # The lot's own transactions (its commitment) name no player: auditors only.
    assert client.get("/api/ledger/transactions/1", headers=stranger.headers).status_code == 403


def test_a_public_ledger_is_readable_by_anyone(make_client: Callable[..., TestClient]) -> None:
    client = make_client(ledger_public=True)
    for path in ["/api/ledger/verifier-key", "/api/ledger/transactions", "/api/ledger/export"]:
        assert client.get(path).status_code == 200, path
