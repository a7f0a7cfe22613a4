"""Host applications and their review: one profile per account, the review's emails,
the host role, self-review refused, and what the public sees."""

from __future__ import annotations

from typing import Any

from tests.platform.hosts.conftest import HostDesk


def test_apply_then_approve_grants_the_role_and_emails_the_reason(hosts: HostDesk) -> None:
    account = hosts.api.account()
    applied = hosts.apply(account)
    assert applied.status_code == 201, applied.text
    host = applied.json()
    assert host["status"] == "pending"
    assert host["business_details"]["legal_name"] == f"{account.username} Limited"
    assert host["commission_bps"] == 1500  # ALOT_HOST_DEFAULT_COMMISSION_BPS

    again = hosts.apply(account)
    assert again.status_code == 409
    assert again.json()["code"] == "host_exists"

    me = hosts.client.get("/api/users/me", headers=account.headers).json()
    assert "host" not in me["roles"]

    approved = hosts.review(host["id"], "approve", commission_bps=2000)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["commission_bps"] == 2000
    assert approved.json()["reviewed_by"] == hosts.admin.id

    me = hosts.client.get("/api/users/me", headers=account.headers).json()
    assert "host" in me["roles"]
    mine = hosts.client.get("/api/hosts/me", headers=account.headers).json()
    assert mine["status"] == "approved"
    assert mine["status_reason"] == "approve for the test"
    emails = hosts.emails_to(account)
    assert [e.subject for e in emails] == ["Your ALOT! host application is approved"]
    assert "approve for the test" in emails[0].body
    assert "20.00%" in emails[0].body

    # Approving twice is a conflict; the review's state machine holds.
    assert hosts.review(host["id"], "approve").status_code == 409
    assert hosts.review(host["id"], "reject").status_code == 409


def test_a_rejected_applicant_reapplies_by_editing(hosts: HostDesk) -> None:
    account = hosts.api.account()
    host_id = hosts.apply(account).json()["id"]
    rejected = hosts.review(host_id, "reject")
    assert rejected.json()["status"] == "rejected"
    assert "not approved" in hosts.emails_to(account)[0].subject
    me = hosts.client.get("/api/hosts/me", headers=account.headers).json()
    assert me["status"] == "rejected"
    assert me["status_reason"] == "reject for the test"

    edited = hosts.client.patch(
        "/api/hosts/me", json={"description": "Now with documents"}, headers=account.headers
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "pending"
    assert hosts.review(host_id, "approve").status_code == 200


def test_suspend_and_reinstate_need_a_reason_and_email(hosts: HostDesk) -> None:
    account, host_id = hosts.approved_host()
    no_reason = hosts.client.post(
        f"/api/admin/hosts/{host_id}/suspend", json={}, headers=hosts.admin.headers
    )
    assert no_reason.status_code == 422
    assert hosts.review(host_id, "suspend").json()["status"] == "suspended"
    assert hosts.review(host_id, "suspend").status_code == 409
    assert hosts.review(host_id, "reinstate").json()["status"] == "approved"
    subjects = {e.subject for e in hosts.emails_to(account)}
    assert "Your ALOT! host account is suspended" in subjects
    assert "Your ALOT! host account is reinstated" in subjects
    # Suspension keeps the role.
    me = hosts.client.get("/api/users/me", headers=account.headers).json()
    assert "host" in me["roles"]


def test_an_admin_cannot_review_their_own_host_profile(hosts: HostDesk) -> None:
    admin = hosts.api.admin()
    host_id = hosts.apply(admin).json()["id"]
    refused = hosts.review(host_id, "approve", admin=admin)
    assert refused.status_code == 403
    assert refused.json()["code"] == "self_review"
    status = hosts.client.get(f"/api/admin/hosts/{host_id}", headers=admin.headers).json()
    assert status["status"] == "pending"


def test_the_public_profile_shows_approved_hosts_without_business_details(
    hosts: HostDesk,
) -> None:
    account = hosts.api.account()
    host_id = hosts.apply(account).json()["id"]
    assert hosts.client.get(f"/api/hosts/{host_id}").status_code == 404  # pending
    hosts.review(host_id, "approve")
    public = hosts.client.get(f"/api/hosts/{host_id}")
    assert public.status_code == 200
    body: dict[str, Any] = public.json()
    assert set(body) == {
        "id",
        "display_name",
        "description",
        "logo_url",
        "website_url",
        "country",
        "stats",
    }
    assert account.username not in public.text.replace(f"{account.username} Ltd", "")
    assert "12345678" not in public.text
    hosts.review(host_id, "suspend")
    assert hosts.client.get(f"/api/hosts/{host_id}").status_code == 404


def test_application_input_is_checked(hosts: HostDesk) -> None:
    account = hosts.api.account()
    for bad in (
        {"logo_url": "http://img.example.com/logo.png"},  # https only
        {"website_url": "javascript:alert(1)"},
        {"country": "GBR"},
        {"business_details": {"legal_name": "X"}},
    ):
        response = hosts.apply(account, **bad)
        assert response.status_code == 422, (bad, response.text)
    assert hosts.client.get("/api/hosts/me", headers=account.headers).status_code == 404
    unverified = hosts.api.account(verified=False)
    assert hosts.apply(unverified).status_code == 403


def test_admin_lists_hosts_by_status_and_players_cannot(hosts: HostDesk) -> None:
    pending = hosts.apply(hosts.api.account()).json()["id"]
    _, approved = hosts.approved_host()
    listed = hosts.client.get(
        "/api/admin/hosts", params={"status": "pending"}, headers=hosts.admin.headers
    ).json()
    ids = [h["id"] for h in listed["items"]]
    assert pending in ids
    assert approved not in ids
    player = hosts.api.account()
    assert hosts.client.get("/api/admin/hosts", headers=player.headers).status_code == 403
    assert hosts.review(pending, "approve", admin=player).status_code == 403


def test_commission_changes_follow_lots_not_yet_open(hosts: HostDesk) -> None:
    host, host_id = hosts.approved_host(commission_bps=1500)
    opened = hosts.open_lot(host)
    draft = hosts.create_lot(host).json()
    changed = hosts.client.post(
        f"/api/admin/hosts/{host_id}/commission",
        json={"commission_bps": 2500, "reason": "New terms"},
        headers=hosts.admin.headers,
    )
    assert changed.status_code == 200, changed.text
    mine = hosts.client.get(f"/api/hosts/me/lots/{draft['lot']['id']}", headers=host.headers)
    assert mine.json()["economics"]["commission_bps"] == 2500
    still = hosts.client.get(f"/api/hosts/me/lots/{opened['lot']['id']}", headers=host.headers)
    assert still.json()["economics"]["commission_bps"] == 1500
