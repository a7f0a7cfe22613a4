"""POST /api/images over HTTP on the real app: what is accepted, what is refused, what is
stored and how it is served (local store)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text

from tests.platform.conftest import Api
from tests.platform.images.helpers import (
    assert_clean_webp,
    media_path,
    rendition,
    upload,
)
from tests.platform.images.pictures import (
    BLUE,
    RED,
    jpeg_with_gps,
    png_bomb,
    png_with_text,
    small_jpeg,
    webp_with_exif,
)
from tests.platform.marketplace import make_host


def _pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def _close(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel[:3], colour, strict=True))


def _media_files(client: TestClient) -> list[Path]:
    root = client.app.state.platform.settings.var_dir / "media"  # type: ignore[attr-defined]
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _served(client: TestClient, url: str) -> bytes:
    response = client.get(media_path(url))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    return response.content


def test_a_jpeg_is_turned_upright_and_loses_its_exif_gps_and_comments(
    client: TestClient, api: Api, count_rows: Callable[[str], int]
) -> None:
    admin = api.admin()
    original = jpeg_with_gps(2000, 1000, orientation=6)
    response = upload(client, admin, original)
    assert response.status_code == 201, response.text
    body = response.json()
    # The original's size, upright: orientation 6 turns 2000x1000 into 1000x2000.
    assert (body["width"], body["height"], body["content_type"]) == (1000, 2000, "image/jpeg")
    card, page = rendition(body, "card"), rendition(body, "page")
    assert (card["width"], card["height"]) == (480, 960)
    assert (page["width"], page["height"]) == (1000, 2000)  # never upscaled to 1600
    assert card["url"].startswith("http://127.0.0.1:8000/media/images/")
    assert card["url"].endswith(f"/images/{body['id']}/card.webp")
    assert page["url"].endswith(f"/images/{body['id']}/page.webp")

    for entry, size in ((card, (480, 960)), (page, (1000, 2000))):
        data = _served(client, entry["url"])
        assert len(data) == entry["bytes"]
        image = assert_clean_webp(data, size=size).convert("RGB")
        width, height = image.size
        assert _close(_pixel(image, (width // 2, height // 4)), RED)  # red on top
        assert _close(_pixel(image, (width // 2, 3 * height // 4)), BLUE)

    assert count_rows("images") == 1
    engine = client.app.state.platform.database.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT uploaded_by, host_id, sha256, byte_size, content_type FROM images")
        ).one()
    assert str(row.uploaded_by).replace("-", "") == admin.id.replace("-", "")
    assert row.host_id is None
    assert row.sha256 == hashlib.sha256(original).hexdigest()
    assert row.byte_size == len(original)
    assert row.content_type == "image/jpeg"


def test_a_png_keeps_its_transparency_and_loses_its_text_chunks(
    client: TestClient, api: Api
) -> None:
    admin = api.admin()
    response = upload(
        client, admin, png_with_text(3000, 1500), filename="a.png", content_type="image/png"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (3000, 1500)
    page = rendition(body, "page")
    assert (page["width"], page["height"]) == (1600, 800)
    image = assert_clean_webp(_served(client, page["url"]), size=(1600, 800))
    assert image.mode == "RGBA"
    assert _pixel(image, (400, 400))[3] == 255  # the red half is opaque
    assert _pixel(image, (1200, 400))[3] == 0  # the right half stays transparent
    card = rendition(body, "card")
    assert_clean_webp(_served(client, card["url"]), size=(480, 240))


def test_a_webp_is_re_encoded_without_its_metadata(client: TestClient, api: Api) -> None:
    admin = api.admin()
    response = upload(
        client, admin, webp_with_exif(800, 600), filename="a.webp", content_type="image/webp"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert_clean_webp(_served(client, rendition(body, "card")["url"]), size=(480, 360))
    assert_clean_webp(_served(client, rendition(body, "page")["url"]), size=(800, 600))


def test_an_approved_host_uploads_for_itself(client: TestClient, api: Api) -> None:
    account = api.account()
    host_id = make_host(client, account)
    response = upload(client, account, small_jpeg())
    assert response.status_code == 201, response.text
    engine = client.app.state.platform.database.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT host_id FROM images")).scalar_one()
    assert str(stored).replace("-", "") == host_id.replace("-", "")


def test_players_pending_hosts_and_anonymous_callers_are_refused(
    client: TestClient, api: Api, count_rows: Callable[[str], int]
) -> None:
    anonymous = upload(client, None, small_jpeg())
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    player = upload(client, api.account(), small_jpeg())
    assert player.status_code == 403
    assert player.json()["code"] == "images_not_allowed"

    pending = api.account()
    make_host(client, pending)
    engine = client.app.state.platform.database.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(text("UPDATE hosts SET status = 'suspended'"))
    assert upload(client, pending, small_jpeg()).status_code == 403
    assert count_rows("images") == 0
    assert _media_files(client) == []


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code", "words"),
    [
        (
            b"name,email\nada,ada@example.com\n" * 10,
            "image/jpeg",
            415,
            "unsupported_image_type",
            "not a JPEG, PNG or WebP image",
        ),
        (small_jpeg(), "text/plain", 415, "unsupported_image_type", "sent as text/plain"),
        (small_jpeg(), "image/png", 415, "unsupported_image_type", "its content is JPEG"),
        (
            b"GIF89a" + b"\x00" * 100,
            "image/gif",
            415,
            "unsupported_image_type",
            "only JPEG, PNG or WebP",
        ),
        (small_jpeg()[:300], "image/jpeg", 422, "invalid_image", "cannot be decoded"),
        (png_bomb(), "image/png", 422, "image_too_many_pixels", "pixels"),
    ],
    ids=["text-renamed-jpg", "declared-text", "mismatch", "gif", "truncated", "bomb"],
)
def test_what_is_not_an_acceptable_image_is_refused_and_nothing_is_stored(
    client: TestClient,
    api: Api,
    count_rows: Callable[[str], int],
    data: bytes,
    content_type: str,
    status: int,
    code: str,
    words: str,
) -> None:
    response = upload(client, api.admin(), data, filename="photo.jpg", content_type=content_type)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert words in response.json()["detail"]
    assert count_rows("images") == 0
    assert _media_files(client) == []


def test_the_pixel_limit_is_a_setting(make_client: Callable[..., TestClient]) -> None:
    client = make_client(image_max_pixels=10_000)
    admin = Api(client).admin()
    response = upload(client, admin, small_jpeg(200, 100))  # 20,000 pixels
    assert response.status_code == 422
    assert response.json()["code"] == "image_too_many_pixels"
    assert upload(client, admin, small_jpeg(100, 100)).status_code == 201


def test_an_image_over_the_size_limit_is_refused(
    make_client: Callable[..., TestClient], count_rows: Callable[[str], int]
) -> None:
    client = make_client(image_max_bytes=4096)
    admin = Api(client).admin()
    big = small_jpeg(64, 48) + b"\x00" * 5000  # a valid JPEG, padded past the limit
    response = upload(client, admin, big)
    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"
    assert upload(client, admin, small_jpeg(64, 48)).status_code == 201


def test_a_body_over_the_upload_limit_is_refused_before_it_is_read(
    client: TestClient, api: Api
) -> None:
    admin = api.admin()
    limit = client.app.state.platform.settings.image_max_bytes  # type: ignore[attr-defined]
    # Declared too long: answered at once from Content-Length.
    response = upload(client, admin, small_jpeg() + b"\x00" * (limit + 100_000))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"

    # Streamed without a length: counted as it arrives, refused once past the limit
    # (the middleware's own tests show it stops reading there).
    def chunks() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
        yield b"Content-Type: image/jpeg\r\n\r\n" + small_jpeg()
        for _ in range(64):  # 64 x 512 KiB: 32 MiB, three times the limit
            yield b"\x00" * 512 * 1024

    streamed = client.post(
        "/api/images",
        content=chunks(),
        headers={**admin.headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "payload_too_large"


def test_an_image_larger_than_other_bodies_is_accepted(client: TestClient, api: Api) -> None:
    """The upload's own limit (10 MiB) applies, not the 1 MiB of every other body."""
    padded = small_jpeg() + b"\x00" * (3 * 1024 * 1024)
    response = upload(client, api.admin(), padded)
    assert response.status_code == 201, response.text


def test_a_missing_file_field_is_a_clear_problem(client: TestClient, api: Api) -> None:
    admin = api.admin()
    response = client.post(
        "/api/images",
        files={"picture": ("a.jpg", small_jpeg(), "image/jpeg")},
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "image_file_missing"


def test_media_paths_outside_the_store_are_not_served(client: TestClient, api: Api) -> None:
    body = upload(client, api.admin(), small_jpeg()).json()
    card = media_path(rendition(body, "card")["url"])
    assert client.head(card).status_code == 200
    assert client.head(card).headers["cache-control"].endswith("immutable")
    for path in (
        card.replace("card.webp", "nope.webp"),
        "/media/../alot.db",
        "/media/%2e%2e/alot.db",
        "/media/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path


def test_a_store_that_fails_leaves_no_row(
    client: TestClient, api: Api, count_rows: Callable[[str], int]
) -> None:
    admin = api.admin()
    media = client.app.state.platform.settings.var_dir / "media"  # type: ignore[attr-defined]
    media.mkdir(parents=True, exist_ok=True)
    (media / "images").write_text("a file where the folder should be")
    response = upload(client, admin, small_jpeg())
    assert response.status_code == 503
    assert response.json()["code"] == "media_store_unavailable"
    assert count_rows("images") == 0


def test_a_row_that_fails_leaves_no_objects(client: TestClient, api: Api) -> None:
    admin = api.admin()
    engine = client.app.state.platform.database.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:  # the insert will fail, after the objects are stored
        connection.execute(text("ALTER TABLE images RENAME TO images_elsewhere"))
    response = upload(client, admin, small_jpeg())
    assert response.status_code == 500  # a bug-shaped failure: still nothing left behind
    assert _media_files(client) == []


def test_a_product_holds_the_page_url_and_its_card_is_derived(client: TestClient, api: Api) -> None:
    admin = api.admin()
    body = upload(client, admin, jpeg_with_gps(1200, 800, orientation=1)).json()
    page_url = rendition(body, "page")["url"]
    product = client.post(
        "/api/admin/product-classes",
        json={
            "name": "Diver",
            "category": "watch",
            "tier": "RARE",
            "retail_value_cents": 100_000,
            "images": [page_url],
        },
        headers=admin.headers,
    )
    assert product.status_code == 201, product.text
    assert product.json()["images"] == [page_url]
    card_url = page_url.removesuffix("/page.webp") + "/card.webp"
    assert card_url == rendition(body, "card")["url"]
    assert Image.open(io.BytesIO(_served(client, card_url))).size == (480, 320)


def test_a_browser_session_uploads_with_its_csrf_token_only(
    client: TestClient, api: Api, count_rows: Callable[[str], int]
) -> None:
    admin = api.admin()
    session = client.post(
        "/api/auth/login",
        json={"email": admin.email, "password": admin.password, "transport": "cookie"},
    ).json()
    files = {"file": ("a.jpg", small_jpeg(), "image/jpeg")}
    refused = client.post("/api/images", files=files)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert count_rows("images") == 0
    accepted = client.post(
        "/api/images", files=files, headers={"X-CSRF-Token": session["csrf_token"]}
    )
    assert accepted.status_code == 201, accepted.text
