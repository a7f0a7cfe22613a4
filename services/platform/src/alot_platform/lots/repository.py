"""SQL for lots and product classes."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from alot_platform.lots.models import Lot, ProductClass


class LotRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, lot_id: uuid.UUID) -> Lot | None:
        return self.session.get(Lot, lot_id)

    def get_for_update(self, lot_id: uuid.UUID) -> Lot | None:
        """The lot with its row locked until commit: every state change goes through this.

        ``populate_existing`` re-reads the row after the lock is granted, so a lot loaded
        earlier in the session cannot hide another transaction's committed change.
        """
        return self.session.scalars(
            select(Lot)
            .where(Lot.id == lot_id)
            .with_for_update(of=Lot)
            .execution_options(populate_existing=True)
        ).one_or_none()

    def add(self, row: Lot | ProductClass) -> None:
        self.session.add(row)

    def get_product_class(self, product_class_id: uuid.UUID) -> ProductClass | None:
        return self.session.get(ProductClass, product_class_id)
