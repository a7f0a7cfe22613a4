"""Proof documents as served, checked by the real `alot-verify` command line.

Each document is fetched from the real app and handed to `alot-verify inclusion` or
`alot-verify consistency` exactly as served (on standard input), with the served
verifier key: it must verify, and a tampered copy must not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alot_ledger.http import create_app
from alot_ledger.settings import LedgerSettings
from alot_verify.checkpoint import generate_signer_key, sign_checkpoint, verify_checkpoint
from alot_verify.cli import cli
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

SERVICE = {"Authorization": "Bearer service-secret"}
AUDITOR = {"Authorization": "Bearer auditor-secret"}
CHECKPOINT_SIZES = (1, 2, 5, 8, 13)


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings = LedgerSettings(
        var_dir=tmp_path / "var",
        ledger_service_token="service-secret",
        ledger_auditor_token="auditor-secret",
        ledger_checkpoint_interval=3600,
    )
    with TestClient(create_app(settings, engine)) as client:
        yield client


@pytest.fixture
def ledger(client: TestClient) -> str:
    """13 transactions (transfers and memos), checkpointed at CHECKPOINT_SIZES; the key."""
    for seq in range(1, 14):
        if seq % 4 == 0:
            payload: dict[str, Any] = {"kind": "draw_commitment", "refs": {"lot": f"lot-{seq}"}}
        else:
            payload = {
                "kind": "credit_grant",
                "postings": [
                    {"account": "platform:credits_issued", "asset": "CRD", "amount": -seq},
                    {"account": f"user:{seq % 3}:credits", "asset": "CRD", "amount": seq},
                ],
                "metadata": {"reason": "test", "n": seq},
            }
        response = client.post("/api/ledger/transactions", json=payload, headers=SERVICE)
        assert response.status_code == 201, response.text
        if seq in CHECKPOINT_SIZES:
            made = client.post("/api/ledger/checkpoints", headers=SERVICE)
            assert made.json()["size"] == seq
    key: str = client.get("/api/ledger/verifier-key", headers=AUDITOR).json()["verifier_key"]
    return key


def _get(client: TestClient, path: str) -> dict[str, Any]:
    response = client.get(path, headers=AUDITOR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    document: dict[str, Any] = response.json()
    return document


def _verify(command: str, document: dict[str, Any] | str, key: str) -> Result:
    text = document if isinstance(document, str) else json.dumps(document)
    return CliRunner().invoke(cli, [command, "-", "--key", key], input=text)


def test_every_inclusion_proof_verifies_with_alot_verify(client: TestClient, ledger: str) -> None:
    for size in CHECKPOINT_SIZES:
        for seq in range(1, size + 1):
            response = client.get(
                f"/api/ledger/proofs/inclusion?seq={seq}&tree_size={size}", headers=AUDITOR
            )
            assert response.status_code == 200, response.text
            result = _verify("inclusion", response.text, ledger)  # the bytes as served
            assert result.exit_code == 0, (seq, size, result.output)
            assert f"(size {size}) verifies" in result.output


def test_inclusion_defaults_to_the_latest_checkpoint(client: TestClient, ledger: str) -> None:
    document = _get(client, "/api/ledger/proofs/inclusion?seq=7")
    assert set(document) == {
        "leaf_index", "tree_size", "leaf_hash", "transaction", "proof", "checkpoint"
    }  # fmt: skip
    assert (document["leaf_index"], document["tree_size"]) == (6, 13)
    assert document["transaction"] == _get(client, "/api/ledger/transactions/7")
    assert document["leaf_hash"] == document["transaction"]["hash"]
    assert verify_checkpoint(document["checkpoint"], ledger).size == 13
    assert _verify("inclusion", document, ledger).exit_code == 0


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-reader"}])
def test_a_proof_for_anyone_leaves_the_transaction_out(
    client: TestClient, ledger: str, headers: dict[str, str]
) -> None:
    for seq in range(1, 14):
        response = client.get(f"/api/ledger/proofs/inclusion?seq={seq}", headers=headers)
        assert response.status_code == 200, response.text
        document = response.json()
        assert set(document) == {"leaf_index", "tree_size", "leaf_hash", "proof", "checkpoint"}
        assert "user:" not in response.text
        assert "lot-" not in response.text
        result = _verify("inclusion", response.text, ledger)
        assert result.exit_code == 0, (seq, result.output)
        assert "NOTE: the transaction itself was not provided" in result.output
        assert document["leaf_hash"] == _get(client, f"/api/ledger/transactions/{seq}")["hash"]


def _tampered_inclusions(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    def copy() -> dict[str, Any]:
        return json.loads(json.dumps(document))  # type: ignore[no-any-return]

    changed = copy()
    changed["proof"][0] = "00" * 32
    yield "a proof hash", changed
    changed = copy()
    changed["proof"] = changed["proof"][:-1]
    yield "a missing proof hash", changed
    changed = copy()
    changed["transaction"]["postings"][1]["amount"] += 1
    yield "an amount", changed
    changed = copy()
    changed["transaction"]["metadata"]["n"] = 99
    yield "the metadata", changed
    changed = copy()
    changed["leaf_index"] += 1
    yield "the leaf index", changed
    changed = copy()
    changed["tree_size"] = 8
    yield "the tree size", changed
    changed = copy()
    note = changed["checkpoint"].split("\n")
    note[1] = "12"  # claims a smaller tree under the same signature
    changed["checkpoint"] = "\n".join(note)
    yield "the checkpoint body", changed


def test_a_tampered_inclusion_proof_fails(client: TestClient, ledger: str) -> None:
    document = _get(client, "/api/ledger/proofs/inclusion?seq=6")
    assert document["transaction"]["postings"], "seq 6 is a transfer"
    for what, changed in _tampered_inclusions(document):
        result = _verify("inclusion", changed, ledger)
        assert result.exit_code == 1, (what, result.output)
        assert "FAIL" in result.output, what


def test_an_inclusion_proof_needs_the_ledgers_own_key(client: TestClient, ledger: str) -> None:
    document = _get(client, "/api/ledger/proofs/inclusion?seq=3")
    signer, verifier = generate_signer_key("alot.local/ledger")
    assert _verify("inclusion", document, verifier).exit_code == 1
    # A checkpoint re-signed by another key under the same origin does not verify either.
    body = document["checkpoint"].split("\n\n", 1)[0] + "\n"
    parsed = verify_checkpoint(document["checkpoint"], ledger)
    assert parsed.body() == body
    forged = {**document, "checkpoint": sign_checkpoint(parsed, signer)}
    assert _verify("inclusion", forged, ledger).exit_code == 1


def test_consistency_proofs_verify_with_alot_verify(client: TestClient, ledger: str) -> None:
    pairs = [(a, b) for a in CHECKPOINT_SIZES for b in CHECKPOINT_SIZES if a <= b]
    for old_size, new_size in pairs:
        document = _get(
            client, f"/api/ledger/proofs/consistency?old_size={old_size}&new_size={new_size}"
        )
        both_signed = {"old_size", "new_size", "proof", "old_checkpoint", "new_checkpoint"}
        assert set(document) == both_signed
        result = _verify("consistency", document, ledger)
        assert result.exit_code == 0, (old_size, new_size, result.output)


def test_consistency_without_a_checkpoint_serves_the_root(client: TestClient, ledger: str) -> None:
    document = _get(client, "/api/ledger/proofs/consistency?old_size=3&new_size=13")
    assert set(document) == {"old_size", "new_size", "proof", "old_root", "new_checkpoint"}
    assert _verify("consistency", document, ledger).exit_code == 0
    empty = _get(client, "/api/ledger/proofs/consistency?old_size=0&new_size=5")
    assert set(empty) == {"old_size", "new_size", "proof", "old_root", "new_checkpoint"}
    assert _verify("consistency", empty, ledger).exit_code == 0


def test_a_tampered_consistency_proof_fails(client: TestClient, ledger: str) -> None:
    document = _get(client, "/api/ledger/proofs/consistency?old_size=5&new_size=13")
    older = _get(client, "/api/ledger/checkpoints/8")["note"]
    tampered = [
        {**document, "proof": ["00" * 32, *document["proof"][1:]]},
        {**document, "proof": document["proof"][:-1]},
        {**document, "new_checkpoint": older},  # a real checkpoint, but of another size
        {**document, "old_size": 6},
    ]
    for changed in tampered:
        result = _verify("consistency", changed, ledger)
        assert result.exit_code == 1, (changed, result.output)


def test_openapi_declares_the_proof_documents(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]

    def response_schema(path: str) -> dict[str, Any]:
        content = schema["paths"][path]["get"]["responses"]["200"]["content"]
        reference: str = content["application/json"]["schema"]["$ref"]
        found: dict[str, Any] = components[reference.rsplit("/", 1)[1]]
        return found

    inclusion = response_schema("/api/ledger/proofs/inclusion")
    assert set(inclusion["properties"]) == {
        "leaf_index", "tree_size", "leaf_hash", "transaction", "proof", "checkpoint"
    }  # fmt: skip
    # The transaction is there only for its party and readers (optional in the schema).
    assert set(inclusion["required"]) == set(inclusion["properties"]) - {"transaction"}
    consistency = response_schema("/api/ledger/proofs/consistency")
    assert set(consistency["properties"]) == {
        "old_size", "new_size", "proof", "old_root", "new_root", "old_checkpoint", "new_checkpoint"
    }  # fmt: skip
    transaction = response_schema("/api/ledger/transactions/{seq}")
    assert set(transaction["properties"]) == {
        "seq", "id", "kind", "created_at", "refs", "metadata", "postings", "prev_hash", "hash"
    }  # fmt: skip
