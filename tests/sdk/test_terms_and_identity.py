"""`client.terms`, `client.users.accept_terms` and `client.users.start_identity_check`
over the real app in process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alot_sdk import ConflictError, PermissionDeniedError, UnprocessableEntityError


def test_terms_acceptance_and_identity_check(
    client: Any,
    make_player: Callable[..., Any],
    make_app: Callable[..., Any],
    make_client: Callable[..., Any],
    open_lot: Callable[..., Any],
) -> None:
    terms = client.terms.current()
    assert (terms.terms.version, terms.terms.url) == ("2026-12-01", "/terms")
    assert (terms.privacy.version, terms.country_required) == ("2026-12-01", False)

    ada = make_player()
    me = ada.client.users.me()
    assert me.terms is not None
    assert me.terms.current
    assert me.terms.accepted_terms_version == "2026-12-01"

    with pytest.raises(ConflictError) as outdated:
        ada.client.users.accept_terms(terms_version="2020-01-01", privacy_version="2026-12-01")
    assert outdated.value.code == "terms_version_outdated"
    accepted = ada.client.users.accept_terms(
        terms_version="2026-12-01", privacy_version="2026-12-01"
    )
    assert accepted.current

    check = ada.client.users.start_identity_check()
    assert (check.provider, check.status, check.verified_identity) == ("sandbox", "verified", True)
    assert ada.client.users.me().verified_identity

    # New terms published: the next purchase is refused until the player accepts them.
    lot = open_lot()
    bumped = make_client(of=make_app(terms_version="2027-06-01"))
    bumped.auth.login(ada.email, "correct-horse-battery")
    bumped.trivia.attempt(lot.id, lot.answer)
    with pytest.raises(PermissionDeniedError) as refused:
        bumped.entries.purchase(lot.id, bundle_index=0)
    assert refused.value.code == "terms_not_accepted"
    assert bumped.users.me().terms.current is False
    bumped.users.accept_terms(terms_version="2027-06-01", privacy_version="2026-12-01")
    assert bumped.entries.purchase(lot.id, bundle_index=0).tickets > 0


def test_registration_country_rule(
    make_app: Callable[..., Any], make_client: Callable[..., Any]
) -> None:
    listed = make_client(of=make_app(allowed_countries="GB"))
    assert listed.terms.current().allowed_countries == ["GB"]
    assert listed.terms.current().selectable_countries == ["GB"]
    with pytest.raises(UnprocessableEntityError) as missing:
        listed.auth.register(
            email="x@example.com",
            username="xavier",
            password="correct-horse-battery",
            date_of_birth="1990-05-17",
        )
    assert missing.value.code == "country_required"
    with pytest.raises(PermissionDeniedError) as elsewhere:
        listed.auth.register(
            email="y@example.com",
            username="yvonne",
            password="correct-horse-battery",
            date_of_birth="1990-05-17",
            country="FR",
        )
    assert elsewhere.value.code == "country_not_allowed"
    listed.auth.register(
        email="z@example.com",
        username="zara",
        password="correct-horse-battery",
        date_of_birth="1990-05-17",
        country="GB",
    )
