"""GET /api/ledger/checkpoint/cosigned: the latest checkpoint with its witnesses'
cosignatures (public, like the checkpoint itself)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from alot_platform.auth.dependencies import SessionDep, public
from alot_platform.openapi_helpers import problems
from alot_platform.witnesses.schemas import CosignatureRead, CosignedCheckpoint
from alot_platform.witnesses.service import cosigned_checkpoint

router = APIRouter(prefix="/api/ledger", tags=["ledger"])


@router.get(
    "/checkpoint/cosigned",
    dependencies=[Depends(public)],
    responses=problems(404),
    summary="The latest signed checkpoint with its witnesses' cosignatures",
)
def latest_cosigned_checkpoint(session: SessionDep) -> CosignedCheckpoint:
    checkpoint, cosignatures = cosigned_checkpoint(session)
    return CosignedCheckpoint(
        origin=checkpoint.origin,
        size=checkpoint.size,
        note=checkpoint.note + "".join(c.cosignature for c in cosignatures),
        cosignatures=[
            CosignatureRead(
                witness=c.witness_name,
                witness_key=c.witness_key,
                cosigned_at=c.cosigned_at,
                line=c.cosignature,
            )
            for c in cosignatures
        ],
    )
