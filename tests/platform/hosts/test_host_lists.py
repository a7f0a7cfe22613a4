"""The hosts' lists follow the API's list rules (tests/platform/test_api_consistency.py):
each item once across pages, and foreign or forged cursors and bad limits are 422s."""

from __future__ import annotations

from typing import Any

from tests.platform.hosts.conftest import HostDesk


def _walk(hosts: HostDesk, path: str, headers: dict[str, str], **query: str) -> list[str]:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2, **query}
    for _ in range(50):
        page = hosts.client.get(path, params=params, headers=headers).json()
        ids = [item["lot"]["id"] if "lot" in item else item["id"] for item in page["items"]]
        assert not set(ids) & set(seen), path
        seen += ids
        if page["next_cursor"] is None:
            return seen
        params["cursor"] = page["next_cursor"]
    raise AssertionError(f"{path} did not end")


def test_host_lists_page_each_item_once_and_refuse_foreign_cursors(hosts: HostDesk) -> None:
    host, host_id = hosts.approved_host()
    opened = {hosts.open_lot(host)["lot"]["id"] for _ in range(3)}
    drafts = {hosts.create_lot(host).json()["lot"]["id"] for _ in range(2)}
    hosts.apply(hosts.api.account())
    hosts.apply(hosts.api.account())
    admin = hosts.admin.headers

    assert set(_walk(hosts, "/api/hosts/me/lots", host.headers)) == opened | drafts
    assert set(_walk(hosts, f"/api/hosts/{host_id}/lots", {})) == opened
    assert len(_walk(hosts, "/api/admin/hosts", admin)) == 3
    assert set(_walk(hosts, "/api/admin/host-lots", admin)) == opened | drafts
    queue = _walk(hosts, "/api/admin/host-lots", admin, review_status="draft")
    assert set(queue) == drafts
    player = hosts.api.account()
    assert hosts.client.get("/api/admin/host-lots", headers=player.headers).status_code == 403

    lists = {
        "/api/hosts/me/lots": host.headers,
        f"/api/hosts/{host_id}/lots": {},
        "/api/admin/hosts": admin,
        "/api/admin/host-lots": admin,
        "/api/lots": {},
    }
    cursors = {
        path: hosts.client.get(path, params={"limit": 1}, headers=headers).json()["next_cursor"]
        for path, headers in lists.items()
    }
    assert all(cursors.values())
    for path, headers in lists.items():
        if path == "/api/lots":
            continue
        # A host's public list is a filtered /api/lots (same order, same cursor kind).
        others = [
            cursor
            for other, cursor in cursors.items()
            if other != path
            and {other, path} != {"/api/lots", f"/api/hosts/{host_id}/lots"}
            and {other, path} != {"/api/hosts/me/lots", "/api/admin/host-lots"}
        ]
        for cursor in ["zzz", "bm90IGpzb24", *others]:
            response = hosts.client.get(path, params={"cursor": cursor}, headers=headers)
            assert response.status_code == 422, (path, cursor, response.text)
            assert response.json()["code"] == "invalid_cursor", path
        for limit in (0, 101):
            response = hosts.client.get(path, params={"limit": limit}, headers=headers)
            assert response.status_code == 422, (path, limit)
