"""The HTTP API, in-process against the real app and database (httpx ASGI via TestClient)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alot_ledger.http import create_app
from alot_ledger.settings import LedgerSettings
from alot_verify import merkle
from alot_verify.checkpoint import verify_checkpoint
from alot_verify.ledger import verify_ledger
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

SERVICE = {"Authorization": "Bearer service-secret"}
AUDITOR = {"Authorization": "Bearer auditor-secret"}


def _settings(tmp_path: Path, **overrides: object) -> LedgerSettings:
    values: dict[str, object] = {
        "var_dir": tmp_path / "var",
        "ledger_service_token": "service-secret",
        "ledger_auditor_token": "auditor-secret",
        "ledger_checkpoint_interval": 3600,
    }
    values.update(overrides)
    return LedgerSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(tmp_path), engine)) as client:
        yield client


def _grant(client: TestClient, user: str, amount: int, key: str | None = None) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/ledger/transactions",
        json={
            "kind": "credit_grant",
            "postings": [
                {"account": "platform:credits_issued", "asset": "CRD", "amount": -amount},
                {"account": f"user:{user}:credits", "asset": "CRD", "amount": amount},
            ],
            "refs": {"user": user},
        },
        headers={**SERVICE, **({"Idempotency-Key": key} if key else {})},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _problem(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["type"] == f"urn:alot:problem:{code}"


def test_write_read_prove_and_export(client: TestClient) -> None:
    receipts = [_grant(client, str(n % 3), 100 + n) for n in range(9)]
    assert [r["seq"] for r in receipts] == list(range(1, 10))

    made = client.post("/api/ledger/checkpoints", headers=SERVICE)
    assert made.status_code == 201
    key = client.get("/api/ledger/verifier-key", headers=AUDITOR).json()["verifier_key"]
    latest = client.get("/api/ledger/checkpoint", headers=AUDITOR).json()
    checkpoint = verify_checkpoint(latest["note"], key)
    assert checkpoint.size == 9

    one = client.get("/api/ledger/transactions/4", headers=AUDITOR).json()
    assert one["seq"] == 4
    assert set(one) == {
        "seq", "id", "kind", "created_at", "refs", "metadata", "postings", "prev_hash", "hash"
    }  # fmt: skip
    proof = client.get("/api/ledger/proofs/inclusion?seq=4", headers=AUDITOR).json()
    assert proof["transaction"] == one
    merkle.verify_inclusion(
        bytes.fromhex(one["hash"]),
        proof["leaf_index"],
        proof["tree_size"],
        [bytes.fromhex(h) for h in proof["proof"]],
        verify_checkpoint(proof["checkpoint"], key).root_hash,
    )

    _grant(client, "9", 5)
    client.post("/api/ledger/checkpoints", headers=SERVICE)
    history = client.get("/api/ledger/checkpoints", headers=AUDITOR).json()["items"]
    assert [c["size"] for c in history] == [10, 9]
    old = client.get("/api/ledger/proofs/inclusion?seq=4&tree_size=9", headers=AUDITOR).json()
    assert old["tree_size"] == 9
    assert verify_checkpoint(old["checkpoint"], key).size == 9
    consistency = client.get(
        "/api/ledger/proofs/consistency?old_size=9&new_size=10", headers=AUDITOR
    ).json()
    merkle.verify_consistency(
        9,
        10,
        [bytes.fromhex(h) for h in consistency["proof"]],
        checkpoint.root_hash,
        verify_checkpoint(consistency["new_checkpoint"], key).root_hash,
    )

    page = client.get("/api/ledger/transactions?after_seq=3&limit=4", headers=AUDITOR).json()
    assert [t["seq"] for t in page["items"]] == [4, 5, 6, 7]
    assert page["next_cursor"] == "7"
    following = client.get("/api/ledger/transactions?cursor=7&limit=4", headers=AUDITOR).json()
    assert [t["seq"] for t in following["items"]] == [8, 9, 10]
    assert following["next_cursor"] is None
    # A page that ends exactly at the head is the last one: no empty page follows.
    ending = client.get("/api/ledger/transactions?cursor=6&limit=4", headers=AUDITOR).json()
    assert ([t["seq"] for t in ending["items"]], ending["next_cursor"]) == ([7, 8, 9, 10], None)
    for bad in ("x", "-1", "7.0", " 7", str(2**53), "1" * 40, "\u0667"):
        response = client.get("/api/ledger/transactions", params={"cursor": bad}, headers=AUDITOR)
        _problem(response, 422, "invalid_cursor")
    too_long = client.get("/api/ledger/transactions", params={"cursor": "1" * 501}, headers=AUDITOR)
    _problem(too_long, 422, "validation_error")

    balance = client.get(
        "/api/ledger/accounts/user:0:credits/balances/CRD?as_of_seq=4", headers=AUDITOR
    ).json()
    assert balance == {
        "account": "user:0:credits",
        "asset": "CRD",
        "balance": 100 + 103,
        "version": 2,
        "as_of_seq": 4,
    }

    export = client.get("/api/ledger/export", headers=AUDITOR)
    assert export.headers["content-type"] == "application/jsonl"
    verify_ledger(export.text.splitlines(), signed_checkpoint=history[0]["note"], verifier_key=key)
    part = client.get("/api/ledger/export?from_seq=3&to_seq=5", headers=AUDITOR)
    assert [line.count('"seq":') for line in part.text.splitlines()] == [1, 1, 1]
    assert (part.headers["X-Ledger-First-Seq"], part.headers["X-Ledger-Last-Seq"]) == ("3", "5")
    clamped = client.get("/api/ledger/export?from_seq=9&to_seq=1000", headers=AUDITOR)
    assert (clamped.headers["X-Ledger-First-Seq"], clamped.headers["X-Ledger-Last-Seq"]) == (
        "9",
        "10",
    )
    assert [json.loads(line)["seq"] for line in clamped.text.splitlines()] == [9, 10]
    beyond = client.get("/api/ledger/export?from_seq=11", headers=AUDITOR)
    assert beyond.headers["X-Ledger-Last-Seq"] == "10"
    assert beyond.text == ""
    _problem(
        client.get("/api/ledger/export?from_seq=5&to_seq=3", headers=AUDITOR), 422, "invalid_range"
    )


def test_idempotent_http_retry(client: TestClient) -> None:
    first = _grant(client, "1", 50, key="grant-1")
    assert _grant(client, "1", 50, key="grant-1") == first
    conflict = client.post(
        "/api/ledger/transactions",
        json={"kind": "credit_grant", "postings": []},
        headers={**SERVICE, "Idempotency-Key": "grant-1"},
    )
    _problem(conflict, 409, "idempotency_conflict")


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (
            {"kind": "x", "postings": [{"account": "platform:cash", "asset": "USD", "amount": 5}]},
            422,
            "unbalanced_transaction",
        ),
        (
            {
                "kind": "x",
                "postings": [
                    {"account": "platform:cash", "asset": "USD", "amount": 5.0},
                    {"account": "lot:a:escrow", "asset": "USD", "amount": -5},
                ],
            },
            422,
            "invalid_amount",
        ),
        (
            {
                "kind": "x",
                "postings": [
                    {"account": "user:1:credits", "asset": "CRD", "amount": -5},
                    {"account": "lot:a:escrow", "asset": "CRD", "amount": 5},
                ],
            },
            409,
            "insufficient_funds",
        ),
        (
            {
                "kind": "x",
                "postings": [
                    {"account": "platform:cash", "asset": "XYZ", "amount": 5},
                    {"account": "lot:a:escrow", "asset": "XYZ", "amount": -5},
                ],
            },
            422,
            "unknown_asset",
        ),
        ({"postings": []}, 422, "validation_error"),
    ],
)
def test_bad_writes_are_problems_and_change_nothing(
    client: TestClient,
    payload: dict[str, object],
    status: int,
    code: str,
) -> None:
    response = client.post("/api/ledger/transactions", json=payload, headers=SERVICE)
    _problem(response, status, code)
    assert client.get("/api/ledger/transactions", headers=AUDITOR).json()["size"] == 0


def test_reads_need_a_token_and_writes_the_service_token(client: TestClient) -> None:
    _problem(client.get("/api/ledger/transactions"), 401, "not_authenticated")
    _problem(
        client.get("/api/ledger/transactions", headers={"Authorization": "Bearer nope"}),
        403,
        "forbidden",
    )
    _problem(client.post("/api/ledger/checkpoints", headers=AUDITOR), 403, "forbidden")
    _problem(
        client.post("/api/ledger/transactions", json={"kind": "x"}, headers=AUDITOR),
        403,
        "forbidden",
    )


def test_public_ledger_reads_without_a_token(engine: Engine, tmp_path: Path) -> None:
    settings = _settings(tmp_path, ledger_public=True, ledger_service_token="")
    with TestClient(create_app(settings, engine)) as client:
        assert client.get("/api/ledger/transactions").status_code == 200
        # An empty service token means nobody can write, not that anybody can.
        _problem(
            client.post("/api/ledger/checkpoints", headers={"Authorization": "Bearer "}),
            401,
            "not_authenticated",
        )
        _problem(
            client.post("/api/ledger/checkpoints", headers={"Authorization": "Bearer x"}),
            403,
            "forbidden",
        )


def test_not_found_and_out_of_range(client: TestClient) -> None:
    _problem(client.get("/api/ledger/checkpoint", headers=AUDITOR), 404, "checkpoint_not_found")
    _problem(client.get("/api/ledger/transactions/1", headers=AUDITOR), 404, "not_found")
    _problem(client.get("/api/ledger/proofs/inclusion?seq=1", headers=AUDITOR), 404, "not_found")
    _grant(client, "1", 5)
    assert client.get("/api/ledger/transactions/1", headers=AUDITOR).json()["seq"] == 1
    _problem(
        client.get("/api/ledger/proofs/inclusion?seq=1", headers=AUDITOR), 404, "not_checkpointed"
    )
    _problem(
        client.get("/api/ledger/proofs/inclusion?seq=1&tree_size=1", headers=AUDITOR),
        404,
        "checkpoint_not_found",
    )
    client.post("/api/ledger/checkpoints", headers=SERVICE)
    _grant(client, "1", 5)
    beyond = client.get("/api/ledger/proofs/inclusion?seq=2", headers=AUDITOR)
    _problem(beyond, 404, "not_checkpointed")
    assert beyond.json()["latest_checkpoint_size"] == 1
    _problem(
        client.get("/api/ledger/proofs/inclusion?seq=2&tree_size=1", headers=AUDITOR),
        422,
        "invalid_range",
    )
    _problem(
        client.get("/api/ledger/proofs/inclusion?seq=0", headers=AUDITOR), 422, "validation_error"
    )
    _problem(
        client.get("/api/ledger/proofs/consistency?old_size=0&new_size=3", headers=AUDITOR),
        422,
        "invalid_range",
    )
    _problem(
        client.get("/api/ledger/proofs/consistency?old_size=2&new_size=1", headers=AUDITOR),
        422,
        "invalid_range",
    )
    _problem(
        client.get("/api/ledger/accounts/user:1:credits/balances/CRD?as_of_seq=9", headers=AUDITOR),
        422,
        "invalid_range",
    )
    _problem(
        client.get("/api/ledger/accounts/Bad Name/balances/CRD", headers=AUDITOR),
        422,
        "invalid_transaction",
    )


def test_checkpoints_page_newest_first_behind_a_cursor(client: TestClient) -> None:
    """The checkpoint list is the platform's envelope: ``items`` and ``next_cursor``
    (the size of the page's last checkpoint), null on the last page, ``before_size``
    still accepted; a bad cursor or limit is a 422 problem and nothing else."""
    for n in range(5):
        _grant(client, str(n), 10 + n)
        assert client.post("/api/ledger/checkpoints", headers=SERVICE).status_code == 201
    seen: list[int] = []
    params: dict[str, object] = {"limit": 2}
    for _ in range(10):
        page = client.get("/api/ledger/checkpoints", params=params).json()
        assert set(page) == {"items", "next_cursor"}
        seen += [c["size"] for c in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [5, 4, 3, 2, 1]
    whole = client.get("/api/ledger/checkpoints", params={"limit": 5}).json()
    assert [c["size"] for c in whole["items"]] == seen
    assert whole["next_cursor"] is None  # no trailing empty page
    older = client.get("/api/ledger/checkpoints", params={"before_size": 3}).json()
    assert [c["size"] for c in older["items"]] == [2, 1]
    both = client.get("/api/ledger/checkpoints", params={"cursor": "2", "before_size": 5})
    assert [c["size"] for c in both.json()["items"]] == [1]
    for bad in ("x", "-1", "2.5", str(2**53)):
        response = client.get("/api/ledger/checkpoints", params={"cursor": bad})
        _problem(response, 422, "invalid_cursor")
    for limit in (0, 1001):
        response = client.get("/api/ledger/checkpoints", params={"limit": limit})
        _problem(response, 422, "validation_error")
