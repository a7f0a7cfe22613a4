"""Host lots: created as drafts with the host's own product, edited until they open,
submitted, reviewed by an admin (approval opens them), sold, and their sales seen by
their host only."""

from __future__ import annotations

from typing import Any

from tests.platform.hosts.conftest import HostDesk


def test_a_host_lot_goes_from_draft_to_open_through_review(hosts: HostDesk) -> None:
    host, host_id = hosts.approved_host(commission_bps=2000)
    created = hosts.create_lot(host)
    assert created.status_code == 201, created.text
    read: dict[str, Any] = created.json()
    lot_id = read["lot"]["id"]
    assert read["review_status"] == "draft"
    assert read["lot"]["status"] == "created"
    assert read["lot"]["host"] == {"id": host_id, "display_name": f"{host.username} Ltd"}
    assert read["lot"]["product"]["name"] == "Air Jordan 1 Chicago"
    # The commission and the share at the target, before it opens.
    assert read["economics"] == {
        "commission_bps": 2000,
        "commission_percent": "20.00",
        "target_cents": 1_000,
        "commission_cents": 200,
        "host_share_cents": 800,
        "commission": "2.00",
        "host_share": "8.00",
    }
    # Not public yet, and the platform's open refuses it.
    assert hosts.client.get(f"/api/lots/{lot_id}").status_code == 404
    opened = hosts.client.post(f"/api/admin/lots/{lot_id}/open", headers=hosts.admin.headers)
    assert opened.status_code == 409
    assert opened.json()["code"] == "lot_not_approved"
    # Approving a draft is a conflict: it must be submitted first.
    assert hosts.approve_lot(lot_id).status_code == 409

    assert hosts.submit(host, lot_id).json()["review_status"] == "pending"
    assert hosts.submit(host, lot_id).status_code == 409
    approved = hosts.approve_lot(lot_id)
    assert approved.status_code == 200, approved.text
    lot = approved.json()
    assert lot["status"] == "open"
    assert lot["commission_bps"] == 2000
    assert lot["draw"]["server_seed_commitment"]
    assert any("is approved and open" in e.subject for e in hosts.emails_to(host))

    # A player finds it on /api/lots and on the host's public page, and buys.
    listed = [item["id"] for item in hosts.client.get("/api/lots").json()["items"]]
    assert lot_id in listed
    public = hosts.client.get(f"/api/hosts/{host_id}/lots").json()
    assert [item["id"] for item in public["items"]] == [lot_id]
    assert public["items"][0]["host"]["display_name"] == f"{host.username} Ltd"
    player = hosts.lots.player(lot_id)
    assert hosts.lots.buy(player, lot_id, 1).status_code == 201

    # Open: no more edits, no resubmission.
    edit = hosts.client.patch(
        f"/api/hosts/me/lots/{lot_id}", json={"title": "Changed"}, headers=host.headers
    )
    assert edit.status_code == 409


def test_a_rejected_lot_is_edited_back_to_draft_and_resubmitted(hosts: HostDesk) -> None:
    host, _ = hosts.approved_host()
    lot_id = hosts.create_lot(host).json()["lot"]["id"]
    hosts.submit(host, lot_id)
    rejected = hosts.client.post(
        f"/api/admin/lots/{lot_id}/reject",
        json={"reason": "Photos missing"},
        headers=hosts.admin.headers,
    )
    assert rejected.status_code == 200, rejected.text
    mine = hosts.client.get(f"/api/hosts/me/lots/{lot_id}", headers=host.headers).json()
    assert mine["review_status"] == "rejected"
    assert mine["review_reason"] == "Photos missing"
    assert any("Photos missing" in e.body for e in hosts.emails_to(host))

    edited = hosts.client.patch(
        f"/api/hosts/me/lots/{lot_id}",
        json={
            "title": "Grail sneakers, with photos",
            "product": {"images": ["https://img.example.com/aj1-side.jpg"]},
        },
        headers=host.headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["review_status"] == "draft"
    assert edited.json()["lot"]["title"] == "Grail sneakers, with photos"
    assert edited.json()["lot"]["product"]["images"] == ["https://img.example.com/aj1-side.jpg"]
    # Editing a pending lot puts it back to draft too.
    hosts.submit(host, lot_id)
    hosts.client.patch(
        f"/api/hosts/me/lots/{lot_id}", json={"funding_target_cents": 2_000}, headers=host.headers
    )
    mine = hosts.client.get(f"/api/hosts/me/lots/{lot_id}", headers=host.headers).json()
    assert mine["review_status"] == "draft"
    assert mine["economics"]["target_cents"] == 2_000
    assert hosts.submit(host, lot_id).status_code == 200
    assert hosts.approve_lot(lot_id).json()["status"] == "open"


def test_a_lot_whose_commission_cannot_fund_its_credit_rate_is_refused(hosts: HostDesk) -> None:
    host, _ = hosts.approved_host(commission_bps=1000)
    refused = hosts.create_lot(host, non_winner_credit_rate_percent=11)
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "commission_cannot_fund_credits"
    assert "at most 10%" in problem["detail"]
    mine = hosts.client.get("/api/hosts/me/lots", headers=host.headers).json()
    assert mine["items"] == []  # nothing written, not even the product
    assert hosts.create_lot(host, non_winner_credit_rate_percent=10).status_code == 201
    lot_id = hosts.client.get("/api/hosts/me/lots", headers=host.headers).json()["items"][0]
    raised = hosts.client.patch(
        f"/api/hosts/me/lots/{lot_id['lot']['id']}",
        json={"non_winner_credit_rate_percent": 20},
        headers=host.headers,
    )
    assert raised.status_code == 422


def test_only_approved_hosts_create_lots(hosts: HostDesk) -> None:
    pending = hosts.api.account()
    hosts.apply(pending)
    refused = hosts.create_lot(pending)
    assert refused.status_code == 403
    assert refused.json()["code"] == "host_not_approved"
    player = hosts.api.account()
    assert hosts.create_lot(player).status_code == 404  # not_a_host
    assert hosts.client.get("/api/hosts/me/lots", headers=player.headers).status_code == 404


def test_host_a_cannot_reach_host_b_lots(hosts: HostDesk) -> None:
    host_a, _ = hosts.approved_host()
    host_b, _ = hosts.approved_host()
    lot_b = hosts.open_lot(host_b)["lot"]["id"]
    draft_b = hosts.create_lot(host_b).json()["lot"]["id"]
    for lot_id in (lot_b, draft_b):
        for method, path in (
            ("GET", f"/api/hosts/me/lots/{lot_id}"),
            ("GET", f"/api/hosts/me/lots/{lot_id}/sales"),
            ("PATCH", f"/api/hosts/me/lots/{lot_id}"),
            ("POST", f"/api/hosts/me/lots/{lot_id}/submit"),
        ):
            json = {"title": "Mine now"} if method == "PATCH" else None
            response = hosts.client.request(method, path, json=json, headers=host_a.headers)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["code"] == "lot_not_found"
    mine = hosts.client.get("/api/hosts/me/lots", headers=host_a.headers).json()
    assert mine["items"] == []
    # A host is no admin: it cannot approve its own lot or any other.
    hosts.submit(host_b, draft_b)
    assert hosts.approve_lot(draft_b, admin=host_b).status_code == 403
    assert hosts.approve_lot(draft_b, admin=host_a).status_code == 403


def test_an_admin_host_cannot_approve_their_own_lot(hosts: HostDesk) -> None:
    admin = hosts.api.admin()
    host_id = hosts.apply(admin).json()["id"]
    assert hosts.review(host_id, "approve").status_code == 200  # another admin
    lot_id = hosts.create_lot(admin).json()["lot"]["id"]
    hosts.submit(admin, lot_id)
    refused = hosts.approve_lot(lot_id, admin=admin)
    assert refused.status_code == 403
    assert refused.json()["code"] == "self_review"


def test_sales_show_usernames_only_and_the_held_share(hosts: HostDesk) -> None:
    host, _ = hosts.approved_host(commission_bps=1500)
    lot_id = hosts.open_lot(host)["lot"]["id"]
    buyers = [hosts.lots.player(lot_id) for _ in range(2)]
    assert hosts.lots.buy(buyers[0], lot_id, 1).status_code == 201  # 4.50
    assert hosts.lots.buy(buyers[1], lot_id, 0).status_code == 201  # 1.00
    sales = hosts.client.get(f"/api/hosts/me/lots/{lot_id}/sales", headers=host.headers)
    assert sales.status_code == 200, sales.text
    body = sales.json()
    assert body["tickets_sold"] == 6
    assert body["cash_cents"] == 550
    assert body["entries"] == 2
    assert body["buyers"] == [
        {"username": buyers[0].username, "tickets": 5},
        {"username": buyers[1].username, "tickets": 1},
    ]
    assert body["held_cents"] == 0  # not settled yet
    for buyer in buyers:
        assert buyer.email not in sales.text
    # Funded: the draw settles it, and the share is held for the host.
    assert hosts.lots.buy(hosts.lots.player(lot_id), lot_id, 1).status_code == 201
    settled = hosts.client.get(f"/api/lots/{lot_id}/draw").json()
    assert settled["lot_status"] == "settled", settled
    body = hosts.client.get(f"/api/hosts/me/lots/{lot_id}/sales", headers=host.headers).json()
    assert body["funded_cents"] == 1_000
    assert body["commission_cents"] == 150
    assert body["host_share_cents"] == 850
    assert body["held_cents"] == 850
    assert body["payable_cents"] == 0
    stats = hosts.client.get("/api/hosts/me", headers=host.headers).json()["stats"]
    assert stats == {"lots_created": 1, "lots_funded": 1}


def test_suspension_stops_sales_until_reinstated(hosts: HostDesk) -> None:
    host, host_id = hosts.approved_host()
    lot_id = hosts.open_lot(host)["lot"]["id"]
    player = hosts.lots.player(lot_id)
    hosts.review(host_id, "suspend")
    cash = hosts.lots.buy(player, lot_id, 0)
    assert cash.status_code == 409
    assert cash.json()["code"] == "host_suspended"
    credits = hosts.lots.buy_with_credits(player, lot_id, 1)
    assert credits.status_code == 409
    assert credits.json()["code"] == "host_suspended"
    # The lot stays open and visible; the host can read but not create.
    assert hosts.client.get(f"/api/lots/{lot_id}").json()["status"] == "open"
    assert hosts.client.get("/api/hosts/me/lots", headers=host.headers).status_code == 200
    assert hosts.create_lot(host).status_code == 403
    hosts.review(host_id, "reinstate")
    assert hosts.lots.buy(player, lot_id, 0).status_code == 201


def test_players_cannot_call_host_or_admin_host_routes(hosts: HostDesk) -> None:
    player = hosts.api.account()
    for method, path in (
        ("GET", "/api/hosts/me"),
        ("PATCH", "/api/hosts/me"),
        ("GET", "/api/hosts/me/lots"),
    ):
        response = hosts.client.request(method, path, json={}, headers=player.headers)
        assert response.status_code == 404, (path, response.text)
    assert hosts.client.get("/api/hosts/me").status_code == 401
    _, host_id = hosts.approved_host()
    assert hosts.review(host_id, "suspend", admin=player).status_code == 403


def test_a_lot_view_follows_its_hosts_new_name(hosts: HostDesk) -> None:
    host, host_id = hosts.approved_host()
    lot_id = hosts.open_lot(host)["lot"]["id"]
    for _ in range(2):  # the second read is the cache's
        lot = hosts.client.get(f"/api/lots/{lot_id}").json()
        assert lot["host"] == {"id": host_id, "display_name": f"{host.username} Ltd"}
        assert lot["commission_bps"] == 1500
    listed = hosts.client.get("/api/lots").json()["items"]
    assert [item["host"]["display_name"] for item in listed if item["id"] == lot_id]
    renamed = hosts.client.patch(
        "/api/hosts/me", json={"display_name": "Renamed Ltd"}, headers=host.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert hosts.client.get(f"/api/lots/{lot_id}").json()["host"]["display_name"] == "Renamed Ltd"
    listed = hosts.client.get("/api/lots").json()["items"]
    assert [i["host"]["display_name"] for i in listed if i["id"] == lot_id] == ["Renamed Ltd"]
    # A platform lot names no host.
    platform_lot = hosts.lots.open_lot()
    assert platform_lot["host"] is None
    assert platform_lot["commission_bps"] is None


def test_a_suspended_hosts_pending_lot_is_not_approved(hosts: HostDesk) -> None:
    host, host_id = hosts.approved_host()
    lot_id = hosts.create_lot(host).json()["lot"]["id"]
    hosts.submit(host, lot_id)
    hosts.review(host_id, "suspend")
    refused = hosts.approve_lot(lot_id)
    assert refused.status_code == 409
    assert refused.json()["code"] == "host_review_conflict"
    assert hosts.submit(host, lot_id).status_code == 403  # host_not_approved
    hosts.review(host_id, "reinstate")
    assert hosts.approve_lot(lot_id).json()["status"] == "open"
