"""`client.images.upload`, sync and async, over the real app (local media store)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alot_sdk import APIStatusError, PermissionDeniedError
from alot_sdk.models import Image as UploadedImage
from PIL import Image


def _jpeg(width: int = 900, height: int = 300) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG", quality=85)
    return out.getvalue()


def test_upload_from_a_path_and_from_bytes(
    admin: Any, tmp_path: Path, make_player: Callable[..., Any]
) -> None:
    photo = tmp_path / "watch.jpg"
    photo.write_bytes(_jpeg())
    image = admin.client.images.upload(photo)  # the type from the name
    assert isinstance(image, UploadedImage)
    assert (image.width, image.height, image.content_type) == (900, 300, "image/jpeg")
    assert (image.renditions.card.width, image.renditions.card.height) == (480, 160)
    assert (image.renditions.page.width, image.renditions.page.height) == (900, 300)
    assert image.renditions.page.url.endswith(f"/media/images/{image.id}/page.webp")
    assert image.renditions.card.content_type == "image/webp"

    png = io.BytesIO()
    Image.new("RGBA", (40, 20), (0, 0, 0, 0)).save(png, "PNG")
    from_bytes = admin.client.images.upload(
        png.getvalue(), filename="clear.png", content_type="image/png"
    )
    assert from_bytes.content_type == "image/png"

    product = admin.client.admin.product_classes.create(
        name="Diver",
        category="watch",
        tier="RARE",
        retail_value_cents=100_000,
        images=[image.renditions.page.url],
    )
    assert product.images == [image.renditions.page.url]


def test_refusals_raise_with_their_code(admin: Any, make_player: Callable[..., Any]) -> None:
    with pytest.raises(APIStatusError) as refused:
        admin.client.images.upload(b"just text", filename="fake.jpg")
    assert refused.value.status_code == 415
    assert refused.value.code == "unsupported_image_type"
    player = make_player()
    with pytest.raises(PermissionDeniedError) as forbidden:
        player.client.images.upload(_jpeg(), filename="a.jpg")
    assert forbidden.value.code == "images_not_allowed"


@pytest.mark.anyio
async def test_async_upload(admin: Any, make_async_client: Callable[..., Any]) -> None:
    client = make_async_client(api_token=admin.client.access_token)
    image = await client.images.upload(_jpeg(200, 100), filename="small.jpg")
    assert (image.renditions.card.width, image.renditions.card.height) == (200, 100)
