"""The ledger's HTTP API: a FastAPI router the platform mounts at ``/api/ledger``.

``create_router`` takes the platform's dependencies: one that yields a SQLAlchemy
Session, one that authorizes reads (auditor role, or anyone when the ledger is public)
and one that authorizes writes (inside the platform / service token). ``create_app``
runs the same router alone, with bearer tokens from the settings.

What is public and what needs a reader:

- Public (they reveal no transaction, only hashes and signatures): the checkpoints,
  the verifier key, consistency proofs and inclusion proofs. An inclusion proof
  carries the transaction itself only for a caller who may read it (see below);
  anyone else gets the leaf hash, the audit path and the signed checkpoint.
- A transaction's party or a reader: one transaction (alone, or inside its inclusion
  proof). The ``require_party`` dependency answers ``None`` for a reader (who may read
  any transaction) or a predicate naming the transactions its caller may read (a
  player's own purchases): per-transaction access, so that nobody walks every seq to
  rebuild an export they may not download. ``view_party`` is the same answer for the
  public inclusion proof, where an anonymous caller reads no transaction.
- Readers only: transaction lists, the export and account balances.

Every ledger failure is rendered by the router itself as ``application/problem+json``
with ``type = urn:alot:problem:<code>``, so it looks the same wherever it is mounted.

(No ``from __future__ import annotations`` here: FastAPI reads the endpoint annotations
at runtime, including the ``Annotated`` session alias local to ``create_router``.)
"""

import hmac
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from alot_ledger.appender import Receipt
from alot_ledger.checkpoints import Checkpointer, PeriodicCheckpoints
from alot_ledger.db import create_engine, migrate
from alot_ledger.errors import (
    CheckpointNotFound,
    Forbidden,
    InvalidCursor,
    InvalidRange,
    LedgerError,
    NotAuthenticated,
    NotCheckpointed,
)
from alot_ledger.export import export_chunks, export_range
from alot_ledger.repository import LedgerRepository, StoredCheckpoint
from alot_ledger.service import Ledger, connection_of
from alot_ledger.settings import LedgerSettings

PROBLEM = "application/problem+json"
JSONL = "application/jsonl"
# The largest sequence number or tree size a request may name: every JSON client reads
# it exactly (2^53 - 1), and the database and the Merkle tree code hold it.
MAX_SEQ = 2**53 - 1


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"urn:alot:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def problem_for(error: LedgerError) -> JSONResponse:
    return problem(error.status_code, error.code, error.title, error.detail, **error.extra)


class _ProblemRoute(APIRoute):
    """Renders ledger errors and request validation errors as problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except LedgerError as error:
                return problem_for(error)
            except RequestValidationError as error:
                fields = [
                    {"loc": list(e["loc"]), "message": e["msg"], "type": e["type"]}
                    for e in error.errors()
                ]
                return problem(
                    422,
                    "validation_error",
                    "Invalid request",
                    "the request is malformed",
                    errors=fields,
                )

        return route


class PostTransaction(BaseModel):
    """A transaction to append. Amounts are checked by the ledger's rules, not coerced."""

    kind: str
    postings: list[dict[str, Any]] = Field(default_factory=list)
    refs: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    idempotency_key: str | None = None


# -- documents served ---------------------------------------------------------------
# The proof documents are exactly those of docs/spec/proofs.md, so that
# `alot-verify inclusion URL` and `alot-verify consistency URL` read a response as is.
# Models forbid extra members: a transaction that silently lost a member on the way
# out would no longer hash to its `hash`.


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PostingLine(_Strict):
    account: str
    asset: str
    amount: int
    balance_after: int
    account_version: int


class TransactionLine(_Strict):
    """One transaction exactly as one line of the JSON Lines export."""

    seq: int
    id: str
    kind: str
    created_at: str
    refs: dict[str, str]
    metadata: dict[str, Any]
    postings: list[PostingLine]
    prev_hash: str
    hash: str


class InclusionProofDocument(_Strict):
    """docs/spec/proofs.md: transaction ``seq`` is leaf ``seq - 1`` of a signed tree."""

    leaf_index: int
    tree_size: int
    leaf_hash: str
    transaction: TransactionLine | None = Field(
        default=None,
        description="the transaction itself: only for the player it names and for readers",
    )
    proof: list[str] = Field(description="RFC 9162 audit path, leaf to root, hex")
    checkpoint: str = Field(description="the signed checkpoint note of size tree_size")


class ConsistencyProofDocument(_Strict):
    """docs/spec/proofs.md: the tree of ``new_size`` extends the tree of ``old_size``.

    Each side carries the signed checkpoint of its size when one exists, else its root.
    """

    old_size: int
    new_size: int
    proof: list[str] = Field(description="RFC 9162 consistency proof, hex")
    old_checkpoint: str | None = None
    old_root: str | None = None
    new_checkpoint: str | None = None
    new_root: str | None = None


class CheckpointDocument(BaseModel):
    origin: str
    size: int
    root_hash: str
    created_at: str
    note: str = Field(description="the C2SP signed note, as alot-verify reads it")


class CheckpointPage(BaseModel):
    """One page of checkpoints, newest first, in the platform's list envelope."""

    items: list[CheckpointDocument]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page"
    )


class TransactionPage(BaseModel):
    """One page of transactions, in the platform's list envelope."""

    items: list[TransactionLine]
    next_cursor: str | None = Field(
        description="pass as `cursor` (or `after_seq`) for the next page; null at the end"
    )
    size: int = Field(description="the number of committed transactions now")


class VerifierKey(BaseModel):
    origin: str
    verifier_key: str


class BalanceDocument(BaseModel):
    account: str
    asset: str
    balance: int
    version: int
    as_of_seq: int


class ReceiptDocument(BaseModel):
    seq: int
    id: str
    kind: str
    created_at: str
    prev_hash: str
    hash: str


def _receipt(receipt: Receipt) -> dict[str, Any]:
    return {
        "seq": receipt.seq,
        "id": receipt.id,
        "kind": receipt.kind,
        "created_at": receipt.created_at,
        "prev_hash": receipt.prev_hash,
        "hash": receipt.hash,
    }


def _checkpoint(checkpoint: StoredCheckpoint) -> dict[str, Any]:
    return {
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root_hash": checkpoint.root_hash,
        "created_at": checkpoint.created_at,
        "note": checkpoint.note,
    }


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


TRANSACTIONS_PAGE_MAX = 1000
"""The largest ``limit`` of ``GET /transactions``."""

CHECKPOINTS_PAGE_MAX = 1000
"""The largest ``limit`` of ``GET /checkpoints``."""

_MAX_CURSOR_LENGTH = 500
"""As the platform's lists: longer is refused unread, shorter is parsed and judged."""


def _cursor(value: str | None) -> int | None:
    """A ledger list's cursor: the decimal seq or tree size it ended on, 0 to ``MAX_SEQ``;
    ``InvalidCursor`` (422 ``invalid_cursor``) for anything else."""
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_SEQ:
        raise InvalidCursor(
            f"the cursor is not one this list returned (a decimal number 0 to {MAX_SEQ})",
            field="cursor",
        )
    return int(value)


def _cursor_param(what: str) -> Any:
    return Query(
        max_length=_MAX_CURSOR_LENGTH,
        description=f"`next_cursor` of the previous page ({what} as a decimal string);"
        " omit for the first page",
    )


def _limit_param(maximum: int, default: int) -> Any:
    return Query(
        ge=1, le=maximum, description=f"items per page, 1 to {maximum} (default {default})"
    )


TransactionFilter = Callable[[dict[str, Any]], bool]


class NotAParty(Forbidden):
    code = "not_a_party"
    title = "Not your transaction"


def _anyone() -> None:
    """Public routes: nothing to check."""


def _nobody() -> TransactionFilter:
    """Public inclusion proofs without a ``view_party``: no caller reads the transaction."""
    return lambda _transaction: False


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for the problem documents a route answers besides auth's."""
    described = {
        403: "Not a party to this transaction",
        404: "Not found",
        422: "Out of range, or a bad cursor",
    }
    return {
        status: {"description": described[status], "content": {PROBLEM: {}}} for status in statuses
    }


def create_router(
    *,
    get_session: Callable[..., Any],
    require_reader: Callable[..., Any],
    require_writer: Callable[..., Any],
    checkpointer: Checkpointer,
    require_party: Callable[..., Any] | None = None,
    allow_anyone: Callable[..., Any] = _anyone,
    view_party: Callable[..., Any] | None = None,
) -> APIRouter:
    """The ledger API; mount it with ``app.include_router(router, prefix="/api/ledger")``.

    ``require_party`` authorizes one transaction and its inclusion proof: it returns
    ``None`` for a caller who may read every transaction, else a predicate over the
    transaction (default: ``require_reader``, so only readers). ``allow_anyone`` is the
    dependency of the public routes (the platform marks them deliberately public).
    ``view_party`` is the public inclusion proof's: ``None`` or a predicate as
    ``require_party``, for anyone (anonymous callers included); the proof carries the
    transaction only where the predicate admits it (default: nobody's).
    """
    router = APIRouter(route_class=_ProblemRoute, tags=["ledger"])
    anyone = [Depends(allow_anyone)]
    reader = [Depends(require_reader)]
    writer = [Depends(require_writer)]
    SessionDep = Annotated[Session, Depends(get_session)]
    PartyDep = Annotated[Any, Depends(require_party or require_reader)]
    ViewDep = Annotated[Any, Depends(view_party or _nobody)]

    def readable(may_read: TransactionFilter | None, transaction: dict[str, Any]) -> None:
        if may_read is not None and not may_read(transaction):
            raise NotAParty(
                f"transaction {transaction['seq']} does not name you; other transactions "
                "are read with the auditor role"
            )

    @router.get(
        "/checkpoint",
        dependencies=anyone,
        response_model=CheckpointDocument,
        responses=_problems(404),
        summary="The latest signed checkpoint",
    )
    def latest_checkpoint(session: SessionDep) -> dict[str, Any]:
        """The latest signed checkpoint (C2SP signed note in ``note``)."""
        found = LedgerRepository(connection_of(session)).checkpoint()
        if found is None:
            raise CheckpointNotFound("no checkpoint has been made yet")
        return _checkpoint(found)

    @router.get(
        "/checkpoints",
        dependencies=anyone,
        response_model=CheckpointPage,
        summary="Signed checkpoints, newest first",
        responses=_problems(422),
    )
    def list_checkpoints(
        session: SessionDep,
        cursor: Annotated[str | None, _cursor_param("the tree size it ended on")] = None,
        before_size: Annotated[
            int | None,
            Query(ge=1, le=MAX_SEQ, description="checkpoints of smaller sizes only (alias)"),
        ] = None,
        limit: Annotated[int, _limit_param(CHECKPOINTS_PAGE_MAX, 100)] = 100,
    ) -> dict[str, Any]:
        """Historical checkpoints, newest first, in the platform's list envelope.

        ``next_cursor`` is the size of the page's last checkpoint as a string (null on
        the last page); the next page holds the checkpoints of smaller sizes.
        ``before_size`` is the same cursor as a number; ``cursor`` wins if both are
        given. ``limit`` is at most 1000.
        """
        start = _cursor(cursor)
        below = start if start is not None else before_size
        found = LedgerRepository(connection_of(session)).checkpoints(below, limit + 1)
        page = found[:limit]
        return {
            "items": [_checkpoint(c) for c in page],
            "next_cursor": str(page[-1].size) if len(found) > limit else None,
        }

    @router.get(
        "/checkpoints/{size}",
        dependencies=anyone,
        response_model=CheckpointDocument,
        responses=_problems(404),
        summary="The signed checkpoint of one tree size",
    )
    def checkpoint_of_size(
        session: SessionDep, size: Annotated[int, Path(ge=0, le=MAX_SEQ)]
    ) -> dict[str, Any]:
        found = LedgerRepository(connection_of(session)).checkpoint(size)
        if found is None:
            raise CheckpointNotFound(f"no checkpoint of size {size}")
        return _checkpoint(found)

    @router.post(
        "/checkpoints",
        dependencies=writer,
        status_code=201,
        response_model=CheckpointDocument,
        summary="Checkpoint the ledger now (the platform's scheduler does this)",
    )
    def make_checkpoint(session: SessionDep) -> dict[str, Any]:
        """Checkpoint the committed ledger now."""
        return _checkpoint(checkpointer.checkpoint(_engine_of(session)))

    @router.get(
        "/verifier-key",
        dependencies=anyone,
        response_model=VerifierKey,
        summary="The key that verifies the checkpoint signatures",
    )
    def verifier_key() -> dict[str, Any]:
        """The Ed25519 verifier key (signed-note format) that signs the checkpoints."""
        return {"origin": checkpointer.origin, "verifier_key": checkpointer.verifier_key}

    @router.get(
        "/transactions",
        dependencies=reader,
        response_model=TransactionPage,
        summary="Transactions after a sequence number, oldest first",
        responses=_problems(422),
    )
    def list_transactions(
        session: SessionDep,
        cursor: Annotated[str | None, _cursor_param("the last seq it held")] = None,
        after_seq: Annotated[
            int, Query(ge=0, le=MAX_SEQ, description="transactions after this seq (alias)")
        ] = 0,
        limit: Annotated[int, _limit_param(TRANSACTIONS_PAGE_MAX, 100)] = 100,
    ) -> dict[str, Any]:
        """Transactions with seq > ``cursor`` (or ``after_seq``), ascending, as export lines.

        The answer is the platform's list envelope: ``items`` and ``next_cursor``, which is
        the last seq of the page as a string (null on the last page), plus ``size``, the
        number of committed transactions; ``limit`` is at most 1000.
        """
        ledger = Ledger(session)
        start = _cursor(cursor)
        found = ledger.transactions(after_seq=after_seq if start is None else start, limit=limit)
        size = ledger.size()
        # Seqs are dense: the page is the last one when it reaches the committed head.
        more = len(found) == limit and found[-1]["seq"] < size
        return {
            "items": found,
            "next_cursor": str(found[-1]["seq"]) if more else None,
            "size": size,
        }

    @router.get(
        "/transactions/{seq}",
        response_model=TransactionLine,
        responses=_problems(403, 404),
        summary="One transaction, as its line in the export",
    )
    def one_transaction(
        session: SessionDep, may_read: PartyDep, seq: Annotated[int, Path(ge=1, le=MAX_SEQ)]
    ) -> dict[str, Any]:
        """One transaction, exactly as its line in the export (its proof: /proofs/inclusion).

        Readable by the auditor role, and by the player it names (their purchases, their
        prizes, their credits).
        """
        transaction = Ledger(session).transaction(seq)
        readable(may_read, transaction)
        return transaction

    @router.get(
        "/proofs/inclusion",
        response_model=InclusionProofDocument,
        response_model_exclude_none=True,
        responses=_problems(404),
        summary="A transaction's inclusion proof in a signed checkpoint",
    )
    def inclusion(
        session: SessionDep,
        may_read: ViewDep,
        seq: Annotated[int, Query(ge=1, le=MAX_SEQ)],
        tree_size: Annotated[int | None, Query(ge=1, le=MAX_SEQ)] = None,
    ) -> dict[str, Any]:
        """The inclusion proof of transaction ``seq`` in a signed checkpoint's tree.

        ``tree_size`` names a checkpoint (default: the latest). The document is the one
        ``alot-verify inclusion`` reads; it carries no bare root, so a verifier has to go
        through the signed checkpoint. Public: anyone gets the leaf hash, the audit path
        and the checkpoint (hashes and signatures only). The ``transaction`` itself is
        there only for the auditor role and for the player the transaction names (a
        purchase's ``seq`` is in the purchase's answer).
        """
        ledger = Ledger(session)
        transaction = ledger.transaction(seq)
        shown = transaction if may_read is None or may_read(transaction) else None
        checkpoint = LedgerRepository(connection_of(session)).checkpoint(tree_size)
        if checkpoint is None:
            if tree_size is not None:
                raise CheckpointNotFound(f"no checkpoint of size {tree_size}")
            raise NotCheckpointed(seq, None)
        if seq > checkpoint.size:
            if tree_size is not None:
                raise InvalidRange(f"seq {seq} is not inside the tree of size {tree_size}")
            raise NotCheckpointed(seq, checkpoint.size)
        found = ledger.inclusion_proof(seq, checkpoint.size)
        return {
            "leaf_index": found.leaf_index,
            "tree_size": found.tree_size,
            "leaf_hash": found.leaf_hash.hex(),
            "transaction": shown,
            "proof": [h.hex() for h in found.path],
            "checkpoint": checkpoint.note,
        }

    @router.get(
        "/proofs/consistency",
        dependencies=anyone,
        responses=_problems(404),
        response_model=ConsistencyProofDocument,
        response_model_exclude_none=True,
        summary="A consistency proof between two tree sizes",
    )
    def consistency(
        session: SessionDep,
        old_size: Annotated[int, Query(ge=0, le=MAX_SEQ)],
        new_size: Annotated[int, Query(ge=0, le=MAX_SEQ)],
    ) -> dict[str, Any]:
        """The consistency proof between two tree sizes.

        Each side carries the signed checkpoint of its size where one exists (checked
        with the verifier key), else the root computed from the stored tree.
        """
        found = Ledger(session).consistency_proof(old_size, new_size)
        store = LedgerRepository(connection_of(session))
        document: dict[str, Any] = {
            "old_size": found.old_size,
            "new_size": found.new_size,
            "proof": [h.hex() for h in found.path],
        }
        for side, size, root in (
            ("old", found.old_size, found.old_root),
            ("new", found.new_size, found.new_root),
        ):
            checkpoint = store.checkpoint(size) if size else None
            if checkpoint is not None:
                document[f"{side}_checkpoint"] = checkpoint.note
            else:
                document[f"{side}_root"] = root.hex()
        return document

    @router.get(
        "/accounts/{account}/balances/{asset}",
        dependencies=reader,
        response_model=BalanceDocument,
        summary="An account's balance in one asset, now or after a transaction",
    )
    def balance(
        session: SessionDep,
        account: str,
        asset: str,
        as_of_seq: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
    ) -> dict[str, Any]:
        """The balance of (account, asset), now or right after transaction ``as_of_seq``."""
        found = Ledger(session).balance(account, asset, as_of_seq=as_of_seq)
        return {
            "account": found.account,
            "asset": found.asset,
            "balance": found.balance,
            "version": found.version,
            "as_of_seq": found.as_of_seq,
        }

    @router.get(
        "/export",
        dependencies=reader,
        response_class=StreamingResponse,
        summary="Export committed transactions as JSON Lines",
    )
    def export(
        session: SessionDep,
        from_seq: Annotated[int, Query(ge=1, le=MAX_SEQ)] = 1,
        to_seq: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
    ) -> StreamingResponse:
        """JSON Lines export of committed transactions from_seq..to_seq, streamed."""
        engine = _engine_of(session)
        # The range is read in the request's transaction; the body streams afterwards
        # on connections of its own, once the request's unit of work has ended.
        first, last = export_range(connection_of(session), from_seq, to_seq)

        def body() -> Iterator[bytes]:
            for chunk in export_chunks(engine, first, last):
                yield chunk.encode("utf-8")

        return StreamingResponse(
            body(),
            media_type=JSONL,
            headers={"X-Ledger-First-Seq": str(first), "X-Ledger-Last-Seq": str(last)},
        )

    @router.post(
        "/transactions",
        dependencies=writer,
        status_code=201,
        response_model=ReceiptDocument,
        summary="Append a transaction (the platform's service token only)",
    )
    def post_transaction(
        session: SessionDep,
        payload: PostTransaction,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """Append and commit one transaction; retries with the same key are safe."""
        receipt = Ledger(session).post(
            payload.kind,
            payload.postings,
            refs=payload.refs,
            metadata=payload.metadata,
            idempotency_key=idempotency_key or payload.idempotency_key,
        )
        session.commit()
        return _receipt(receipt)

    return router


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


def _matches(token: str | None, secret: str) -> bool:
    # An empty secret is never a match: anything would "verify" against it.
    if not token or not secret:
        return False
    return hmac.compare_digest(token.encode(), secret.encode())


def create_app(settings: LedgerSettings | None = None, engine: Engine | None = None) -> FastAPI:
    """The ledger alone: migrates, checkpoints periodically, serves the API at /api/ledger."""
    settings = settings or LedgerSettings()
    engine = engine or create_engine(settings.database_url)
    migrate(engine)
    checkpointer = Checkpointer.from_settings(settings)

    def get_session() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    def require_reader(authorization: Annotated[str | None, Header()] = None) -> None:
        if settings.ledger_public:
            return
        token = _bearer(authorization)
        if token is None:
            raise NotAuthenticated("reading the ledger needs an auditor or service token")
        if not (
            _matches(token, settings.ledger_auditor_token)
            or _matches(token, settings.ledger_service_token)
        ):
            raise Forbidden("this token may not read the ledger")

    def require_writer(authorization: Annotated[str | None, Header()] = None) -> None:
        token = _bearer(authorization)
        if token is None:
            raise NotAuthenticated("writing to the ledger needs the service token")
        if not _matches(token, settings.ledger_service_token):
            raise Forbidden("only the platform's service token may write to the ledger")

    def view_party(
        authorization: Annotated[str | None, Header()] = None,
    ) -> TransactionFilter | None:
        # The public inclusion proof: a reader's token shows the transaction, anything
        # else (no token, a wrong one) gets the proof without it.
        token = _bearer(authorization)
        if settings.ledger_public or any(
            _matches(token, secret)
            for secret in (settings.ledger_auditor_token, settings.ledger_service_token)
        ):
            return None
        return lambda _transaction: False

    periodic = PeriodicCheckpoints(checkpointer, engine, settings.ledger_checkpoint_interval)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        periodic.start()
        try:
            yield
        finally:
            periodic.stop()

    app = FastAPI(title="ALOT! ledger", lifespan=lifespan)
    app.include_router(
        create_router(
            get_session=get_session,
            require_reader=require_reader,
            require_writer=require_writer,
            checkpointer=checkpointer,
            view_party=view_party,
        ),
        prefix="/api/ledger",
    )
    return app
