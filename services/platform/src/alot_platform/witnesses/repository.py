"""SQL for witness cosignatures."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alot_platform.witnesses.models import WitnessCosignature


class WitnessRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def cosigned_size(self, witness_key: str) -> int:
        """The largest checkpoint size this witness cosigned for us (0: none yet)."""
        found = self.session.scalar(
            select(func.max(WitnessCosignature.checkpoint_size)).where(
                WitnessCosignature.witness_key == witness_key
            )
        )
        return int(found or 0)

    def has(self, witness_key: str, size: int) -> bool:
        return self.session.get(WitnessCosignature, (witness_key, size)) is not None

    def add(self, cosignature: WitnessCosignature) -> None:
        self.session.add(cosignature)

    def covering_keys(self, seq: int) -> set[str]:
        """The witnesses (keys) that cosigned a checkpoint of size >= seq."""
        return set(
            self.session.scalars(
                select(WitnessCosignature.witness_key)
                .where(WitnessCosignature.checkpoint_size >= seq)
                .distinct()
            )
        )

    def earliest_cosigned_size(self, seq: int) -> int | None:
        """The smallest cosigned checkpoint size >= seq (None: no cosigned one covers it)."""
        found = self.session.scalar(
            select(func.min(WitnessCosignature.checkpoint_size)).where(
                WitnessCosignature.checkpoint_size >= seq
            )
        )
        return None if found is None else int(found)

    def of_size(self, size: int) -> list[WitnessCosignature]:
        return list(
            self.session.scalars(
                select(WitnessCosignature)
                .where(WitnessCosignature.checkpoint_size == size)
                .order_by(WitnessCosignature.witness_name, WitnessCosignature.witness_key)
            )
        )
