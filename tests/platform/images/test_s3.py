"""The S3 media store against a real S3-compatible server: moto's server mode, started as
a subprocess on a free port (installed from the registries as a dev dependency). The app
talks to it over HTTP with boto3, as it would to AWS; the test reads the objects back the
same way."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.platform.conftest import Api
from tests.platform.images.helpers import assert_clean_webp, rendition, upload
from tests.platform.images.pictures import jpeg_with_gps, small_jpeg
from tests.platform.live_server import free_port

BUCKET = "alot-media-test"
REGION = "eu-west-1"
PUBLIC_READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            }
        ],
    }
)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{endpoint}/moto-api/").status_code < 500:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "moto's server ended early"
            assert time.monotonic() < deadline, "moto's server never became ready"
            time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials as a deployment gives them: boto3's standard environment variables."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


@pytest.fixture
def s3(s3_endpoint: str, aws_env: None) -> Any:
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
    # Public read, as a deployment serving images straight from its bucket sets it.
    client.put_bucket_policy(Bucket=BUCKET, Policy=PUBLIC_READ)
    return client


def _s3_client(
    make_client: Callable[..., TestClient], endpoint: str, **overrides: Any
) -> TestClient:
    return make_client(
        s3_bucket=overrides.pop("bucket", BUCKET),
        s3_endpoint_url=endpoint,
        s3_region=REGION,
        **overrides,
    )


def test_renditions_are_stored_in_the_bucket_with_type_and_cache_headers(
    make_client: Callable[..., TestClient], s3_endpoint: str, s3: Any
) -> None:
    client = _s3_client(make_client, s3_endpoint)
    admin = Api(client).admin()
    response = upload(client, admin, jpeg_with_gps(2000, 1000, orientation=6))
    assert response.status_code == 201, response.text
    body = response.json()
    for name, size in (("card", (480, 960)), ("page", (1000, 2000))):
        entry = rendition(body, name)
        key = f"images/{body['id']}/{name}.webp"
        assert entry["url"] == f"{s3_endpoint}/{BUCKET}/{key}"
        stored = s3.get_object(Bucket=BUCKET, Key=key)
        assert stored["ContentType"] == "image/webp"
        assert stored["CacheControl"] == "public, max-age=31536000, immutable"
        data = stored["Body"].read()
        assert len(data) == entry["bytes"]
        assert_clean_webp(data, size=size)
        # Browsers read it from the public URL, not through the platform.
        public = httpx.get(entry["url"])
        assert public.status_code == 200
        assert public.content == data
    # Nothing was written to the local store.
    local = client.app.state.platform.settings.var_dir / "media"  # type: ignore[attr-defined]
    assert not local.exists() or not any(p.is_file() for p in local.rglob("*"))
    assert client.get(f"/media/images/{body['id']}/card.webp").status_code == 404


def test_the_public_base_url_names_the_cdn(
    make_client: Callable[..., TestClient], s3_endpoint: str, s3: Any
) -> None:
    client = _s3_client(make_client, s3_endpoint, s3_public_base_url="https://media.alot.example/")
    body = upload(client, Api(client).admin(), small_jpeg()).json()
    assert rendition(body, "page")["url"] == (
        f"https://media.alot.example/images/{body['id']}/page.webp"
    )
    stored = s3.get_object(Bucket=BUCKET, Key=f"images/{body['id']}/page.webp")
    assert Image.open(io.BytesIO(stored["Body"].read())).size == (64, 48)


def test_a_bucket_that_refuses_leaves_no_row(
    make_client: Callable[..., TestClient],
    s3_endpoint: str,
    s3: Any,
    count_rows: Callable[[str], int],
) -> None:
    client = _s3_client(make_client, s3_endpoint, bucket="no-such-bucket")
    response = upload(client, Api(client).admin(), small_jpeg())
    assert response.status_code == 503
    assert response.json()["code"] == "media_store_unavailable"
    assert count_rows("images") == 0
