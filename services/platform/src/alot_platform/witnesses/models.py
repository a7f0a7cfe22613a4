"""One witness's cosignature on one of the ledger's checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime


class WitnessCosignature(Base):
    __tablename__ = "witness_cosignatures"

    # A witness is its verifier key (name, key id, key): a new key is a new witness.
    witness_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    checkpoint_size: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    witness_name: Mapped[str] = mapped_column(String(150))
    # The note signature line as the witness sent it, final newline included.
    cosignature: Mapped[str] = mapped_column(Text)
    cosigned_at: Mapped[int] = mapped_column(BigInteger)  # the witness's POSIX timestamp
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
