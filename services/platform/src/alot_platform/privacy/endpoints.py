"""/api/users/me/export and DELETE /api/users/me: a player's data rights."""

from __future__ import annotations

from fastapi import APIRouter, Response

from alot_platform.auth.dependencies import CurrentUser, PlatformDep, SessionDep
from alot_platform.openapi_helpers import problems
from alot_platform.privacy.schemas import AccountDeletion, DataExport
from alot_platform.privacy.service import DataRights

router = APIRouter(prefix="/api/users", tags=["privacy"], responses=problems(401))


@router.get("/me/export", summary="Download everything the platform holds about me")
def export_me(
    user: CurrentUser, session: SessionDep, platform: PlatformDep, response: Response
) -> DataExport:
    response.headers["Content-Disposition"] = 'attachment; filename="alot-my-data.json"'
    return DataExport.model_validate(DataRights(session, platform).export(user))


@router.delete(
    "/me",
    status_code=204,
    responses=problems(403, 409, 422),
    summary="Delete my account: personal data erased, credits forfeited, records kept by id",
)
def delete_me(
    body: AccountDeletion, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> Response:
    DataRights(session, platform).delete_account(user, body.password)
    return Response(status_code=204)
