"""`alot-verify inclusion` and `alot-verify consistency` on honest and forged proofs.

Proofs come from the vector export's leaves through alot_verify.merkle (the same
generation code the ledger service serves); the documents follow docs/spec/proofs.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify._testing import vector_keys
from alot_verify.checkpoint import Checkpoint, generate_signer_key, sign_checkpoint
from alot_verify.cli import cli
from alot_verify.merkle import MemoryTree, consistency_proof, inclusion_proof
from click.testing import CliRunner, Result


@pytest.fixture
def transactions(spec_vectors: Path) -> list[dict[str, Any]]:
    text = (spec_vectors / "ledger-small.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def tree(transactions: list[dict[str, Any]]) -> MemoryTree:
    return MemoryTree(bytes.fromhex(t["hash"]) for t in transactions)


@pytest.fixture
def key(spec_vectors: Path) -> str:
    return str(spec_vectors / "ledger-small.vkey")


def _checkpoint(tree: MemoryTree, size: int) -> str:
    signer, _ = vector_keys()
    return sign_checkpoint(Checkpoint("alot.local/ledger", size, tree.root(size)), signer)


def _inclusion(tree: MemoryTree, index: int, size: int) -> dict[str, Any]:
    return {
        "leaf_index": index,
        "tree_size": size,
        "leaf_hash": tree.perfect(0, index).hex(),
        "proof": [h.hex() for h in inclusion_proof(index, size, tree.perfect)],
        "root": tree.root(size).hex(),
    }


def _consistency(tree: MemoryTree, old: int, new: int) -> dict[str, Any]:
    return {
        "old_size": old,
        "new_size": new,
        "proof": [h.hex() for h in consistency_proof(old, new, tree.perfect)],
        "old_root": tree.root(old).hex(),
        "new_root": tree.root(new).hex(),
    }


def _run(args: list[str], document: Any = None, *, raw: str | None = None) -> Result:
    text = raw if raw is not None else (json.dumps(document) if document is not None else None)
    return CliRunner().invoke(cli, args, input=text)


# --- inclusion ---------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(0, 1), (0, 40), (5, 7), (15, 16), (39, 40)])
def test_honest_inclusion_proof_verifies(tree: MemoryTree, index: int, size: int) -> None:
    result = _run(["inclusion", "-"], _inclusion(tree, index, size))
    assert result.exit_code == 0, result.output
    assert f"OK: leaf {tree.perfect(0, index).hex()} is at index {index}" in result.stdout


def test_inclusion_with_transaction_and_checkpoint(
    tree: MemoryTree, transactions: list[dict[str, Any]], key: str
) -> None:
    document = _inclusion(tree, 12, 40)
    del document["leaf_hash"], document["root"]
    document["transaction"] = transactions[12]
    document["checkpoint"] = _checkpoint(tree, 40)
    result = _run(["inclusion", "-", "--key", key], document)
    assert result.exit_code == 0, result.output
    assert "OK: checkpoint for alot.local/ledger (size 40) verifies" in result.stdout


def _public(tree: MemoryTree, index: int, size: int) -> dict[str, Any]:
    """An inclusion proof as served to anyone: the signed checkpoint, no transaction."""
    document = _inclusion(tree, index, size)
    del document["root"]
    document["checkpoint"] = _checkpoint(tree, size)
    return document


def test_a_proof_without_its_transaction_proves_the_leaf_and_says_so(
    tree: MemoryTree, key: str
) -> None:
    result = _run(["inclusion", "-", "--key", key], _public(tree, 12, 40))
    assert result.exit_code == 0, result.output
    assert "OK: checkpoint for alot.local/ledger (size 40) verifies" in result.stdout
    assert f"OK: leaf {tree.perfect(0, 12).hex()} is at index 12" in result.stdout
    assert "NOTE: the transaction itself was not provided" in result.stdout
    as_json = _run(["--json", "inclusion", "-", "--key", key], _public(tree, 12, 40))
    report = json.loads(as_json.stdout)
    assert report["verified"] is True
    assert report["transaction_checked"] is False
    assert "not provided" in report["notes"][0]


def test_transaction_flag_checks_the_public_leaf(
    tree: MemoryTree, transactions: list[dict[str, Any]], key: str, tmp_path: Path
) -> None:
    own, other = tmp_path / "own.json", tmp_path / "other.json"
    own.write_text(json.dumps(transactions[12]), encoding="utf-8")
    other.write_text(json.dumps(transactions[20]), encoding="utf-8")
    document = _public(tree, 12, 40)
    right = _run(["inclusion", "-", "--key", key, "--transaction", str(own)], document)
    assert right.exit_code == 0, right.output
    assert "NOTE:" not in right.stdout
    wrong = _run(["inclusion", "-", "--key", key, "--transaction", str(other)], document)
    assert wrong.exit_code == 1, wrong.output
    assert "FAIL: transaction seq 21 is not leaf index 12" in wrong.stdout
    assert "is not the transaction's hash" in wrong.stdout
    # An export line as the file's one line (with its newline) reads the same.
    own.write_text(json.dumps(transactions[12]) + "\n", encoding="utf-8")
    again = _run(["inclusion", "-", "--key", key, "--transaction", str(own)], document)
    assert again.exit_code == 0, again.output
    unreadable = _run(
        ["inclusion", "-", "--key", key, "--transaction", str(tmp_path / "missing.json")], document
    )
    assert unreadable.exit_code == 2


@pytest.mark.parametrize("what", ["leaf_hash", "proof"])
def test_a_tampered_public_proof_fails(tree: MemoryTree, key: str, what: str) -> None:
    document = _public(tree, 12, 40)
    if what == "leaf_hash":
        document["leaf_hash"] = _flip(document["leaf_hash"])
    else:
        document["proof"][0] = _flip(document["proof"][0])
    result = _run(["inclusion", "-", "--key", key], document)
    assert result.exit_code == 1, result.output
    assert "FAIL: inclusion: " in result.stdout


def test_inclusion_from_flags_only(tree: MemoryTree) -> None:
    document = _inclusion(tree, 3, 9)
    args = ["inclusion", "--leaf-hash", document["leaf_hash"], "--index", "3", "--tree-size", "9"]
    args += [arg for h in document["proof"] for arg in ("--proof", h)]
    args += ["--root", document["root"]]
    result = _run(args)
    assert result.exit_code == 0, result.output


def _flip(hex_hash: str) -> str:
    return ("0" if hex_hash[0] != "0" else "1") + hex_hash[1:]


def _wrong_sibling(d: dict[str, Any]) -> None:
    d["proof"][1] = _flip(d["proof"][1])


def _extra_hash(d: dict[str, Any]) -> None:
    d["proof"].append(d["proof"][0])


def _missing_hash(d: dict[str, Any]) -> None:
    d["proof"].pop()


def _wrong_size(d: dict[str, Any]) -> None:
    # Sizes whose audit path has the same shape (37 and 38 for leaf 21) accept the same
    # proof against the same root: only a signed checkpoint binds the size (tested below).
    d["tree_size"] *= 2


def _smaller_size(d: dict[str, Any]) -> None:
    d["tree_size"] -= 5


def _index_plus_one(d: dict[str, Any]) -> None:
    d["leaf_index"] += 1


def _index_minus_one(d: dict[str, Any]) -> None:
    d["leaf_index"] -= 1


def _wrong_leaf(d: dict[str, Any]) -> None:
    d["leaf_hash"] = _flip(d["leaf_hash"])


def _wrong_root(d: dict[str, Any]) -> None:
    d["root"] = _flip(d["root"])


def _index_beyond(d: dict[str, Any]) -> None:
    d["leaf_index"] = d["tree_size"]


FORGERIES = [
    _wrong_sibling,
    _extra_hash,
    _missing_hash,
    _wrong_size,
    _smaller_size,
    _index_plus_one,
    _index_minus_one,
    _wrong_leaf,
    _wrong_root,
    _index_beyond,
]


@pytest.mark.parametrize("forge", FORGERIES, ids=lambda f: f.__name__.strip("_"))
def test_forged_inclusion_proof_fails(tree: MemoryTree, forge: Any) -> None:
    document = _inclusion(tree, 21, 37)
    forge(document)
    result = _run(["inclusion", "-"], document)
    assert result.exit_code == 1, result.output
    assert "FAIL: inclusion: " in result.stdout


def test_transaction_that_is_not_the_leaf_fails(
    tree: MemoryTree, transactions: list[dict[str, Any]]
) -> None:
    document = _inclusion(tree, 12, 40)
    document["transaction"] = transactions[13]  # off by one: seq 14 is leaf 13
    result = _run(["inclusion", "-"], document)
    assert result.exit_code == 1
    assert "FAIL: transaction seq 14 is not leaf index 12" in result.stdout


def test_edited_transaction_fails(tree: MemoryTree, transactions: list[dict[str, Any]]) -> None:
    document = _inclusion(tree, 12, 40)
    del document["leaf_hash"]
    document["transaction"] = {**transactions[12], "kind": "forged"}
    result = _run(["inclusion", "-"], document)
    assert result.exit_code == 1
    assert "FAIL: transaction body hashes to" in result.stdout


def test_checkpoint_of_another_size_fails(tree: MemoryTree, key: str) -> None:
    document = _inclusion(tree, 21, 37)
    del document["root"]
    document["checkpoint"] = _checkpoint(tree, 37)
    document["tree_size"] = 38  # same path shape as 37: the checkpoint is what catches it
    result = _run(["inclusion", "-", "--key", key], document)
    assert result.exit_code == 1
    assert "the proof is for tree size 38; the checkpoint is 37" in result.stdout


def test_checkpoint_by_another_key_fails(tree: MemoryTree) -> None:
    document = _inclusion(tree, 3, 20)
    del document["root"]
    document["checkpoint"] = _checkpoint(tree, 20)
    _, other = generate_signer_key("alot.local/ledger")
    result = _run(["inclusion", "-", "--key", other], document)
    assert result.exit_code == 1
    assert "FAIL: checkpoint: " in result.stdout


def test_root_flag_overrides_the_document(tree: MemoryTree) -> None:
    document = _inclusion(tree, 3, 20)
    result = _run(["inclusion", "-", "--root", _flip(document["root"])], document)
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"leaf_hash": "abc"}, "leaf_hash: must be 64 hex digits", id="short-leaf"),
        pytest.param({"root": "z" * 64}, "root: must be 64 hex digits", id="bad-root"),
        pytest.param({"proof": ["00"]}, "proof[0]: must be 64 hex digits", id="short-sibling"),
        pytest.param({"proof": "00"}, "proof: must be an array", id="proof-not-list"),
        pytest.param({"tree_size": None}, "tree_size: must be a non-negative", id="no-size"),
        pytest.param({"leaf_index": "3"}, "leaf_index: must be a non-negative", id="index-str"),
        pytest.param({"leaf_index": -1}, "leaf_index: must be a non-negative", id="index-neg"),
        pytest.param({"seq": 4}, "unknown member(s) seq", id="unknown-member"),
        pytest.param({"leaf_hash": None}, "give leaf_hash or transaction", id="no-leaf"),
        pytest.param({"root": None}, "give the root or a checkpoint", id="no-root"),
        pytest.param({"root": None, "checkpoint": "x"}, "only trusted with --key", id="no-key"),
        pytest.param({"transaction": {"seq": 4}}, "field (transaction): missing", id="bad-tx"),
    ],
)
def test_malformed_inclusion_exits_2(
    tree: MemoryTree, change: dict[str, Any], message: str
) -> None:
    document = _inclusion(tree, 3, 20)
    for name, value in change.items():
        if value is None:
            document.pop(name, None)
        else:
            document[name] = value
    result = _run(["inclusion", "-"], document)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_invalid_json_exits_2() -> None:
    result = _run(["inclusion", "-"], raw='{"leaf_index": 1,')
    assert result.exit_code == 2
    assert "invalid JSON" in result.stderr


# --- consistency -------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), [(1, 40), (7, 8), (8, 40), (13, 37), (40, 40), (0, 5)])
def test_honest_consistency_proof_verifies(tree: MemoryTree, old: int, new: int) -> None:
    document = _consistency(tree, old, new)
    result = _run(["consistency", "-"], document)
    assert result.exit_code == 0, result.output
    assert f"extends the tree of size {old}" in result.stdout


def test_consistency_with_checkpoints(tree: MemoryTree, key: str, tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.write_text(_checkpoint(tree, 13))
    new.write_text(_checkpoint(tree, 40))
    document = _consistency(tree, 13, 40)
    del document["old_root"], document["new_root"]
    args = ["consistency", "-", "--key", key, "--old-checkpoint", str(old)]
    result = _run([*args, "--new-checkpoint", str(new)], document)
    assert result.exit_code == 0, result.output
    document["new_checkpoint"] = _checkpoint(tree, 40)
    assert _run([*args], document).exit_code == 0


def _c_wrong_hash(d: dict[str, Any]) -> None:
    d["proof"][0] = _flip(d["proof"][0])


def _c_extra(d: dict[str, Any]) -> None:
    d["proof"].append(d["proof"][-1])


def _c_missing(d: dict[str, Any]) -> None:
    d["proof"].pop()


def _c_old_size(d: dict[str, Any]) -> None:
    d["old_size"] += 1


def _c_new_size(d: dict[str, Any]) -> None:
    d["new_size"] *= 2  # a different proof shape; same-shape sizes need a checkpoint


def _c_old_root(d: dict[str, Any]) -> None:
    d["old_root"] = _flip(d["old_root"])


def _c_new_root(d: dict[str, Any]) -> None:
    d["new_root"] = _flip(d["new_root"])


def _c_swapped(d: dict[str, Any]) -> None:
    d["old_size"], d["new_size"] = d["new_size"], d["old_size"]


C_FORGERIES = [
    _c_wrong_hash,
    _c_extra,
    _c_missing,
    _c_old_size,
    _c_new_size,
    _c_old_root,
    _c_new_root,
    _c_swapped,
]


@pytest.mark.parametrize("forge", C_FORGERIES, ids=lambda f: f.__name__.strip("_"))
def test_forged_consistency_proof_fails(tree: MemoryTree, forge: Any) -> None:
    document = _consistency(tree, 13, 37)
    forge(document)
    result = _run(["consistency", "-"], document)
    assert result.exit_code == 1, result.output
    assert "FAIL: consistency: " in result.stdout


def test_rewritten_history_is_not_consistent(tree: MemoryTree) -> None:
    """A log that changed leaf 5 after publishing size 13 cannot prove consistency."""
    leaves = [tree.perfect(0, i) for i in range(40)]
    leaves[5] = bytes(32)
    forked = MemoryTree(leaves)
    document = _consistency(forked, 13, 40)
    document["old_root"] = tree.root(13).hex()
    result = _run(["consistency", "-"], document)
    assert result.exit_code == 1


def test_consistency_checkpoint_of_another_size_fails(tree: MemoryTree, key: str) -> None:
    document = _consistency(tree, 13, 40)
    del document["old_root"]
    document["old_checkpoint"] = _checkpoint(tree, 12)
    result = _run(["consistency", "-", "--key", key], document)
    assert result.exit_code == 1
    assert "the proof is for tree size 13; the checkpoint is 12" in result.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"old_root": "00"}, "old_root: must be 64 hex digits", id="short-root"),
        pytest.param({"proof": [1]}, "proof[0]: must be 64 hex digits", id="number-hash"),
        pytest.param({"new_size": "40"}, "new_size: must be a non-negative", id="size-str"),
        pytest.param({"old_size": None}, "old_size: must be a non-negative", id="no-size"),
        pytest.param({"new_root": None}, "give the new root or a checkpoint", id="no-root"),
        pytest.param({"leaf_index": 1}, "unknown member(s) leaf_index", id="unknown"),
    ],
)
def test_malformed_consistency_exits_2(
    tree: MemoryTree, change: dict[str, Any], message: str
) -> None:
    document = _consistency(tree, 13, 40)
    for name, value in change.items():
        if value is None:
            document.pop(name, None)
        else:
            document[name] = value
    result = _run(["consistency", "-"], document)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_json_output(tree: MemoryTree) -> None:
    result = _run(["--json", "consistency", "-"], _consistency(tree, 13, 40))
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["verified"] is True
    assert (document["old_size"], document["new_size"]) == (13, 40)
