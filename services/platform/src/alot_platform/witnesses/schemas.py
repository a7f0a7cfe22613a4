"""What GET /api/ledger/checkpoint/cosigned returns."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CosignatureRead(BaseModel):
    witness: str = Field(description="the witness's name (its key name)")
    witness_key: str = Field(description="its verifier key, <name>+<id>+<base64(0x04 || key)>")
    cosigned_at: int = Field(description="when the witness cosigned, POSIX seconds (its clock)")
    line: str = Field(description="the cosignature line, as appended to the note")


class CosignedCheckpoint(BaseModel):
    origin: str
    size: int
    note: str = Field(
        description="the signed checkpoint note with every stored cosignature line appended"
        " (C2SP tlog-cosignature): check it with `alot-verify checkpoint --witness`"
    )
    cosignatures: list[CosignatureRead]
