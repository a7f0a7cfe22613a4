"""`client.ledger`: the public ledger, its signed checkpoints and proofs, and verification.

Checkpoints, the verifier key, consistency and inclusion proofs are public (an inclusion
proof carries its transaction only for the player it names and for auditors). A player
reads their own transactions with no role; transaction lists, the export and balances
need the auditor or admin role unless the platform publishes the ledger.
`verify_inclusion` proves that one transaction is in the ledger without trusting the
platform (`verify_purchase` does it for a purchase's `ledger_seq` and checks that the
transaction is that purchase's): the transaction is re-hashed, its Merkle path walked
to a root, and that root must be in a checkpoint signed by the key *you* pinned (the
client's `ledger_verifier_key` or `ALOT_VERIFY_LEDGER_KEY`), never by whatever key the
server offers. `export` streams the JSON Lines export for
`alot_verify.ledger.verify_ledger`.

`cosigned_checkpoint` fetches the latest checkpoint cosigned by witnesses, checks the
ledger's signature and a quorum of pinned witnesses' cosignatures, and checks it against
the checkpoint a `CheckpointMemory` remembers (alot_sdk.checkpoints): a fork raises
`SplitViewError`. `verify_inclusion(..., witnessed=...)` then proves a transaction
against that witnessed checkpoint.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Sequence
from typing import Any

import httpx
from alot_verify.errors import CheckpointVerificationError, ProofVerificationError

from alot_sdk._base_client import drop_none, next_by_cursor, path_segment
from alot_sdk._verification import check_inclusion, check_purchase_transaction
from alot_sdk.checkpoints import (
    CheckpointMemory,
    CheckpointRecord,
    check_cosigned,
    fork,
    key_to_use,
    pinned_witnesses,
    proof_needed,
    served_origin,
    settle,
    trust_on_first_use,
    witnessed,
)
from alot_sdk.errors import AlotError, APIStatusError, CheckpointMemoryError
from alot_sdk.models import (
    Balance,
    Checkpoint,
    ConsistencyProof,
    CosignedCheckpoint,
    InclusionProof,
    LedgerTransaction,
    Purchase,
    VerifiedInclusion,
    VerifierKey,
    WitnessedCheckpoint,
)
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources._resource import AsyncResource, SyncResource

_PREFIX = "/api/ledger"


def _checkpoint_path(size: int | None) -> str:
    return f"{_PREFIX}/checkpoint" if size is None else f"{_PREFIX}/checkpoints/{size}"


def _balance_path(account: str, asset: str) -> str:
    return f"{_PREFIX}/accounts/{path_segment(account)}/balances/{path_segment(asset)}"


def _export_params(from_seq: int, to_seq: int | None) -> dict[str, Any]:
    return drop_none({"from_seq": from_seq, "to_seq": to_seq})


_COSIGNED = f"{_PREFIX}/checkpoint/cosigned"
_CONSISTENCY = f"{_PREFIX}/proofs/consistency"
# The memory moved on between reading it and remembering: check again, a few times.
_SETTLE_ATTEMPTS = 3
# Answers that say "no such proof" rather than "not now": a ledger that signed a size
# and cannot prove it consistent with another it signed has forked.
_NO_PROOF_STATUSES = frozenset({400, 404, 409, 410, 422})


def _no_proof(
    error: APIStatusError,
    remembered: CheckpointRecord,
    shown: CheckpointRecord,
    sizes: tuple[int, int],
) -> None:
    if error.status_code in _NO_PROOF_STATUSES:
        fork(
            remembered,
            shown,
            f"the ledger gives no consistency proof from {sizes[0]} to {sizes[1]}: {error}",
        )


def _check_covering(shown: CheckpointRecord, covering: int | None) -> None:
    if covering is not None and shown.size < covering:
        raise CheckpointVerificationError(
            f"asked for a checkpoint covering seq {covering}; the one served has size {shown.size}"
        )


def _check_witnessed_inclusion(proved: VerifiedInclusion, against: WitnessedCheckpoint) -> None:
    if (proved.origin, proved.tree_size, proved.root_hash) != (
        against.origin,
        against.size,
        against.root_hash,
    ):
        raise ProofVerificationError(
            f"transaction {proved.seq} was proved against {proved.origin} size"
            f" {proved.tree_size} root {proved.root_hash}, not the witnessed checkpoint"
            f" {against.origin} size {against.size} root {against.root_hash}"
        )


def _purchase_seq(purchase: Purchase) -> int:
    if purchase.ledger_seq is None:
        raise AlotError(
            f"purchase {purchase.id} is {purchase.status}: no ledger transaction records it yet"
        )
    return purchase.ledger_seq


def _split_lines(buffer: bytes, chunk: bytes) -> tuple[list[bytes], bytes]:
    """Whole lines (each with its newline) of `buffer + chunk`, and what is left over."""
    data = buffer + chunk
    cut = data.rfind(b"\n") + 1
    return [line + b"\n" for line in data[:cut].split(b"\n")[:-1]], data[cut:]


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    rest = b""
    for chunk in chunks:
        lines, rest = _split_lines(rest, chunk)
        yield from lines
    if rest:
        yield rest  # a cut-off last line: left for the verifier to report


async def _async_lines(chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    rest = b""
    async for chunk in chunks:
        lines, rest = _split_lines(rest, chunk)
        for line in lines:
            yield line
    if rest:
        yield rest


class Ledger(SyncResource):
    def checkpoint(self, size: int | None = None) -> Checkpoint:
        """The latest signed checkpoint, or the one of tree size `size`."""
        return self._client._parse(self._client._request("GET", _checkpoint_path(size)), Checkpoint)

    def checkpoints(self, *, limit: int = 100, cursor: str | None = None) -> SyncPage[Checkpoint]:
        """Every checkpoint made, newest first (iterate for all of them); `cursor` is a
        page's `next_cursor`, to resume there."""
        return self._client._get_page(
            f"{_PREFIX}/checkpoints",
            drop_none({"limit": limit, "cursor": cursor}),
            Checkpoint,
            "items",
            next_by_cursor,
        )

    def verifier_key(self) -> VerifierKey:
        """The key the platform says signs its checkpoints.

        Compare it with the operator's statement from another channel and pin your
        copy; verification never uses this answer.
        """
        return self._client._parse(
            self._client._request("GET", f"{_PREFIX}/verifier-key"), VerifierKey
        )

    def cosigned_checkpoint_as_served(self, *, covering: int | None = None) -> CosignedCheckpoint:
        """The cosigned checkpoint exactly as served, nothing checked (for the record,
        or `alot-verify checkpoint --witness`); `cosigned_checkpoint` verifies it."""
        return self._client._parse(
            self._client._request("GET", _COSIGNED, params=drop_none({"covering": covering})),
            CosignedCheckpoint,
        )

    def cosigned_checkpoint(
        self,
        *,
        witnesses: Sequence[str],
        quorum: int,
        memory: CheckpointMemory | None = None,
        covering: int | None = None,
        verifier_key: str | None = None,
    ) -> WitnessedCheckpoint:
        """The latest cosigned checkpoint, verified and checked against `memory`.

        Fetches `GET /api/ledger/checkpoint/cosigned` (with `covering`: the earliest
        cosigned checkpoint whose size is at least that seq) and checks that the ledger
        key signed it and that at least `quorum` of the pinned `witnesses` (witness
        verifier keys) cosigned it. The ledger key is `verifier_key`, else the client's
        pinned key, else the one `memory` remembers for the ledger's origin, else the
        key the server serves, trusted on first use and remembered (logged as a
        warning: pin it).

        Then, against the checkpoint `memory` (default: the client's
        `checkpoint_memory`) remembers: the same size must have the same root; a larger
        one must come with a valid consistency proof from the remembered size (it then
        replaces it); a smaller one must be proved consistent with the remembered one
        (which is kept). Otherwise `SplitViewError`, naming both sizes and roots,
        logged at ERROR level. Only a verified newer checkpoint is remembered.

        Raises `alot_verify.errors.CheckpointVerificationError` when the signature or
        the quorum is missing, `CheckpointMemoryError` when the pinned key is not the
        one remembered, `ValueError` for a quorum outside 1..len(witnesses).
        """
        pinned = pinned_witnesses(witnesses, quorum)
        memory = memory if memory is not None else self._client.checkpoint_memory
        document = self._client._json(
            self._client._request("GET", _COSIGNED, params=drop_none({"covering": covering}))
        )
        origin = served_origin(document)
        key = key_to_use(memory, origin, verifier_key or self._client.ledger_verifier_key)
        if key is None:
            key = trust_on_first_use(memory, origin, self.verifier_key().verifier_key)
        shown, cosignatures = check_cosigned(document, key, pinned, quorum)
        _check_covering(shown, covering)
        for _attempt in range(_SETTLE_ATTEMPTS):
            remembered = memory.checkpoint(origin)
            sizes = proof_needed(remembered, shown)
            proof = None
            if sizes is not None and remembered is not None:
                try:
                    proof = self._client._json(
                        self._client._request(
                            "GET", _CONSISTENCY, params={"old_size": sizes[0], "new_size": sizes[1]}
                        )
                    )
                except APIStatusError as error:
                    _no_proof(error, remembered, shown, sizes)
                    raise
            if settle(memory, remembered, shown, proof):
                return witnessed(shown, key, cosignatures, remembered.size if remembered else 0)
        raise CheckpointMemoryError(f"the memory of ledger {origin} kept changing; try again")

    def transactions(
        self, *, after_seq: int = 0, limit: int = 100, cursor: str | None = None
    ) -> SyncPage[LedgerTransaction]:
        """Transactions after `after_seq` (or after a page's `next_cursor`, `cursor`),
        oldest first (iterate for all of them)."""
        return self._client._get_page(
            f"{_PREFIX}/transactions",
            drop_none({"after_seq": after_seq, "limit": limit, "cursor": cursor}),
            LedgerTransaction,
            "items",
            next_by_cursor,
        )

    def transaction(self, seq: int) -> LedgerTransaction:
        """Transaction `seq`, as its line in the export."""
        return self._client._parse(
            self._client._request("GET", f"{_PREFIX}/transactions/{int(seq)}"), LedgerTransaction
        )

    def inclusion_proof(self, seq: int, *, tree_size: int | None = None) -> InclusionProof:
        """Transaction `seq`'s Merkle path to a signed checkpoint (default: latest).

        Public; `transaction` is set only for the player it names and for auditors."""
        response = self._client._request(
            "GET",
            f"{_PREFIX}/proofs/inclusion",
            params=drop_none({"seq": seq, "tree_size": tree_size}),
        )
        return self._client._parse(response, InclusionProof)

    def consistency_proof(self, old_size: int, new_size: int) -> ConsistencyProof:
        """The proof that the tree of `new_size` extends the tree of `old_size`."""
        response = self._client._request(
            "GET",
            f"{_PREFIX}/proofs/consistency",
            params={"old_size": old_size, "new_size": new_size},
        )
        return self._client._parse(response, ConsistencyProof)

    def balance(self, account: str, asset: str, *, as_of_seq: int | None = None) -> Balance:
        """The balance of `account` in `asset` (USD cents or CRD credits), now or after a seq."""
        response = self._client._request(
            "GET", _balance_path(account, asset), params=drop_none({"as_of_seq": as_of_seq})
        )
        return self._client._parse(response, Balance)

    def export(self, *, from_seq: int = 1, to_seq: int | None = None) -> Iterator[bytes]:
        """The JSON Lines export, streamed line by line (bytes, each ending in a newline).

        The request is made at once; iterate to the end (or close the iterator) to
        release the connection.
        """
        response = self._client._request(
            "GET", f"{_PREFIX}/export", params=_export_params(from_seq, to_seq), stream=True
        )
        return self._stream(response)

    @staticmethod
    def _stream(response: httpx.Response) -> Iterator[bytes]:
        try:
            yield from _lines(response.iter_bytes())
        finally:
            response.close()

    def verify_inclusion(
        self,
        seq: int,
        *,
        tree_size: int | None = None,
        verifier_key: str | None = None,
        witnessed: WitnessedCheckpoint | None = None,
    ) -> VerifiedInclusion:
        """Prove transaction `seq` is in the ledger, against the pinned verifier key.

        Fetches the transaction and its inclusion proof (which carries the signed
        checkpoint), then checks the transaction's hash, its Merkle path to the
        checkpoint's root, and the checkpoint's signature by `verifier_key` (default:
        the client's pinned key). Raises `alot_verify.errors.ProofVerificationError` or
        `CheckpointVerificationError` saying what did not match.

        With `witnessed` (from `cosigned_checkpoint`, e.g. `covering=seq`), the proof
        is to that checkpoint's tree size and its root must be the witnessed root: the
        transaction is in the ledger everyone (its witnesses, your memory) saw.
        """
        if witnessed is not None:
            tree_size = witnessed.size
        key = self._client._require_verifier_key(
            verifier_key or (witnessed.verifier_key if witnessed is not None else None)
        )
        transaction = self._client._json(
            self._client._request("GET", f"{_PREFIX}/transactions/{int(seq)}")
        )
        document = self._client._json(
            self._client._request(
                "GET",
                f"{_PREFIX}/proofs/inclusion",
                params=drop_none({"seq": seq, "tree_size": tree_size}),
            )
        )
        proved = check_inclusion(document, transaction, seq, key)
        if witnessed is not None:
            _check_witnessed_inclusion(proved, witnessed)
        return proved

    def verify_purchase(
        self,
        purchase: Purchase,
        *,
        tree_size: int | None = None,
        verifier_key: str | None = None,
        witnessed: WitnessedCheckpoint | None = None,
    ) -> VerifiedInclusion:
        """Prove that `purchase` is in the ledger: `verify_inclusion` of its `ledger_seq`,
        and that the transaction proved is this purchase's (ids and tickets).

        Needs no role: a player reads the transactions that name them. A purchase is
        provable once a checkpoint covers it (`NotFoundError` `not_checkpointed` before).
        `witnessed`: prove it against that witnessed checkpoint (see `verify_inclusion`).
        """
        seq = _purchase_seq(purchase)
        proved = self.verify_inclusion(
            seq, tree_size=tree_size, verifier_key=verifier_key, witnessed=witnessed
        )
        check_purchase_transaction(purchase, proved)
        return proved


class AsyncLedger(AsyncResource):
    async def checkpoint(self, size: int | None = None) -> Checkpoint:
        """The latest signed checkpoint, or the one of tree size `size`."""
        return self._client._parse(
            await self._client._request("GET", _checkpoint_path(size)), Checkpoint
        )

    async def checkpoints(
        self, *, limit: int = 100, cursor: str | None = None
    ) -> AsyncPage[Checkpoint]:
        """Every checkpoint made, newest first (iterate for all of them); `cursor` is a
        page's `next_cursor`, to resume there."""
        return await self._client._get_page(
            f"{_PREFIX}/checkpoints",
            drop_none({"limit": limit, "cursor": cursor}),
            Checkpoint,
            "items",
            next_by_cursor,
        )

    async def verifier_key(self) -> VerifierKey:
        """The key the platform says signs its checkpoints.

        Compare it with the operator's statement from another channel and pin your
        copy; verification never uses this answer.
        """
        return self._client._parse(
            await self._client._request("GET", f"{_PREFIX}/verifier-key"), VerifierKey
        )

    async def cosigned_checkpoint_as_served(
        self, *, covering: int | None = None
    ) -> CosignedCheckpoint:
        """The cosigned checkpoint exactly as served, nothing checked (for the record,
        or `alot-verify checkpoint --witness`); `cosigned_checkpoint` verifies it."""
        return self._client._parse(
            await self._client._request("GET", _COSIGNED, params=drop_none({"covering": covering})),
            CosignedCheckpoint,
        )

    async def cosigned_checkpoint(
        self,
        *,
        witnesses: Sequence[str],
        quorum: int,
        memory: CheckpointMemory | None = None,
        covering: int | None = None,
        verifier_key: str | None = None,
    ) -> WitnessedCheckpoint:
        """The latest cosigned checkpoint, verified and checked against `memory`.

        Fetches `GET /api/ledger/checkpoint/cosigned` (with `covering`: the earliest
        cosigned checkpoint whose size is at least that seq) and checks that the ledger
        key signed it and that at least `quorum` of the pinned `witnesses` (witness
        verifier keys) cosigned it. The ledger key is `verifier_key`, else the client's
        pinned key, else the one `memory` remembers for the ledger's origin, else the
        key the server serves, trusted on first use and remembered (logged as a
        warning: pin it).

        Then, against the checkpoint `memory` (default: the client's
        `checkpoint_memory`) remembers: the same size must have the same root; a larger
        one must come with a valid consistency proof from the remembered size (it then
        replaces it); a smaller one must be proved consistent with the remembered one
        (which is kept). Otherwise `SplitViewError`, naming both sizes and roots,
        logged at ERROR level. Only a verified newer checkpoint is remembered.

        Raises `alot_verify.errors.CheckpointVerificationError` when the signature or
        the quorum is missing, `CheckpointMemoryError` when the pinned key is not the
        one remembered, `ValueError` for a quorum outside 1..len(witnesses).
        """
        pinned = pinned_witnesses(witnesses, quorum)
        memory = memory if memory is not None else self._client.checkpoint_memory
        document = self._client._json(
            await self._client._request("GET", _COSIGNED, params=drop_none({"covering": covering}))
        )
        origin = served_origin(document)
        key = key_to_use(memory, origin, verifier_key or self._client.ledger_verifier_key)
        if key is None:
            key = trust_on_first_use(memory, origin, (await self.verifier_key()).verifier_key)
        shown, cosignatures = check_cosigned(document, key, pinned, quorum)
        _check_covering(shown, covering)
        for _attempt in range(_SETTLE_ATTEMPTS):
            remembered = memory.checkpoint(origin)
            sizes = proof_needed(remembered, shown)
            proof = None
            if sizes is not None and remembered is not None:
                try:
                    proof = self._client._json(
                        await self._client._request(
                            "GET", _CONSISTENCY, params={"old_size": sizes[0], "new_size": sizes[1]}
                        )
                    )
                except APIStatusError as error:
                    _no_proof(error, remembered, shown, sizes)
                    raise
            if settle(memory, remembered, shown, proof):
                return witnessed(shown, key, cosignatures, remembered.size if remembered else 0)
        raise CheckpointMemoryError(f"the memory of ledger {origin} kept changing; try again")

    async def transactions(
        self, *, after_seq: int = 0, limit: int = 100, cursor: str | None = None
    ) -> AsyncPage[LedgerTransaction]:
        """Transactions after `after_seq` (or after a page's `next_cursor`, `cursor`),
        oldest first (iterate for all of them)."""
        return await self._client._get_page(
            f"{_PREFIX}/transactions",
            drop_none({"after_seq": after_seq, "limit": limit, "cursor": cursor}),
            LedgerTransaction,
            "items",
            next_by_cursor,
        )

    async def transaction(self, seq: int) -> LedgerTransaction:
        """Transaction `seq`, as its line in the export."""
        return self._client._parse(
            await self._client._request("GET", f"{_PREFIX}/transactions/{int(seq)}"),
            LedgerTransaction,
        )

    async def inclusion_proof(self, seq: int, *, tree_size: int | None = None) -> InclusionProof:
        """Transaction `seq`'s Merkle path to a signed checkpoint (default: latest).

        Public; `transaction` is set only for the player it names and for auditors."""
        response = await self._client._request(
            "GET",
            f"{_PREFIX}/proofs/inclusion",
            params=drop_none({"seq": seq, "tree_size": tree_size}),
        )
        return self._client._parse(response, InclusionProof)

    async def consistency_proof(self, old_size: int, new_size: int) -> ConsistencyProof:
        """The proof that the tree of `new_size` extends the tree of `old_size`."""
        response = await self._client._request(
            "GET",
            f"{_PREFIX}/proofs/consistency",
            params={"old_size": old_size, "new_size": new_size},
        )
        return self._client._parse(response, ConsistencyProof)

    async def balance(self, account: str, asset: str, *, as_of_seq: int | None = None) -> Balance:
        """The balance of `account` in `asset` (USD cents or CRD credits), now or after a seq."""
        response = await self._client._request(
            "GET", _balance_path(account, asset), params=drop_none({"as_of_seq": as_of_seq})
        )
        return self._client._parse(response, Balance)

    async def export(self, *, from_seq: int = 1, to_seq: int | None = None) -> AsyncIterator[bytes]:
        """The JSON Lines export, streamed line by line (bytes, each ending in a newline).

        The request is made at once; iterate to the end (or `aclose()` the iterator) to
        release the connection.
        """
        response = await self._client._request(
            "GET", f"{_PREFIX}/export", params=_export_params(from_seq, to_seq), stream=True
        )
        return self._stream(response)

    @staticmethod
    async def _stream(response: httpx.Response) -> AsyncIterator[bytes]:
        try:
            async for line in _async_lines(response.aiter_bytes()):
                yield line
        finally:
            await response.aclose()

    async def verify_inclusion(
        self,
        seq: int,
        *,
        tree_size: int | None = None,
        verifier_key: str | None = None,
        witnessed: WitnessedCheckpoint | None = None,
    ) -> VerifiedInclusion:
        """Prove transaction `seq` is in the ledger, against the pinned verifier key.

        Fetches the transaction and its inclusion proof (which carries the signed
        checkpoint), then checks the transaction's hash, its Merkle path to the
        checkpoint's root, and the checkpoint's signature by `verifier_key` (default:
        the client's pinned key). Raises `alot_verify.errors.ProofVerificationError` or
        `CheckpointVerificationError` saying what did not match.

        With `witnessed` (from `cosigned_checkpoint`, e.g. `covering=seq`), the proof
        is to that checkpoint's tree size and its root must be the witnessed root: the
        transaction is in the ledger everyone (its witnesses, your memory) saw.
        """
        if witnessed is not None:
            tree_size = witnessed.size
        key = self._client._require_verifier_key(
            verifier_key or (witnessed.verifier_key if witnessed is not None else None)
        )
        transaction = self._client._json(
            await self._client._request("GET", f"{_PREFIX}/transactions/{int(seq)}")
        )
        document = self._client._json(
            await self._client._request(
                "GET",
                f"{_PREFIX}/proofs/inclusion",
                params=drop_none({"seq": seq, "tree_size": tree_size}),
            )
        )
        proved = check_inclusion(document, transaction, seq, key)
        if witnessed is not None:
            _check_witnessed_inclusion(proved, witnessed)
        return proved

    async def verify_purchase(
        self,
        purchase: Purchase,
        *,
        tree_size: int | None = None,
        verifier_key: str | None = None,
        witnessed: WitnessedCheckpoint | None = None,
    ) -> VerifiedInclusion:
        """Prove that `purchase` is in the ledger: `verify_inclusion` of its `ledger_seq`,
        and that the transaction proved is this purchase's (ids and tickets).

        Needs no role: a player reads the transactions that name them. A purchase is
        provable once a checkpoint covers it (`NotFoundError` `not_checkpointed` before).
        `witnessed`: prove it against that witnessed checkpoint (see `verify_inclusion`).
        """
        seq = _purchase_seq(purchase)
        proved = await self.verify_inclusion(
            seq, tree_size=tree_size, verifier_key=verifier_key, witnessed=witnessed
        )
        check_purchase_transaction(purchase, proved)
        return proved
