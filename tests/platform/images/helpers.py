"""Uploading through the API, and reading what it stored."""

from __future__ import annotations

import io
from typing import Any

import httpx
from fastapi.testclient import TestClient
from PIL import Image

from tests.platform.conftest import Account
from tests.platform.images.pictures import riff_chunks

FORBIDDEN_CHUNKS = {"EXIF", "XMP ", "ICCP"}


def upload(
    client: TestClient,
    account: Account | None,
    data: bytes,
    *,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> Any:
    """The response (TestClient's)."""
    headers = account.headers if account is not None else {}
    return client.post(
        "/api/images", files={"file": (filename, data, content_type)}, headers=headers
    )


def media_path(url: str) -> str:
    """The path of a locally served rendition URL (…/media/images/<id>/card.webp)."""
    path = httpx.URL(url).path
    assert path.startswith("/media/images/"), url
    return path


def assert_clean_webp(data: bytes, *, size: tuple[int, int]) -> Image.Image:
    """A WebP of `size` carrying no metadata at all; the decoded image."""
    assert set(riff_chunks(data)) <= {"VP8 ", "VP8L", "VP8X", "ALPH"}, riff_chunks(data)
    assert not FORBIDDEN_CHUNKS & set(riff_chunks(data))
    for marker in (b"Exif", b"GPS", b"SpyCam", b"secret-note", b"xmpmeta", b"sRGB"):
        assert marker not in data, marker
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    assert image.size == size
    assert not image.getexif()
    assert not {"exif", "icc_profile", "xmp"} & set(image.info), image.info
    return image


def rendition(body: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = body["renditions"][name]
    return found
