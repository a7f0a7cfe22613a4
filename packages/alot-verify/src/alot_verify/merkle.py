"""RFC 9162 (Certificate Transparency v2) Merkle trees over SHA-256.

Hashing (RFC 9162 §2.1.1): a leaf is ``SHA-256(0x00 || data)``, an interior node is
``SHA-256(0x01 || left || right)`` and the empty tree is ``SHA-256("")``. A tree of n > 1
leaves splits at k, the largest power of two smaller than n.

Storage model used for proof generation: every *perfect* subtree is addressed by
``(level, index)`` and covers leaves ``[index * 2**level, (index + 1) * 2**level)``; level
0 is the leaf hash itself. Perfect subtrees never change once complete, so a log can store
them as they appear (``CompactRange.append`` reports them) and answer any proof with
O(log n) point reads. Any other subtree hash (the ragged right edge of a tree) is folded
from O(log n) perfect ones.

Verification follows the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 and raises
``ProofVerificationError``; it never returns a boolean.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from alot_verify.errors import InputError, ProofVerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

PerfectLookup = Callable[[int, int], bytes]
"""``perfect(level, index)`` returns the hash of a stored perfect subtree."""


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 hash of one leaf's data."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves (O(n) time, O(log n) extra memory)."""
    compact = CompactRange()
    for leaf in leaf_hashes:
        compact.append(leaf)
    return compact.root()


class CompactRange:
    """A streaming Merkle root: the perfect subtrees ("peaks") of the leaves so far.

    Memory is O(log n). ``append`` returns the perfect subtree nodes that the new leaf
    completed, so a log can store every node once, as it appears.
    """

    def __init__(self) -> None:
        self._size = 0
        self._peaks: list[tuple[int, bytes]] = []  # (level, hash), largest subtree first

    @classmethod
    def from_state(cls, size: int, peaks: Sequence[bytes]) -> CompactRange:
        """Resume from a stored size and its peaks (largest subtree first)."""
        levels = [bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]
        if size < 0 or len(levels) != len(peaks):
            raise InputError(
                f"a tree of size {size} has {len(levels)} peaks, got {len(peaks)}",
                where="compact range",
            )
        compact = cls()
        compact._size = size
        compact._peaks = [
            (level, _check_hash(h, "peak")) for level, h in zip(levels, peaks, strict=True)
        ]
        return compact

    @property
    def size(self) -> int:
        return self._size

    @property
    def peaks(self) -> list[bytes]:
        """The peak hashes, largest subtree first (persist these with ``size``)."""
        return [h for _, h in self._peaks]

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; return the completed perfect nodes as (level, index, hash)."""
        index = self._size
        completed = [(0, index, leaf)]
        level, current = 0, leaf
        while self._peaks and self._peaks[-1][0] == level:
            _, left = self._peaks.pop()
            current = node_hash(left, current)
            level += 1
            completed.append((level, index >> level, current))
        self._peaks.append((level, current))
        self._size += 1
        return completed

    def root(self) -> bytes:
        """The Merkle tree hash of all leaves appended so far."""
        if not self._peaks:
            return EMPTY_ROOT
        current = self._peaks[-1][1]
        for _, peak in reversed(self._peaks[:-1]):
            current = node_hash(peak, current)
        return current


class MemoryTree:
    """All perfect nodes of a tree held in memory: for tests and small trees."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._compact = CompactRange()
        for leaf in leaf_hashes:
            self.append(leaf)

    def append(self, leaf: bytes) -> None:
        for level, index, value in self._compact.append(leaf):
            self._nodes[(level, index)] = value

    @property
    def size(self) -> int:
        return self._compact.size

    def perfect(self, level: int, index: int) -> bytes:
        return self._nodes[(level, index)]

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (default: all)."""
        size = self.size if size is None else size
        _check_size(size, self.size)
        return subtree_hash(0, size, self.perfect) if size else EMPTY_ROOT


def _check_size(size: int, available: int) -> None:
    if not 0 <= size <= available:
        raise InputError(f"tree size {size} outside 0..{available}", where="tree_size")


def _perfect_ranges(start: int, end: int) -> list[tuple[int, int]]:
    """Split [start, end) into the perfect subtrees the RFC's recursion sees, left first."""
    out: list[tuple[int, int]] = []
    while start < end:
        n = end - start
        if n & (n - 1) == 0:
            out.append((n.bit_length() - 1, start >> (n.bit_length() - 1)))
            break
        k = _split(n)
        out.append((k.bit_length() - 1, start >> (k.bit_length() - 1)))
        start += k
    return out


def subtree_hash(start: int, end: int, perfect: PerfectLookup) -> bytes:
    """MTH(D[start:end]) for a subtree of the RFC's recursion, from perfect nodes."""
    ranges = _perfect_ranges(start, end)
    current = perfect(*ranges[-1])
    for level, index in reversed(ranges[:-1]):
        current = node_hash(perfect(level, index), current)
    return current


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The subtrees whose hashes form PATH(index, D[0:size]), leaf to root."""
    path: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    path.reverse()
    return path


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The subtrees whose hashes form PROOF(old_size, D[0:new_size]) (RFC 9162 §2.1.4.1)."""
    proof: list[tuple[int, int]] = []
    start, end, m, complete = 0, new_size, old_size, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                proof.append((start, end))
            break
        k = _split(n)
        if m <= k:
            proof.append((start + k, end))
            end = start + k
        else:
            proof.append((start, start + k))
            start += k
            m -= k
            complete = False
    proof.reverse()
    return proof


def proof_nodes(ranges: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Every perfect (level, index) node needed to hash the given subtree ranges."""
    return {node for start, end in ranges for node in _perfect_ranges(start, end)}


def inclusion_proof_nodes(index: int, size: int) -> set[tuple[int, int]]:
    """The perfect nodes ``inclusion_proof`` will read: fetch them in one query."""
    _check_index(index, size)
    return proof_nodes(_inclusion_ranges(index, size))


def consistency_proof_nodes(old_size: int, new_size: int) -> set[tuple[int, int]]:
    """The perfect nodes ``consistency_proof`` will read: fetch them in one query."""
    _check_sizes(old_size, new_size)
    if old_size in (0, new_size):
        return set()
    return proof_nodes(_consistency_ranges(old_size, new_size))


def _check_index(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise InputError(f"leaf index {index} outside tree of size {size}", where="index")


def _check_sizes(old_size: int, new_size: int) -> None:
    if not 0 <= old_size <= new_size:
        raise InputError(f"sizes must satisfy 0 <= {old_size} <= {new_size}", where="tree_size")


def inclusion_proof(index: int, size: int, perfect: PerfectLookup) -> list[bytes]:
    """The RFC 9162 inclusion proof (audit path) of leaf ``index`` in the tree of ``size``."""
    _check_index(index, size)
    return [subtree_hash(start, end, perfect) for start, end in _inclusion_ranges(index, size)]


def consistency_proof(old_size: int, new_size: int, perfect: PerfectLookup) -> list[bytes]:
    """The RFC 9162 consistency proof between the trees of ``old_size`` and ``new_size``.

    Empty when ``old_size`` is 0 or equal to ``new_size`` (nothing to prove).
    """
    _check_sizes(old_size, new_size)
    if old_size in (0, new_size):
        return []
    return [
        subtree_hash(start, end, perfect) for start, end in _consistency_ranges(old_size, new_size)
    ]


def _check_hash(value: bytes, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise InputError(f"must be {HASH_SIZE} bytes", where=what)
    return value


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """Check that ``leaf`` is at ``index`` in the tree of ``size`` with ``expected_root``."""
    _check_hash(leaf, "leaf_hash")
    _check_hash(expected_root, "root")
    for i, sibling in enumerate(proof):
        _check_hash(sibling, f"proof[{i}]")
    if not 0 <= index < size:
        raise ProofVerificationError(f"leaf index {index} is not inside a tree of size {size}")
    fn, sn, current = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofVerificationError("inclusion proof has more hashes than the path needs")
        if fn & 1 or fn == sn:
            current = node_hash(sibling, current)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            current = node_hash(current, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofVerificationError("inclusion proof has fewer hashes than the path needs")
    if current != expected_root:
        raise ProofVerificationError(
            f"inclusion proof for index {index} gives root {current.hex()}, "
            f"expected {expected_root.hex()}"
        )


def verify_consistency(
    old_size: int,
    new_size: int,
    proof: Sequence[bytes],
    old_root: bytes,
    new_root: bytes,
) -> None:
    """Check that the tree of ``new_size``/``new_root`` extends ``old_size``/``old_root``."""
    _check_hash(old_root, "old_root")
    _check_hash(new_root, "new_root")
    for i, value in enumerate(proof):
        _check_hash(value, f"proof[{i}]")
    if not 0 <= old_size <= new_size:
        raise ProofVerificationError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofVerificationError("equal sizes need an empty consistency proof")
        if old_root != new_root:
            raise ProofVerificationError("equal sizes but different roots")
        return
    if old_size == 0:
        # Every tree extends the empty tree; only an empty proof is well formed.
        if proof:
            raise ProofVerificationError("a proof from the empty tree must be empty")
        if old_root != EMPTY_ROOT:
            raise ProofVerificationError("old root of the empty tree is not SHA-256('')")
        return
    if not proof:
        raise ProofVerificationError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first_root = second_root = path[0]
    for value in path[1:]:
        if sn == 0:
            raise ProofVerificationError("consistency proof has more hashes than needed")
        if fn & 1 or fn == sn:
            first_root = node_hash(value, first_root)
            second_root = node_hash(value, second_root)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            second_root = node_hash(second_root, value)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofVerificationError("consistency proof has fewer hashes than needed")
    if first_root != old_root:
        raise ProofVerificationError(
            f"consistency proof gives old root {first_root.hex()}, expected {old_root.hex()}"
        )
    if second_root != new_root:
        raise ProofVerificationError(
            f"consistency proof gives new root {second_root.hex()}, expected {new_root.hex()}"
        )
