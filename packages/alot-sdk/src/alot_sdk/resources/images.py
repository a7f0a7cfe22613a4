"""`client.images`: uploading product images (admins and approved hosts).

The platform checks the file (JPEG, PNG or WebP, by its declared type and its content),
re-encodes it without any metadata (EXIF and GPS, XMP, ICC profiles, comments) and
answers the renditions' URLs. Put `image.renditions.page.url` in a product's `images`.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from alot_sdk.models import Image
from alot_sdk.resources._resource import AsyncResource, SyncResource

_PATH = "/api/images"
_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}

Source = str | os.PathLike[str] | bytes


def _file(
    source: Source, filename: str | None, content_type: str | None
) -> dict[str, tuple[str, bytes, str]]:
    """The multipart `file` field: (name, bytes, type), the type from the name if not given."""
    if isinstance(source, bytes):
        data = source
        name = filename or "image"
    else:
        path = Path(source)
        data = path.read_bytes()
        name = filename or path.name
    kind = content_type or _TYPES.get(Path(name).suffix.lower())
    if kind is None:
        guessed, _ = mimetypes.guess_type(name)
        kind = guessed or "application/octet-stream"
    return {"file": (name, data, kind)}


class Images(SyncResource):
    def upload(
        self,
        source: Source,
        *,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> Image:
        """Upload an image from a path or bytes; its renditions as `Image`.

        `content_type` defaults to the one of `filename`'s (or the path's) extension.
        Refusals raise an `APIStatusError` whose `code` says why: 415
        `unsupported_image_type`; `UnprocessableEntityError` (`invalid_image`,
        `image_too_many_pixels`); 413 `image_too_large`; `PermissionDeniedError`
        (`images_not_allowed`).
        """
        response = self._client._request("POST", _PATH, files=_file(source, filename, content_type))
        return self._client._parse(response, Image)


class AsyncImages(AsyncResource):
    async def upload(
        self,
        source: Source,
        *,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> Image:
        """Upload an image from a path or bytes; its renditions as `Image`."""
        response = await self._client._request(
            "POST", _PATH, files=_file(source, filename, content_type)
        )
        return self._client._parse(response, Image)
