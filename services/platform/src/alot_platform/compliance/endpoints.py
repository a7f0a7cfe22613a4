"""/api/terms, /api/users/me/terms, /api/users/me/identity: terms acceptance and
identity checks (rules in service.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from alot_platform.auth.dependencies import CurrentUser, PlatformDep, SessionDep, public
from alot_platform.compliance.schemas import (
    IdentityCheckRead,
    TermsAcceptRequest,
    TermsDocument,
    TermsRead,
    TermsStatus,
)
from alot_platform.compliance.service import (
    PRIVACY_PATH,
    TERMS_PATH,
    ComplianceService,
)
from alot_platform.fulfillment.schemas import COUNTRY_CODES
from alot_platform.openapi_helpers import problems

router = APIRouter(tags=["compliance"])


@router.get(
    "/api/terms",
    dependencies=[Depends(public)],
    summary="The current terms and privacy notice versions, and registration's country rule",
)
def current_terms(platform: PlatformDep) -> TermsRead:
    settings = platform.settings
    allowed = sorted(settings.allowed_country_set)
    return TermsRead(
        terms=TermsDocument(version=settings.terms_version, url=TERMS_PATH),
        privacy=TermsDocument(version=settings.privacy_version, url=PRIVACY_PATH),
        allowed_countries=allowed,
        selectable_countries=allowed or sorted(COUNTRY_CODES),
        country_required=bool(allowed),
        identity_required=settings.identity_required,
    )


@router.post(
    "/api/users/me/terms",
    responses=problems(409, 422),
    summary="Accept the current terms and privacy notice",
)
def accept_terms(
    body: TermsAcceptRequest, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> TermsStatus:
    standing = ComplianceService(session, platform).accept(
        user, body.terms_version, body.privacy_version
    )
    return TermsStatus.of(standing)


@router.post(
    "/api/users/me/identity",
    responses=problems(503),
    summary="Start an identity check; continue at the returned url",
)
def start_identity_check(
    user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> IdentityCheckRead:
    check = ComplianceService(session, platform).start_identity_check(user)
    return IdentityCheckRead(
        provider=check.provider,
        check_id=check.check_id,
        status=check.status,
        url=check.url,
        verified_identity=check.status == "verified" or user.verified_identity,
    )
