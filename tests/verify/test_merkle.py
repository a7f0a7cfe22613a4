"""RFC 9162 Merkle trees: known answers, every tree shape, and forged proofs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify import merkle
from alot_verify.errors import InputError, ProofVerificationError
from hypothesis import given
from hypothesis import strategies as st


def _vectors(spec_vectors: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((spec_vectors / "merkle-rfc9162.json").read_text())
    return doc


def _h(text: str) -> bytes:
    return bytes.fromhex(text)


def _reference_root(leaves: list[bytes]) -> bytes:
    """MTH written straight from RFC 9162 section 2.1.1, recursively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(_reference_root(leaves[:k]), _reference_root(leaves[k:]))


def _tree(n: int) -> tuple[merkle.MemoryTree, list[bytes]]:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    return merkle.MemoryTree(leaves), leaves


def test_known_roots(spec_vectors: Path) -> None:
    doc = _vectors(spec_vectors)
    tree = merkle.MemoryTree(merkle.leaf_hash(_h(leaf)) for leaf in doc["leaves"])
    assert len(doc["roots"]) == 9
    for size, expected in doc["roots"].items():
        assert tree.root(int(size)).hex() == expected
    assert merkle.EMPTY_ROOT.hex() == doc["roots"]["0"]


def test_known_inclusion_proofs(spec_vectors: Path) -> None:
    doc = _vectors(spec_vectors)
    tree = merkle.MemoryTree(merkle.leaf_hash(_h(leaf)) for leaf in doc["leaves"])
    for case in doc["inclusion"]:
        proof = merkle.inclusion_proof(case["index"], case["tree_size"], tree.perfect)
        assert [p.hex() for p in proof] == case["proof"]
        merkle.verify_inclusion(
            _h(case["leaf_hash"]), case["index"], case["tree_size"], proof, _h(case["root"])
        )


def test_known_consistency_proofs(spec_vectors: Path) -> None:
    doc = _vectors(spec_vectors)
    tree = merkle.MemoryTree(merkle.leaf_hash(_h(leaf)) for leaf in doc["leaves"])
    for case in doc["consistency"]:
        proof = merkle.consistency_proof(case["old_size"], case["new_size"], tree.perfect)
        assert [p.hex() for p in proof] == case["proof"]
        merkle.verify_consistency(
            case["old_size"], case["new_size"], proof, _h(case["old_root"]), _h(case["new_root"])
        )


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8, 13, 64, 100])
def test_streaming_root_matches_the_rfc_recursion(n: int) -> None:
    _, leaves = _tree(n)
    assert merkle.root(leaves) == _reference_root(leaves)


def test_compact_range_reports_every_perfect_node_once_and_resumes() -> None:
    compact = merkle.CompactRange()
    seen: dict[tuple[int, int], bytes] = {}
    _, leaves = _tree(37)
    for i, leaf in enumerate(leaves):
        for level, index, value in compact.append(leaf):
            assert (level, index) not in seen
            span = 1 << level
            assert value == _reference_root(leaves[index * span : (index + 1) * span])
            seen[(level, index)] = value
        resumed = merkle.CompactRange.from_state(compact.size, compact.peaks)
        assert resumed.root() == compact.root() == _reference_root(leaves[: i + 1])
    assert len(seen) == 2 * 37 - bin(37).count("1")


def test_from_state_refuses_wrong_peak_count() -> None:
    with pytest.raises(InputError):
        merkle.CompactRange.from_state(5, [merkle.EMPTY_ROOT])


class _RecordingLookup:
    """A perfect-node lookup that remembers which nodes were read."""

    def __init__(self, tree: merkle.MemoryTree) -> None:
        self.tree = tree
        self.read: set[tuple[int, int]] = set()

    def __call__(self, level: int, index: int) -> bytes:
        self.read.add((level, index))
        return self.tree.perfect(level, index)


def test_proof_nodes_name_exactly_what_generation_reads() -> None:
    tree, _ = _tree(1000)
    for index, size in [(0, 1000), (999, 1000), (511, 513), (700, 1000)]:
        lookup = _RecordingLookup(tree)
        merkle.inclusion_proof(index, size, lookup)
        assert lookup.read == merkle.inclusion_proof_nodes(index, size)
        assert len(lookup.read) <= 2 * size.bit_length()
    for old, new in [(1, 1000), (500, 1000), (999, 1000), (512, 1000)]:
        lookup = _RecordingLookup(tree)
        merkle.consistency_proof(old, new, lookup)
        assert lookup.read == merkle.consistency_proof_nodes(old, new)
        assert len(lookup.read) <= 2 * new.bit_length()


def _rejected(check: Any, *args: Any) -> bool:
    try:
        check(*args)
    except ProofVerificationError:
        return True
    return False


@given(st.integers(min_value=1, max_value=300), st.data())
def test_inclusion_proofs_verify_for_any_size(size: int, data: st.DataObject) -> None:
    tree, leaves = _tree(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = merkle.inclusion_proof(index, size, tree.perfect)
    merkle.verify_inclusion(leaves[index], index, size, proof, tree.root())


@given(st.integers(min_value=1, max_value=300), st.data())
def test_consistency_proofs_verify_for_any_pair(new_size: int, data: st.DataObject) -> None:
    tree, _ = _tree(new_size)
    old_size = data.draw(st.integers(min_value=0, max_value=new_size))
    proof = merkle.consistency_proof(old_size, new_size, tree.perfect)
    merkle.verify_consistency(old_size, new_size, proof, tree.root(old_size), tree.root())


def _flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


def _inclusion_forgeries(
    index: int, size: int, proof: list[bytes]
) -> list[tuple[str, int, int, list[bytes]]]:
    # A wrong size is tested separately, against the root of that size: RFC 9162 binds
    # the size to the root only through the signed checkpoint, and for some shapes the
    # same path is valid under two sizes with the same root.
    forgeries = [
        ("extra hash", index, size, [*proof, proof[0] if proof else merkle.EMPTY_ROOT]),
        ("index + 1", index + 1, size, proof),
    ]
    if index > 0:
        forgeries.append(("index - 1", index - 1, size, proof))
    if proof:
        forgeries.append(("missing hash", index, size, proof[:-1]))
        forgeries.append(("missing first hash", index, size, proof[1:]))
        for i in range(len(proof)):
            forged = list(proof)
            forged[i] = _flip(forged[i])
            forgeries.append((f"wrong sibling {i}", index, size, forged))
        if len(proof) > 1:
            forgeries.append(("swapped", index, size, [proof[1], proof[0], *proof[2:]]))
    return forgeries


@given(st.integers(min_value=2, max_value=200), st.data())
def test_forged_inclusion_proofs_fail(size: int, data: st.DataObject) -> None:
    tree, leaves = _tree(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = merkle.inclusion_proof(index, size, tree.perfect)
    root = tree.root()
    accepted = [
        name
        for name, forged_index, forged_size, forged in _inclusion_forgeries(index, size, proof)
        if not _rejected(
            merkle.verify_inclusion, leaves[index], forged_index, forged_size, forged, root
        )
    ]
    assert accepted == []
    with pytest.raises(ProofVerificationError):
        merkle.verify_inclusion(_flip(leaves[index]), index, size, proof, root)
    bigger = merkle.MemoryTree([*leaves, merkle.leaf_hash(b"one more")])
    for other_size, other_root in [(size + 1, bigger.root()), (size - 1, tree.root(size - 1))]:
        if index < other_size:
            with pytest.raises(ProofVerificationError):
                merkle.verify_inclusion(leaves[index], index, other_size, proof, other_root)


@given(st.integers(min_value=3, max_value=200), st.data())
def test_forged_consistency_proofs_fail(new_size: int, data: st.DataObject) -> None:
    tree, _ = _tree(new_size)
    old_size = data.draw(st.integers(min_value=1, max_value=new_size - 1))
    proof = merkle.consistency_proof(old_size, new_size, tree.perfect)
    old_root, new_root = tree.root(old_size), tree.root()
    forgeries: list[tuple[str, int, int, list[bytes], bytes, bytes]] = [
        ("extra hash", old_size, new_size, [*proof, proof[0]], old_root, new_root),
        ("missing hash", old_size, new_size, proof[:-1], old_root, new_root),
        ("wrong old root", old_size, new_size, proof, _flip(old_root), new_root),
        ("wrong new root", old_size, new_size, proof, old_root, _flip(new_root)),
        # Wrong sizes are presented with the roots of those sizes, as a checkpoint
        # binds them (see test_forged_inclusion_proofs_fail).
        ("old size + 1", old_size + 1, new_size, proof, tree.root(old_size + 1), new_root),
        ("old size - 1", old_size - 1, new_size, proof, tree.root(old_size - 1), new_root),
    ]
    bigger = merkle.MemoryTree([*(tree.perfect(0, i) for i in range(new_size)), old_root])
    forgeries.append(("new size + 1", old_size, new_size + 1, proof, old_root, bigger.root()))
    for i in range(len(proof)):
        forged = list(proof)
        forged[i] = _flip(forged[i])
        forgeries.append((f"wrong hash {i}", old_size, new_size, forged, old_root, new_root))
    accepted = [
        name
        for name, old, new, forged, o_root, n_root in forgeries
        if not _rejected(merkle.verify_consistency, old, new, forged, o_root, n_root)
    ]
    assert accepted == []


def test_degenerate_sizes() -> None:
    tree, leaves = _tree(4)
    merkle.verify_consistency(0, 4, [], merkle.EMPTY_ROOT, tree.root())
    merkle.verify_consistency(4, 4, [], tree.root(), tree.root())
    with pytest.raises(ProofVerificationError):
        merkle.verify_consistency(4, 4, [leaves[0]], tree.root(), tree.root())
    with pytest.raises(ProofVerificationError):
        merkle.verify_consistency(4, 4, [], tree.root(), merkle.EMPTY_ROOT)
    with pytest.raises(ProofVerificationError):
        merkle.verify_consistency(5, 4, [], tree.root(), tree.root())
    with pytest.raises(ProofVerificationError):
        merkle.verify_inclusion(leaves[0], 4, 4, [], tree.root())
    with pytest.raises(InputError):
        merkle.verify_inclusion(b"short", 0, 4, [], tree.root())
    with pytest.raises(InputError):
        merkle.inclusion_proof(4, 4, tree.perfect)
    with pytest.raises(InputError):
        merkle.consistency_proof(5, 4, tree.perfect)
