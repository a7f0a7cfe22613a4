"""Who reads what of the mounted ledger, and a player checking their own purchase.

Public: checkpoints, the verifier key, consistency and inclusion proofs (hashes and
signatures only). A transaction, alone or inside its inclusion proof: the auditor role,
and the player it names; a lot's seed commitment (it names no player): anyone. Lists,
the export and balances: the auditor role (or ALOT_LEDGER_PUBLIC).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import pytest
from alot_ledger import Checkpointer
from alot_platform.db import unit_of_work
from alot_platform.ledger.endpoints import ledger_settings
from alot_platform.users.models import Role
from alot_platform.users.service import UserService
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
    path = f"/api/ledger/transactions/{seq}"
    assert client.get(path).status_code == 401, path
    refused = client.get(path, headers=stranger.headers)
    assert refused.status_code == 403, path
    assert refused.json()["code"] == "not_a_party"
    assert refused.headers["content-type"].startswith("application/problem+json")
    # The lot's seed commitment names no player and repeats what the lot page shows:
    # anyone logged in reads it (and anyone sees it inside its inclusion proof).
    commitment = client.get("/api/ledger/transactions/1", headers=stranger.headers)
    assert commitment.status_code == 200, commitment.text
    assert commitment.json()["kind"] == "draw_commitment"
    # Its inclusion proof is public, without the transaction.
    for headers in ({}, stranger.headers):
        proof = client.get(f"/api/ledger/proofs/inclusion?seq={seq}", headers=headers)
        assert proof.status_code == 200, proof.text
        assert "transaction" not in proof.json()
        assert set(proof.json()) == {"leaf_index", "tree_size", "leaf_hash", "proof", "checkpoint"}


def _invoke(args: list[str]) -> Any:
    return CliRunner().invoke(cli, args)


def test_anyone_proves_a_leaf_without_seeing_the_transaction(
    client: TestClient, bought: Any, tmp_path: Any
) -> None:
    _, player, cash, credits = bought
    key = client.get("/api/ledger/verifier-key").json()["verifier_key"]
    seq = cash["ledger_seq"]
    document = client.get(f"/api/ledger/proofs/inclusion?seq={seq}").json()
    assert "transaction" not in document
    assert document["leaf_index"] == seq - 1
    proof_file = tmp_path / "public.json"
    proof_file.write_text(json.dumps(document), encoding="utf-8")

    checked = _invoke(["inclusion", str(proof_file), "--key", key])
    assert checked.exit_code == 0, checked.output
    assert f"OK: leaf {document['leaf_hash']} is at index {seq - 1}" in checked.stdout
    assert "NOTE: the transaction itself was not provided" in checked.stdout

    # The player (who reads their transaction) checks the leaf is that transaction.
    own = client.get(f"/api/ledger/transactions/{seq}", headers=player.headers).json()
    own_file = tmp_path / "own.json"
    own_file.write_text(json.dumps(own), encoding="utf-8")
    with_own = _invoke(["inclusion", str(proof_file), "--key", key, "--transaction", str(own_file)])
    assert with_own.exit_code == 0, with_own.output
    assert "NOTE:" not in with_own.stdout

    # Another transaction is not this leaf.
    other = client.get(
        f"/api/ledger/transactions/{credits['ledger_seq']}", headers=player.headers
    ).json()
    other_file = tmp_path / "other.json"
    other_file.write_text(json.dumps(other), encoding="utf-8")
    wrong = _invoke(["inclusion", str(proof_file), "--key", key, "--transaction", str(other_file)])
    assert wrong.exit_code == 1, wrong.output
    assert "FAIL: " in wrong.stdout

    # A tampered leaf hash or audit path does not reach the signed root.
    tampered_leaf = {**document, "leaf_hash": _flip(document["leaf_hash"])}
    tampered_path = {**document, "proof": [_flip(document["proof"][0]), *document["proof"][1:]]}
    for name, forged in (("leaf", tampered_leaf), ("path", tampered_path)):
        forged_file = tmp_path / f"forged-{name}.json"
        forged_file.write_text(json.dumps(forged), encoding="utf-8")
        failed = _invoke(["inclusion", str(forged_file), "--key", key])
        assert failed.exit_code == 1, (name, failed.output)
        assert "FAIL: inclusion: " in failed.stdout


def _flip(hex_hash: str) -> str:
    return ("0" if hex_hash[0] != "0" else "1") + hex_hash[1:]


def test_the_player_named_and_an_auditor_get_the_transaction(
    client: TestClient, bought: Any, api: Any
) -> None:
    _, player, cash, _ = bought
    seq = cash["ledger_seq"]
    auditor = api.account()
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with contextmanager(unit_of_work)(platform.database) as session:
        users = UserService(session, platform)
        users.set_roles(users.get(uuid.UUID(auditor.id)), [Role.PLAYER, Role.AUDITOR])
    for headers in (player.headers, auditor.headers):
        document = client.get(f"/api/ledger/proofs/inclusion?seq={seq}", headers=headers).json()
        assert document["transaction"]["seq"] == seq
        assert document["transaction"]["refs"]["user_id"] == player.id


def test_walking_every_seq_anonymously_reveals_no_transaction(
    client: TestClient, bought: Any, api: Any
) -> None:
    _, player, _, _ = bought
    size = client.get("/api/ledger/checkpoint").json()["size"]
    assert size >= 3
    admin = api.admin()
    everyone = client.get("/api/ledger/export", headers=admin.headers).text
    named = {
        value
        for line in everyone.splitlines()
        for value in json.loads(line)["refs"].values()
        if isinstance(value, str)
    }
    assert player.id in named
    kinds = {json.loads(line)["seq"]: json.loads(line)["kind"] for line in everyone.splitlines()}
    lots = _lot_ids(everyone)
    shown = []
    for seq in range(1, size + 1):
        answer = client.get(f"/api/ledger/proofs/inclusion?seq={seq}")
        assert answer.status_code == 200, answer.text
        if "transaction" in answer.json():
            shown.append(kinds[seq])
        for value in named - lots:
            assert value not in answer.text, (seq, value)
    # Only the lots' seed commitments are shown to anyone, and they name no player.
    assert shown == ["draw_commitment"] * len(shown)
    assert shown


def _lot_ids(export: str) -> set[str]:
    return {
        json.loads(line)["refs"]["lot_id"]
        for line in export.splitlines()
        if "lot_id" in json.loads(line)["refs"]
    }


def test_a_public_ledger_is_readable_by_anyone(make_client: Callable[..., TestClient]) -> None:
    client = make_client(ledger_public=True)
    for path in ["/api/ledger/verifier-key", "/api/ledger/transactions", "/api/ledger/export"]:
        assert client.get(path).status_code == 200, path
