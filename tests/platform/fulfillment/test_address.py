"""The shipping address: validated (bad input changes nothing), encrypted at rest and
bound to its reveal, changed only before shipment; a claim repeated answers the same."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Any

import pytest
from alot_platform.db import unit_of_work
from alot_platform.fulfillment.service import address_context
from alot_platform.reveals.models import Reveal
from alot_platform.security.crypto import FieldDecryptionError

from tests.platform.fulfillment.conftest import ADDRESS


@pytest.mark.parametrize(
    "change",
    [
        {"country": "XX"},  # not an ISO 3166-1 code
        {"country": "GBR"},
        {"postal_code": ""},
        {"postal_code": "   "},
        {"name": ""},
        {"name": "Ada\u202eecalevol"},  # a bidi override
        {"line1": "12 St James's\nSquare"},  # a control character
        {"line1": "x" * 201},
        {"city": "London\x00"},
        {"phone": "020 7946 0958"},  # not international
        {"phone": "+44 (0) abc"},
        {"line1": None},
        {"extra": "field"},
    ],
)
def test_a_bad_address_is_refused_and_changes_nothing(prizes: Any, change: dict[str, Any]) -> None:
    winner, _lot, reveal_id = prizes.win()
    address = {**ADDRESS, **change}
    if change.get("line1", "") is None:
        del address["line1"]
    refused = prizes.claim(winner, reveal_id, address)
    assert refused.status_code == 422, refused.text
    assert prizes.tracking(winner, reveal_id).json()["status"] == "won"
    assert prizes.tracking(winner, reveal_id).json()["shipping_address"] is None


def test_optional_lines_may_be_left_out_and_the_country_is_upper_cased(prizes: Any) -> None:
    winner, _lot, reveal_id = prizes.win()
    address = {k: v for k, v in ADDRESS.items() if k not in ("line2", "region")}
    claimed = prizes.claim(winner, reveal_id, {**address, "country": "fr"})
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["shipping_address"]["country"] == "FR"
    assert claimed.json()["shipping_address"]["line2"] is None


def test_the_address_is_encrypted_at_rest_and_bound_to_its_reveal(prizes: Any) -> None:
    winner, _lot, reveal_id = prizes.win()
    assert prizes.claim(winner, reveal_id).status_code == 200
    platform = prizes.platform
    with contextmanager(unit_of_work)(platform.database) as session:
        row = session.get(Reveal, uuid.UUID(reveal_id))
        assert row is not None
        stored = row.shipping_address_encrypted
    assert stored is not None
    assert stored.startswith("v1.")
    for plain in ("Lovelace", "James", "SW1Y", "London", "7946"):
        assert plain not in stored
    assert "Lovelace" in platform.cipher.decrypt(stored, address_context(uuid.UUID(reveal_id)))
    with pytest.raises(FieldDecryptionError):  # copied onto another reveal, it does not open
        platform.cipher.decrypt(stored, address_context(uuid.uuid4()))


def test_a_claim_repeated_answers_the_same_and_a_different_one_is_refused(prizes: Any) -> None:
    winner, _lot, reveal_id = prizes.win()
    first = prizes.claim(winner, reveal_id)
    again = prizes.claim(winner, reveal_id)
    assert again.status_code == 200
    assert again.json() == first.json()
    other = prizes.claim(winner, reveal_id, {**ADDRESS, "city": "Leeds"})
    assert other.status_code == 409
    assert other.json()["code"] == "already_claimed"


def test_the_address_changes_until_shipment_only(prizes: Any) -> None:
    winner, _lot, reveal_id = prizes.win()
    path = f"/api/reveals/{reveal_id}/shipping"
    moved = {"shipping_address": {**ADDRESS, "city": "Leeds", "postal_code": "LS1 1UR"}}
    early = prizes.client.patch(path, json=moved, headers=winner.headers)
    assert early.status_code == 409  # nothing claimed yet
    assert prizes.claim(winner, reveal_id).status_code == 200
    changed = prizes.client.patch(path, json=moved, headers=winner.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["shipping_address"]["city"] == "Leeds"
    [item] = [i for i in prizes.admin_queue().json()["items"] if i["reveal_id"] == reveal_id]
    assert item["shipping_address"]["city"] == "Leeds"
    assert prizes.admin_ship(reveal_id).status_code == 200
    late = prizes.client.patch(path, json={"shipping_address": ADDRESS}, headers=winner.headers)
    assert late.status_code == 409
    assert late.json()["code"] == "already_shipped"
    assert prizes.tracking(winner, reveal_id).json()["shipping_address"]["city"] == "Leeds"
