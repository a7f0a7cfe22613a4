"""POST /api/images (admins and approved hosts) and GET /media/<key> (the local store).

The upload is authenticated before a byte of its body is parsed (the form is read in
the endpoint, after the dependencies), and the body is capped: the size-limit
middleware refuses a body over ``ALOT_IMAGE_MAX_BYTES`` (plus the form's own overhead)
on this path as it arrives, and the file part itself is read no further than the limit.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import FileResponse

from alot_platform.auth.dependencies import CurrentUser, PlatformDep, SessionDep
from alot_platform.errors import InvalidInput, NotFound
from alot_platform.images.processing import ACCEPTED_TYPES
from alot_platform.images.schemas import ImageRead
from alot_platform.images.service import (
    ImageService,
    ImageTooLarge,
    Uploader,
    uploader_for,
)
from alot_platform.images.storage import CACHE_CONTROL, LocalMediaStore
from alot_platform.openapi_helpers import problems

# Room for the multipart envelope around the file (boundaries, part headers).
FORM_OVERHEAD_BYTES = 64 * 1024
UPLOAD_PATH = "/api/images"

router = APIRouter(prefix="/api/images", tags=["images"])
media_router = APIRouter(tags=["images"])


class MissingFile(InvalidInput):
    code = "image_file_missing"
    title = "No image file"


def current_uploader(user: CurrentUser, session: SessionDep) -> Uploader:
    return uploader_for(session, user)


UploaderDep = Annotated[Uploader, Depends(current_uploader)]

_FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "a JPEG, PNG or WebP image, sent with its type",
                        }
                    },
                }
            }
        },
    }
}


async def _read_file(request: Request, limit: int) -> tuple[bytes, str | None]:
    form = await request.form(max_files=1, max_fields=4)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise MissingFile("send the image as the multipart/form-data file field `file`")
        if upload.size is not None and upload.size > limit:
            raise ImageTooLarge(f"the image is over the limit of {limit} bytes", max_bytes=limit)
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise ImageTooLarge(f"the image is over the limit of {limit} bytes", max_bytes=limit)
        return data, upload.content_type
    finally:
        await form.close()


@router.post(
    "",
    status_code=201,
    responses=problems(401, 403, 413, 415, 422, 503),
    openapi_extra=_FORM_BODY,
    summary="Upload a product image (admins and approved hosts): checked, re-encoded"
    f" without metadata, stored as renditions ({', '.join(ACCEPTED_TYPES)})",
)
async def upload_image(
    request: Request, uploader: UploaderDep, session: SessionDep, platform: PlatformDep
) -> ImageRead:
    data, declared = await _read_file(request, platform.settings.image_max_bytes)
    service = ImageService(session, platform)
    return await run_in_threadpool(service.upload, uploader, data, declared)


_MEDIA_TYPES = {".webp": "image/webp", ".jpg": "image/jpeg", ".png": "image/png"}


@media_router.api_route("/media/{key:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def read_media(key: str, platform: PlatformDep) -> Response:
    """A stored rendition, from the local store (an S3 store is read from the bucket)."""
    store = platform.media
    path = store.path(key) if isinstance(store, LocalMediaStore) else None
    if path is None or path.name.startswith(".") or not path.is_file():
        raise NotFound("no such media file")
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
    )
