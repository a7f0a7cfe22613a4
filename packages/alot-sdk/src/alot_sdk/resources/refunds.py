"""`client.refunds`: a buyer's choice of refund when a lot expires unfunded."""

from __future__ import annotations

from typing import Literal

from alot_sdk._base_client import path_segment
from alot_sdk.models import PurchaseRefund
from alot_sdk.resources._resource import AsyncResource, SyncResource

RefundChoice = Literal["cash", "credits"]


def _path(purchase_id: str, leaf: str = "refund-choice") -> str:
    return f"/api/purchases/{path_segment(purchase_id)}/{leaf}"


class Refunds(SyncResource):
    def get(self, purchase_id: str) -> PurchaseRefund:
        """How the refund of my purchase stands, choosing nothing (e.g. after the
        platform refunded it in cash because the choice window closed)."""
        response = self._client._request("GET", _path(purchase_id, "refund"))
        return self._client._parse(response, PurchaseRefund)

    def choose(self, purchase_id: str, choice: RefundChoice) -> PurchaseRefund:
        """Cash (98% back to the card) or credits (1.5x the amount paid)."""
        response = self._client._request("POST", _path(purchase_id), json={"choice": choice})
        return self._client._parse(response, PurchaseRefund)


class AsyncRefunds(AsyncResource):
    async def get(self, purchase_id: str) -> PurchaseRefund:
        """How the refund of my purchase stands, choosing nothing (e.g. after the
        platform refunded it in cash because the choice window closed)."""
        response = await self._client._request("GET", _path(purchase_id, "refund"))
        return self._client._parse(response, PurchaseRefund)

    async def choose(self, purchase_id: str, choice: RefundChoice) -> PurchaseRefund:
        """Cash (98% back to the card) or credits (1.5x the amount paid)."""
        response = await self._client._request("POST", _path(purchase_id), json={"choice": choice})
        return self._client._parse(response, PurchaseRefund)
