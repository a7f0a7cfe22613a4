"""`client.hosts`: applying to sell, your host profile, your lots and their sales,
public host pages and private lots by link; `client.admin.hosts`: reviewing hosts and
their lots (approving a lot opens it).

Bodies are plain mappings shaped like the API's (see the API reference): an
application's `business_details`, a lot's `product` and lot fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import TypeAdapter

from alot_sdk._base_client import drop_none, next_by_cursor, path_segment
from alot_sdk.models import Host, HostLot, HostLotSales, HostPublic, Lot
from alot_sdk.pagination import AsyncPage, SyncPage
from alot_sdk.resources._resource import AsyncResource, SyncResource

HostStatus = Literal["pending", "approved", "rejected", "suspended"]
HostReview = Literal["approve", "reject", "suspend", "reinstate"]

_BODY = TypeAdapter(dict[str, Any])


def _json(values: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = _BODY.dump_python(dict(values), mode="json")
    return body


def _my_lot(lot_id: str, tail: str = "") -> str:
    return f"/api/hosts/me/lots/{path_segment(lot_id)}{tail}"


def _host(host_id: str, tail: str = "") -> str:
    return f"/api/hosts/{path_segment(host_id)}{tail}"


def _admin_host(host_id: str, tail: str = "") -> str:
    return f"/api/admin/hosts/{path_segment(host_id)}{tail}"


def _review_body(reason: str, commission_bps: int | None = None) -> dict[str, Any]:
    return drop_none({"reason": reason, "commission_bps": commission_bps})


class Hosts(SyncResource):
    def apply(self, **application: Any) -> Host:
        """Apply to become a host: `display_name`, `country` (ISO 3166 alpha-2),
        `business_details` (`legal_name`, `registration_number`, `vat_number`,
        `address_lines`), optional `description`, `logo_url`, `website_url` (https)."""
        response = self._client._request("POST", "/api/hosts/apply", json=_json(application))
        return self._client._parse(response, Host)

    def me(self) -> Host:
        return self._client._parse(self._client._request("GET", "/api/hosts/me"), Host)

    def update_me(self, **changes: Any) -> Host:
        """Edit your profile; a rejected application edited goes back to pending."""
        response = self._client._request("PATCH", "/api/hosts/me", json=_json(changes))
        return self._client._parse(response, Host)

    def get(self, host_id: str) -> HostPublic:
        """An approved host's public profile."""
        return self._client._parse(self._client._request("GET", _host(host_id)), HostPublic)

    def lots(self, host_id: str, *, limit: int = 50, cursor: str | None = None) -> SyncPage[Lot]:
        """A host's public lots, newest first (iterate for all)."""
        params = drop_none({"limit": limit, "cursor": cursor})
        return self._client._get_page(_host(host_id, "/lots"), params, Lot, "items", next_by_cursor)

    def create_lot(self, **lot: Any) -> HostLot:
        """A draft lot: `product` (your product), the lot's fields, `visibility`
        (`public` or `private`), optional `invite_code` (private lots)."""
        response = self._client._request("POST", "/api/hosts/me/lots", json=_json(lot))
        return self._client._parse(response, HostLot)

    def my_lots(self, *, limit: int = 50, cursor: str | None = None) -> SyncPage[HostLot]:
        params = drop_none({"limit": limit, "cursor": cursor})
        return self._client._get_page(
            "/api/hosts/me/lots", params, HostLot, "items", next_by_cursor
        )

    def get_lot(self, lot_id: str) -> HostLot:
        return self._client._parse(self._client._request("GET", _my_lot(lot_id)), HostLot)

    def update_lot(self, lot_id: str, **changes: Any) -> HostLot:
        """Edit a lot until it opens (a pending or rejected one goes back to draft)."""
        response = self._client._request("PATCH", _my_lot(lot_id), json=_json(changes))
        return self._client._parse(response, HostLot)

    def submit_lot(self, lot_id: str) -> HostLot:
        response = self._client._request("POST", _my_lot(lot_id, "/submit"))
        return self._client._parse(response, HostLot)

    def sales(self, lot_id: str) -> HostLotSales:
        response = self._client._request("GET", _my_lot(lot_id, "/sales"))
        return self._client._parse(response, HostLotSales)

    def lot_by_link(self, token: str) -> Lot:
        """A private lot by its link's token (the part after `/l/`)."""
        response = self._client._request("GET", f"/api/lots/private/{path_segment(token)}")
        return self._client._parse(response, Lot)


class AdminHosts(SyncResource):
    def list(
        self, *, status: HostStatus | None = None, limit: int = 50, cursor: str | None = None
    ) -> SyncPage[Host]:
        params = drop_none({"status": status, "limit": limit, "cursor": cursor})
        return self._client._get_page("/api/admin/hosts", params, Host, "items", next_by_cursor)

    def get(self, host_id: str) -> Host:
        return self._client._parse(self._client._request("GET", _admin_host(host_id)), Host)

    def _review(self, host_id: str, action: HostReview, body: dict[str, Any]) -> Host:
        response = self._client._request("POST", _admin_host(host_id, f"/{action}"), json=body)
        return self._client._parse(response, Host)

    def approve(self, host_id: str, *, reason: str, commission_bps: int | None = None) -> Host:
        """Approve an application (grants the host role); commission default: the
        platform's `ALOT_HOST_DEFAULT_COMMISSION_BPS`."""
        return self._review(host_id, "approve", _review_body(reason, commission_bps))

    def reject(self, host_id: str, *, reason: str) -> Host:
        return self._review(host_id, "reject", _review_body(reason))

    def suspend(self, host_id: str, *, reason: str) -> Host:
        """Its open lots stop selling; they expire and refund at their deadline."""
        return self._review(host_id, "suspend", _review_body(reason))

    def reinstate(self, host_id: str, *, reason: str) -> Host:
        return self._review(host_id, "reinstate", _review_body(reason))

    def set_commission(self, host_id: str, *, commission_bps: int, reason: str) -> Host:
        response = self._client._request(
            "POST", _admin_host(host_id, "/commission"), json=_review_body(reason, commission_bps)
        )
        return self._client._parse(response, Host)

    def approve_lot(self, lot_id: str, *, reason: str | None = None) -> Lot:
        """Approve a host lot pending review: it opens now, its commission frozen."""
        response = self._client._request(
            "POST",
            f"/api/admin/lots/{path_segment(lot_id)}/approve",
            json=drop_none({"reason": reason}),
        )
        return self._client._parse(response, Lot)

    def reject_lot(self, lot_id: str, *, reason: str) -> Lot:
        response = self._client._request(
            "POST", f"/api/admin/lots/{path_segment(lot_id)}/reject", json={"reason": reason}
        )
        return self._client._parse(response, Lot)


class AsyncHosts(AsyncResource):
    async def apply(self, **application: Any) -> Host:
        """Apply to become a host: `display_name`, `country` (ISO 3166 alpha-2),
        `business_details` (`legal_name`, `registration_number`, `vat_number`,
        `address_lines`), optional `description`, `logo_url`, `website_url` (https)."""
        response = await self._client._request("POST", "/api/hosts/apply", json=_json(application))
        return self._client._parse(response, Host)

    async def me(self) -> Host:
        return self._client._parse(await self._client._request("GET", "/api/hosts/me"), Host)

    async def update_me(self, **changes: Any) -> Host:
        """Edit your profile; a rejected application edited goes back to pending."""
        response = await self._client._request("PATCH", "/api/hosts/me", json=_json(changes))
        return self._client._parse(response, Host)

    async def get(self, host_id: str) -> HostPublic:
        """An approved host's public profile."""
        return self._client._parse(await self._client._request("GET", _host(host_id)), HostPublic)

    async def lots(
        self, host_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> AsyncPage[Lot]:
        """A host's public lots, newest first (iterate for all)."""
        params = drop_none({"limit": limit, "cursor": cursor})
        return await self._client._get_page(
            _host(host_id, "/lots"), params, Lot, "items", next_by_cursor
        )

    async def create_lot(self, **lot: Any) -> HostLot:
        """A draft lot: `product` (your product), the lot's fields, `visibility`
        (`public` or `private`), optional `invite_code` (private lots)."""
        response = await self._client._request("POST", "/api/hosts/me/lots", json=_json(lot))
        return self._client._parse(response, HostLot)

    async def my_lots(self, *, limit: int = 50, cursor: str | None = None) -> AsyncPage[HostLot]:
        params = drop_none({"limit": limit, "cursor": cursor})
        return await self._client._get_page(
            "/api/hosts/me/lots", params, HostLot, "items", next_by_cursor
        )

    async def get_lot(self, lot_id: str) -> HostLot:
        return self._client._parse(await self._client._request("GET", _my_lot(lot_id)), HostLot)

    async def update_lot(self, lot_id: str, **changes: Any) -> HostLot:
        """Edit a lot until it opens (a pending or rejected one goes back to draft)."""
        response = await self._client._request("PATCH", _my_lot(lot_id), json=_json(changes))
        return self._client._parse(response, HostLot)

    async def submit_lot(self, lot_id: str) -> HostLot:
        response = await self._client._request("POST", _my_lot(lot_id, "/submit"))
        return self._client._parse(response, HostLot)

    async def sales(self, lot_id: str) -> HostLotSales:
        response = await self._client._request("GET", _my_lot(lot_id, "/sales"))
        return self._client._parse(response, HostLotSales)

    async def lot_by_link(self, token: str) -> Lot:
        """A private lot by its link's token (the part after `/l/`)."""
        response = await self._client._request("GET", f"/api/lots/private/{path_segment(token)}")
        return self._client._parse(response, Lot)


class AsyncAdminHosts(AsyncResource):
    async def list(
        self, *, status: HostStatus | None = None, limit: int = 50, cursor: str | None = None
    ) -> AsyncPage[Host]:
        params = drop_none({"status": status, "limit": limit, "cursor": cursor})
        return await self._client._get_page(
            "/api/admin/hosts", params, Host, "items", next_by_cursor
        )

    async def get(self, host_id: str) -> Host:
        return self._client._parse(await self._client._request("GET", _admin_host(host_id)), Host)

    async def _review(self, host_id: str, action: HostReview, body: dict[str, Any]) -> Host:
        response = await self._client._request(
            "POST", _admin_host(host_id, f"/{action}"), json=body
        )
        return self._client._parse(response, Host)

    async def approve(
        self, host_id: str, *, reason: str, commission_bps: int | None = None
    ) -> Host:
        """Approve an application (grants the host role); commission default: the
        platform's `ALOT_HOST_DEFAULT_COMMISSION_BPS`."""
        return await self._review(host_id, "approve", _review_body(reason, commission_bps))

    async def reject(self, host_id: str, *, reason: str) -> Host:
        return await self._review(host_id, "reject", _review_body(reason))

    async def suspend(self, host_id: str, *, reason: str) -> Host:
        """Its open lots stop selling; they expire and refund at their deadline."""
        return await self._review(host_id, "suspend", _review_body(reason))

    async def reinstate(self, host_id: str, *, reason: str) -> Host:
        return await self._review(host_id, "reinstate", _review_body(reason))

    async def set_commission(self, host_id: str, *, commission_bps: int, reason: str) -> Host:
        response = await self._client._request(
            "POST", _admin_host(host_id, "/commission"), json=_review_body(reason, commission_bps)
        )
        return self._client._parse(response, Host)

    async def approve_lot(self, lot_id: str, *, reason: str | None = None) -> Lot:
        """Approve a host lot pending review: it opens now, its commission frozen."""
        response = await self._client._request(
            "POST",
            f"/api/admin/lots/{path_segment(lot_id)}/approve",
            json=drop_none({"reason": reason}),
        )
        return self._client._parse(response, Lot)

    async def reject_lot(self, lot_id: str, *, reason: str) -> Lot:
        response = await self._client._request(
            "POST", f"/api/admin/lots/{path_segment(lot_id)}/reject", json={"reason": reason}
        )
        return self._client._parse(response, Lot)
