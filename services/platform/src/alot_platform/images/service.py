"""Accepting an upload: check and re-encode it, store its renditions, then record it.

Objects first, row second: a row never names an object that was not stored. If the
row cannot be written, the objects just stored are deleted again (best effort: an
object left behind by a crash is unreferenced, never served by any product).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from alot_platform.context import PlatformContext
from alot_platform.errors import AlotError, Forbidden
from alot_platform.hosts.models import Host, HostStatus
from alot_platform.images.models import Image
from alot_platform.images.processing import RENDITION_EXTENSION, process
from alot_platform.images.schemas import ImageRead, ImageRenditions, rendition_read
from alot_platform.images.storage import MediaStore
from alot_platform.users.models import Role, User

_log = logging.getLogger(__name__)


class ImageTooLarge(AlotError):
    status_code = 413
    code = "image_too_large"
    title = "The image file is too large"


class MediaStoreUnavailable(AlotError):
    status_code = 503
    code = "media_store_unavailable"
    title = "The image store is unavailable"


class NotAllowedToUpload(Forbidden):
    code = "images_not_allowed"
    title = "Not allowed to upload images"


@dataclass(frozen=True)
class Uploader:
    user: User
    host_id: uuid.UUID | None
    """The approved host the image is uploaded for; None for an admin (platform)."""


def uploader_for(session: Session, user: User) -> Uploader:
    """Admins upload for the platform, approved hosts for themselves; nobody else."""
    if Role.ADMIN in user.roles:
        return Uploader(user, None)
    host = session.scalars(select(Host).where(Host.user_id == user.id)).one_or_none()
    if host is not None and host.status == HostStatus.APPROVED:
        return Uploader(user, host.id)
    raise NotAllowedToUpload("uploading images needs the admin role or an approved host profile")


def rendition_key(image_id: uuid.UUID, name: str) -> str:
    return f"images/{image_id}/{name}.{RENDITION_EXTENSION}"


def image_read(image: Image, store: MediaStore) -> ImageRead:
    renditions = {
        name: rendition_read(entry, store.url(entry["key"]))
        for name, entry in image.renditions.items()
    }
    return ImageRead(
        id=image.id,
        width=image.width,
        height=image.height,
        content_type=image.content_type,
        renditions=ImageRenditions(**renditions),
        created_at=image.created_at,
    )


class ImageService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self.session = session
        self.platform = platform
        assert platform.media is not None
        self.store: MediaStore = platform.media

    def upload(self, uploader: Uploader, data: bytes, declared_type: str | None) -> ImageRead:
        limit = self.platform.settings.image_max_bytes
        if len(data) > limit:
            raise ImageTooLarge(f"the image is over the limit of {limit} bytes", max_bytes=limit)
        processed = process(data, declared_type, max_pixels=self.platform.settings.image_max_pixels)
        image_id = uuid.uuid4()
        stored: list[str] = []
        try:
            renditions = {}
            for rendition in processed.renditions:
                key = rendition_key(image_id, rendition.name)
                try:
                    self.store.put(key, rendition.data, rendition.content_type)
                except Exception as error:
                    _log.exception("could not store the media object %s", key)
                    raise MediaStoreUnavailable(
                        "the image could not be stored; try again later"
                    ) from error
                stored.append(key)
                renditions[rendition.name] = {
                    "key": key,
                    "content_type": rendition.content_type,
                    "width": rendition.width,
                    "height": rendition.height,
                    "bytes": len(rendition.data),
                }
            image = Image(
                id=image_id,
                uploaded_by=uploader.user.id,
                host_id=uploader.host_id,
                content_type=processed.content_type,
                width=processed.width,
                height=processed.height,
                byte_size=len(data),
                sha256=processed.sha256,
                renditions=renditions,
                created_at=self.platform.clock(),
            )
            self.session.add(image)
            answer = image_read(image, self.store)
            self.session.commit()  # the row is durable before the client hears of it
        except BaseException:
            self.session.rollback()
            self._forget(stored)
            raise
        _log.info(
            "image stored",
            extra={"image_id": str(image_id), "host_id": str(uploader.host_id or "")},
        )
        return answer

    def _forget(self, keys: list[str]) -> None:
        for key in keys:
            try:
                self.store.delete(key)
            except Exception:
                _log.exception("could not delete the orphaned media object %s", key)
